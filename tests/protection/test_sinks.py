"""The sink search attributes each record to its tickets: a hit counts for ticket X only in X's own records (or in
records of tickets that did not write the value themselves). Fast: sink outputs shaped as the pipeline writes
them (table items, Slack posts, Comprehend batches, log lines), no stack."""

from __future__ import annotations

import json
from typing import Any

import pytest

from .corpus import Ticket
from .sinks import Attribution, dump, search

# Ticket A is "Rosa": its name is redacted everywhere. Ticket B's text names the company "Guiomar Rosa Martin
# S.Coop.", a hard negative the redactor keeps, as it should: the word "Rosa" in B's records is B's own.
ROSA = Ticket(
    "zendesk:it_IT-00001",
    {"text": "Ciao Rosa,\nil mio rimborso non è ancora arrivato. Scrivete a rosa.gallo@example.it"},
    ["Rosa", "rosa.gallo@example.it"],
)
COMPANY = Ticket(
    "zendesk:es_ES-00731",
    {"text": "La factura de Guiomar Rosa Martin S.Coop. está mal, ¿pueden revisar los registros?"},
    ["Marisol Vidal"],  # B's own name is not in its text: nothing of B's may be found
)
MARKS = {ROSA.ticket_id: {"ZD-it-IT-00001", "a1" * 16}, COMPANY.ticket_id: {"ZD-es-ES-00731", "b2" * 16}}
POSTED = {t.ticket_id: dump(t.event) for t in (ROSA, COMPANY)}


def _outputs(rosa_text: str, company_text: str) -> dict[str, Any]:
    """What the sinks hold for the two tickets, A's redacted text and B's kept text as given."""
    return {
        "DynamoDB items": [
            {"PK": {"S": "TICKET#zendesk#ZD-it-IT-00001"}, "excerpt": {"S": rosa_text}},
            {"PK": {"S": "TICKET#zendesk#ZD-es-ES-00731"}, "excerpt": {"S": company_text}},
            {"PK": {"S": "DELIVERY#05fcbaef"}, "event_id": {"S": "b2" * 16}},
        ],
        "Slack payloads": [
            {"text": f"Negative ticket zendesk:ZD-it-IT-00001: {rosa_text}"},
            {"text": f"Negative ticket zendesk:ZD-es-ES-00731: {company_text}"},
        ],
        # A batch of both tickets' texts, no ids: each text is attributed by the words it shares with a post.
        "Comprehend requests": [{"operation": "BatchDetectSentiment", "TextList": [rosa_text, company_text]}],
        "events queue (SQS sends and receives)": [
            {
                "action": "sqs:ReceiveMessage",
                "response": {
                    "Messages": [
                        {"Body": json.dumps({"event_id": "a1" * 16, "event": {"text": rosa_text}})},
                        {"Body": json.dumps({"event_id": "b2" * 16, "event": {"text": company_text}})},
                    ]
                },
            }
        ],
        "logs (Powertools)": [json.dumps({"message": "scored", "excerpt": company_text})],
    }


REDACTED = "Ciao [NAME],\nil mio rimborso non è ancora arrivato. Scrivete a [EMAIL]"
KEPT = "La factura de Guiomar Rosa Martin S.Coop. está mal, ¿pueden revisar los registros?"


def _search(outputs: dict[str, Any]) -> dict[str, list[str]]:
    whose = Attribution(MARKS, POSTED)
    sinks = {name: whose.records(output) for name, output in outputs.items()}
    return search([ROSA, COMPANY], sinks, POSTED)


def test_a_kept_hard_negative_holding_another_tickets_redacted_name_is_no_leak() -> None:
    outputs = _outputs(REDACTED, KEPT)
    assert _search(outputs) == {name: [] for name in outputs}
    # The whole-sink search this replaces counted B's kept "Rosa" as A's leak, in every sink.
    whole = search([ROSA, COMPANY], {name: dump(output) for name, output in outputs.items()})
    assert all(found == ["Rosa"] for found in whole.values())


@pytest.mark.parametrize(
    "sink", ["DynamoDB items", "Slack payloads", "Comprehend requests", "events queue (SQS sends and receives)"]
)
def test_a_name_left_in_its_own_tickets_record_is_found_beside_the_other_tickets_kept_word(sink: str) -> None:
    leaked = _outputs("Ciao Rosa,\nil mio rimborso non è ancora arrivato. Scrivete a [EMAIL]", KEPT)
    outputs = {**_outputs(REDACTED, KEPT), sink: leaked[sink]}
    found = _search(outputs)
    assert found[sink] == ["Rosa"]
    assert all(not values for name, values in found.items() if name != sink)


def test_a_tickets_value_in_another_tickets_record_that_never_wrote_it_is_found() -> None:
    found = _search(_outputs(REDACTED, KEPT + " Copia a rosa.gallo@example.it"))
    assert set(found["Slack payloads"]) == {"rosa.gallo@example.it"}  # B's record, A's e-mail: crossed over
    assert "Rosa" not in found["Slack payloads"]  # B's own word, as before


def test_the_control_still_finds_each_tickets_raw_values_in_what_was_posted_for_it() -> None:
    whose = Attribution(MARKS, POSTED)
    posted = [r for t in (ROSA, COMPANY) for r in whose.owned(t.ticket_id, POSTED[t.ticket_id])]
    assert sorted(search([ROSA, COMPANY], {"posted": posted}, POSTED)["posted"]) == ["Rosa", "rosa.gallo@example.it"]


def test_a_record_naming_no_ticket_and_sharing_no_word_with_any_is_searched_for_every_ticket() -> None:
    whose = Attribution(MARKS, POSTED)
    (record,) = whose.records("werkzeug INFO 127.0.0.1 POST / 200")
    assert record.owners == whose.everyone
    assert search([ROSA, COMPANY], {"logs": whose.records("werkzeug 200 marisol vidal")}, POSTED)["logs"] == [
        "Marisol Vidal"
    ]
