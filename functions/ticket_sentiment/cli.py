"""`ticket-sentiment`: score, evaluate and fine-tune from the command line."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from pydantic import BaseModel, ConfigDict, StrictStr, ValidationError
from rich.console import Console
from rich.table import Table

from .evaluation import EvalReport, LabelledDataError, evaluate, read_labelled_csv
from .models import SentimentResult
from .scorer import ModelNotFoundError, OnnxSentimentScorer
from .textprep import prepare_ticket_text

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Sentiment triage for helpdesk tickets.")
out = Console()
if not out.is_terminal:  # piped output: keep the tables readable instead of wrapping at 80 columns
    out = Console(width=150)
err = Console(stderr=True, soft_wrap=True, highlight=False)

ModelDirOption = Annotated[
    Path | None, typer.Option("--model-dir", help="directory with model.onnx (default: the bundled model)")
]
JSONL_CHUNK = 64


class JsonlInput(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: Any = None
    text: StrictStr


def fail(message: str, code: int = 2) -> NoReturn:
    """Print a one-line error (user data is never read as markup) and exit."""
    err.print(f"error: {message}", markup=False)
    raise typer.Exit(code)


def _load_scorer(model_dir: Path | None) -> OnnxSentimentScorer:
    try:
        return OnnxSentimentScorer(model_dir)
    except ModelNotFoundError as exc:
        fail(str(exc))


def result_record(item_id: Any, result: SentimentResult) -> dict[str, Any]:
    record: dict[str, Any] = {"id": item_id}
    record.update(result.model_dump(mode="json"))
    return record


def _parse_jsonl_line(line_no: int, line: str) -> JsonlInput | str:
    """The parsed line, or a message saying why it is bad."""
    try:
        payload = json.loads(line)
    except json.JSONDecodeError as exc:
        return f"line {line_no}: not JSON ({exc.msg})"
    if not isinstance(payload, dict):
        return f"line {line_no}: expected a JSON object with a 'text' field"
    if "text" not in payload or payload["text"] is None:
        return f"line {line_no}: no 'text' field"
    try:
        return JsonlInput.model_validate(payload)
    except ValidationError:
        return f"line {line_no}: 'text' must be a string, got {type(payload['text']).__name__}"


def _chunks(stream: Iterator[str]) -> Iterator[list[tuple[int, str]]]:
    chunk: list[tuple[int, str]] = []
    for line_no, line in enumerate(stream, start=1):
        if line.strip():
            chunk.append((line_no, line))
        if len(chunk) >= JSONL_CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def process_jsonl(stream: Iterator[str], handle: Callable[[list[JsonlInput]], list[dict[str, Any]]]) -> int:
    """Shared `--jsonl` contract: good lines are handled in chunks and written in order, each bad line is
    reported on stderr as `line N: reason`; returns the number of bad lines."""
    bad = 0
    for chunk in _chunks(stream):
        parsed = [_parse_jsonl_line(n, line) for n, line in chunk]
        records = iter(handle([p for p in parsed if isinstance(p, JsonlInput)]))
        for item in parsed:
            if isinstance(item, str):
                bad += 1
                err.print(item, markup=False, highlight=False)
            else:
                sys.stdout.write(_json_line(next(records)))
        sys.stdout.flush()
    return bad


def _exit_on_bad_lines(bad: int) -> None:
    if bad:
        err.print(f"{bad} bad line(s) skipped", markup=False)
        raise typer.Exit(1)


def score_jsonl(scorer: OnnxSentimentScorer, stream: Iterator[str]) -> int:
    """Score a JSON-lines stream in order; returns the number of bad lines."""
    return process_jsonl(stream, lambda items: [
        result_record(item.id, result)
        for item, result in zip(items, scorer.score([item.text for item in items]), strict=True)
    ])


def results_table(rows: list[tuple[str, str, SentimentResult]], title: str) -> Table:
    table = Table(title=title, show_lines=False)
    for col, justify in (("ticket", "left"), ("text", "left"), ("label", "left"), ("score", "right"),
                         ("intensity", "right"), ("conf.", "right"), ("emotions", "left"), ("notes", "left")):
        table.add_column(col, justify=justify)  # type: ignore[arg-type]
    colour = {"negative": "red", "neutral": "yellow", "positive": "green"}
    for name, text, r in rows:
        notes = []
        if r.low_signal:
            notes.append("low signal")
        if not OnnxSentimentScorer.covers_language(r.language):
            notes.append(f"lang={r.language}: Comprehend in AWS")
        if r.windows > 1:
            notes.append(f"{r.windows} windows")
        excerpt = prepare_ticket_text(text)  # what the model saw: no HTML, quoted history or signature
        table.add_row(name, excerpt[:50] + ("…" if len(excerpt) > 50 else ""),
                      f"[{colour[r.label]}]{r.label}[/]", f"{r.score:+.2f}", f"{r.intensity:.2f}",
                      f"{r.confidence:.2f}", ", ".join(f"{e.name} {e.probability:.2f}" for e in r.emotions),
                      "; ".join(notes))
    return table


@app.command()
def score(
    text: Annotated[str | None, typer.Argument(help="text to score")] = None,
    jsonl: Annotated[bool, typer.Option("--jsonl", help='read {"id","text"} JSON lines on stdin')] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print the result as JSON")] = False,
    model_dir: ModelDirOption = None,
) -> None:
    """Score one text, or JSON lines from stdin with --jsonl."""
    if jsonl == (text is not None):
        fail("give either TEXT or --jsonl")
    scorer = _load_scorer(model_dir)
    if jsonl:
        _exit_on_bad_lines(score_jsonl(scorer, iter(sys.stdin)))
        return
    assert text is not None
    result = scorer.score_one(text)
    if as_json:
        print(json.dumps(result.model_dump(mode="json"), ensure_ascii=False))
    else:
        out.print(results_table([("text", text, result)], title=f"model {result.model_version}"))


@app.command("eval")
def eval_command(
    file: Annotated[Path, typer.Argument(help="CSV with a text and a label column")],
    text_col: Annotated[str, typer.Option("--text-col")] = "text",
    label_col: Annotated[str, typer.Option("--label-col")] = "label",
    as_json: Annotated[bool, typer.Option("--json", help="print the report as JSON")] = False,
    model_dir: ModelDirOption = None,
) -> None:
    """Accuracy, macro-F1, macro-recall, per-class precision/recall and the confusion matrix."""
    try:
        texts, labels = read_labelled_csv(file, text_col, label_col)
    except LabelledDataError as exc:
        fail(str(exc))
    scorer = _load_scorer(model_dir)
    predictions = [r.label for r in scorer.score(texts)]
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
    from .samples import SAMPLE_THREAD, SAMPLE_TICKETS
    from .thread import score_thread

    scorer = _load_scorer(model_dir)
    results = scorer.score([text for _, text in SAMPLE_TICKETS])
    rows = [(name, text, r) for (name, text), r in zip(SAMPLE_TICKETS, results, strict=True)]
    out.print(results_table(rows, title=f"Sample tickets (model {scorer.version})"))
    thread = score_thread(scorer, SAMPLE_THREAD)
    customer = [m for m in SAMPLE_THREAD if m.author_role == "customer"]
    out.print(results_table([(f"msg {i + 1}", m.text, r) for i, (m, r) in enumerate(zip(customer, thread.messages,
                                                                                     strict=True))],
                            title="Sample thread: customer messages in time order"))
    current = thread.current
    out.print(f"thread score [bold]{thread.thread_score:+.2f}[/], trend [bold]{thread.trend}[/] "
              f"(delta {thread.trend_delta:+.2f}), current label [bold]{current.label if current else '-'}[/]")


@app.command()
def local(
    serve: Annotated[bool, typer.Option("--serve", help="stay up for curl instead of running the demo")] = False,
    port: Annotated[int, typer.Option("--port", help="API port with --serve")] = 8787,
    scorer_mode: Annotated[str, typer.Option("--scorer", help="onnx, comprehend or auto")] = "auto",
    model_dir: ModelDirOption = None,
) -> None:
    """Run the pipeline on a local AWS (moto): the same handlers, real wire protocols, Slack to a printing sink.

    Slack goes to $SLACK_WEBHOOK_URL when set. Without --serve, feeds the sample tickets, prints every ticket's
    result and Slack message, and exits 0 when every accepted event was processed or dead-lettered.
    """
    from .local_stack import run_local

    scorer = _load_scorer(model_dir)

    def write(text: str) -> None:  # plain, unwrapped text: the curl examples must paste as printed
        sys.stdout.write(text)
        sys.stdout.flush()

    raise typer.Exit(run_local(write, scorer, mode=scorer_mode, serve=serve, port=port))


def _read_calibration_csv(path: Path, text_col: str, label_col: str, group_col: str | None,
                          ) -> tuple[list[str], list[str], list[str | None] | None]:
    import csv

    from .evaluation import normalise_label

    if not path.is_file():
        fail(f"{path}: no such file")
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        columns = reader.fieldnames or []
        for col in (text_col, label_col, *([group_col] if group_col else [])):
            if col not in columns:
                fail(f"{path}: no column {col!r} (columns: {', '.join(columns) or 'none'})")
        texts, labels, groups = [], [], []
        for row in reader:
            try:
                labels.append(normalise_label(row[label_col] or ""))
            except LabelledDataError as exc:
                fail(f"{path} line {reader.line_num}: {exc}")
            texts.append(row[text_col] or "")
            groups.append((row[group_col] or None) if group_col else None)
    return texts, labels, groups if group_col else None


@app.command()
def calibrate(  # noqa: PLR0917 - typer maps each parameter to an option
    path: Annotated[Path, typer.Argument(help="labelled CSV: text and label (negative/neutral/positive)")],
    target_precision: Annotated[float, typer.Option("--target-precision", min=0.01, max=0.99)] = 0.9,
    by: Annotated[str | None, typer.Option("--by", help="also calibrate per value of this column "
                                                         "(e.g. product_area, customer_tier)")] = None,
    text_col: Annotated[str, typer.Option("--text-col")] = "text",
    label_col: Annotated[str, typer.Option("--label-col")] = "label",
    plot: Annotated[Path, typer.Option("--plot", help="precision-recall plot (PNG)")] = Path("calibration-pr.png"),
    rules_out: Annotated[Path, typer.Option("--rules-out", help="rules config to deploy (JSON)")] = Path(
        "escalation-rules.json"),
    as_json: Annotated[bool, typer.Option("--json", help="print the result as JSON")] = False,
    model_dir: ModelDirOption = None,
) -> None:
    """Find the escalation threshold that reaches --target-precision on negative tickets with the most recall.

    A ticket whose score is at or below `threshold` is escalated. Writes the precision-recall plot and the rules
    config (new rules start in shadow mode: recorded, not alerted, until the team has reviewed them).
    """
    from .threshold_calibration import CalibrationError, plot_pr_curve, table_rows
    from .threshold_calibration import calibrate as run_calibration

    texts, labels, groups = _read_calibration_csv(path, text_col, label_col, by)
    scorer = _load_scorer(model_dir)
    scores = [r.score for r in scorer.score(texts)]
    try:
        result = run_calibration(scores, labels, target_precision, groups)
    except CalibrationError as exc:
        fail(str(exc), 1)
    plot_pr_curve(result.overall, str(plot))
    rules = result.rules()
    rules_out.write_text(rules.model_dump_json(indent=2) + "\n")
    if as_json:
        overall = result.overall
        payload = {"threshold": overall.threshold, "precision": round(overall.precision, 4),
                   "precision_low_95": round(overall.precision_low, 4), "recall": round(overall.recall, 4),
                   "alerts_per_1000": round(overall.alerts_per_1000, 1), "n": overall.n,
                   "negatives": overall.negatives, "target_precision": target_precision,
                   "groups": {g: {"threshold": c.threshold, "precision": round(c.precision, 4),
                                  "recall": round(c.recall, 4), "alerts_per_1000": round(c.alerts_per_1000, 1),
                                  "n": c.n} for g, c in result.groups.items()},
                   "skipped_groups": result.skipped_groups, "plot": str(plot), "rules_file": str(rules_out),
                   "rules": json.loads(rules.model_dump_json())}
        out.print_json(json.dumps(payload))
        return
    table = Table(title=f"Escalating at score <= threshold ({result.overall.n} tickets, "
                        f"{result.overall.negatives} negative)")
    for col in ("threshold", "precision", "recall", "alerts / 1,000"):
        table.add_column(col, justify="right")
    for row in table_rows(result.overall):
        table.add_row(f"{row.threshold:+.1f}", f"{row.precision:.2f}", f"{row.recall:.2f}",
                      f"{row.alerts_per_1000:.0f}")
    out.print(table)
    o = result.overall
    out.print(f"chosen threshold {o.threshold:+.3f}: precision {o.precision:.2f} (95% >= {o.precision_low:.2f}), "
              f"recall {o.recall:.2f}, {o.alerts_per_1000:.0f} alerts per 1,000 tickets", markup=False)
    for name, choice in result.groups.items():
        out.print(f"  {by}={name}: threshold {choice.threshold:+.3f}, precision {choice.precision:.2f}, "
                  f"recall {choice.recall:.2f} ({choice.n} tickets)", markup=False)
    for name, reason in result.skipped_groups.items():
        out.print(f"  {by}={name}: not calibrated separately ({reason})", markup=False)
    out.print(f"plot: {plot}; rules: {rules_out} (paste into the deployment config or the SSM parameter)",
              markup=False)


@app.command()
def backfill(  # noqa: PLR0917 - typer maps each parameter to an option
    path: Annotated[Path, typer.Argument(help="export as JSON lines (.jsonl) or CSV, one message per row")],
    source: Annotated[str, typer.Option("--source", help="zendesk, freshdesk, intercom, salesforce or other")],
    queue_url: Annotated[str | None, typer.Option("--queue-url", envvar="EVENTS_QUEUE_URL",
                                                  help="the ingest queue (stack output EventsQueueUrl)")] = None,
    endpoint_url: Annotated[str | None, typer.Option("--endpoint-url",
                                                     help="AWS endpoint, e.g. the local stack's moto")] = None,
    region: Annotated[str | None, typer.Option("--region", envvar="AWS_REGION")] = None,
    checkpoint: Annotated[Path | None, typer.Option("--checkpoint", help="default: <file>.checkpoint")] = None,
    batch_size: Annotated[int, typer.Option("--batch-size", min=1, max=10)] = 10,
) -> None:
    """Push historical tickets through the ingest queue in batches, resumably (rerun continues where it stopped).

    Rows carry the canonical event fields (ticket_id, message_id, author_role, text or html, created_at, and
    optionally subject, priority, tags, product_area, customer_tier, ticket_url). Bad rows are reported with their
    line number and skipped; the exit status is then 1.
    """
    import boto3
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from .adapters.sqs import SqsEventQueue
    from .backfill import BackfillError, run_backfill
    from .pipeline.events import Source

    try:
        chosen = Source(source)
    except ValueError:
        fail(f"unknown source {source!r}: one of {', '.join(s.value for s in Source)}")
    if not queue_url:
        fail("no queue: pass --queue-url or set EVENTS_QUEUE_URL (the stack output EventsQueueUrl)")
    if not path.is_file():
        fail(f"{path}: no such file")
    with path.open("rb") as handle:
        total = max(0, sum(1 for _ in handle) - (1 if path.suffix.lower() == ".csv" else 0))
    client = boto3.client("sqs", endpoint_url=endpoint_url, region_name=region)
    with Progress(TextColumn("backfill"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  console=err) as progress:
        task = progress.add_task("rows", total=total)
        try:
            report = run_backfill(path, SqsEventQueue(queue_url, client), source=chosen,
                                  checkpoint_path=checkpoint or path.with_name(path.name + ".checkpoint"),
                                  batch_size=batch_size, on_progress=lambda n: progress.advance(task, n))
        except BackfillError as exc:
            fail(str(exc), 1)
        except Exception as exc:  # AWS errors: the message, not a traceback; the checkpoint keeps the progress
            fail(f"{type(exc).__name__}: {exc} (rerun to resume)", 1)
    for line_no, reason in report.bad:
        err.print(f"line {line_no}: {reason}", markup=False)
    out.print(f"rows {report.rows}: sent {report.sent}, already done {report.skipped_resumed}, "
              f"bad {len(report.bad)}", markup=False)
    if report.bad:
        raise typer.Exit(1)


@app.command()
def finetune(
    tickets: Annotated[Path, typer.Argument(help="CSV with text,label columns (your own labelled tickets)")],
    out_dir: Annotated[Path, typer.Option("--out", help="directory for the new model")],
    data: Annotated[Path | None, typer.Option("--data", help="general labelled data to mix in")] = None,
    steps: Annotated[int, typer.Option("--steps", help="optimizer steps")] = 600,
    model_dir: ModelDirOption = None,
) -> None:
    """Fine-tune a domain model on your tickets and compare it with the bundled model (needs the train extra)."""
    try:
        from sentiment_training.finetune import finetune_from_csv
    except ImportError as exc:
        fail(f"fine-tuning needs the train extra (pip install -e '.[train]'): {exc}")
    try:
        comparison = finetune_from_csv(tickets, out_dir, data_dir=data, steps=steps, baseline_dir=model_dir)
    except (LabelledDataError, ValueError) as exc:
        fail(str(exc))
    out.print_json(json.dumps(comparison))


def _redaction_config(types: str | None, mask: str | None, allow: list[str] | None) -> Any:
    from .redaction import EntityType, MaskStyle, RedactionConfig

    fields: dict[str, Any] = {"allow": tuple(allow or ())}
    if types:
        names = [t.strip().upper() for t in types.split(",") if t.strip()]
        unknown = [t for t in names if t not in EntityType.__members__]
        if unknown:
            fail(f"unknown entity type(s) {', '.join(unknown)}; known: {', '.join(EntityType.__members__)}")
        fields["entities"] = frozenset(EntityType[t] for t in names)
    if mask is not None:
        fields |= {"mask_style": MaskStyle.FIXED, "mask": mask}
    try:
        return RedactionConfig(**fields)
    except ValidationError as exc:
        fail("; ".join(str(e["msg"]) for e in exc.errors()))


def _json_line(record: dict[str, Any]) -> str:
    line = json.dumps(record, ensure_ascii=False)
    try:
        line.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate in the id: escape it rather than crash mid-stream
        line = json.dumps(record)
    return line + "\n"


def redact_jsonl(config: Any, stream: Iterator[str]) -> int:
    """Redact a JSON-lines stream in order; returns the number of bad lines (reported like `score --jsonl`)."""
    from .redaction import redact as redact_text

    def handle(items: list[JsonlInput]) -> list[dict[str, Any]]:
        results = [redact_text(item.text, config) for item in items]
        return [{"id": item.id, "text": r.text, "entities": r.entities} for item, r in zip(items, results, strict=True)]

    return process_jsonl(stream, handle)


@app.command("redact")
def redact_command(
    text: Annotated[str | None, typer.Argument(help="text to redact")] = None,
    *,
    jsonl: Annotated[bool, typer.Option("--jsonl", help='read {"id","text"} JSON lines on stdin')] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print the result as JSON")] = False,
    types: Annotated[str | None, typer.Option("--types", help="comma-separated entity types (default: all)")] = None,
    mask: Annotated[str | None, typer.Option("--mask", help="one fixed mask instead of typed placeholders")] = None,
    allow: Annotated[list[str] | None, typer.Option("--allow", help="regex of values to keep (repeatable)")] = None,
) -> None:
    """Replace personal data with placeholders; print the text and entity counts (never the values)."""
    if jsonl == (text is not None):
        fail("give either TEXT or --jsonl")
    config = _redaction_config(types, mask, allow)
    if jsonl:
        _exit_on_bad_lines(redact_jsonl(config, iter(sys.stdin)))
        return
    from .redaction import redact as redact_text

    assert text is not None
    result = redact_text(text, config)
    if as_json:
        sys.stdout.write(_json_line(result.model_dump(mode="json")))
        return
    summary = ", ".join(f"{name}={count}" for name, count in result.entities.items()) or "none"
    sys.stdout.write(f"{result.text}\nentities: {summary}\n")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
