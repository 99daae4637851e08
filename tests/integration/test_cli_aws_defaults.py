"""The CLI against the local stack's moto with no AWS configuration at all: a localhost --endpoint-url brings the
local region and moto's test credentials, so `report`/`audit` work without exporting anything; a taken port for
`local --serve` is one line, before the slow deploy."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
from ticket_sentiment_tools.cli import app
from ticket_sentiment_tools.cli.common import LOCAL_REGION
from ticket_sentiment_tools.local_stack import REGION, LocalStack
from typer.testing import CliRunner

runner = CliRunner()
LABELLED = Path(__file__).resolve().parents[2] / "training" / "data" / "support_eval.csv"


@pytest.fixture
def no_aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in (
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_PROFILE",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


def test_local_defaults_match_the_local_stack() -> None:
    assert LOCAL_REGION == REGION


@pytest.mark.usefixtures("no_aws")
def test_report_against_the_local_stack_needs_no_aws_configuration(stack: LocalStack) -> None:
    result = runner.invoke(
        app, ["report", "--json", "--table", stack.res.table_name, "--endpoint-url", stack.endpoint_url]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["messages"] == 0


@pytest.mark.usefixtures("no_aws")
def test_audit_export_against_the_local_stack_needs_no_aws_configuration(stack: LocalStack, tmp_path: Path) -> None:
    queue_url = stack.client("sqs").create_queue(QueueName=f"{stack.prefix}-audit")["QueueUrl"]
    result = runner.invoke(
        app,
        [
            "audit",
            "export",
            "--queue-url",
            queue_url,
            "--out",
            str(tmp_path / "a.csv"),
            "--endpoint-url",
            stack.endpoint_url.replace("127.0.0.1", "localhost"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "0 rows written" in result.stdout


def test_a_taken_port_is_one_line_before_anything_starts() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = runner.invoke(app, ["local", "--serve", "--port", str(port)])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert f"port {port}" in lines[0]
    assert "--port" in lines[0]


@pytest.mark.usefixtures("no_aws")
def test_calibrate_merges_into_the_live_rules_parameter(stack: LocalStack, tmp_path: Path) -> None:
    from ticket_sentiment.pipeline.rules import RuleConfig

    name = f"/{stack.prefix}/escalation-rules"
    live = {"cooldown_minutes": 15, "rules": [{"name": "team-rule", "levels": ["very_negative"]}]}
    stack.client("ssm").put_parameter(Name=name, Value=json.dumps(live), Type="String")
    out = tmp_path / "rules.json"
    result = runner.invoke(
        app,
        [
            "calibrate",
            str(LABELLED),
            "--rules-param",
            name,
            "--endpoint-url",
            stack.endpoint_url,
            "--rules-out",
            str(out),
            "--plot",
            str(tmp_path / "pr.png"),
        ],
    )
    assert result.exit_code == 0, result.output
    merged = RuleConfig.model_validate_json(out.read_text())
    assert merged.cooldown_minutes == 15
    assert [r.name for r in merged.rules] == ["team-rule", "calibrated"]
    assert merged.rules[0].mode == "alert"
    assert f"SSM parameter {name}" in result.stdout
    missing = runner.invoke(
        app,
        [
            "calibrate",
            str(LABELLED),
            "--rules-param",
            "/nope",
            "--endpoint-url",
            stack.endpoint_url,
            "--rules-out",
            str(tmp_path / "x.json"),
        ],
    )
    assert missing.exit_code == 1
    assert "ParameterNotFound" in missing.stderr
    assert "Traceback" not in missing.output


@pytest.mark.usefixtures("no_aws")
def test_forget_against_the_local_stack_needs_no_aws_configuration(stack: LocalStack) -> None:
    """Issue #18: `forget` built its clients without the shared helper, so a localhost --endpoint-url got no
    local region (a NoRegionError traceback)."""
    result = runner.invoke(
        app, ["forget", "--ticket", "zendesk:1", "--table", stack.res.table_name, "--endpoint-url", stack.endpoint_url]
    )
    assert result.exit_code == 0, result.output
    assert "nothing stored for ticket hash" in result.stdout


@pytest.mark.usefixtures("no_aws")
def test_forget_against_an_unreachable_local_endpoint_is_one_line_about_the_call() -> None:
    result = runner.invoke(
        app, ["forget", "--ticket", "zendesk:1", "--table", "T", "--endpoint-url", "http://127.0.0.1:1"]
    )
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "erasure failed" in lines[0]
    assert "region" not in lines[0].lower()
