"""`ticket-sentiment`: score, evaluate and fine-tune from the command line.

One module per command (or group), each a Typer app merged into this one; the order they are added here is the
order `--help` lists them in.
"""

from __future__ import annotations

from typing import Annotated

import typer

from . import audit, backfill, calibrate, finetune, forget, local, redact, report, score

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},  # inherited by every command
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            typer.echo(f"ticket-sentiment {version('ticket-sentiment')}")
        except PackageNotFoundError:  # run from a source tree that was never installed
            typer.echo("ticket-sentiment (not installed)")
        raise typer.Exit()


@app.callback()
def _root(
    show_version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="print the version and exit")
    ] = False,
) -> None:
    """Sentiment triage for helpdesk tickets.

    Exit status: 0 ok, 1 bad input (bad lines or rows, an AWS call that failed, a target not reached), 2 usage
    (a bad or missing option, missing AWS region or credentials, no model).
    """


app.add_typer(score.app)  # score, eval, demo
app.add_typer(local.app)
app.add_typer(calibrate.app)
app.add_typer(backfill.app)
app.add_typer(finetune.app)
app.add_typer(redact.app)
app.add_typer(report.app)
app.add_typer(audit.app, name="audit")  # trust loop: the monthly audit
app.add_typer(forget.app)  # erasure on request


def main() -> None:
    app()


if __name__ == "__main__":
    main()
