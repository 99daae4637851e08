"""Feed-forward pruning (prune.py) and training from a pruned, exported model (`make model`'s third stage)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import pytest

torch = pytest.importorskip("torch", reason="the training pipeline needs the train extra (torch)")

from sentiment_training.network import MultiTaskSentiment, base_model_dir, keep_layers  # noqa: E402
from sentiment_training.prune import ffn_importance, ffn_widths, prune_ffn  # noqa: E402
from sentiment_training.train import train  # noqa: E402
from ticket_sentiment.adapters.aws.onnx_scorer import OnnxSentimentScorer  # noqa: E402

from .conftest import tiny_config  # noqa: E402

TEXTS = [
    "I'm still waiting for my refund",
    "thanks, that fixed it",
    "the app crashes at login",
    "third time I'm writing about this invoice",
    "where is my order?",
    "ok",
]


@pytest.fixture(scope="module")
def tokenizer() -> object:
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(base_model_dir())


def _model(layers: tuple[int, ...] = (0, 1)) -> Any:  # Any: transformers modules are typed loosely
    from transformers import AutoModel

    torch.manual_seed(0)
    encoder = AutoModel.from_pretrained(base_model_dir())
    keep_layers(encoder, layers)
    return MultiTaskSentiment(encoder, 384, 8).eval()


def _logits(model: MultiTaskSentiment, tokenizer: object) -> np.ndarray:
    enc = tokenizer(TEXTS, padding=True, return_tensors="pt")  # type: ignore[operator]
    with torch.no_grad():
        polarity, emotions, severity = model(enc["input_ids"], enc["attention_mask"])
    return np.concatenate([polarity.numpy(), emotions.numpy(), severity.numpy()], axis=1)


def test_a_neuron_that_writes_nothing_is_pruned_first_and_changes_nothing(tokenizer: object) -> None:
    model = _model()
    silent = 17
    with torch.no_grad():
        for layer in model.encoder.encoder.layer:
            layer.output.dense.weight[:, silent] = 0.0
    before = _logits(model, tokenizer)
    importance = ffn_importance(model, tokenizer, TEXTS, max_len=32)
    assert all(float(scores[silent]) == 0.0 for scores in importance)
    assert all(float(scores.min()) == 0.0 and float(scores.max()) > 0 for scores in importance)

    report = prune_ffn(model, 1535, importance)
    assert ffn_widths(model) == [1535, 1535]
    assert report["ffn_width_before"] == [1536, 1536]
    assert report["importance_kept_share"] == [1.0, 1.0]
    np.testing.assert_allclose(_logits(model, tokenizer), before, atol=1e-5)


def test_pruning_keeps_the_most_important_neurons_in_order(tokenizer: object) -> None:
    model = _model((0,))
    layer = model.encoder.encoder.layer[0]
    original = layer.intermediate.dense.weight.detach().clone()
    importance = ffn_importance(model, tokenizer, TEXTS, max_len=32)
    report = prune_ffn(model, 256, importance)
    kept = importance[0].argsort(descending=True)[:256].sort().values
    torch.testing.assert_close(layer.intermediate.dense.weight, original[kept])
    assert layer.output.dense.in_features == 256
    assert model.encoder.config.intermediate_size == 256
    assert 256 / 1536 < report["importance_kept_share"][0] < 1.0  # the kept sixth carries more than a sixth
    with pytest.raises(ValueError, match="between 1 and the current 256"):
        prune_ffn(model, 512, importance)


def test_fused_graph_weights_read_back_and_a_pruned_model_trains_on(
    tiny_data: Path, tmp_path: Path, tokenizer: object
) -> None:
    """Stage three of `make model`: start from an exported (fused, int8) model, prune, train, export again."""
    from sentiment_training.export_graph import export_onnx, quantize
    from sentiment_training.regraph import rebuild, regraph, weights_from_graph

    first = tmp_path / "first"
    train(
        tiny_config(
            tiny_data,
            out_dir=first,
            steps=2,
            layers=(0, 1),
            version="first",
        )
    )
    # The int8 graph holds every weight: read back, they give the model the graph computes.
    weights = weights_from_graph(first / "model.onnx")
    assert weights["encoder.encoder.layer.1.attention.self.value.weight"].shape == (384, 384)
    assert weights["encoder.encoder.layer.1.intermediate.dense.weight"].shape == (1536, 384)
    # ... including each feed-forward output matrix, whose product is split around its outlier channels
    assert weights["encoder.encoder.layer.1.output.dense.weight"].shape == (384, 1536)
    graph = onnx.load(str(first / "model.onnx"), load_external_data=False).graph
    assert sum(node.name.endswith("/sum") and node.name.startswith("outliers/") for node in graph.node) == 2
    rebuilt = rebuild(first)
    scorer = OnnxSentimentScorer(first)
    enc = tokenizer(TEXTS, padding=True, return_tensors="np")  # type: ignore[operator]
    graph_logits = scorer.session.run(
        ["polarity_logits"], {k: enc[k].astype(np.int64) for k in ("input_ids", "attention_mask")}
    )[0]
    np.testing.assert_allclose(_logits(rebuilt, tokenizer)[:, :3], graph_logits, atol=0.25)  # int8 activations
    with pytest.raises(ValueError, match="already has fused attention"):
        regraph(first, TEXTS)
    # Rebuilt again (a newer quantisation), under a new version, it keeps its labels and its weights.
    again = regraph(first, TEXTS, calibration_texts=TEXTS, again=True, version="first-requantised")
    assert again["vs_previous_graph"]["label_agreement"] == 1.0
    assert json.loads((first / "model_meta.json").read_text())["version"] == "first-requantised"
    for name, value in weights_from_graph(first / "model.onnx").items():
        np.testing.assert_allclose(value, weights[name], atol=0.02 * float(np.abs(weights[name]).max()) + 1e-6)

    pruned = tmp_path / "pruned"
    report = train(
        tiny_config(
            tiny_data,
            out_dir=pruned,
            steps=2,
            init_from=first,
            ffn_width=128,
            prune_texts=16,
            version="pruned",
        )
    )
    meta = json.loads((pruned / "model_meta.json").read_text())
    assert meta["ffn_width"] == 128
    assert meta["encoder_layers"] == 2
    assert meta["initialized_from"] == "first-requantised"
    assert report["pruning"]["ffn_width_before"] == [1536, 1536]
    assert report["initialized_from_report"]["config"]["version"] == "first"
    assert rebuild(pruned).encoder.encoder.layer[0].intermediate.dense.out_features == 128
    result = OnnxSentimentScorer(pruned).score_one("I'm still waiting for my refund")
    assert sum(result.probabilities.values()) == pytest.approx(1, abs=1e-3)

    # A pruned model exports with the same fused graph as a full one.
    fp32 = tmp_path / "again.fp32.onnx"
    assert export_onnx(rebuild(pruned), tokenizer, fp32)["fused_operators"]["Attention"] == 2
    quantize(fp32, tmp_path / "again.onnx")
