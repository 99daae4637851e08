"""`local`: the pipeline on a local AWS (moto)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from .common import ModelDirOption, load_scorer

app = typer.Typer()


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
    from ..local_stack import run_local

    scorer = load_scorer(model_dir)

    def write(text: str) -> None:  # plain, unwrapped text: the curl examples must paste as printed
        sys.stdout.write(text)
        sys.stdout.flush()

    raise typer.Exit(run_local(write, scorer, mode=scorer_mode, serve=serve, port=port))
