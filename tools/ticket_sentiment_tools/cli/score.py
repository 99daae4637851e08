"""`score`, `eval` and `demo`: the bundled model on a text, a labelled CSV, the sample tickets."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from ticket_sentiment.adapters.aws.onnx_scorer import OnnxSentimentScorer

from ..evaluation import EvalReport, LabelledDataError, evaluate, missing_classes, read_labelled_csv
from ..textfiles import NotUtf8Error
from .common import (
    ModelDirOption,
    QuietOption,
    exit_on_bad_lines,
    fail,
    load_scorer,
    out,
    process_jsonl,
    result_record,
    results_table,
    score_with_progress,
    text_argument,
)

app = typer.Typer()


def score_jsonl(scorer: OnnxSentimentScorer, stream: Iterator[str]) -> int:
    """Score a JSON-lines stream in order; returns the number of bad lines."""
    return process_jsonl(
        stream,
        lambda items: [
            result_record(item.id, result)
            for item, result in zip(items, scorer.score([item.text for item in items]), strict=True)
        ],
    )


@app.command()
def score(
    text: Annotated[str | None, typer.Argument(help="text to score; - (or piped stdin) reads it from stdin")] = None,
    jsonl: Annotated[bool, typer.Option("--jsonl", help='read {"id","text"} JSON lines on stdin')] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print the result as JSON")] = False,
    model_dir: ModelDirOption = None,
) -> None:
    """Score one text (TEXT, or - / piped stdin for the whole input as one text), or JSON lines with --jsonl."""
    if jsonl and text is not None:
        fail("give either TEXT or --jsonl")
    if not jsonl:
        text = text_argument(text)
    scorer = load_scorer(model_dir)
    if jsonl:
        exit_on_bad_lines(score_jsonl(scorer, iter(sys.stdin)))
        return
    assert text is not None
    result = scorer.score_one(text)
    if as_json:
        print(json.dumps(result.model_dump(mode="json"), ensure_ascii=False))
    else:
        out.print(results_table([("text", text, result)], title=f"model {result.model_version}"))


@app.command("eval")
def eval_command(  # noqa: PLR0917 - typer maps each parameter to an option
    file: Annotated[Path, typer.Argument(help="CSV with a text and a label column")],
    text_col: Annotated[str, typer.Option("--text-col")] = "text",
    label_col: Annotated[str, typer.Option("--label-col")] = "label",
    as_json: Annotated[bool, typer.Option("--json", help="print the report as JSON")] = False,
    model_dir: ModelDirOption = None,
    quiet: QuietOption = False,
) -> None:
    """Accuracy, macro-F1, macro-recall, per-class precision/recall and the confusion matrix."""
    try:
        texts, labels = read_labelled_csv(file, text_col, label_col)
    except NotUtf8Error as exc:
        fail(str(exc), 1)
    except LabelledDataError as exc:
        fail(str(exc), exc.exit_code)
    missing = missing_classes(labels)
    if missing:  # macro-F1 over the classes present would read 1.0 for a model that always says the one class
        fail(
            f"{file}: no {'/'.join(missing)} rows among {len(labels)} labels; eval needs every class "
            f"(negative, neutral, positive) to report accuracy and macro-F1",
            1,
        )
    scorer = load_scorer(model_dir)
    predictions = [r.label for r in score_with_progress(scorer, texts, quiet=quiet)]
    report = evaluate(labels, predictions).model_copy(update={"model_version": scorer.version})
    if as_json:
        print(report.model_dump_json(indent=2))
    else:
        print_eval_report(report, title=f"{file.name} ({report.n} rows, model {scorer.version})")


def print_eval_report(report: EvalReport, title: str) -> None:
    summary = Table(title=title)
    for col in ("accuracy", "macro-F1", "macro-recall"):
        summary.add_column(col, justify="right")
    summary.add_row(f"{report.accuracy:.4f}", f"{report.macro_f1:.4f}", f"{report.macro_recall:.4f}")
    out.print(summary)
    per_class = Table(title="per class")
    for col in ("label", "precision", "recall", "F1", "support"):
        per_class.add_column(col, justify="right")
    for label, m in report.per_class.items():
        per_class.add_row(label, f"{m.precision:.4f}", f"{m.recall:.4f}", f"{m.f1:.4f}", str(m.support))
    out.print(per_class)
    cm = Table(title="confusion matrix (rows: true, columns: predicted)")
    cm.add_column("")
    for label in report.labels:
        cm.add_column(label, justify="right")
    for label, row in zip(report.labels, report.confusion_matrix, strict=True):
        cm.add_row(label, *[str(v) for v in row])
    out.print(cm)


@app.command()
def demo(model_dir: ModelDirOption = None) -> None:
    """Score the built-in sample tickets and a sample thread."""
    from ticket_sentiment.thread import score_thread

    from ..samples import SAMPLE_THREAD, SAMPLE_TICKETS

    scorer = load_scorer(model_dir)
    results = scorer.score([text for _, text in SAMPLE_TICKETS])
    rows = [(name, text, r) for (name, text), r in zip(SAMPLE_TICKETS, results, strict=True)]
    out.print(results_table(rows, title=f"Sample tickets (model {scorer.version})"))
    thread = score_thread(scorer, SAMPLE_THREAD)
    customer = [m for m in SAMPLE_THREAD if m.author_role == "customer"]
    out.print(
        results_table(
            [(f"msg {i + 1}", m.text, r) for i, (m, r) in enumerate(zip(customer, thread.messages, strict=True))],
            title="Sample thread: customer messages in time order",
        )
    )
    current = thread.current
    out.print(
        f"thread score [bold]{thread.thread_score:+.2f}[/], trend [bold]{thread.trend}[/] "
        f"(delta {thread.trend_delta:+.2f}), current label [bold]{current.label if current else '-'}[/]"
    )
