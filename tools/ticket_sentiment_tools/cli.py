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
from ticket_sentiment.models import SentimentResult
from ticket_sentiment.scorer import ModelNotFoundError, OnnxSentimentScorer
from ticket_sentiment.textprep import prepare_ticket_text

from .evaluation import EvalReport, LabelledDataError, evaluate, read_labelled_csv

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
    for col, justify in (("ticket", "left"), ("text", "left"), ("level", "left"), ("score", "right"),
                         ("intensity", "right"), ("conf.", "right"), ("emotions", "left"), ("notes", "left")):
        table.add_column(col, justify=justify)  # type: ignore[arg-type]
    colour = {"very_negative": "bold red", "negative": "red", "neutral": "yellow", "positive": "green",
              "very_positive": "bold green"}
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
                      f"[{colour[r.level]}]{r.level}[/]", f"{r.score:+.2f}", f"{r.intensity:.2f}",
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
    from ticket_sentiment.thread import score_thread

    from .samples import SAMPLE_THREAD, SAMPLE_TICKETS

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

    from .evaluation import normalise_level

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
                labels.append(normalise_level(row[label_col] or ""))
            except LabelledDataError as exc:
                fail(f"{path} line {reader.line_num}: {exc}")
            texts.append(row[text_col] or "")
            groups.append((row[group_col] or None) if group_col else None)
    return texts, labels, groups if group_col else None


@app.command()
def calibrate(  # noqa: PLR0917 - typer maps each parameter to an option
    path: Annotated[Path, typer.Argument(help="labelled CSV: text and label (negative/neutral/positive, or the "
                                              "five levels very_negative ... very_positive)")],
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
    """Find the escalation threshold that reaches --target-precision with the most recall.

    Three-class labels: a ticket whose score is at or below `threshold` is escalated (precision on negative
    tickets). Five-level labels: a ticket the model calls negative is escalated at intensity >= `threshold`
    (precision on very_negative tickets). Writes the precision-recall plot and the rules config (new rules start
    in shadow mode: recorded, not alerted, until the team has reviewed them).
    """
    from .threshold_calibration import CalibrationError, intensity_keys, is_five_level, plot_pr_curve, table_rows
    from .threshold_calibration import calibrate as run_calibration

    texts, labels, groups = _read_calibration_csv(path, text_col, label_col, by)
    scorer = _load_scorer(model_dir)
    results = scorer.score(texts)
    five_level = is_five_level(labels)
    keys = (intensity_keys([r.label for r in results], [r.intensity for r in results]) if five_level
            else [r.score for r in results])
    try:
        result = run_calibration(keys, labels, target_precision, groups,
                                 kind="intensity" if five_level else "score")
    except CalibrationError as exc:
        fail(str(exc), 1)
    plot_pr_curve(result.overall, str(plot))
    rules = result.rules()
    rules_out.write_text(rules.model_dump_json(indent=2) + "\n")
    if as_json:
        overall = result.overall
        payload = {"kind": overall.kind, "target_label": overall.target_label,
                   "threshold": overall.threshold, "precision": round(overall.precision, 4),
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
    o = result.overall
    rule = "negative and intensity >= threshold" if five_level else "score <= threshold"
    table = Table(title=f"Escalating at {rule} ({o.n} tickets, {o.negatives} {o.target_label})")
    for col in ("threshold", "precision", "recall", "alerts / 1,000"):
        table.add_column(col, justify="right")
    for row in table_rows(o):
        table.add_row(f"{row.threshold:.2f}" if five_level else f"{row.threshold:+.1f}", f"{row.precision:.2f}",
                      f"{row.recall:.2f}", f"{row.alerts_per_1000:.0f}")
    out.print(table)
    shown = f"{o.threshold:.3f}" if five_level else f"{o.threshold:+.3f}"
    out.print(f"chosen threshold {shown}: precision {o.precision:.2f} (95% >= {o.precision_low:.2f}), "
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
    from ticket_sentiment.adapters.sqs import SqsEventQueue
    from ticket_sentiment.pipeline.events import Source

    from .backfill import BackfillError, run_backfill

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
    from ticket_sentiment.redaction import EntityType, MaskStyle, RedactionConfig

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
    from ticket_sentiment.redaction import redact as redact_text

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
    from ticket_sentiment.redaction import redact as redact_text

    assert text is not None
    result = redact_text(text, config)
    if as_json:
        sys.stdout.write(_json_line(result.model_dump(mode="json")))
        return
    summary = ", ".join(f"{name}={count}" for name, count in result.entities.items()) or "none"
    sys.stdout.write(f"{result.text}\nentities: {summary}\n")


# --- trust loop: monthly audit and the leads' report -------------------------------------------------------------

audit_app = typer.Typer(no_args_is_help=True, help="Monthly audit: sample scored messages, label them, feed them back.")
app.add_typer(audit_app, name="audit")

EndpointOption = Annotated[str | None, typer.Option("--endpoint-url", help="AWS endpoint, e.g. the local stack's moto")]
RegionOption = Annotated[str | None, typer.Option("--region", envvar="AWS_REGION")]
TableOption = Annotated[str | None, typer.Option("--table", envvar="TABLE_NAME", help="the tickets table")]


def _history(table: str | None, endpoint_url: str | None, region: str | None) -> Any:
    import boto3
    from ticket_sentiment.adapters.history import DynamoHistory

    if not table:
        fail("no table: pass --table or set TABLE_NAME (the stack output TableName)")
    return DynamoHistory(table, boto3.resource("dynamodb", endpoint_url=endpoint_url, region_name=region))


def _window(since: str | None, month: str | None) -> tuple[Any, Any, str]:
    """[start, end) and a name for it: --since 30d (up to now), --month YYYY-MM, or last calendar month."""
    from datetime import UTC, datetime

    from ticket_sentiment.audit.sampler import previous_month

    from .reporting import parse_since

    now = datetime.now(UTC)
    if since and month:
        fail("give either --since or --month")
    if since:
        try:
            start = now - parse_since(since)
        except ValueError as exc:
            fail(str(exc))
        return start, now, f"{start:%Y-%m}"
    if month:
        try:
            first = datetime.strptime(month, "%Y-%m").replace(tzinfo=UTC)
        except ValueError:
            fail(f"--month {month!r}: expected YYYY-MM")
        start, end, name = previous_month(datetime(first.year + first.month // 12, first.month % 12 + 1, 1, tzinfo=UTC))
        return start, end, name
    return previous_month(now)


@audit_app.command("sample")
def audit_sample(  # noqa: PLR0917 - typer maps each parameter to an option
    table: TableOption = None,
    endpoint_url: EndpointOption = None,
    region: RegionOption = None,
    month: Annotated[str | None, typer.Option("--month", help="YYYY-MM (default: last month)")] = None,
    since: Annotated[str | None, typer.Option("--since", help="instead of --month: e.g. 30d, up to now")] = None,
    size: Annotated[int, typer.Option("--size", min=1, max=10_000)] = 200,
    seed: Annotated[int | None, typer.Option("--seed", help="reproducible sample")] = None,
    out_path: Annotated[Path | None, typer.Option("--out", help="CSV for labelling (default audit.csv)")] = None,
    queue_url: Annotated[str | None, typer.Option("--queue-url", help="put the rows on this review queue "
                                                                       "instead of writing a CSV")] = None,
) -> None:
    """Run the monthly audit's sampler against a table (e.g. the local stack) and write the CSV or queue it."""
    import random

    from ticket_sentiment.audit.sampler import draw_sample

    from .audit.labelling import write_export_csv

    history = _history(table, endpoint_url, region)
    start, end, name = _window(since, month)
    try:
        records = list(history.scored_between(start, end, with_ticket_meta=True))
        sample = draw_sample(records, history.redacted_text, audit_month=name, size=size, rng=random.Random(seed))
    except Exception as exc:  # AWS errors: the message, not a traceback
        fail(f"{type(exc).__name__}: {exc}", 1)
    strata = Table(title=f"audit {name}: {len(sample.rows)} rows from {sample.population} scored messages")
    for col in ("label", "product area", "messages", "allocated", "drawn", "text expired"):
        strata.add_column(col, justify="left" if col in ("label", "product area") else "right")
    for s in sample.strata:
        strata.add_row(s.label, s.product_area, str(s.population), str(s.allocated), str(s.drawn), str(s.expired))
    out.print(strata)
    if queue_url:
        import boto3
        from ticket_sentiment.adapters.audit_queue import SqsAuditQueue

        sent = SqsAuditQueue(queue_url, boto3.client("sqs", endpoint_url=endpoint_url, region_name=region)
                             ).send_rows(sample.rows)
        out.print(f"{sent} rows queued on {queue_url}", markup=False)
    if out_path is not None or not queue_url:
        target = out_path or Path("audit.csv")
        write_export_csv(sample.rows, target)
        out.print(f"{len(sample.rows)} rows written to {target}; fill in human_label, then run `audit import`",
                  markup=False)


@audit_app.command("export")
def audit_export(  # noqa: PLR0917 - typer maps each parameter to an option
    queue_url: Annotated[str | None, typer.Option("--queue-url", envvar="AUDIT_QUEUE_URL",
                                                  help="the review queue (stack output AuditQueueUrl)")] = None,
    out_path: Annotated[Path, typer.Option("--out", help="CSV for labelling")] = Path("audit.csv"),
    endpoint_url: EndpointOption = None,
    region: RegionOption = None,
    keep: Annotated[bool, typer.Option("--keep", help="leave the messages on the queue")] = False,
    force: Annotated[bool, typer.Option("--force", help="overwrite --out if it exists")] = False,
) -> None:
    """Drain the review queue into a CSV (with an empty human_label column); messages are deleted once it is saved."""
    import boto3
    from ticket_sentiment.adapters.audit_queue import SqsAuditQueue

    from .audit.labelling import write_export_csv

    if not queue_url:
        fail("no queue: pass --queue-url or set AUDIT_QUEUE_URL")
    if out_path.exists() and not force:
        fail(f"{out_path} exists (it may hold labels already); pass --force to overwrite")
    queue = SqsAuditQueue(queue_url, boto3.client("sqs", endpoint_url=endpoint_url, region_name=region))
    try:
        rows, handles, bad = queue.drain()
    except Exception as exc:
        fail(f"{type(exc).__name__}: {exc}", 1)
    rows.sort(key=lambda r: (r.audit_month, r.ticket_id, r.message_id))
    written = write_export_csv(rows, out_path)
    if not keep:  # only now: a crash before this leaves the messages to reappear after their visibility timeout
        queue.delete(handles)
    note = f", {bad} unreadable message(s) dropped" if bad else ""
    out.print(f"{written} rows written to {out_path}{note}", markup=False)


def _lines(numbers: list[int], limit: int = 20) -> str:
    shown = ", ".join(str(n) for n in numbers[:limit])
    return shown + (f" and {len(numbers) - limit} more" if len(numbers) > limit else "")


@audit_app.command("import")
def audit_import(
    path: Annotated[Path, typer.Argument(help="the exported CSV with human_label filled in")],
    out_path: Annotated[Path, typer.Option("--out", help="text,label,product_area CSV")] = Path("labelled.csv"),
    skip_unlabelled: Annotated[bool, typer.Option("--skip-unlabelled",
                                                  help="write the labelled rows even if some have no label")] = False,
) -> None:
    """Check the human labels (negative/neutral/positive) and write a CSV that eval, calibrate and finetune read."""
    from .audit.labelling import read_labelled_audit, write_labelled_csv

    try:
        result = read_labelled_audit(path)
    except LabelledDataError as exc:
        fail(str(exc))
    for reason in result.invalid:
        err.print(reason, markup=False)
    if result.missing:
        err.print(f"no human_label on line(s) {_lines(result.missing)}", markup=False)
    if result.invalid or (result.missing and not skip_unlabelled):
        err.print(f"{len(result.invalid)} invalid, {len(result.missing)} unlabelled: nothing written", markup=False)
        raise typer.Exit(1)
    if not result.rows:
        fail("no labelled rows", 1)
    written = write_labelled_csv(result.rows, out_path)
    agreement = result.agreement
    out.print(f"{written} labelled rows written to {out_path}"
              + (f"; the model agreed with the labels on {agreement:.0%}" if agreement is not None else "")
              + f". Next: ticket-sentiment eval {out_path}; calibrate {out_path} --by product_area; "
                f"finetune {out_path} --out my-model", markup=False)


@app.command()
def report(  # noqa: PLR0917 - typer maps each parameter to an option
    since: Annotated[str, typer.Option("--since", help="window up to now: 30d, 4w, 12h")] = "30d",
    table: TableOption = None,
    endpoint_url: EndpointOption = None,
    region: RegionOption = None,
    html_out: Annotated[Path | None, typer.Option("--out", help="also write a self-contained HTML report")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the report as JSON")] = False,
) -> None:
    """The four numbers support leads ask for: sentiment by week, negatives by area, response time, precision."""
    from datetime import UTC, datetime

    from .reporting import build_report, fmt, parse_since, render_html

    try:
        window = parse_since(since)
    except ValueError as exc:
        fail(str(exc))
    history = _history(table, endpoint_url, region)
    end = datetime.now(UTC)
    start = end - window
    try:
        messages = list(history.scored_between(start, end, with_ticket_meta=True))
        tickets = history.tickets(m.ticket_id for m in messages)
        reviews = list(history.reviewed_between(start, end))
    except Exception as exc:  # AWS errors: the message, not a traceback
        fail(f"{type(exc).__name__}: {exc}", 1)
    result = build_report(messages, tickets, reviews, start=start, end=end)
    if html_out is not None:
        html_out.write_text(render_html(result), encoding="utf-8")
    if as_json:
        print(result.model_dump_json(indent=2))
        return
    weeks = Table(title=f"Average sentiment by week ({result.scored} of {result.messages} messages with signal)")
    for col in ("week", "messages", "average", "share negative"):
        weeks.add_column(col, justify="left" if col == "week" else "right")
    for w in result.weeks:
        weeks.add_row(w.week, str(w.messages), f"{w.mean_score:+.2f}", f"{w.share_negative:.0%}")
    out.print(weeks)
    areas = Table(title="Negative volume by product area")
    for col in ("product area", "negative messages", "negative tickets", "messages", "share negative"):
        areas.add_column(col, justify="left" if col == "product area" else "right")
    for a in result.areas:
        areas.add_row(a.product_area, str(a.negative_messages), str(a.negative_tickets), str(a.messages),
                      f"{a.share_negative:.0%}")
    out.print(areas)
    r = result.response
    response = Table(title="First response time, negative tickets")
    for col in ("negative tickets", "answered", "not answered yet", "median", "p90", "mean"):
        response.add_column(col, justify="right")
    response.add_row(str(r.negative_tickets), str(r.answered), str(r.unanswered), fmt(r.median_hours, ".1f", " h"),
                     fmt(r.p90_hours, ".1f", " h"), fmt(r.mean_hours, ".1f", " h"))
    out.print(response)
    p = result.precision
    precision = Table(title="Precision of automated escalations (human reviews)")
    for col in ("reviews", "right call", "wrong emotion", "false alarm", "precision", "95% lower bound"):
        precision.add_column(col, justify="right")
    precision.add_row(str(p.reviews), str(p.right_call), str(p.wrong_emotion), str(p.false_alarm),
                      fmt(p.precision, ".0%"), fmt(p.precision_low_95, ".0%"))
    out.print(precision)
    if html_out is not None:
        out.print(f"HTML report: {html_out}", markup=False)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
