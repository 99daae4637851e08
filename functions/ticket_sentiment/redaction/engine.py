"""Run the detectors, merge overlapping detections, and replace them with placeholders."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache

from ..textprep import well_formed
from .addresses import find_addresses
from .detectors import WordIndex, digit_runs, find_birth_dates, find_emails, find_ipv6, find_secrets, find_urls
from .models import PRIORITY, EntityType, RedactionConfig, RedactionResult, Span
from .names import find_names
from .numbers import find_numeric

E = EntityType
DEFAULT_CONFIG = RedactionConfig()
_NUMERIC_TYPES = frozenset({E.PHONE, E.CARD, E.IBAN, E.SSN, E.NATIONAL_ID, E.BANK_ACCOUNT, E.IP})
_DIGIT_TYPES = _NUMERIC_TYPES | {E.ADDRESS}
# An earlier pass's placeholder is never a new detection: that keeps redaction idempotent.
_PLACEHOLDER = re.compile(r"[\s\"'`(]*\[[A-Z_]{2,20}\][\s\"'`.,;:!?)]*")
_PLACEHOLDER_TOKEN = re.compile(r"\[[A-Z_]{2,20}\]")


@lru_cache(maxsize=32)
def _allow_pattern(patterns: tuple[str, ...]) -> re.Pattern[str] | None:
    return re.compile("|".join(f"(?:{p})" for p in patterns)) if patterns else None


def merge_spans(spans: Iterable[Span]) -> list[Span]:
    """Overlapping detections become one span covering all of them, typed by the longest (then most specific).

    Covering the union, not just the winner, means no fragment of a value is ever left behind.
    """
    merged: list[Span] = []
    best: Span | None = None
    start = end = -1
    for span in sorted(spans, key=lambda s: (s.start, -s.end)):
        if best is not None and span.start < end:
            end = max(end, span.end)
            if (span.end - span.start, PRIORITY[span.type]) > (best.end - best.start, PRIORITY[best.type]):
                best = span
            continue
        if best is not None:
            merged.append(Span(start, end, best.type))
        best, start, end = span, span.start, span.end
    if best is not None:
        merged.append(Span(start, end, best.type))
    return merged


def detect(text: str, config: RedactionConfig | None = None) -> list[Span]:
    """Entity spans in `text`, merged and sorted; offsets index `text` as given (see `well_formed`)."""
    cfg = config or DEFAULT_CONFIG
    if not text:
        return []
    found = _find(text, cfg)
    allow = _allow_pattern(cfg.allow)
    placeholders = [(m.start(), m.end()) for m in _PLACEHOLDER_TOKEN.finditer(text)] if "[" in text else []
    return merge_spans(span for span in found if _keeps(text, span, cfg, allow, placeholders))


def _find(text: str, cfg: RedactionConfig) -> list[Span]:
    """Every detector whose types are wanted, on the text's shared indexes (digit runs, words)."""
    want = cfg.entities
    low = text.lower()  # for cheap substring gates only: lower() may change lengths, so never for offsets
    digits = digit_runs(text) if want & _DIGIT_TYPES else []
    words = WordIndex(low)  # one split of the text instead of a str.find per keyword that is not there
    found: list[Span] = []
    if E.EMAIL in want:
        found += find_emails(text, low, words)
    if E.URL in want:
        found += find_urls(text, low)
    if E.SECRET in want:
        found += find_secrets(text, low, words)
    if want & _NUMERIC_TYPES:
        found += find_numeric(text, want, cfg.phone_regions, digits)
    if E.IP in want:
        found += find_ipv6(text)
    if E.DOB in want:
        found += find_birth_dates(text, low, words)
    if E.ADDRESS in want:
        found += find_addresses(text, low, digits, words)
    if E.NAME in want:
        found += find_names(text, low, words)
    return found


def _keeps(
    text: str,
    span: Span,
    cfg: RedactionConfig,
    allow: re.Pattern[str] | None,
    placeholders: list[tuple[int, int]],
) -> bool:
    """A detection is kept unless its type is not wanted, it is empty, it is or touches an earlier pass's
    placeholder (that keeps redaction idempotent), it is the mask itself, or it is allowed in full."""
    value = text[span.start : span.end]
    if span.type not in cfg.entities or span.end <= span.start or _PLACEHOLDER.fullmatch(value):
        return False
    if any(a < span.end and span.start < b for a, b in placeholders):
        return False
    return value.strip() != cfg.mask and not (allow is not None and allow.fullmatch(value))


def apply_spans(text: str, spans: Iterable[Span], config: RedactionConfig | None = None) -> RedactionResult:
    """Replace merged, sorted, non-overlapping spans with placeholders and count them by type."""
    cfg = config or DEFAULT_CONFIG
    parts: list[str] = []
    counts: dict[EntityType, int] = {}
    marks: dict[EntityType, str] = {}  # one placeholder per type, not one call per span
    pos = 0
    for span in spans:
        parts.append(text[pos : span.start])
        mark = marks.get(span.type)
        if mark is None:
            mark = marks[span.type] = cfg.placeholder(span.type)
        parts.append(mark)
        counts[span.type] = counts.get(span.type, 0) + 1
        pos = span.end
    parts.append(text[pos:])
    return RedactionResult(text="".join(parts), entities=dict(sorted((t.value, n) for t, n in counts.items())))


def redact(text: str, config: RedactionConfig | None = None) -> RedactionResult:
    """The text with personal data replaced by placeholders, and entity counts (never the values)."""
    if not isinstance(text, str):
        raise TypeError(f"redact() needs a str, got {type(text).__name__}")
    clean = well_formed(text)
    return apply_spans(clean, _chosen(detect(clean, _detecting(config)), config), config)


def _detecting(config: RedactionConfig | None) -> RedactionConfig | None:
    """What masking detects with: every type, whichever are masked. Detecting only the chosen types would let a
    fragment of an unchosen value pass for a chosen one (the last digits of an IBAN read as a phone number)."""
    if config is None or config.entities == DEFAULT_CONFIG.entities:
        return config
    return config.model_copy(update={"entities": DEFAULT_CONFIG.entities})


def _chosen(spans: list[Span], config: RedactionConfig | None) -> list[Span]:
    """The merged spans of the chosen types; a value of another type is left whole, even where a chosen type's
    detector matched part of it."""
    want = (config or DEFAULT_CONFIG).entities
    return spans if want == DEFAULT_CONFIG.entities else [s for s in spans if s.type in want]


def redact_lines(text: str, config: RedactionConfig | None = None) -> RedactionResult:
    """Redaction of a text kept in lines that will be stored, shown and scored with its lines joined by spaces.

    Detected in both views: the lines ("Regards\nAnna": a sign-off name sits on its own line) and the joined
    text ("4111\n1111\n1111\n1111" is one card once joined). Replacing each new line by a space keeps every
    offset, so the spans of both views apply to the same text and nothing the joined text shows escapes."""
    if not isinstance(text, str):
        raise TypeError(f"redact_lines() needs a str, got {type(text).__name__}")
    clean = well_formed(text)
    detecting = _detecting(config)
    spans = detect(clean, detecting)
    if "\n" in clean:
        spans += _across_lines(clean, detecting)
    return apply_spans(clean, _chosen(merge_spans(spans), config), config)


_JOIN_CONTEXT = 160  # characters each side of a line break that the joined view is searched in
_EDGE = 60  # a span this close to a window's cut edge may lack its context (a label): left to the lined pass


def _across_lines(text: str, config: RedactionConfig | None) -> list[Span]:
    """What the joined view finds around each line break ("4111\n1111 ...", "date of birth\n14/03/1985"),
    searched in windows around the breaks instead of the whole text again; spans near a window's cut edge,
    where a label may have been cut off, are dropped (the lined pass saw them with their context)."""
    joined = text.replace("\n", " ")
    breaks = (
        [i for i, c in enumerate(text) if c == "\n"]
        if len(text) < 4096
        else [m.start() for m in re.finditer("\n", text)]
    )
    windows: list[list[int]] = []
    for i in breaks:
        lo, hi = max(0, i - _JOIN_CONTEXT), min(len(text), i + _JOIN_CONTEXT)
        if windows and lo <= windows[-1][1]:
            windows[-1][1] = hi
        else:
            windows.append([lo, hi])
    found: list[Span] = []
    for lo, hi in windows:
        low_edge = lo + _EDGE if lo > 0 else 0
        high_edge = hi - _EDGE if hi < len(text) else hi
        for span in detect(joined[lo:hi], config):
            start, end = span.start + lo, span.end + lo
            if low_edge <= start and end <= high_edge:
                found.append(Span(start, end, span.type))
    return found


def merge_counts(*counts: dict[str, int]) -> dict[str, int]:
    total: Counter[str] = Counter()
    for c in counts:
        total.update(c)
    return dict(sorted(total.items()))
