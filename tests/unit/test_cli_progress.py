"""Long work shows a progress bar on stderr when stdout is a terminal, and none when stdout is piped (the JSON
stays exactly the data) or with --quiet."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.console import Console
from ticket_sentiment_tools.cli import app, common
from typer.testing import CliRunner

runner = CliRunner()
REPO = Path(__file__).resolve().parents[2]
LABELLED = REPO / "training" / "data" / "support_eval.csv"


@pytest.fixture
def labelled(tmp_path: Path) -> Path:
    path = tmp_path / "labelled.csv"
    path.write_text(
        "text,label\n"
        '"I was charged twice, please refund me.",negative\n'
        '"How do I change my billing address?",neutral\n'
        '"Thanks a lot, problem solved!",positive\n'
    )
    return path


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> Iterator[io.StringIO]:
    """stdout is a terminal, and stderr one that records what the bar drew."""
    screen = io.StringIO()
    monkeypatch.setattr(common, "stdout_is_terminal", lambda: True)
    monkeypatch.setattr(common, "err", Console(file=screen, force_terminal=True, force_interactive=True, width=120))
    yield screen


def test_eval_shows_a_bar_on_a_terminal(labelled: Path, terminal: io.StringIO) -> None:
    result = runner.invoke(app, ["eval", str(labelled)])
    assert result.exit_code == 0, result.output
    drawn = terminal.getvalue()
    assert "scoring" in drawn
    assert "3/3" in drawn


def test_quiet_draws_no_bar(labelled: Path, terminal: io.StringIO) -> None:
    result = runner.invoke(app, ["eval", "--quiet", str(labelled)])
    assert result.exit_code == 0, result.output
    assert terminal.getvalue() == ""


def test_piped_stdout_draws_no_bar_and_the_json_is_clean(labelled: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    screen = io.StringIO()  # a terminal on stderr: only stdout being piped turns the bar off
    monkeypatch.setattr(common, "err", Console(file=screen, force_terminal=True, force_interactive=True))
    result = runner.invoke(app, ["eval", "--json", str(labelled)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["n"] == 3
    assert screen.getvalue() == ""


def test_calibrate_shows_a_bar_on_a_terminal(tmp_path: Path, terminal: io.StringIO) -> None:
    rows = sum(1 for _ in LABELLED.open(encoding="utf-8")) - 1
    args = ["calibrate", str(LABELLED), "--rules-out", str(tmp_path / "r.json"), "--plot", str(tmp_path / "p.png")]
    result = runner.invoke(app, args)
    assert result.exit_code in (0, 1), result.output  # 1: a target the labels cannot reach, said after scoring
    assert f"{rows}/{rows}" in terminal.getvalue()
    drawn = len(terminal.getvalue())
    quiet = runner.invoke(app, [*args, "--quiet", "--force"])
    assert quiet.exit_code == result.exit_code
    assert len(terminal.getvalue()) == drawn + len(quiet.stderr)  # only what calibrate itself said, no bar


def test_every_long_command_takes_quiet() -> None:
    for command in (["eval"], ["calibrate"], ["finetune"], ["audit", "sample"]):
        help_text = runner.invoke(app, [*command, "--help"]).stdout
        assert "--quiet" in help_text, command
