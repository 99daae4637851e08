"""Draw the team's labelling sample from the unlabelled support requests, split by author.

Stratified with the current model (its polarity score in five bins) plus a stratum of messages with escalation cues
(cancel, manager, legal, repeated contact...), which the model alone under-samples; annotators never see the strata
or any model output. Authors are hashed into train/dev/test, so no customer sits in two splits.

    python -m sentiment_training.support_sample --data ../shared/data --out training/data/support_tweets
"""

from __future__ import annotations

import argparse
import csv
import random
import re
from collections import Counter
from pathlib import Path

from .data import stable_fraction

SUPPORT_CSV = Path("support_tweets/spotifycares_inbound.csv")
ESCALATION_CUES = re.compile(
    r"\b(cancel\w*|unsubscrib\w*|switch\w* to|apple music|manager|supervisor|escalat\w*|lawyer|legal|sue|"
    r"chargeback|refund|scam\w*|fraud|ridiculous|unacceptable|worst|disgust\w*|pathetic|joke|"
    r"(second|third|fourth|fifth|\d+(st|nd|rd|th)) time|again|still|days?|weeks?|f+u+c+k\w*|wtf|shit\w*)\b",
    re.IGNORECASE,
)
SCORE_BINS = (-1.01, -0.9, -0.5, 0.0, 0.5, 1.01)
SPLIT_SHARES = (("test", 0.30), ("dev", 0.12), ("train", 0.58))


def author_split(author_id: str) -> str:
    """Deterministic split of an author (a stable hash, not Python's salted one)."""
    h = stable_fraction(author_id)
    edge = 0.0
    for name, share in SPLIT_SHARES:
        edge += share
        if h < edge:
            return name
    return SPLIT_SHARES[-1][0]


def score_bin(score: float) -> int:
    return next(i for i in range(len(SCORE_BINS) - 1) if SCORE_BINS[i] <= score < SCORE_BINS[i + 1])


def _parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--out", type=Path, default=Path("training/data/support_tweets"))
    parser.add_argument("--size", type=int, default=2200)
    parser.add_argument("--double", type=int, default=300)
    parser.add_argument("--batches", type=int, default=4)
    parser.add_argument("--seed", type=int, default=20261207)
    parser.add_argument(
        "--round",
        type=int,
        default=1,
        help="a later round samples only messages no earlier round took (files sample_N.csv, batch_N_*.csv)",
    )
    parser.add_argument("--splits", default="train,dev,test", help="author splits to sample from")
    parser.add_argument("--model", type=Path, default=None, help="model directory to stratify with")
    return parser.parse_args()


def candidates(data: Path, taken: set[str], splits: set[str]) -> list[dict[str, str]]:
    """The support requests with some words in them (not only mentions and links), not yet taken, by authors in
    `splits`."""
    return [
        r
        for r in csv.DictReader((data / SUPPORT_CSV).open(encoding="utf-8"))
        if re.search(r"[^\W\d_]{2,}", re.sub(r"@\w+|https?://\S+", "", r["text"]))
        and r["id"] not in taken
        and author_split(r["author_id"]) in splits
    ]


def strata_of(rows: list[dict[str, str]], scores: list[float]) -> dict[str, list[int]]:
    """Row indices per stratum: negative messages with escalation cues, then the score bins."""
    strata: dict[str, list[int]] = {}
    for i, (row, score) in enumerate(zip(rows, scores, strict=True)):
        key = "cue" if ESCALATION_CUES.search(row["text"]) and score < 0 else f"bin{score_bin(score)}"
        strata.setdefault(key, []).append(i)
    return strata


def choose(strata: dict[str, list[int]], size: int, rng: random.Random) -> list[int]:
    """Equal shares per stratum (capped by its size), so every level gets enough examples; the rest at random."""
    per = size // len(strata)
    chosen: list[int] = []
    for key in sorted(strata):
        pool = strata[key][:]
        rng.shuffle(pool)
        chosen += pool[:per]
    rest = [i for key in sorted(strata) for i in strata[key] if i not in set(chosen)]
    rng.shuffle(rest)
    chosen += rest[: size - len(chosen)]
    rng.shuffle(chosen)
    return chosen


def _write_texts(path: Path, rows: list[dict[str, str]], indices: list[int]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "text"])
        for i in indices:
            writer.writerow([rows[i]["id"], rows[i]["text"]])


def write_files(
    args: argparse.Namespace,
    rows: list[dict[str, str]],
    chosen: list[int],
    stratum_of: dict[int, str],
    rng: random.Random,
) -> None:
    """The sample with its splits and strata, and the annotators' batches (id and text only, blind to the model and
    the strata), one of them the second pass over a spread of the sample."""
    args.out.mkdir(parents=True, exist_ok=True)
    suffix = "" if args.round == 1 else f"_{args.round}"
    with (args.out / f"sample{suffix}.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "author_id", "split", "stratum", "text"])
        for i in chosen:
            r = rows[i]
            writer.writerow([r["id"], r["author_id"], author_split(r["author_id"]), stratum_of[i], r["text"]])
    for b in range(args.batches):
        _write_texts(args.out / f"batch{suffix}_{b + 1}.csv", rows, chosen[b :: args.batches])
    if args.double:
        double = chosen[:: max(1, len(chosen) // args.double)][: args.double]
        _write_texts(args.out / f"batch{suffix}_second_pass.csv", rows, sorted(double, key=lambda _: rng.random()))


def main() -> None:
    args = _parse_args()
    splits = set(args.splits.split(","))
    taken = (
        {row["id"] for path in args.out.glob("sample*.csv") for row in csv.DictReader(path.open(encoding="utf-8"))}
        if args.round > 1
        else set()
    )

    from ticket_sentiment.adapters.aws.onnx_scorer import get_scorer

    rows = candidates(args.data, taken, splits)
    scorer = get_scorer(str(args.model) if args.model else None)
    scores = [r.score for r in scorer.score([r["text"] for r in rows], ticket_body=False)]
    strata = strata_of(rows, scores)
    rng = random.Random(args.seed)
    chosen = choose(strata, args.size, rng)
    stratum_of = {i: key for key, members in strata.items() for i in members}
    write_files(args, rows, chosen, stratum_of, rng)
    print(Counter(stratum_of[i] for i in chosen), Counter(author_split(rows[i]["author_id"]) for i in chosen))


if __name__ == "__main__":
    main()
