"""`ticket-sentiment finetune`: adapt the model to a team's own labelled tickets."""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path
from typing import Any

from ticket_sentiment.adapters.aws.onnx_scorer import OnnxSentimentScorer
from ticket_sentiment_tools.evaluation import evaluate, read_labelled_csv

from .train import TrainConfig, train

MIN_ROWS = 30


def _write_csv(path: Path, rows: list[tuple[str, str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["text", "label"])
        writer.writerows(rows)


def finetune_from_csv(tickets: Path, out_dir: Path, *, data_dir: Path | None = None, steps: int = 600,
                      baseline_dir: Path | None = None, seed: int = 20261125, holdout: float = 0.2,
                      ) -> dict[str, Any]:
    """Train on 80% of the user's tickets, then score the held-out 20% with the new and the bundled model."""
    texts, labels = read_labelled_csv(tickets)
    if len(texts) < MIN_ROWS:
        raise ValueError(f"{tickets}: {len(texts)} labelled rows; at least {MIN_ROWS} are needed to fine-tune")
    if len(set(labels)) < 2:
        raise ValueError(f"{tickets}: every row is labelled {labels[0]!r}; at least two classes are needed")
    rows = list(zip(texts, labels, strict=True))
    random.Random(seed).shuffle(rows)
    cut = max(1, int(len(rows) * holdout))
    heldout, train_rows = rows[:cut], rows[cut:]
    out_dir.mkdir(parents=True, exist_ok=True)
    _write_csv(out_dir / "train_split.csv", train_rows)
    _write_csv(out_dir / "heldout_split.csv", heldout)

    report = train(TrainConfig(data_dir=data_dir, out_dir=out_dir, user_csv=out_dir / "train_split.csv",
                               steps=steps, seed=seed, support_synthetic=2000,
                               version="ticket-sentiment-minilm-finetuned"))
    held_texts = [t for t, _ in heldout]
    held_labels = [label for _, label in heldout]
    comparison: dict[str, Any] = {"heldout_rows": len(heldout), "train_rows": len(train_rows)}
    for name, model_dir in (("bundled", baseline_dir), ("finetuned", out_dir)):
        try:
            scorer = OnnxSentimentScorer(model_dir)
        except Exception as exc:  # the bundled model may be absent in a bare checkout
            comparison[name] = {"error": str(exc)}
            continue
        result = evaluate(held_labels, [r.label for r in scorer.score(held_texts)])
        comparison[name] = {"accuracy": result.accuracy, "macro_f1": result.macro_f1,
                            "macro_recall": result.macro_recall,
                            "negative_recall": result.per_class["negative"].recall,
                            "negative_precision": result.per_class["negative"].precision}
    comparison["int8_vs_fp32"] = report["int8_vs_fp32"]
    (out_dir / "comparison.json").write_text(json.dumps(comparison, indent=2) + "\n")
    return comparison
