"""The README's model figures, generated from what measures them instead of prose that drifts: the model card's
`metrics.json` (`make eval-model`), `bench.json` (`make bench`), the model layer's files (`infra.layers`) and a
calibration run on `training/data/support_eval.csv` (`ticket-sentiment calibrate`).

`python -m ticket_sentiment_tools.readme_figures` rewrites the block between the markers in README.md; `--check`
fails (exit 1, with a diff) when it has drifted, as a test does.
"""

from __future__ import annotations

import argparse
import difflib
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
README = REPO / "README.md"
START, END = "<!-- figures:start (python -m ticket_sentiment_tools.readme_figures) -->", "<!-- figures:end -->"
CALIBRATION_TARGET = 0.9


def _calibration_line(model_dir: Path) -> str:
    import csv

    from ticket_sentiment.adapters.aws.onnx_scorer import OnnxSentimentScorer

    from .evaluation import normalise_level
    from .threshold_calibration import calibrate

    with (REPO / "training" / "data" / "support_eval.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    results = OnnxSentimentScorer(model_dir).score([r["text"] for r in rows])
    choice = calibrate(
        [r.score for r in results], [normalise_level(r["label"]) for r in rows], CALIBRATION_TARGET
    ).overall
    return (
        f"| `calibrate support_eval.csv --target-precision {CALIBRATION_TARGET}` | threshold "
        f"{choice.threshold:+.3f}: precision {choice.precision:.3f} (95% lower bound {choice.precision_low:.3f}), "
        f"recall {choice.recall:.3f}, {choice.alerts_per_1000:.0f} alerts per 1,000 |"
    )


def render(model_dir: Path | None = None) -> str:
    from infra.layers import MODEL_SOURCE, model_files

    model_dir = model_dir or MODEL_SOURCE
    metrics = json.loads((model_dir / "metrics.json").read_text())
    bench = json.loads((model_dir / "bench.json").read_text())
    layer_mb = sum((model_dir / f).stat().st_size for f in model_files(model_dir)) / 1e6
    support, semeval = metrics["support_eval"], metrics["semeval2017_test"]
    onnx = bench["onnx_int8"]
    rows = [
        f"| model | `{metrics['model_version']}`, {metrics['encoder_layers']} encoder layers, model layer "
        f"{layer_mb:.1f} MB |",
        f"| support_eval ({support['n']} team-written messages) | accuracy {support['accuracy']:.3f}, macro-F1 "
        f"{support['macro_f1']:.3f}, negative precision {support['per_class']['negative']['precision']:.3f} / "
        f"recall {support['per_class']['negative']['recall']:.3f} |",
        f"| SemEval-2017 4A test ({semeval['n']:,} tweets) | macro-F1 {semeval['macro_f1']:.3f}, macro-recall "
        f"{semeval['macro_recall']:.3f} |",
        f"| speed (`make bench`, {bench['machine']['cpus']} cores) | {onnx['ticket_tokens']}-token ticket "
        f"{onnx['warm_p50_ms']:.1f} ms p50, cold start {onnx['cold_start_s']:.2f} s, peak RSS "
        f"{onnx['peak_rss_mb']:.0f} MB |",
        _calibration_line(model_dir),
    ]
    return "\n".join([START, "| figure | value |", "|---|---|", *rows, END])


def current(text: str) -> str:
    if START not in text or END not in text:
        raise SystemExit(f"README.md has no {START} ... {END} block")
    return START + text.split(START, 1)[1].split(END, 1)[0] + END


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="fail with a diff when README.md has drifted")
    args = parser.parse_args(argv)
    text = README.read_text(encoding="utf-8")
    block, fresh = current(text), render()
    if args.check:
        if block != fresh:
            sys.stderr.write("README.md figures have drifted; run `python -m ticket_sentiment_tools.readme_figures`\n")
            sys.stderr.writelines(
                difflib.unified_diff(block.splitlines(keepends=True), fresh.splitlines(keepends=True))
            )
            return 1
        return 0
    README.write_text(text.replace(block, fresh), encoding="utf-8")
    print(f"wrote the figures block in {README}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
