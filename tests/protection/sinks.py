"""A sink's output as records, each attributed to the tickets it belongs to, and the search of those records for
each ticket's raw values.

Why attribute: a chunk of tickets shares its sinks, and one ticket's kept words can equal another's redacted
value (the company "Guiomar Rosa Martin S.Coop.", a hard negative kept as it should be, holds the name "Rosa" of
another ticket whose own "Rosa" is redacted). Searching a whole sink for every ticket's values counts that as a
leak. Here a raw value of ticket X counts as found in a record when
- the record belongs to X (its table item, its queue messages, its Slack post, its log lines, its Comprehend
  text, its API answer), or
- it belongs only to other tickets, none of whose own posted input holds that value: X's data in another
  ticket's record is a leak too, unless the other ticket wrote the same words itself.

A record belongs to the tickets whose marks it names (the stored ticket id, the event ids the API answered
with); a record naming none (a Comprehend text, a log line) belongs to the tickets whose posted words it shares
most, weighted by how rare each word is in the chunk; a record sharing none belongs to every ticket (searched
for all of them, as before attribution).
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .corpus import Ticket

_NON_DIGIT = re.compile(r"\D+")
_TOKEN = re.compile(r"[^\W_]+")
_JSON_ESCAPE = re.compile(r"\\(?:u[0-9a-f]{4}|.)")  # in lower case: \n, \", \\, \u00a0


def dump(value: Any) -> str:
    return json.dumps(value, default=str, ensure_ascii=False)


@dataclass(frozen=True)
class Text:
    """A text as the search reads it: lower case, with JSON escapes read as the words they separate."""

    lower: str
    plain: str
    tokens: frozenset[str]
    digit_runs: frozenset[str]

    @classmethod
    def of(cls, text: str) -> Text:
        lower = text.lower()
        # Tokens as the words read, not as JSON escapes them: "\\nAnna" is the word "anna" after a line break.
        plain = _JSON_ESCAPE.sub(" ", lower)
        return cls(lower, plain, frozenset(_TOKEN.findall(plain)), frozenset(_NON_DIGIT.split(plain)))

    def holds(self, form: str, tokens: Iterable[str]) -> bool:
        """The value form is written here as whole words (its tokens are words here, and it occurs as written)."""
        return all(tok in self.tokens for tok in tokens) and (form in self.lower or form in self.plain)


@dataclass(frozen=True)
class Record:
    text: str
    owners: frozenset[str]  # ticket ids (Ticket.ticket_id)


@dataclass
class Attribution:
    """Whom a chunk's records belong to: each ticket's marks and posted input."""

    marks: dict[str, set[str]]  # ticket id -> strings its records carry (stored ticket id, event ids)
    posted: dict[str, str]  # ticket id -> everything posted for it (event and delivery), raw
    _by_mark: dict[str, str] = field(init=False)
    _pattern: re.Pattern[str] | None = field(init=False)
    _words: dict[str, set[str]] = field(init=False)  # posted word -> tickets that posted it

    def __post_init__(self) -> None:
        self._by_mark = {mark: tid for tid, marks in self.marks.items() for mark in marks if mark}
        ordered = sorted(self._by_mark, key=len, reverse=True)  # the longest mark wins where one holds another
        self._pattern = re.compile("|".join(map(re.escape, ordered))) if ordered else None
        self._words = defaultdict(set)
        for tid, text in self.posted.items():
            for word in Text.of(text).tokens:
                self._words[word].add(tid)

    @property
    def everyone(self) -> frozenset[str]:
        return frozenset(self.posted)

    def named(self, text: str) -> frozenset[str]:
        if self._pattern is None:
            return frozenset()
        return frozenset(self._by_mark[m] for m in self._pattern.findall(text))

    def by_words(self, text: str) -> frozenset[str]:
        """The tickets whose posted words this text shares most (each word weighted by 1 / how many tickets
        posted it); every ticket when it shares none."""
        weights: dict[str, float] = defaultdict(float)
        for word in Text.of(text).tokens:
            holders = self._words.get(word, ())
            for tid in holders:
                weights[tid] += 1.0 / len(holders)
        if not weights:
            return self.everyone
        best = max(weights.values())
        return frozenset(tid for tid, w in weights.items() if w >= best - 1e-9)

    def records(self, value: Any) -> list[Record]:
        """`value` (a sink's JSON-like output) as records: a part naming exactly one ticket's marks is one record
        of that ticket; a list or dict naming none or several is split (a dict's scalar fields stay together);
        a text naming several belongs to each of them, one naming none to the tickets it shares words with."""
        text = dump(value) if not isinstance(value, str) else value
        named = self.named(text)
        if len(named) != 1 and isinstance(value, list):
            return [r for item in value for r in self.records(item)]
        if len(named) != 1 and isinstance(value, dict):
            nested = {k: v for k, v in value.items() if isinstance(v, list | dict)}
            scalars = {k: v for k, v in value.items() if k not in nested}
            out = self.records(dump(scalars)) if scalars else []
            return out + [r for item in nested.values() for r in self.records(item)]
        return [Record(text, named or self.by_words(text))]

    def each(self, outputs: list[Any]) -> list[Record]:
        """A sink's outputs (items, calls, posts, lines), each as its records."""
        return [r for output in outputs for r in self.records(output)]

    def owned(self, ticket_id: str, value: Any) -> list[Record]:
        """A record known to be the ticket's (an API answer to its own request)."""
        return [Record(dump(value) if not isinstance(value, str) else value, frozenset({ticket_id}))]


def _forms(ticket: Ticket) -> list[tuple[str, str, list[str]]]:
    # A value is also looked for with underscores for its spaces, as a Zendesk tag writes it ("Anna_Kowalski").
    return [
        (v, form, _TOKEN.findall(form))
        for v in ticket.values
        for form in dict.fromkeys((v.lower(), v.lower().replace(" ", "_")))
    ]


@dataclass
class _Sink:
    texts: list[Text]
    owners: list[frozenset[str]]
    by_token: dict[str, set[int]]
    by_digits: dict[str, set[int]]

    @classmethod
    def of(cls, records: list[Record]) -> _Sink:
        texts = [Text.of(r.text) for r in records]
        by_token: dict[str, set[int]] = defaultdict(set)
        by_digits: dict[str, set[int]] = defaultdict(set)
        for i, text in enumerate(texts):
            for tok in text.tokens:
                by_token[tok].add(i)
            for run in text.digit_runs:
                by_digits[run].add(i)
        return cls(texts, [r.owners for r in records], by_token, by_digits)

    def candidates(self, tokens: list[str]) -> set[int]:
        """Records holding every token (all records for a value with none)."""
        if not tokens:
            return set(range(len(self.texts)))
        sets = sorted((self.by_token.get(tok, set()) for tok in tokens), key=len)
        return set.intersection(*sets) if sets[0] else set()


def search(
    tickets: list[Ticket], sinks: Mapping[str, str | list[Record]], posted: Mapping[str, str] | None = None
) -> dict[str, list[str]]:
    """Sink -> raw values found in it (case-insensitive whole words, also with underscores for spaces; cards and
    phones also as a digits-only run), each counted only where it is its own ticket's or unexplained (see the
    module's docstring). A sink given as one text is one record of every ticket.

    Each sink is indexed once (word -> records), so a value is compared only with the records holding all its
    words."""
    everyone = frozenset(t.ticket_id for t in tickets)
    explains = {tid: Text.of(text) for tid, text in (posted or {}).items()}
    hits: dict[str, list[str]] = {}
    for name, records in sinks.items():
        sink = _Sink.of([Record(records, everyone)] if isinstance(records, str) else records)
        found: list[str] = []
        for ticket in tickets:
            for value, form, toks in _forms(ticket):
                if any(_counts(ticket, sink, i, explains, form=form, toks=toks) for i in sink.candidates(toks)):
                    found.append(value)
            for digits in ticket.digit_forms:
                holders = sink.by_digits.get(digits, set())
                if any(_counts(ticket, sink, i, explains, form=digits, toks=None) for i in holders):
                    found.append(digits)
        hits[name] = found
    return hits


def _counts(
    ticket: Ticket, sink: _Sink, i: int, explains: Mapping[str, Text], *, form: str, toks: list[str] | None
) -> bool:
    """Record i of the sink holds the form, and that is the ticket's own record or no owner wrote it itself."""
    text = sink.texts[i]
    if toks is not None and not text.holds(form, toks):
        return False
    owners = sink.owners[i]
    if ticket.ticket_id in owners:
        return True
    written = (explains[o] for o in owners if o in explains)
    return not any(t.holds(form, toks) if toks is not None else form in t.digit_runs for t in written)
