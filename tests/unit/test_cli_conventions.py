"""The CLI's conventions, command by command: `-h`/`--help` everywhere, `--version`, usage errors exit 2 with the
reason, a missing AWS region or credentials is one line saying how to set it (never a botocore traceback), and
fixed-value options are choices. Exit codes as the README lists them: 0 ok, 1 bad input, 2 usage."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import typer
from ticket_sentiment_tools.cli import app
from typer.testing import CliRunner

runner = CliRunner()


def _command_paths(command: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    paths = [prefix]
    for name, sub in getattr(command, "commands", {}).items():  # a group (typer bundles its own click)
        paths += _command_paths(sub, (*prefix, name))
    return paths


COMMANDS = _command_paths(typer.main.get_command(app))


def test_every_command_is_covered() -> None:
    names = {" ".join(p) for p in COMMANDS}
    assert {
        "score",
        "eval",
        "demo",
        "local",
        "calibrate",
        "backfill",
        "finetune",
        "redact",
        "report",
        "audit sample",
        "audit export",
        "audit import",
    } <= names


@pytest.mark.parametrize("path", COMMANDS, ids=lambda p: " ".join(p) or "root")
@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_help_everywhere(path: tuple[str, ...], flag: str) -> None:
    result = runner.invoke(app, [*path, flag])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.stdout


@pytest.mark.parametrize("path", [p for p in COMMANDS if p], ids=" ".join)
def test_unknown_option_is_a_usage_error(path: tuple[str, ...]) -> None:
    result = runner.invoke(app, [*path, "--no-such-option"])
    assert result.exit_code == 2
    assert "No such option" in result.stderr
    assert "Traceback" not in result.output


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.startswith("ticket-sentiment ")


@pytest.mark.parametrize(
    "args",
    [
        ["local", "--scorer", "bogus"],
        ["backfill", "x.jsonl", "--source", "helpscout", "--queue-url", "q"],
        ["redact", "--types", "EMAIL,NOPE", "hi"],
        ["local", "--serve", "--port", "70000"],
    ],
    ids=["scorer", "source", "types", "port"],
)
def test_fixed_value_options_are_choices(args: list[str]) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert "Invalid value" in result.stderr
    assert "Traceback" not in result.output


def test_choices_are_listed_in_help() -> None:
    assert "comprehend" in runner.invoke(app, ["local", "-h"]).stdout
    assert "freshdesk" in runner.invoke(app, ["backfill", "-h"]).stdout
    assert "IBAN" in runner.invoke(app, ["redact", "-h"]).stdout


def test_source_is_case_insensitive_and_types_accept_lower_case() -> None:
    result = runner.invoke(
        app, ["redact", "--types", "email", "--json", "write to anna@example.com, IBAN DE89 3704 0044 0532 0130 00"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["entities"] == {"EMAIL": 1}


@pytest.fixture
def no_aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A machine with no AWS configuration at all: no env, no config or credentials files, no instance metadata."""
    for name in (
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_ROLE_ARN",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


def _aws_commands(tmp_path: Path) -> list[list[str]]:
    export = tmp_path / "export.jsonl"
    export.write_text('{"ticket_id": "1"}\n')
    return [
        ["report", "--table", "tickets"],
        ["audit", "sample", "--table", "tickets", "--out", str(tmp_path / "a.csv")],
        ["audit", "export", "--queue-url", "https://sqs/q", "--out", str(tmp_path / "b.csv")],
        ["backfill", str(export), "--source", "zendesk", "--queue-url", "https://sqs/q"],
        ["forget", "--ticket", "zendesk:1", "--table", "tickets"],  # issue #18: was a NoRegionError traceback
    ]


def _one_line_error(result: typer.testing.Result) -> str:
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.mark.usefixtures("no_aws")
def test_no_region_is_one_line_with_the_fix(tmp_path: Path) -> None:
    for args in _aws_commands(tmp_path):
        result = runner.invoke(app, args)
        assert result.exit_code == 2, (args, result.output)
        line = _one_line_error(result)
        assert "no AWS region" in line
        assert "AWS_REGION" in line
        assert "--region" in line


@pytest.mark.usefixtures("no_aws")
def test_no_credentials_is_one_line_with_the_fix(tmp_path: Path) -> None:
    for args in _aws_commands(tmp_path):
        result = runner.invoke(app, [*args, "--region", "eu-west-1"])
        assert result.exit_code == 2, (args, result.output)
        line = _one_line_error(result)
        assert "no AWS credentials" in line
        assert "AWS_PROFILE" in line
        assert "AWS_ACCESS_KEY_ID" in line


@pytest.mark.usefixtures("no_aws")
def test_unknown_profile_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_PROFILE", "nobody")
    result = runner.invoke(app, ["report", "--table", "tickets"])
    assert result.exit_code == 2
    assert "nobody" in _one_line_error(result)


def test_score_dash_reads_stdin() -> None:
    result = runner.invoke(app, ["score", "--json", "-"], input="Thank you so much, that fixed it!\n")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["label"] == "positive"


def test_piped_stdin_without_jsonl_is_one_text() -> None:
    text = "I have been waiting two weeks.\nNobody answers.\nThis is unacceptable.\n"
    result = runner.invoke(app, ["score", "--json"], input=text)
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1
    assert json.loads(lines[0])["label"] == "negative"


def test_empty_stdin_is_a_usage_error() -> None:
    result = runner.invoke(app, ["score", "-"], input="")
    assert result.exit_code == 2
    assert "no text" in _one_line_error(result)


def test_redact_dash_reads_stdin() -> None:
    """Issue #18: `redact -` redacted the literal text "-" instead of reading stdin as `score -` does."""
    result = runner.invoke(app, ["redact", "--json", "-"], input="Mail me at anna@example.com please\n")
    assert result.exit_code == 0, result.output
    redacted = json.loads(result.stdout)
    assert redacted["text"].strip() == "Mail me at [EMAIL] please"
    assert redacted["entities"] == {"EMAIL": 1}


def test_redact_piped_stdin_without_jsonl_is_one_text() -> None:
    """Issue #18: piped `redact` without TEXT said `error: give either TEXT or --jsonl`."""
    text = "Hello,\nmy mail is anna@example.com\nand my phone +44 20 7946 0958.\n"
    result = runner.invoke(app, ["redact", "--json"], input=text)
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1
    redacted = json.loads(lines[0])
    assert "anna@example.com" not in redacted["text"]
    assert redacted["entities"] == {"EMAIL": 1, "PHONE": 1}


def test_redact_empty_stdin_and_text_with_jsonl_are_usage_errors() -> None:
    empty = runner.invoke(app, ["redact", "-"], input="")
    assert empty.exit_code == 2
    assert "no text" in _one_line_error(empty)
    both = runner.invoke(app, ["redact", "--jsonl", "some text"], input="")
    assert both.exit_code == 2
    assert "give either TEXT or --jsonl" in _one_line_error(both)
