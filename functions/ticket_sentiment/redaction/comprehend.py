"""Amazon Comprehend DetectPiiEntities as a second pass, after the local one and never before it.

Only text the local pass has already redacted is sent, so the values it knows (cards, IBANs, phones, keys, ...)
never reach the API; Comprehend adds what patterns miss, mostly names and addresses in running text.
DetectPiiEntities takes at most 100 KB of UTF-8 per call (English and Spanish are the languages it supports for
this operation), so longer texts go in chunks cut on character boundaries, with an overlap so an entity on a cut
is seen whole in the next chunk.

Wired into the score path behind the stack's `comprehend_pii` flag (`PII_SECOND_PASS=comprehend`): throttling
and transient errors are retried with backoff (tenacity, as the sentiment fallback does); a pass that still fails
leaves the local result standing, so the message is scored and stored all the same, and `on_failure` is told
(the handler counts it as a metric).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError, ReadTimeoutError
from botocore.exceptions import ConnectionError as NetworkError
from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential_jitter

from ..textprep import well_formed
from .detectors import is_personal_url
from .engine import apply_spans, merge_counts, merge_spans, redact
from .models import EntityType, RedactionConfig, RedactionResult, Span

logger = logging.getLogger(__name__)

MAX_BYTES = 100_000
COMPREHEND_PII_LANGUAGES = frozenset({"en", "es"})
E = EntityType
# Comprehend's entity types in ours; None: not personal data on its own (dates, ages, card expiry dates).
TYPE_MAP: dict[str, EntityType | None] = {
    "NAME": E.NAME,
    "USERNAME": E.NAME,
    "ADDRESS": E.ADDRESS,
    "EMAIL": E.EMAIL,
    "PHONE": E.PHONE,
    "CREDIT_DEBIT_NUMBER": E.CARD,
    "CREDIT_DEBIT_CVV": E.SECRET,
    "CREDIT_DEBIT_EXPIRY": None,
    "PIN": E.SECRET,
    "PASSWORD": E.SECRET,
    "AWS_ACCESS_KEY": E.SECRET,
    "AWS_SECRET_KEY": E.SECRET,
    "SSN": E.SSN,
    "US_INDIVIDUAL_TAX_IDENTIFICATION_NUMBER": E.NATIONAL_ID,
    "IP_ADDRESS": E.IP,
    "MAC_ADDRESS": E.IP,
    "URL": E.URL,
    "BANK_ACCOUNT_NUMBER": E.BANK_ACCOUNT,
    "BANK_ROUTING": E.BANK_ACCOUNT,
    "SWIFT_CODE": None,
    "INTERNATIONAL_BANK_ACCOUNT_NUMBER": E.IBAN,
    "PASSPORT_NUMBER": E.NATIONAL_ID,
    "DRIVER_ID": E.NATIONAL_ID,
    "LICENSE_PLATE": E.NATIONAL_ID,
    "VEHICLE_IDENTIFICATION_NUMBER": E.NATIONAL_ID,
    "UK_NATIONAL_INSURANCE_NUMBER": E.NATIONAL_ID,
    "CA_SOCIAL_INSURANCE_NUMBER": E.NATIONAL_ID,
    "UK_UNIQUE_TAXPAYER_REFERENCE_NUMBER": E.NATIONAL_ID,
    "UK_NATIONAL_HEALTH_SERVICE_NUMBER": E.NATIONAL_ID,
    "CA_HEALTH_NUMBER": E.NATIONAL_ID,
    "IN_PERMANENT_ACCOUNT_NUMBER": E.NATIONAL_ID,
    "IN_NREGA": E.NATIONAL_ID,
    "IN_AADHAAR": E.NATIONAL_ID,
    "IN_VOTER_NUMBER": E.NATIONAL_ID,
    "DATE_TIME": None,
    "AGE": None,
}
_PLACEHOLDER_EDGE = re.compile(r"\[[A-Z_]{2,20}\]")
# Worth another try: throttling and the service's own transient failures, and the network's.
_TRANSIENT = frozenset(
    {
        "ThrottlingException",
        "TooManyRequestsException",
        "ServiceUnavailableException",
        "InternalServerException",
        "RequestLimitExceeded",
    }
)
FIELD_SEPARATOR = "\n"  # between the fields sent in one request; redacted texts are single-line


def is_transient(exc: BaseException) -> bool:
    if isinstance(exc, ClientError):
        return exc.response.get("Error", {}).get("Code") in _TRANSIENT
    return isinstance(exc, NetworkError | ReadTimeoutError)


def utf8_chunks(text: str, max_bytes: int = MAX_BYTES, overlap: int = 500) -> Iterator[tuple[int, str]]:
    """(offset, chunk) pairs covering `text`: each chunk at most `max_bytes` of UTF-8, cut between characters
    (at whitespace where there is some near the end), each starting `overlap` characters before the last one
    ended."""
    if not 0 <= overlap * 4 < max_bytes:
        raise ValueError("overlap must leave room for new text in every chunk")
    start, n = 0, len(text)
    while start < n:
        piece = text[start : start + max_bytes]  # a character is at least one byte, so this is an upper bound
        encoded = piece.encode("utf-8")
        if len(encoded) > max_bytes:
            piece = encoded[:max_bytes].decode("utf-8", "ignore")  # drop the character the byte limit cut
        end = start + len(piece)
        if end < n:
            cut = max(piece.rfind(" ", len(piece) * 3 // 4), piece.rfind("\n", len(piece) * 3 // 4))
            if cut > overlap:
                end = start + cut + 1
        yield start, text[start:end]
        if end >= n:
            return
        start = max(end - overlap, start + 1)


def _trim_placeholders(text: str, start: int, end: int) -> tuple[int, int]:
    """Shrink a span so it neither starts nor ends on an earlier pass's placeholder ("[NAME] Smith")."""
    m = _PLACEHOLDER_EDGE.match(text, start)
    while m is not None and m.end() <= end:
        start = m.end()
        while start < end and text[start].isspace():
            start += 1
        m = _PLACEHOLDER_EDGE.match(text, start)
    for m in _PLACEHOLDER_EDGE.finditer(text, start, end):
        if m.end() == end:
            end = m.start()
            while end > start and text[end - 1].isspace():
                end -= 1
    return start, end


class ComprehendPiiRedactor:
    """Second pass with DetectPiiEntities on text the local pass has already redacted.

    `client` is a boto3 Comprehend client, injected so the Lambda reuses one and tests can stub it. Each request
    is tried `attempts` times on transient errors, waiting exponentially longer (with jitter) in between;
    `on_failure` hears of a pass given up (the local result is kept).
    """

    def __init__(
        self,
        client: Any,
        *,
        min_score: float = 0.8,
        max_bytes: int = MAX_BYTES,
        overlap: int = 500,
        attempts: int = 4,
        base_wait: float = 0.1,
        max_wait: float = 2.0,
        on_failure: Callable[[Exception], None] | None = None,
    ) -> None:
        self.client = client
        self.min_score = min_score
        self.max_bytes = max_bytes
        self.overlap = overlap
        self.on_failure = on_failure
        self.retrying = Retrying(
            stop=stop_after_attempt(attempts),
            reraise=True,
            wait=wait_exponential_jitter(initial=base_wait, max=max_wait, jitter=base_wait),
            retry=retry_if_exception(is_transient),
        )

    def detect(self, text: str, language: str, config: RedactionConfig | None = None) -> list[Span]:
        """Comprehend's entities in `text` (offsets into `text`), mapped to our types and merged."""
        if language not in COMPREHEND_PII_LANGUAGES or not text.strip():
            return []
        want = (config or RedactionConfig()).entities
        spans: list[Span] = []
        for offset, chunk in utf8_chunks(text, self.max_bytes, self.overlap):
            response = self.retrying(self.client.detect_pii_entities, Text=chunk, LanguageCode=language)
            for entity in response.get("Entities", []):
                ours = TYPE_MAP.get(entity.get("Type", ""))
                if ours is None or ours not in want or float(entity.get("Score", 0.0)) < self.min_score:
                    continue
                start, end = _trim_placeholders(
                    text, offset + int(entity["BeginOffset"]), offset + int(entity["EndOffset"])
                )
                if end <= start or (ours is E.URL and not is_personal_url(text[start:end])):
                    continue
                spans.append(Span(start, end, ours))
        return merge_spans(spans)

    def redact(
        self,
        local: RedactionResult,
        language: str,
        config: RedactionConfig | None = None,
    ) -> RedactionResult:
        """`local` (the local pass's result) with Comprehend's findings redacted too; counts are summed.

        If Comprehend fails (after the retries), the local result stands: it is already safe to pass on, and
        scoring goes on.
        """
        return self.redact_fields([local], language, config)[0]

    def redact_fields(
        self, locals_: Sequence[RedactionResult], language: str, config: RedactionConfig | None = None
    ) -> list[RedactionResult]:
        """Each locally redacted field (body, subject) with Comprehend's findings redacted too, the fields sent
        together (one request, one 3-unit minimum, instead of one per field) and split again; a finding that
        crosses from one field into the next is cut at the separator, so each part is masked in its own field."""
        joined = FIELD_SEPARATOR.join(r.text for r in locals_)
        try:
            spans = self.detect(joined, language, config)
        except (BotoCoreError, ClientError) as exc:
            # The exception text can quote the request; log its class only.
            logger.warning("comprehend_pii_failed", extra={"error": type(exc).__name__})
            if self.on_failure is not None:
                self.on_failure(exc)
            return list(locals_)
        results: list[RedactionResult] = []
        start = 0
        for local in locals_:
            end = start + len(local.text)
            own = [Span(max(s.start, start) - start, min(s.end, end) - start, s.type) for s in spans]
            second = apply_spans(local.text, [s for s in own if s.end > s.start], config)
            results.append(RedactionResult(text=second.text, entities=merge_counts(local.entities, second.entities)))
            start = end + len(FIELD_SEPARATOR)
        return results


def redact_with_comprehend(
    text: str, redactor: ComprehendPiiRedactor, language: str, config: RedactionConfig | None = None
) -> RedactionResult:
    """The local pass, then Comprehend on its output: raw text is never sent to the API."""
    local = redact(well_formed(text), config)
    return redactor.redact(local, language, config)
