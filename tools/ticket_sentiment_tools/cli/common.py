"""What the commands share: the consoles, one-line errors, the model option and loader, the JSON-lines contract
(`score --jsonl`, `redact --jsonl`), the results table, and the AWS options of the commands that read a table."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from pydantic import BaseModel, ConfigDict, StrictStr, ValidationError
from rich.console import Console
from rich.table import Table
from ticket_sentiment.adapters.aws.onnx_scorer import ModelNotFoundError, OnnxSentimentScorer
from ticket_sentiment.models import SentimentResult
from ticket_sentiment.textprep import prepare_ticket_text

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


QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help="no progress bar")]


def stdout_is_terminal() -> bool:
    return sys.stdout.isatty()


@contextmanager
def progress(label: str, total: int | None, *, quiet: bool = False) -> Iterator[Callable[[int], None]]:
    """A progress bar (on stderr) for long work; yields `advance(n)`. None when stdout is not a terminal (piped,
    --json into a file or jq: the output stays exactly the data) or with --quiet."""
    if quiet or not stdout_is_terminal():
        yield lambda _n: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    columns = (TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=err, transient=True) as bar:
        task = bar.add_task(label, total=total)
        yield lambda n: bar.advance(task, n)


def score_with_progress(
    scorer: OnnxSentimentScorer, texts: list[str], *, label: str = "scoring", quiet: bool = False
) -> list[SentimentResult]:
    """`scorer.score(texts)` in chunks, with a progress bar (see `progress`)."""
    results: list[SentimentResult] = []
    with progress(label, len(texts), quiet=quiet) as advance:
        for start in range(0, len(texts), JSONL_CHUNK):
            chunk = texts[start : start + JSONL_CHUNK]
            results.extend(scorer.score(chunk))
            advance(len(chunk))
    return results


def fail(message: str, code: int = 2) -> NoReturn:
    """Print a one-line error (user data is never read as markup) and exit."""
    err.print(f"error: {message}", markup=False)
    raise typer.Exit(code)


def text_argument(text: str | None) -> str:
    """TEXT itself; `-` or no TEXT with stdin piped: the whole of stdin, as one text (Unix convention). Shared by
    `score` and `redact`."""
    if text == "-" or (text is None and not sys.stdin.isatty()):
        text = sys.stdin.read()
    if text is None or not text.strip():
        fail("no text: give either TEXT or --jsonl (TEXT `-` or piped stdin reads the text from stdin)")
    return text


def load_scorer(model_dir: Path | None) -> OnnxSentimentScorer:
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
                sys.stdout.write(json_line(next(records)))
        sys.stdout.flush()
    return bad


def exit_on_bad_lines(bad: int) -> None:
    if bad:
        err.print(f"{bad} bad line(s) skipped", markup=False)
        raise typer.Exit(1)


def results_table(rows: list[tuple[str, str, SentimentResult]], title: str) -> Table:
    table = Table(title=title, show_lines=False)
    for col, justify in (
        ("ticket", "left"),
        ("text", "left"),
        ("level", "left"),
        ("score", "right"),
        ("intensity", "right"),
        ("conf.", "right"),
        ("emotions", "left"),
        ("notes", "left"),
    ):
        table.add_column(col, justify=justify)  # type: ignore[arg-type]
    colour = {
        "very_negative": "bold red",
        "negative": "red",
        "neutral": "yellow",
        "positive": "green",
        "very_positive": "bold green",
    }
    for name, text, r in rows:
        notes = []
        if r.low_signal and not r.needs_fallback:
            notes.append("low signal")
        if r.needs_fallback:
            notes.append(
                f"needs_fallback: lang={r.language} is not covered by the model, no label from it "
                f"(Comprehend scores it in AWS)"
            )
        if r.windows > 1:
            notes.append(f"{r.windows} windows")
        excerpt = prepare_ticket_text(text)  # what the model saw: no HTML, quoted history or signature
        table.add_row(
            name,
            excerpt[:50] + ("…" if len(excerpt) > 50 else ""),
            "[dim]n/a[/]" if r.needs_fallback else f"[{colour[r.level]}]{r.level}[/]",
            f"{r.score:+.2f}",
            f"{r.intensity:.2f}",
            f"{r.confidence:.2f}",
            ", ".join(f"{e.name} {e.probability:.2f}" for e in r.emotions),
            "; ".join(notes),
        )
    return table


def json_line(record: dict[str, Any]) -> str:
    line = json.dumps(record, ensure_ascii=False)
    try:
        line.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate in the id: escape it rather than crash mid-stream
        line = json.dumps(record)
    return line + "\n"


EndpointOption = Annotated[
    str | None,
    typer.Option(
        "--endpoint-url",
        help="AWS endpoint, e.g. the local stack's moto (a localhost URL brings the local region and test credentials)",
    ),
]
RegionOption = Annotated[str | None, typer.Option("--region", envvar="AWS_REGION")]
TableOption = Annotated[str | None, typer.Option("--table", envvar="TABLE_NAME", help="the tickets table")]

# The local stack (`ticket-sentiment local`) deploys into moto in this region with moto's fixed test credentials.
LOCAL_REGION = "us-east-1"
LOCAL_CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}  # moto's, not a secret
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "0.0.0.0"})


def is_local_endpoint(endpoint_url: str | None) -> bool:
    from urllib.parse import urlparse

    return endpoint_url is not None and urlparse(endpoint_url).hostname in LOCAL_HOSTS


def aws_session(endpoint_url: str | None, region: str | None) -> Any:
    """A boto3 session with a region and credentials, or a one-line error saying which is missing and how to set it.

    A localhost --endpoint-url is the local stack: its region and moto's test credentials apply, so nothing needs
    exporting to try the CLI against `ticket-sentiment local --serve`."""
    import boto3
    from botocore.exceptions import BotoCoreError

    if is_local_endpoint(endpoint_url):
        return boto3.Session(region_name=region or LOCAL_REGION, **LOCAL_CREDENTIALS)
    try:
        session = boto3.Session(region_name=region)
        credentials = session.get_credentials()
    except BotoCoreError as exc:  # e.g. AWS_PROFILE names a profile that does not exist
        fail(f"AWS configuration: {exc}")
    if session.region_name is None:
        fail("no AWS region: pass --region or set AWS_REGION (e.g. export AWS_REGION=eu-west-1)")
    if credentials is None:
        fail(
            "no AWS credentials: set AWS_PROFILE (after `aws configure` or `aws sso login`) or AWS_ACCESS_KEY_ID "
            "and AWS_SECRET_ACCESS_KEY; for the local stack pass --endpoint-url http://127.0.0.1:<moto port>"
        )
    return session


def table_history(table: str | None, endpoint_url: str | None, region: str | None) -> Any:
    from ticket_sentiment.adapters.aws.history import DynamoHistory

    if not table:
        fail("no table: pass --table or set TABLE_NAME (the stack output TableName)")
    return DynamoHistory(table, aws_session(endpoint_url, region).resource("dynamodb", endpoint_url=endpoint_url))
