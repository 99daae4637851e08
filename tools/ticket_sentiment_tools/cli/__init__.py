"""`ticket-sentiment`: score, evaluate and fine-tune from the command line.

One module per command (or group), each a Typer app merged into this one; the order they are added here is the
order `--help` lists them in.
"""

from __future__ import annotations

import typer

from . import audit, backfill, calibrate, finetune, forget, local, redact, report, score

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Sentiment triage for helpdesk tickets.")
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
