"""Per-type precision and recall of the redactor on a labelled corpus.

The corpus is JSON lines, {"text": ...}, with personal data marked inline as <<TYPE:value>>, which keeps every
label easy to check by eye. NAME* marks a name outside a greeting, sign-off or introduction: it is scored as
its own row ("NAME*"), since only the formulaic places are in scope for the local pass.

Recall: a gold value counts as found when spans of its type cover all its letters and digits (a partly
redacted card number is a leak). Precision: a predicted span is correct when it overlaps a gold value of its
type. "any type" recall counts a value as protected when any prediction covers it.

    python -m ticket_sentiment_tools.redaction.evaluate [tests/data/pii_corpus.jsonl]
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel
from ticket_sentiment.redaction.engine import detect
from ticket_sentiment.redaction.models import RedactionConfig

DEFAULT_CORPUS = Path(__file__).resolve().parents[3] / "tests" / "data" / "pii_corpus.jsonl"
_MARK = re.compile(r"<<([A-Z_]+\*?):(.*?)>>", re.S)


@dataclass(frozen=True)
class GoldSpan:
    start: int
    end: int
    type: str


class TypeMetrics(BaseModel):
    gold: int
    predicted: int
    recall: float
    precision: float
    recall_any_type: float


class CorpusReport(BaseModel):
    snippets: int
    negatives: int  # snippets without any personal data
    per_type: dict[str, TypeMetrics]
    false_positive_snippets: int  # negatives where anything was redacted


def parse_marked(marked: str) -> tuple[str, list[GoldSpan]]:
    """Plain text and gold spans from inline <<TYPE:value>> markup."""
    parts: list[str] = []
    spans: list[GoldSpan] = []
    pos = length = 0
    for m in _MARK.finditer(marked):
        parts.append(marked[pos : m.start()])
        length += m.start() - pos
        value = m.group(2)
        spans.append(GoldSpan(length, length + len(value), m.group(1)))
        parts.append(value)
        length += len(value)
        pos = m.end()
    parts.append(marked[pos:])
    return "".join(parts), spans


def load_corpus(path: Path = DEFAULT_CORPUS) -> list[tuple[str, list[GoldSpan]]]:
    rows = []
    for line_no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            try:
                rows.append(parse_marked(json.loads(line)["text"]))
            except (json.JSONDecodeError, KeyError, TypeError) as exc:
                raise ValueError(f"{path}:{line_no}: {exc}") from exc
    return rows


def _covered(text: str, gold: GoldSpan, spans: Iterable[tuple[int, int]]) -> bool:
    covered: set[int] = set()
    for start, end in spans:
        covered.update(range(max(start, gold.start), min(end, gold.end)))
    return all(i in covered for i in range(gold.start, gold.end) if text[i].isalnum())


def evaluate_corpus(rows: list[tuple[str, list[GoldSpan]]], config: RedactionConfig | None = None) -> CorpusReport:
    counts: dict[str, list[int]] = {}  # type -> [gold, found, found_any, predicted, predicted_correct]
    false_positive_snippets = 0
    for text, gold in rows:
        predicted = detect(text, config)
        if not gold and predicted:
            false_positive_snippets += 1
        for g in gold:
            c = counts.setdefault(g.type, [0, 0, 0, 0, 0])
            base = g.type.rstrip("*")
            c[0] += 1
            c[1] += _covered(text, g, [(p.start, p.end) for p in predicted if p.type.value == base])
            c[2] += _covered(text, g, [(p.start, p.end) for p in predicted])
        for p in predicted:
            c = counts.setdefault(p.type.value, [0, 0, 0, 0, 0])
            c[3] += 1
            c[4] += any(g.type.rstrip("*") == p.type.value and g.start < p.end and p.start < g.end for g in gold)
    per_type = {
        t: TypeMetrics(
            gold=c[0],
            predicted=c[3],
            recall=round(c[1] / c[0], 4) if c[0] else 1.0,
            precision=round(c[4] / c[3], 4) if c[3] else 1.0,
            recall_any_type=round(c[2] / c[0], 4) if c[0] else 1.0,
        )
        for t, c in sorted(counts.items())
    }
    return CorpusReport(
        snippets=len(rows),
        negatives=sum(1 for _, g in rows if not g),
        per_type=per_type,
        false_positive_snippets=false_positive_snippets,
    )


def format_report(report: CorpusReport) -> str:
    lines = [
        f"{report.snippets} snippets, {report.negatives} without personal data "
        f"({report.false_positive_snippets} of those had a false redaction)",
        f"{'type':<14}{'gold':>6}{'pred':>6}{'precision':>11}{'recall':>9}{'recall(any)':>13}",
    ]
    for name, m in report.per_type.items():
        lines.append(
            f"{name:<14}{m.gold:>6}{m.predicted:>6}{m.precision:>11.3f}{m.recall:>9.3f}{m.recall_any_type:>13.3f}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    path = Path(args[0]) if args else DEFAULT_CORPUS
    print(format_report(evaluate_corpus(load_corpus(path))))


if __name__ == "__main__":
    main()
