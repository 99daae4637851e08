"""Export the trained model as one ONNX graph whose attention onnxruntime fuses, then quantise it.

transformers 5 builds its attention mask and scaled-dot-product attention from operators (Where, IsNaN,
masked fills) that onnxruntime's BERT fusion does not recognise: exported directly, each layer stays ~40 small
operators, about 1 ms of a 41-token ticket's ~5 ms on one CPU thread. `FusableEncoder` computes the same
function with the classic BERT pattern (additive -10000 mask, matmul, softmax, matmul) that the fusion was
written for, so each layer becomes one `Attention` operator, and int8 quantisation turns it into `QAttention`
(one int8 matrix product for query, key and value instead of three).

    export_onnx(model, tokenizer, path)    # fp32, attention fused
    quantize(path, int8_path, calibration_feeds(tokenizer, texts))
                                           # dynamic int8, per-channel weights, outlier channels fp32 (outliers.py)
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

# What model_meta.json says of the graph quantize() writes.
QUANTIZATION = (
    "dynamic int8, per-channel weights (onnxruntime quantize_dynamic); each feed-forward output product's "
    "4 outlier input channels in fp32"
)

# Larger than any attention logit, small enough that exp() of it is exactly 0 in float32.
_MASKED = -10000.0


class FusableEncoder(nn.Module):
    """A Hugging Face BERT-style encoder's forward pass written in the pattern onnxruntime fuses.

    Uses the wrapped encoder's own modules (embeddings, linear layers, layer norms), so no weight is copied;
    token type ids are all zero, as in the scorer.
    """

    def __init__(self, encoder: nn.Module) -> None:
        super().__init__()
        self.encoder = encoder
        config: Any = encoder.config
        self.heads = int(config.num_attention_heads)
        self.head_size = int(config.hidden_size) // self.heads
        if config.hidden_act != "gelu":
            raise ValueError(f"FusableEncoder implements gelu, not {config.hidden_act}")

    def _split_heads(self, x: torch.Tensor) -> torch.Tensor:
        return x.view(*x.size()[:-1], self.heads, self.head_size).permute(0, 2, 1, 3)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        encoder: Any = self.encoder
        embeddings: Any = encoder.embeddings
        positions = torch.arange(input_ids.size(1), dtype=torch.long, device=input_ids.device).unsqueeze(0)
        hidden: torch.Tensor = (
            embeddings.word_embeddings(input_ids)
            + embeddings.token_type_embeddings(torch.zeros_like(input_ids))
            + embeddings.position_embeddings(positions)
        )
        hidden = embeddings.LayerNorm(hidden)
        additive_mask = (1.0 - attention_mask[:, None, None, :].to(hidden.dtype)) * _MASKED
        for layer in encoder.encoder.layer:
            attention = layer.attention
            query = self._split_heads(attention.self.query(hidden))
            key = self._split_heads(attention.self.key(hidden))
            value = self._split_heads(attention.self.value(hidden))
            scores = torch.matmul(query, key.transpose(-1, -2)) / math.sqrt(self.head_size) + additive_mask
            context = torch.matmul(nn.functional.softmax(scores, dim=-1), value).permute(0, 2, 1, 3).contiguous()
            context = context.view(*context.size()[:-2], self.heads * self.head_size)
            attended = attention.output.LayerNorm(attention.output.dense(context) + hidden)
            inner = nn.functional.gelu(layer.intermediate.dense(attended))
            hidden = layer.output.LayerNorm(layer.output.dense(inner) + attended)
        return hidden


class _Exportable(nn.Module):
    """MultiTaskSentiment's forward (mean pooling, three heads) over the fusable encoder."""

    def __init__(self, model: Any) -> None:
        super().__init__()
        self.encoder = FusableEncoder(model.encoder)
        self.polarity, self.emotions, self.severity = model.polarity, model.emotions, model.severity

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        hidden = self.encoder(input_ids, attention_mask)
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-6)
        return self.polarity(pooled), self.emotions(pooled), self.severity(pooled)


def export_onnx(model: Any, tokenizer: Any, path: Path) -> dict[str, Any]:
    """Write `model` (a MultiTaskSentiment) to `path` as fp32 ONNX with attention fused.

    Checks the rewritten forward pass against the model's own before exporting.
    """
    model = model.eval()
    exportable = _Exportable(model).eval()
    enc = tokenizer(["export sample", "a second, longer export sample text"], padding=True, return_tensors="pt")
    with torch.no_grad():
        expected, got = (
            model(enc["input_ids"], enc["attention_mask"]),
            exportable(enc["input_ids"], enc["attention_mask"]),
        )
    diff = max(float((a - b).abs().max()) for a, b in zip(expected, got, strict=True))
    if diff > 1e-3:
        raise RuntimeError(f"the fusable forward pass differs from the model's by {diff:.2e}")
    unfused = path.with_name(path.name + ".unfused.tmp")
    try:
        torch.onnx.export(
            exportable,
            (enc["input_ids"], enc["attention_mask"]),
            str(unfused),
            input_names=["input_ids", "attention_mask"],
            output_names=["polarity_logits", "emotion_logits", "severity_logits"],
            dynamic_axes={
                "input_ids": {0: "batch", 1: "seq"},
                "attention_mask": {0: "batch", 1: "seq"},
                "polarity_logits": {0: "batch"},
                "emotion_logits": {0: "batch"},
                "severity_logits": {0: "batch"},
            },
            opset_version=17,
            dynamo=False,
        )
        fused = fuse_attention(unfused, path, model.encoder.config)
    finally:
        unfused.unlink(missing_ok=True)
    return {"forward_max_diff": diff, **fused}


def fuse_attention(source: Path, out: Path, config: Any) -> dict[str, Any]:
    """onnxruntime's BERT fusions (attention, skip layer norm, bias GELU) on an fp32 graph; every layer's
    attention must fuse, or the export pattern has drifted from what the fusion expects."""
    from onnxruntime.transformers import optimizer

    graph = optimizer.optimize_model(
        str(source), model_type="bert", num_heads=int(config.num_attention_heads), hidden_size=int(config.hidden_size)
    )
    stats = {name: count for name, count in graph.get_fused_operator_statistics().items() if count}
    layers = int(config.num_hidden_layers)
    if stats.get("Attention", 0) != layers:
        raise RuntimeError(f"expected {layers} fused Attention operators, got {stats}")
    graph.save_model_to_file(str(out))
    return {"fused_operators": stats}


def calibration_feeds(
    tokenizer: Any, texts: Sequence[str], max_len: int = 128, limit: int = 400
) -> list[dict[str, Any]]:
    """One unpadded feed per text, as the scorer runs them, for finding the outlier channels."""
    feeds = []
    for text in list(texts)[:limit]:
        enc = tokenizer([text], truncation=True, max_length=max_len, return_tensors="np")
        feeds.append({name: enc[name].astype(np.int64) for name in ("input_ids", "attention_mask")})
    return feeds


def quantize(
    fp32_path: Path, int8_path: Path, calibration: Sequence[dict[str, Any]] = (), outlier_channels: int = 4
) -> None:
    """Dynamic int8 with per-channel weights (plain per-tensor int8 loses too much accuracy); with calibration
    feeds, each feed-forward output product's `outlier_channels` largest input channels stay fp32
    (outliers.py)."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    from .outliers import split_outlier_channels

    with tempfile.TemporaryDirectory() as tmp:
        source, fp32_nodes = fp32_path, []
        if calibration and outlier_channels > 0:
            source = Path(tmp) / "split.onnx"
            fp32_nodes = split_outlier_channels(fp32_path, source, calibration, outlier_channels)
        # The fused operators are onnxruntime contrib ops that ONNX shape inference cannot type: their outputs
        # are float.
        quantize_dynamic(
            str(source),
            str(int8_path),
            per_channel=True,
            weight_type=QuantType.QInt8,
            nodes_to_exclude=fp32_nodes,
            extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
        )
