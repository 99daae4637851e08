"""The README's model figures are generated from metrics.json, bench.json, the model layer's files and a calibration
run: this fails when the model changes and the README was not regenerated (prose that drifts)."""

from __future__ import annotations

from ticket_sentiment_tools.readme_figures import README, current, main, render


def test_readme_figures_match_what_measures_them() -> None:
    assert current(README.read_text(encoding="utf-8")) == render(), (
        "run `python -m ticket_sentiment_tools.readme_figures`"
    )
    assert main(["--check"]) == 0
