"""`redact`: personal data replaced by placeholders, one text or JSON lines."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from ticket_sentiment.redaction import EntityType

from .common import JsonlInput, exit_on_bad_lines, fail, json_line, process_jsonl, text_argument

app = typer.Typer()


ENTITY_TYPES = [e.value for e in EntityType]


def _entity_types(value: str | None) -> str | None:
    """`--types EMAIL,phone`: a comma-separated choice; an unknown type is a usage error (exit 2) listing the
    known ones, like any typer choice."""
    if value is None:
        return None
    names = [t.strip().upper() for t in value.split(",") if t.strip()]
    unknown = [t for t in names if t not in ENTITY_TYPES]
    if unknown or not names:
        raise typer.BadParameter(f"{', '.join(unknown) or 'nothing'} is not one of {', '.join(ENTITY_TYPES)}")
    return ",".join(names)


def _redaction_config(types: str | None, mask: str | None, allow: list[str] | None) -> Any:
    from ticket_sentiment.redaction import MaskStyle, RedactionConfig

    fields: dict[str, Any] = {"allow": tuple(allow or ())}
    if types:
        fields["entities"] = frozenset(EntityType(t) for t in types.split(","))  # checked by _entity_types
    if mask is not None:
        fields |= {"mask_style": MaskStyle.FIXED, "mask": mask}
    try:
        return RedactionConfig(**fields)
    except ValidationError as exc:
        fail("; ".join(str(e["msg"]) for e in exc.errors()))


def redact_jsonl(config: Any, stream: Iterator[str]) -> int:
    """Redact a JSON-lines stream in order; returns the number of bad lines (reported like `score --jsonl`)."""
    from ticket_sentiment.redaction import redact as redact_text

    def handle(items: list[JsonlInput]) -> list[dict[str, Any]]:
        results = [redact_text(item.text, config) for item in items]
        return [{"id": item.id, "text": r.text, "entities": r.entities} for item, r in zip(items, results, strict=True)]

    return process_jsonl(stream, handle)


@app.command("redact")
def redact_command(
    text: Annotated[str | None, typer.Argument(help="text to redact; - (or piped stdin) reads it from stdin")] = None,
    *,
    jsonl: Annotated[bool, typer.Option("--jsonl", help='read {"id","text"} JSON lines on stdin')] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print the result as JSON")] = False,
    types: Annotated[
        str | None,
        typer.Option(
            "--types",
            callback=_entity_types,
            metavar="[" + "|".join(ENTITY_TYPES) + "],...",
            help="comma-separated entity types to mask (default: all); every type is still detected, so a value "
            "of another type is left whole",
        ),
    ] = None,
    mask: Annotated[str | None, typer.Option("--mask", help="one fixed mask instead of typed placeholders")] = None,
    allow: Annotated[
        list[str] | None,
        typer.Option(
            "--allow",
            help="keep a detected value when this regex matches all of it, not part of it (repeatable): "
            "'.*@example\\.com' keeps anna@example.com, 'example\\.com' does not",
        ),
    ] = None,
) -> None:
    """Replace personal data with placeholders (TEXT, or - / piped stdin for the whole input as one text, or JSON
    lines with --jsonl); print the text and entity counts (never the values)."""
    if jsonl and text is not None:
        fail("give either TEXT or --jsonl")
    config = _redaction_config(types, mask, allow)
    if jsonl:
        exit_on_bad_lines(redact_jsonl(config, iter(sys.stdin)))
        return
    from ticket_sentiment.redaction import redact as redact_text

    result = redact_text(text_argument(text), config)
    if as_json:
        sys.stdout.write(json_line(result.model_dump(mode="json")))
        return
    summary = ", ".join(f"{name}={count}" for name, count in result.entities.items()) or "none"
    sys.stdout.write(f"{result.text}\nentities: {summary}\n")
