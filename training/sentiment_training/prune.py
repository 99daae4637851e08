"""Structured pruning of the encoder's feed-forward blocks: fewer intermediate neurons, less int8 matrix work.

Two thirds of a MiniLM layer's multiply-adds per token are its feed-forward block (384 -> 1536 -> 384). Neurons
are removed whole (a row of the first matrix, its bias, a column of the second), so the pruned model is a
smaller dense model that exports and quantises like any other. Which neurons go is measured on real text:
a neuron's importance is its mean absolute activation over the tokens of `texts` times the norm of the
weights it writes back, i.e. how much it typically adds to the residual stream. Training afterwards
(distillation from the teacher, train.py `--ffn-width`) recovers what the removed neurons carried.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn


def ffn_widths(model: Any) -> list[int]:
    return [int(layer.intermediate.dense.out_features) for layer in model.encoder.encoder.layer]


def set_ffn_width(layer: Any, keep: torch.Tensor) -> None:
    """Keep only the intermediate neurons at indices `keep` of one BERT layer (in place)."""
    first: nn.Linear = layer.intermediate.dense
    second: nn.Linear = layer.output.dense
    keep = keep.sort().values.to(first.weight.device)
    new_first = nn.Linear(first.in_features, len(keep), device=first.weight.device, dtype=first.weight.dtype)
    new_second = nn.Linear(len(keep), second.out_features, device=second.weight.device, dtype=second.weight.dtype)
    with torch.no_grad():
        new_first.weight.copy_(first.weight[keep])
        new_first.bias.copy_(first.bias[keep])
        new_second.weight.copy_(second.weight[:, keep])
        new_second.bias.copy_(second.bias)
    layer.intermediate.dense = new_first
    layer.output.dense = new_second


def resize_ffn(model: Any, widths: list[int]) -> None:
    """Give each layer a feed-forward block of the given width (its first neurons; for loading weights into)."""
    for layer, width in zip(model.encoder.encoder.layer, widths, strict=True):
        if width != layer.intermediate.dense.out_features:
            set_ffn_width(layer, torch.arange(width))
    model.encoder.config.intermediate_size = max(widths)


def ffn_importance(
    model: Any, tokenizer: Any, texts: list[str], *, max_len: int, batch_size: int = 64
) -> list[torch.Tensor]:
    """Per layer, each intermediate neuron's mean |activation| over real tokens x the norm of its output weights."""
    layers = list(model.encoder.encoder.layer)
    sums = [torch.zeros(layer.intermediate.dense.out_features) for layer in layers]
    tokens = 0
    mask: torch.Tensor | None = None

    def hook(index: int) -> Any:
        def record(_module: nn.Module, _inputs: Any, output: torch.Tensor) -> None:
            assert mask is not None
            sums[index] += (output.abs() * mask).sum(dim=(0, 1)).float().cpu()

        return record

    handles = [layer.intermediate.register_forward_hook(hook(i)) for i, layer in enumerate(layers)]
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    try:
        with torch.inference_mode():
            for start in range(0, len(texts), batch_size):
                enc = tokenizer(
                    texts[start : start + batch_size],
                    padding=True,
                    truncation=True,
                    max_length=max_len,
                    return_tensors="pt",
                )
                attention = enc["attention_mask"].to(device)
                mask = attention.unsqueeze(-1).to(torch.float32)
                tokens += int(attention.sum())
                model(enc["input_ids"].to(device), attention)
    finally:
        for handle in handles:
            handle.remove()
        model.train(was_training)
    return [
        (total / max(tokens, 1)) * layer.output.dense.weight.detach().float().cpu().norm(dim=0)
        for total, layer in zip(sums, layers, strict=True)
    ]


def prune_ffn(model: Any, width: int, importance: list[torch.Tensor]) -> dict[str, Any]:
    """Keep the `width` most important intermediate neurons of every layer; returns what was kept."""
    before = ffn_widths(model)
    if not 1 <= width <= min(before):
        raise ValueError(f"feed-forward width {width} must be between 1 and the current {min(before)}")
    kept_share = []
    for layer, scores in zip(model.encoder.encoder.layer, importance, strict=True):
        keep = scores.argsort(descending=True)[:width]
        kept_share.append(round(float(scores[keep].sum() / scores.sum()), 4))
        set_ffn_width(layer, keep)
    model.encoder.config.intermediate_size = width
    return {
        "ffn_width_before": before,
        "ffn_width": width,
        "importance_kept_share": kept_share,
        "importance": "mean |activation| over tokens x norm of the output weights",
    }
