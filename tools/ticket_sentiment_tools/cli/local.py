"""`local`: the pipeline on a local AWS (moto)."""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path
from typing import Annotated

import typer
from ticket_sentiment.pipeline.routing import ScorerMode

from .common import ModelDirOption, fail, load_scorer

app = typer.Typer()


def _check_port_free(port: int) -> None:
    """Fail before the (slow) stack deploy rather than after it, with one line instead of an OSError traceback.

    The probe binds as the server will (http.server allows address reuse), so a port left in TIME_WAIT by a closed
    connection passes and only a live listener is refused. Not on Windows, where SO_REUSEADDR would let the probe
    share a port that is listened on."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        if os.name == "posix":
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as exc:
            fail(f"port {port} on 127.0.0.1: {exc.strerror or exc}; pick another with --port")


def _check_secrets_out(path: Path | None, *, serve: bool) -> None:
    """Refuse an unusable --secrets-out before the deploy, not with a traceback after it. The secrets are only
    configured with --serve, so without it the option would silently do nothing."""
    if path is None:
        return
    if not serve:
        fail("--secrets-out needs --serve (only the served stack configures helpdesk test secrets)")
    folder = path.parent
    if path.is_dir():
        fail(f"--secrets-out {path}: is a folder, expected a file path")
    if not folder.is_dir():
        fail(f"--secrets-out {path}: folder {folder} does not exist")
    if not os.access(folder, os.W_OK):
        fail(f"--secrets-out {path}: folder {folder} is not writable")


@app.command()
def local(  # noqa: PLR0917 - typer maps each parameter to an option
    serve: Annotated[bool, typer.Option("--serve", help="stay up for curl instead of running the demo")] = False,
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="API port with --serve")] = 8787,
    scorer_mode: Annotated[
        ScorerMode,
        typer.Option("--scorer", case_sensitive=False, help="auto: the model, Comprehend for other languages"),
    ] = ScorerMode.AUTO,
    model_dir: ModelDirOption = None,
    metrics_out: Annotated[
        Path | None, typer.Option("--metrics-out", help="append the handlers' CloudWatch EMF metrics here (JSON lines)")
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="print the EMF metrics too")] = False,
    shadow_model: Annotated[
        Path | None,
        typer.Option(
            "--shadow-model",
            help="a candidate model directory scoring every message beside the live one (stored apart, never "
            "alerting); the demo ends with `report --compare-models`",
        ),
    ] = None,
    secrets_out: Annotated[
        Path | None,
        typer.Option(
            "--secrets-out", help="with --serve: write the helpdesk test secrets here (JSON, keyed by platform)"
        ),
    ] = None,
) -> None:
    """Run the pipeline on a local AWS (moto): the same handlers, real wire protocols, Slack to a printing sink.

    Slack goes to $SLACK_WEBHOOK_URL when set. Without --serve, feeds the sample tickets, prints every ticket's
    result and Slack message, and exits 0 when every accepted event was processed or dead-lettered.
    """
    from ..local_stack import run_local

    if serve:
        _check_port_free(port)
    _check_secrets_out(secrets_out, serve=serve)
    scorer = load_scorer(model_dir)
    if model_dir is not None:  # the deployed stack's model layer is built from the same directory
        os.environ["TICKET_SENTIMENT_MODEL_DIR"] = str(model_dir.resolve())

    def write(text: str) -> None:  # plain, unwrapped text: the curl examples must paste as printed
        sys.stdout.write(text)
        sys.stdout.flush()

    write(f"model {scorer.version} ({model_dir or 'the bundled model'})\n")
    shadow = load_scorer(shadow_model) if shadow_model is not None else None
    if shadow is not None:
        write(f"shadow model {shadow.version} ({shadow_model}): scores beside the live one, never alerts\n")

    def metrics_sink(line: str) -> None:
        if verbose:
            write(line)
        if metrics_out is not None:
            with metrics_out.open("a", encoding="utf-8") as handle:
                handle.write(line)

    raise typer.Exit(
        run_local(
            write,
            scorer,
            mode=scorer_mode,
            serve=serve,
            port=port,
            metrics_sink=metrics_sink if verbose or metrics_out is not None else None,
            secrets_out=secrets_out,
            shadow=shadow,
        )
    )
