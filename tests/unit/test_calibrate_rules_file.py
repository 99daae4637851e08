"""calibrate's rules file must never silently stop the live alerts: it is the live rules with the calibrated rules
merged in after them (shown as a diff), each rule has one `mode` and no contradicting `shadow` flag, an existing
file is not overwritten without --force, and a target the 95% lower bound misses is said plainly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ticket_sentiment.pipeline.rules import DEFAULT_RULES, EscalationRule, RuleConfig, evaluate
from ticket_sentiment_tools.cli import app
from ticket_sentiment_tools.threshold_calibration import calibrate, merge_rules, rules_json
from typer.testing import CliRunner

from .test_threshold_calibration import _sample

REPO = Path(__file__).resolve().parents[2]
LABELLED = REPO / "training" / "data" / "support_eval.csv"
runner = CliRunner()

LIVE = RuleConfig(
    cooldown_minutes=60,
    rules=(
        EscalationRule(name="vip", levels=frozenset({"very_negative"}), tiers=frozenset({"enterprise"})),
        EscalationRule(name="calibrated", max_score=-0.2, mode="alert"),  # an earlier calibration, since reviewed
        EscalationRule(
            name="billing", labels=frozenset({"negative"}), product_areas=frozenset({"billing"}), mode="escalate"
        ),
    ),
)


def test_merge_keeps_the_live_rules_and_appends_the_calibrated_ones() -> None:
    scores, labels = _sample(200, 300)
    groups: list[str | None] = ["mobile" if i % 2 else "web" for i in range(500)]
    calibrated = calibrate(scores, labels, 0.9, groups).rules(LIVE)
    merged = merge_rules(LIVE, calibrated)
    assert [r.name for r in merged.rules] == ["vip", "calibrated", "billing", "calibrated-mobile", "calibrated-web"]
    assert merged.rules[0] == LIVE.rules[0]
    assert merged.rules[2] == LIVE.rules[2]  # untouched, modes included
    assert merged.rules[1] == calibrated.rules[-1]  # same name: replaced in place, a rerun does not duplicate it
    assert merged.cooldown_minutes == 60
    assert merge_rules(merged, calibrated) == merged


def test_live_alerting_rules_still_fire_first() -> None:
    """The bug: a calibrated file holding only shadow rules, deployed, turned every alert into a shadow record."""
    calibrated = RuleConfig(rules=(EscalationRule(name="calibrated-x", max_score=0.9, mode="shadow"),))
    merged = merge_rules(DEFAULT_RULES, calibrated)
    assert merged.rules[: len(DEFAULT_RULES.rules)] == DEFAULT_RULES.rules
    assert not any(r.mode == "shadow" for r in merged.rules if r.name in {d.name for d in DEFAULT_RULES.rules})


def test_rules_json_has_one_mode_per_rule_and_round_trips() -> None:
    config = RuleConfig(
        rules=(
            EscalationRule(name="a", max_score=-0.5, shadow=True),
            EscalationRule(name="b", labels=frozenset({"negative"}), mode="escalate"),
        )
    )
    text = rules_json(config)
    data = json.loads(text)
    assert all("shadow" not in rule for rule in data["rules"])
    assert [r["mode"] for r in data["rules"]] == ["shadow", "escalate"]
    assert RuleConfig.model_validate_json(text) == config.model_copy(
        update={"rules": (EscalationRule(name="a", max_score=-0.5, mode="shadow"), config.rules[1])}
    )


def _write(path: Path, config: RuleConfig) -> Path:
    path.write_text(rules_json(config))
    return path


def test_cli_merges_into_rules_in_and_shows_the_diff(tmp_path: Path) -> None:
    live, out = _write(tmp_path / "live.json", LIVE), tmp_path / "rules.json"
    result = runner.invoke(
        app,
        [
            "calibrate",
            str(LABELLED),
            "--rules-in",
            str(live),
            "--rules-out",
            str(out),
            "--plot",
            str(tmp_path / "pr.png"),
        ],
    )
    assert result.exit_code == 0, result.output
    written = RuleConfig.model_validate_json(out.read_text())
    assert [r.name for r in written.rules] == ["vip", "calibrated", "billing"]
    assert written.rules[0].mode == "alert"
    assert written.rules[2].mode == "escalate"
    assert written.rules[1].mode == "shadow"
    assert written.rules[1].max_score != -0.2
    assert f"--- live: {live}" in result.stdout
    assert f"+++ {out}" in result.stdout
    assert '-      "max_score": -0.2,' in result.stdout
    assert all("shadow" not in rule for rule in json.loads(out.read_text())["rules"])  # one mode field only


def test_cli_never_overwrites_without_force(tmp_path: Path) -> None:
    out = tmp_path / "rules.json"
    out.write_text("my hand-edited rules\n")
    args = ["calibrate", str(LABELLED), "--rules-out", str(out), "--plot", str(tmp_path / "pr.png")]
    refused = runner.invoke(app, args)
    assert refused.exit_code == 2
    assert "--force" in refused.stderr
    assert out.read_text() == "my hand-edited rules\n"
    forced = runner.invoke(app, [*args, "--force"])
    assert forced.exit_code == 0, forced.output
    assert RuleConfig.model_validate_json(out.read_text()).rules[: len(DEFAULT_RULES.rules)] == DEFAULT_RULES.rules


def test_cli_says_plainly_when_the_lower_bound_misses_the_target(tmp_path: Path) -> None:
    args = ["calibrate", str(LABELLED), "--target-precision", "0.95", "--plot", str(tmp_path / "pr.png")]
    result = runner.invoke(app, [*args, "--rules-out", str(tmp_path / "a.json")])
    assert result.exit_code == 0, result.output
    assert "target NOT established" in result.stdout
    assert "95% lower bound" in result.stdout
    as_json = runner.invoke(app, [*args, "--json", "--rules-out", str(tmp_path / "b.json")])
    payload = json.loads(as_json.stdout)
    assert payload["precision_low_95"] < 0.95
    assert payload["target_met_at_95"] is False
    assert "target NOT established" in payload["target_note"]


@pytest.mark.parametrize("content", ["{not json", '{"rules": [{"name": "x"}]}'])
def test_cli_rejects_a_bad_live_rules_file(tmp_path: Path, content: str) -> None:
    live = tmp_path / "live.json"
    live.write_text(content)
    result = runner.invoke(
        app, ["calibrate", str(LABELLED), "--rules-in", str(live), "--rules-out", str(tmp_path / "r.json")]
    )
    assert result.exit_code == 1
    assert "not a rules config" in result.stderr
    assert "Traceback" not in result.output
    assert not (tmp_path / "r.json").exists()


def test_the_merged_rules_alert_where_the_live_ones_did() -> None:
    from ticket_sentiment.events import TicketEvent
    from ticket_sentiment.models import SentimentResult

    event = TicketEvent.model_validate(
        {
            "source": "other",
            "ticket_id": "T",
            "message_id": "m",
            "author_role": "customer",
            "text": "x",
            "created_at": "2026-01-01T00:00:00Z",
            "customer_tier": "enterprise",
        }
    )
    result = SentimentResult(
        label="negative",
        level="very_negative",
        score=-0.9,
        intensity=0.9,
        confidence=0.9,
        probabilities={},
        emotions=[],
        low_signal=False,
        language="en",
        windows=1,
        model_version="t",
    )
    merged = merge_rules(LIVE, RuleConfig(rules=(EscalationRule(name="calibrated-z", max_score=0.0, mode="shadow"),)))
    match = evaluate(merged, event, result, None)
    assert match is not None
    assert match.rule == "vip"
    assert match.mode == "alert"


def test_cli_prints_the_deploy_command_on_one_line(tmp_path: Path) -> None:
    """Issue #18: the `aws ssm put-parameter ... --value file://...` command wrapped before `file://`, so it did not
    paste as printed. A deep --rules-out path makes it longer than any console width."""
    folder = tmp_path / ("calibration-output-of-the-support-team-" * 3)
    folder.mkdir()
    out = folder / "rules.json"
    args = ["calibrate", str(LABELLED), "--rules-out", str(out), "--plot", str(tmp_path / "pr.png")]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    command = f"aws ssm put-parameter --overwrite --type String --name <EscalationRulesParameter> --value file://{out}"
    assert len(command) > 150
    assert [line.strip() for line in result.stdout.splitlines() if "put-parameter" in line] == [command]


def test_cli_warns_when_a_live_rule_says_alert_and_shadow(tmp_path: Path) -> None:
    """A hand-edited rule with "mode": "alert" and "shadow": true runs in shadow (the safe reading, so a deployed
    config keeps working): calibrate says so instead of showing a diff with no change."""
    live = tmp_path / "live.json"
    live.write_text('{"rules": [{"name": "x", "levels": ["very_negative"], "mode": "alert", "shadow": true}]}')
    args = ["--rules-in", str(live), "--rules-out", str(tmp_path / "r.json"), "--plot", str(tmp_path / "pr.png")]
    result = runner.invoke(app, ["calibrate", str(LABELLED), *args])
    assert result.exit_code == 0, result.output
    assert 'rule \'x\' says "mode": "alert" and "shadow": true' in result.stderr
    merged = json.loads((tmp_path / "r.json").read_text())
    assert [r.get("mode") for r in merged["rules"] if r["name"] == "x"] == ["shadow"]
