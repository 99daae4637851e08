"""Merge the annotators' batches into the team's labelled set and measure their agreement.

Inputs (training/data/support_tweets/): `sample.csv` (id, author_id, split, stratum, text), `labels_batch_*.csv`
(id, level: the first annotator's labels, which the set keeps) and `labels_second_pass.csv` (an independent second
annotator on 300 of the same messages). Writes `labels.csv` (id, author_id, split, round, level, text; `skip`
rows dropped; round: the `sample_N.csv` the message was drawn in) and `agreement.json` (Cohen's
quadratic-weighted kappa, exact and within-one agreement, the confusion).

    python -m sentiment_training.support_labels training/data/support_tweets
"""

from __future__ import annotations

import argparse
import csv
import json
from collections import Counter
from pathlib import Path
from typing import Any

from sklearn.metrics import cohen_kappa_score, confusion_matrix
from ticket_sentiment.labels import SEVERITY_LEVELS

from .data import polarity_of_level


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def agreement(first: dict[str, str], second: dict[str, str]) -> dict[str, Any]:
    """Agreement of two annotators on the ids both labelled (skips excluded)."""
    ids = sorted(i for i in second if i in first and "skip" not in {first[i], second[i]})
    a = [SEVERITY_LEVELS.index(first[i]) for i in ids]
    b = [SEVERITY_LEVELS.index(second[i]) for i in ids]
    three = [polarity_of_level(x) for x in a], [polarity_of_level(x) for x in b]
    return {
        "messages": len(ids),
        "quadratic_weighted_kappa": round(float(cohen_kappa_score(a, b, weights="quadratic")), 4),
        "linear_weighted_kappa": round(float(cohen_kappa_score(a, b, weights="linear")), 4),
        "exact_agreement": round(sum(x == y for x, y in zip(a, b, strict=True)) / len(ids), 4),
        "within_one_level": round(sum(abs(x - y) <= 1 for x, y in zip(a, b, strict=True)) / len(ids), 4),
        "three_class_kappa": round(float(cohen_kappa_score(*three)), 4),
        "confusion_first_rows_second_columns": confusion_matrix(a, b, labels=range(5)).tolist(),
        "levels": list(SEVERITY_LEVELS),
    }


def sample_round(path: Path) -> int:
    """The labelling round a sample file holds: `sample.csv` is round 1, `sample_N.csv` round N."""
    suffix = path.stem.removeprefix("sample").removeprefix("_")
    return int(suffix) if suffix else 1


def merge(folder: Path) -> dict[str, Any]:
    sample = {
        row["id"]: {**row, "round": str(sample_round(path))}
        for path in sorted(folder.glob("sample*.csv"))
        for row in _read(path)
    }
    first: dict[str, str] = {}
    for batch in sorted(folder.glob("labels_batch*.csv")):
        for row in _read(batch):
            level = row["level"].strip()
            if level not in (*SEVERITY_LEVELS, "skip"):
                raise ValueError(f"{batch.name}: id {row['id']} has unknown level {level!r}")
            first[row["id"]] = level
    unlabelled = sorted(set(sample) - set(first))
    if unlabelled:
        raise ValueError(f"{len(unlabelled)} sampled messages have no label, e.g. {unlabelled[:3]}")
    with (folder / "labels.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "author_id", "split", "round", "level", "text"])
        for message_id, row in sample.items():
            if first[message_id] != "skip":
                writer.writerow(
                    [message_id, row["author_id"], row["split"], row["round"], first[message_id], row["text"]]
                )
    kept = [i for i in sample if first[i] != "skip"]
    summary: dict[str, Any] = {
        "labelled": len(kept),
        "skipped": len(sample) - len(kept),
        "by_split": {
            split: dict(Counter(first[i] for i in kept if sample[i]["split"] == split))
            for split in ("train", "dev", "test")
        },
    }
    second_path = folder / "labels_second_pass.csv"
    if second_path.is_file():
        second = {row["id"]: row["level"].strip() for row in _read(second_path)}
        summary["agreement"] = agreement(first, second)
    (folder / "agreement.json").write_text(json.dumps(summary, indent=2) + "\n")
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("folder", type=Path, nargs="?", default=Path("training/data/support_tweets"))
    print(json.dumps(merge(parser.parse_args().folder), indent=2))


if __name__ == "__main__":
    main()
