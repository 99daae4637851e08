"""`finetune`: a domain model from the team's labelled tickets (needs the train extra)."""

from __future__ import annotations

import json
import sys
from contextlib import redirect_stdout
from pathlib import Path
from typing import Annotated

import typer

from ..evaluation import LabelledDataError
from ..textfiles import NotUtf8Error
from .common import ModelDirOption, QuietOption, err, fail, out, progress

app = typer.Typer()


@app.command()
def finetune(  # noqa: PLR0917 - typer maps each parameter to an option
    tickets: Annotated[Path, typer.Argument(help="CSV with text,label columns (your own labelled tickets)")],
    out_dir: Annotated[Path, typer.Option("--out", help="directory for the new model")],
    data: Annotated[Path | None, typer.Option("--data", help="general labelled data to mix in")] = None,
    steps: Annotated[int, typer.Option("--steps", min=1, help="optimizer steps")] = 600,
    version: Annotated[
        str | None,
        typer.Option("--version", help="model version (default: ticket-sentiment-minilm-finetuned-<UTC time>)"),
    ] = None,
    model_dir: ModelDirOption = None,
    quiet: QuietOption = False,
    force: Annotated[bool, typer.Option("--force", help="write into --out even if it holds files")] = False,
) -> None:
    """Fine-tune a domain model on your tickets and compare it with the bundled model (needs the train extra)."""
    # Checked before the minutes of training: --out may be the model you ship (layers/model) or an earlier run.
    if out_dir.is_file():
        fail(f"--out {out_dir} is a file; give a directory for the new model")
    if out_dir.is_dir() and any(out_dir.iterdir()) and not force:
        fail(f"--out {out_dir} already holds files (a model?); pass --force to overwrite them, or pick a new folder")
    try:
        from sentiment_training.finetune import finetune_from_csv
    except ImportError as exc:
        fail(f"fine-tuning needs the train extra (pip install -e '.[train]'): {exc}")
    # The training log goes to stderr (above the bar when there is one): stdout is the comparison JSON only.
    try:
        with progress("fine-tuning", steps, quiet=quiet) as advance, redirect_stdout(sys.stderr):
            comparison = finetune_from_csv(
                tickets, out_dir, data_dir=data, steps=steps, baseline_dir=model_dir, version=version, on_step=advance
            )
    except NotUtf8Error as exc:
        fail(str(exc), 1)
    except LabelledDataError as exc:
        fail(str(exc), exc.exit_code)
    except ValueError as exc:  # the file's content: too few rows, one class only
        fail(str(exc), 1)
    out.print_json(json.dumps(comparison))
    err.print(
        f"model written to {out_dir} (MODEL_CARD.md included); ship it with: make layers MODEL={out_dir}", markup=False
    )
