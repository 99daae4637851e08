"""A ticket's identity (identity): one canonical key that round-trips, and the producer claims."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from ticket_sentiment.events import TicketEvent
from ticket_sentiment.helpdesks.errors import Forbidden
from ticket_sentiment.helpdesks.generic import authorize
from ticket_sentiment.identity import (
    BadTicketRefError,
    Origin,
    Source,
    TicketRef,
    may_claim,
    valid_claim,
)

from .pipeline_fakes import event_payload

ids = st.from_regex(r"[A-Za-z0-9._:@/#+-]{1,128}", fullmatch=True)
brands = st.none() | st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}", fullmatch=True)


@given(st.sampled_from(list(Source)), brands, ids)
def test_the_canonical_key_round_trips_even_with_colons_and_slashes_in_the_id(
    source: Source, brand: str | None, ticket_id: str
) -> None:
    ref = TicketRef.of(source, ticket_id, brand)
    assert TicketRef.parse(ref.key) == ref
    assert ref.key.startswith(f"{source.value}/{brand}:" if brand else f"{source.value}:")


@given(ids, ids)
def test_different_namespaces_never_share_a_key(a: str, b: str) -> None:
    keys = {TicketRef.of(s, a).key for s in Source} | {TicketRef.of("zendesk", b, "acme").key}
    assert len(keys) == len(Source) + 1


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        ("4521", "expected a ticket key"),
        ("jira:4521", "source must be"),
        ("zendesk/a b:4521", "brand must be"),
        ("zendesk/-x:4521", "brand must be"),
        ("zendesk:", "ticket id must be"),
        ("zendesk:bad id!", "ticket id must be"),
    ],
)
def test_a_bare_id_or_a_bad_part_names_no_ticket(key: str, reason: str) -> None:
    with pytest.raises(BadTicketRefError, match=reason):
        TicketRef.parse(key)


def test_the_event_id_is_in_the_tickets_namespace() -> None:
    ids = {
        TicketEvent.model_validate(event_payload(source=source, brand=brand)).event_id
        for source, brand in (("zendesk", None), ("freshdesk", None), ("other", None), ("zendesk", "acme"))
    }
    assert len(ids) == 4


@pytest.mark.parametrize(
    ("claims", "source", "brand", "allowed"),
    [
        ((), Source.OTHER, None, True),
        ((), Source.OTHER, "team-a", True),
        ((), Source.ZENDESK, None, False),
        (("freshdesk",), Source.ZENDESK, None, False),
        (("zendesk",), Source.ZENDESK, None, True),
        (("zendesk",), Source.ZENDESK, "acme", False),
        (("zendesk/acme",), Source.ZENDESK, "acme", True),
        (("zendesk/acme",), Source.ZENDESK, None, False),
        (("zendesk/acme",), Source.ZENDESK, "globex", False),
        (("zendesk/*",), Source.ZENDESK, "globex", True),
        (("zendesk/*",), Source.SALESFORCE, "globex", False),
    ],
)
def test_may_claim(claims: tuple[str, ...], source: Source, brand: str | None, allowed: bool) -> None:
    assert may_claim(claims, source, brand) is allowed
    event = TicketEvent.model_validate(event_payload(source=source.value, brand=brand))
    if allowed:
        authorize([event], claims)
    else:
        with pytest.raises(Forbidden) as refused:
            authorize([event], claims)
        assert refused.value.status == 403
        assert "T-1" not in refused.value.reason  # names the namespace, never the ticket


def test_claims_are_validated() -> None:
    assert all(valid_claim(c) for c in ("zendesk", "zendesk/acme", "salesforce/*", "other"))
    assert not any(valid_claim(c) for c in ("jira", "zendesk/", "zendesk/a b", "*", "zendesk:acme"))


def test_only_a_helpdesks_own_webhook_is_verified_for_it() -> None:
    assert Origin.ZENDESK.verified_for("zendesk")
    assert not Origin.ZENDESK.verified_for("freshdesk")
    assert not any(o.verified_for("zendesk") for o in (Origin.EVENTS, Origin.GENERIC, Origin.BACKFILL))
    assert not Origin.GENERIC.verified_for("generic")


def test_a_backfill_row_cannot_claim_another_source_and_is_never_written_back() -> None:
    from datetime import timedelta

    from ticket_sentiment_tools.backfill import ForeignSourceError, to_event

    from .pipeline_fakes import T0

    row = {k: v for k, v in event_payload().items() if k != "source"}
    queued = to_event(row, Source.FRESHDESK, T0 + timedelta(minutes=5))
    assert queued.event.ref.key == "freshdesk:T-1"
    assert queued.origin == Origin.BACKFILL
    with pytest.raises(ForeignSourceError, match="another source"):
        to_event({**row, "source": "zendesk"}, Source.FRESHDESK, T0 + timedelta(minutes=5))
