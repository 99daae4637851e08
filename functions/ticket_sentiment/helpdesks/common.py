"""Helpers every platform parser shares: headers, tokens, JSON, bodies, timestamps, tags and event building."""

from __future__ import annotations

import base64
import binascii
import hmac
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from .. import bounded_json
from ..events import MAX_TEXT_CHARS, CustomerTier, Priority, Source, TicketEvent
from ..headers import header
from ..identity import TICKET_ID_PATTERN
from ..models import AuthorRole
from ..pipeline.lifecycle import Erasure
from .errors import AuthError, BadPayload

# Our write-back adds this tag to a ticket it has scored; it is never passed on as a ticket tag, so rules and
# routing cannot key on our own marker.
MARKER_TAG = "sentiment-scored"

# API Gateway hands Lambda at most 6 MB; a Salesforce envelope of 100 e-mails is the largest honest body.
MAX_WEBHOOK_BYTES = 6_000_000

MAX_TAGS = 50
MAX_TAG_CHARS = 64
MAX_SUBJECT_CHARS = 500
MAX_AREA_CHARS = 64

M = TypeVar("M", bound=BaseModel)

_IDENTIFIER = re.compile(TICKET_ID_PATTERN)
_LOOKS_LIKE_HTML = re.compile(r"<\s*(/?[a-zA-Z][a-zA-Z0-9]*|!--)[^<>]*>")


@dataclass(frozen=True)
class Skip:
    """A message the webhook described but we do not enqueue, and why (no personal data: ids and rules only)."""

    reason: str
    message_id: str | None = None


@dataclass(frozen=True)
class Parsed:
    events: list[TicketEvent] = field(default_factory=list)
    skipped: list[Skip] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    ping: bool = False
    erasures: list[Erasure] = field(default_factory=list)
    # event id -> the helpdesk's stable id of the ticket's requester (hashed by ingest before anything is queued)
    requesters: dict[str, str] = field(default_factory=dict)


# -- headers and credentials -------------------------------------------------------------------------------------


def equals(a: str | bytes, b: str | bytes) -> bool:
    """Constant-time comparison; str is encoded first because compare_digest refuses non-ASCII str."""
    left = a.encode() if isinstance(a, str) else a
    right = b.encode() if isinstance(b, str) else b
    return hmac.compare_digest(left, right)


def basic_auth_password(headers: Mapping[str, str]) -> str | None:
    value = header(headers, "Authorization")
    if not value or value[:6].lower() != "basic ":
        return None
    try:
        decoded = base64.b64decode(value[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return None
    _, sep, password = decoded.partition(":")
    return password if sep else None


def check_shared_token(headers: Mapping[str, str], token: str, header_name: str, allow_basic_auth: bool) -> None:
    """A shared token in a custom header, or as the HTTP basic auth password, for platforms that cannot sign."""
    presented = header(headers, header_name)
    if presented is None and allow_basic_auth:
        presented = basic_auth_password(headers)
    if presented is None:
        raise AuthError(
            f"missing credentials: send the shared token in the {header_name} header"
            + (" or as the basic auth password" if allow_basic_auth else "")
        )
    if not equals(presented.strip(), token):
        raise AuthError("invalid credentials")


# -- JSON and validation ---------------------------------------------------------------------------------------


def load_json_object(raw: bytes) -> dict[str, Any]:
    try:
        payload = bounded_json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise BadPayload("body is not valid UTF-8 JSON") from exc
    except bounded_json.JsonInputError as exc:
        raise BadPayload(exc.reason("body").replace("valid JSON", "valid UTF-8 JSON")) from exc
    if not isinstance(payload, dict):
        raise BadPayload("body must be a JSON object")
    return payload


def validation_details(exc: ValidationError) -> list[dict[str, str]]:
    """Field and message for each error, without the offending input (it may hold personal data)."""
    return [
        {"field": ".".join(str(p) for p in err["loc"]) or "body", "reason": err["msg"]}
        for err in exc.errors(include_input=False, include_url=False, include_context=False)[:20]
    ]


def validate(model: type[M], data: Any, what: str) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise BadPayload(f"body is not a valid {what}", validation_details(exc)) from exc


# -- field normalisation ---------------------------------------------------------------------------------------


def blank(value: object) -> bool:
    """Templates render missing placeholders as "" (Zendesk, Freshdesk) and some as "-" or "null"."""
    return value is None or (isinstance(value, str) and value.strip() in ("", "-", "null", "None"))


def text_or_none(value: object) -> str | None:
    if blank(value):
        return None
    return str(value).strip()


def identifier(value: object, name: str) -> str:
    text = text_or_none(value)
    if text is None:
        raise BadPayload(f"{name} is missing or empty")
    if not _IDENTIFIER.match(text):
        raise BadPayload(f"{name} is not a valid identifier (1-128 letters, digits or ._:@/#+-)")
    return text


def shorten(value: object, limit: int) -> str:
    text = text_or_none(value) or ""
    return " ".join(text.split())[:limit]


_UNIX_TIME = re.compile(r"[0-9]{9,13}(\.[0-9]{1,9})?")  # ASCII digits: \d would take any script's digits


def parse_timestamp(value: object) -> datetime | None:
    """ISO 8601 (with Z or an offset; naive means UTC) or Unix seconds/milliseconds, as number or string."""
    if isinstance(value, bool) or blank(value):
        return None
    if isinstance(value, int | float) or (isinstance(value, str) and _UNIX_TIME.fullmatch(value.strip())):
        seconds = float(value)
        if seconds > 1e11:  # milliseconds
            seconds /= 1000
        try:
            return datetime.fromtimestamp(seconds, tz=UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if not isinstance(value, str):
        return None
    text = value.strip().replace(" UTC", "+00:00")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def required_timestamp(*candidates: object, name: str) -> datetime:
    for candidate in candidates:
        parsed = parse_timestamp(candidate)
        if parsed is not None:
            return parsed
    raise BadPayload(f"{name} is missing or not an ISO 8601 / Unix timestamp")


_PRIORITIES: dict[str, Priority] = {
    "low": Priority.LOW,
    "1": Priority.LOW,
    "normal": Priority.NORMAL,
    "medium": Priority.NORMAL,
    "2": Priority.NORMAL,
    "not_priority": Priority.NORMAL,
    "high": Priority.HIGH,
    "3": Priority.HIGH,
    "priority": Priority.HIGH,
    "urgent": Priority.URGENT,
    "critical": Priority.URGENT,
    "4": Priority.URGENT,
}


def map_priority(value: object) -> Priority | None:
    """None when the helpdesk sent no priority (the ticket keeps the one it knows); an unknown one is normal: a
    custom priority name must not reject the message."""
    text = text_or_none(value)
    return _PRIORITIES.get(text.lower(), Priority.NORMAL) if text else None


def map_tier(value: object) -> CustomerTier | None:
    """None when the helpdesk sent no tier: the event then leaves it out and the ticket keeps the one it knows."""
    text = text_or_none(value)
    if text is None:
        return None
    try:
        return CustomerTier(text.lower())
    except ValueError:
        return CustomerTier.STANDARD


def clean_tags(tags: Iterable[object]) -> list[str]:
    """Dedupe, drop our marker tag, cap length and count instead of rejecting a ticket over a long tag."""
    out: list[str] = []
    for tag in tags:
        text = text_or_none(tag)
        if text is None:
            continue
        text = text[:MAX_TAG_CHARS].strip()
        if text and text.lower() != MARKER_TAG and text not in out:
            out.append(text)
        if len(out) == MAX_TAGS:
            break
    return out


def product_area(*candidates: object) -> str | None:
    for candidate in candidates:
        text = shorten(candidate, MAX_AREA_CHARS)
        if text:
            return text
    return None


def clean_url(value: object) -> str | None:
    """Zendesk's {{ticket.link}} has no scheme; a URL we cannot use is dropped rather than failing the message."""
    text = text_or_none(value)
    if text is None or any(c.isspace() for c in text) or len(text) > 2048:
        return None
    if not text.lower().startswith(("https://", "http://")):
        text = "https://" + text
    return text


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "head"):
            self._skip += 1
        elif tag in ("br", "p", "div", "li", "tr", "blockquote"):
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "head") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    extractor = _TextExtractor()
    extractor.feed(html)
    extractor.close()
    return re.sub(r"\n\s*\n+", "\n\n", "".join(extractor.parts)).strip()


def looks_like_html(value: str) -> bool:
    return _LOOKS_LIKE_HTML.search(value) is not None


def body_fields(
    value: object, warnings: list[str], message_id: str, html_hint: bool | None = None
) -> tuple[str | None, str | None] | None:
    """(text, html) for TicketEvent, or None when there is nothing to score.

    Platforms say "HTML" but often send plain text (and vice versa), so markup is detected. A body over
    MAX_TEXT_CHARS is never rejected (the helpdesk would retry it forever): bloated HTML is reduced to its
    text, and what is still too long is cut, with a warning naming the message.
    """
    text = text_or_none(value)
    if text is None:
        return None
    is_html = looks_like_html(text) if html_hint is None else html_hint
    if is_html and len(text) > MAX_TEXT_CHARS:
        text, is_html = html_to_text(text), False
    if len(text) > MAX_TEXT_CHARS:
        warnings.append(f"message {message_id}: body cut to {MAX_TEXT_CHARS} characters")
        text = text[:MAX_TEXT_CHARS]
    if not text.strip() or (is_html and not html_to_text(text)):
        return None
    return (None, text) if is_html else (text, None)


def build_event(
    *,
    source: Source,
    ticket_id: str,
    message_id: str,
    author_role: AuthorRole,
    body: tuple[str | None, str | None],
    created_at: datetime,
    subject: object = "",
    priority: Priority | None = None,
    tags: list[str] | None = None,
    area: str | None = None,
    tier: CustomerTier | None = None,
    url: str | None = None,
) -> TicketEvent:
    text, html = body
    fields: dict[str, Any] = {
        "source": source,
        "ticket_id": ticket_id,
        "message_id": message_id,
        "author_role": author_role,
        "text": text,
        "html": html,
        "created_at": created_at,
        "subject": shorten(subject, MAX_SUBJECT_CHARS),
        "tags": tags or [],
        # absent stays absent, so the ticket keeps what it knows (pipeline.service), as does a blank subject
        **{k: v for k, v in (("priority", priority), ("product_area", area), ("customer_tier", tier)) if v is not None},
    }
    try:
        return TicketEvent.model_validate({**fields, **({"ticket_url": url} if url is not None else {})})
    except ValidationError as exc:
        if any(err["loc"][:1] == ("ticket_url",) for err in exc.errors()):
            # A URL the platform rendered oddly is not worth losing the message over.
            return _validated(fields)
        raise BadPayload("payload does not map to a valid ticket event", validation_details(exc)) from exc


def _validated(fields: dict[str, Any]) -> TicketEvent:
    try:
        return TicketEvent.model_validate(fields)
    except ValidationError as exc:
        raise BadPayload("payload does not map to a valid ticket event", validation_details(exc)) from exc
