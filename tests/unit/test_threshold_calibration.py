"""Threshold calibration on known distributions, its refusals, per-group thresholds, and the CLI contract."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from ticket_sentiment.pipeline.rules import RuleConfig
from ticket_sentiment_tools.cli import app
from ticket_sentiment_tools.threshold_calibration import (
    MIN_ALERTS,
    CalibrationError,
    calibrate,
    choose_threshold,
    precision_recall_curve,
    wilson_low,
)
from typer.testing import CliRunner

REPO = Path(__file__).resolve().parents[2]


def _sample(n_neg: int, n_other: int, seed: int = 7) -> tuple[list[float], list[str]]:
    rng = random.Random(seed)
    scores = [rng.uniform(-1.0, -0.2) for _ in range(n_neg)] + [rng.uniform(-0.6, 1.0) for _ in range(n_other)]
    labels = ["negative"] * n_neg + [rng.choice(["neutral", "positive"]) for _ in range(n_other)]
    return scores, labels


def test_chosen_threshold_meets_the_target_with_the_most_recall() -> None:
    scores, labels = _sample(200, 300)
    choice = choose_threshold(scores, labels, 0.9)
    flagged = [label for s, label in zip(scores, labels, strict=True) if s <= choice.threshold]
    precision = flagged.count("negative") / len(flagged)
    assert precision >= 0.9
    assert precision == pytest.approx(choice.precision)
    assert choice.recall == pytest.approx(flagged.count("negative") / 200)
    better = [p for p in choice.curve if p.precision >= 0.9 and p.alerts >= MIN_ALERTS and p.recall > choice.recall]
    assert better == []
    # Negatives below -0.6 are unambiguous here, the overlap starts there: the threshold sits in the overlap.
    assert -0.7 < choice.threshold < -0.2
    assert choice.alerts_per_1000 == pytest.approx(len(flagged) * 1000 / 500)


def test_curve_handles_ties_as_one_threshold() -> None:
    curve = precision_recall_curve([-0.5, -0.5, 0.1, 0.1], [True, False, True, False])
    assert [(p.threshold, p.alerts, p.precision) for p in curve] == [(-0.5, 2, 0.5), (0.1, 4, 0.5)]


def test_wilson_lower_bound() -> None:
    assert wilson_low(9, 10) == pytest.approx(0.5958, abs=1e-3)
    assert wilson_low(0, 0) == 0.0


@pytest.mark.parametrize(
    ("scores", "labels", "message"),
    [
        ([-0.9] * 20, ["negative"] * 20, "at least 50"),
        ([-0.9] * 60, ["negative"] * 60, "0 other tickets"),
        ([0.5] * 30 + [-0.9] * 30, ["negative"] * 30 + ["neutral"] * 30, "no threshold reaches precision 0.90"),
    ],
)
def test_refuses_with_a_reason(scores: list[float], labels: list[str], message: str) -> None:
    with pytest.raises(CalibrationError, match=message):
        choose_threshold(scores, labels, 0.9)


def test_groups_get_their_own_threshold_or_a_reason() -> None:
    scores, labels = _sample(200, 300)
    groups: list[str | None] = ["billing" if i % 2 else "mobile" for i in range(500)]
    groups[:3] = ["tiny", "tiny", "tiny"]
    result = calibrate(scores, labels, 0.9, groups)
    assert set(result.groups) == {"billing", "mobile"}
    assert "at least 50" in result.skipped_groups["tiny"]
    rules = result.rules()
    assert isinstance(rules, RuleConfig)
    assert all(r.mode == "shadow" for r in rules.rules)
    assert rules.rules[-1].name == "calibrated"
    assert rules.rules[-1].product_areas is None
    assert {next(iter(r.product_areas)) for r in rules.rules[:-1] if r.product_areas} == {"billing", "mobile"}


def test_cli_calibrates_on_labelled_support_text(tmp_path: Path) -> None:
    labelled = REPO / "training" / "data" / "support_eval.csv"  # team-written, held out from training
    plot, rules = tmp_path / "pr.png", tmp_path / "rules.json"
    result = CliRunner().invoke(
        app,
        [
            "calibrate",
            str(labelled),
            "--target-precision",
            "0.9",
            "--json",
            "--plot",
            str(plot),
            "--rules-out",
            str(rules),
        ],
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["precision"] >= 0.9
    assert -1 <= payload["threshold"] <= 1
    assert payload["recall"] > 0.5
    assert payload["alerts_per_1000"] > 0
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert RuleConfig.model_validate_json(rules.read_text()).rules[-1].max_score == round(payload["threshold"], 3)


def test_cli_says_what_is_missing(tmp_path: Path) -> None:
    labelled = tmp_path / "one-class.csv"
    labelled.write_text("text,label\n" + "".join(f"broken again {i},negative\n" for i in range(60)))
    result = CliRunner().invoke(app, ["calibrate", str(labelled)])
    assert result.exit_code == 1
    assert "0 other tickets" in result.output
    assert "Traceback" not in result.output
    no_col = CliRunner().invoke(app, ["calibrate", str(labelled), "--by", "product_area"])
    assert no_col.exit_code == 2
    assert "no column 'product_area'" in no_col.output
