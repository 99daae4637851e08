"""Runs the real training code for a few steps on tiny data and exports, so the pipeline cannot rot."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch", reason="the training pipeline needs the train extra (torch)")

from sentiment_training.calibration import expected_calibration_error, fit_temperature
from sentiment_training.network import keep_layers
from sentiment_training.train import train
from ticket_sentiment.adapters.aws.onnx_scorer import OnnxSentimentScorer, default_model_dir

from .conftest import ROWS, tiny_config, write_csv


def test_train_export_quantise_and_score(tiny_data: Path, tmp_path: Path) -> None:
    out = tmp_path / "model"
    report = train(
        tiny_config(
            tiny_data,
            out_dir=out,
            steps=3,
        )
    )
    for name in ("model.onnx", "model.onnx.data", "tokenizer.json", "model_meta.json", "training_report.json"):
        assert (out / name).is_file(), name
    assert not (out / "model.fp32.onnx").exists()
    assert sorted(p.name for p in out.glob("*.onnx*")) == ["model.onnx", "model.onnx.data"]  # no temporaries
    assert report["graph_optimization"]["max_logit_diff_vs_unoptimized"] < 1e-4
    assert report["int8_vs_fp32"]["int8_mb"] < report["int8_vs_fp32"]["fp32_mb"] / 3
    assert report["int8_vs_fp32"]["label_agreement"] >= 0.5
    meta = json.loads((out / "model_meta.json").read_text())
    assert meta["graph_optimization"] == "ORT_ENABLE_EXTENDED"
    assert meta["onnx_external_data"] == "model.onnx.data"
    assert meta["polarity_temperature"] > 0
    assert set(meta["emotion_thresholds"]) == set(meta["emotions"])
    scorer = OnnxSentimentScorer(out)
    result = scorer.score_one("I'm still waiting for my refund")
    assert result.label in {"negative", "neutral", "positive"}
    assert sum(result.probabilities.values()) == pytest.approx(1, abs=1e-3)


def test_distilled_student_keeps_only_its_layers(tiny_data: Path, tmp_path: Path) -> None:
    """The second stage of `make model`: fewer layers, trained against an exported teacher's logits."""
    import onnx

    teacher = default_model_dir()  # the bundled model stands in for a freshly trained teacher
    out = tmp_path / "student"
    report = train(
        tiny_config(
            tiny_data,
            out_dir=out,
            steps=3,
            layers=(0,),
            teacher_dir=teacher,
            version="student-test",
        )
    )
    meta = json.loads((out / "model_meta.json").read_text())
    assert meta["encoder_layers"] == 1
    assert meta["distilled_from"] == json.loads((teacher / "model_meta.json").read_text())["version"]
    assert report["config"]["teacher_dir"] == str(teacher)

    ops = Counter(node.op_type for node in onnx.load(str(out / "model.onnx"), load_external_data=False).graph.node)
    # One layer: its attention fused into one int8 QAttention (query, key and value in one product), three more
    # int8 products (attention output, two feed-forward), and the three heads (polarity, emotions, severity).
    assert ops["QAttention"] == 1
    assert meta["fused_operators"]["Attention"] == 1
    assert ops["DynamicQuantizeMatMul"] + ops["MatMulIntegerToFloat"] + ops["MatMulInteger"] == 3 + 3
    result = OnnxSentimentScorer(out).score_one("I'm still waiting for my refund")
    assert sum(result.probabilities.values()) == pytest.approx(1, abs=1e-3)


def test_keep_layers_rejects_indices_outside_the_encoder() -> None:
    from torch import nn

    class _Config:
        num_hidden_layers = 2

    class _Encoder(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.layer = nn.ModuleList([nn.Linear(2, 2), nn.Linear(2, 2)])

    class _Model(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = _Encoder()
            self.config = _Config()

    model = _Model()
    with pytest.raises(ValueError, match="indices into the encoder's 2 layers"):
        keep_layers(model, (0, 2))
    keep_layers(model, (1,))
    assert len(model.encoder.layer) == 1
    assert model.config.num_hidden_layers == 1


def test_temperature_scaling_recovers_a_known_temperature() -> None:
    rng = np.random.default_rng(0)
    true_logits = rng.normal(0, 2, size=(4000, 3))
    probs = np.exp(true_logits) / np.exp(true_logits).sum(1, keepdims=True)
    labels = np.array([rng.choice(3, p=p) for p in probs])
    temperature = fit_temperature(true_logits * 3.0, labels)  # over-confident by 3x
    assert temperature == pytest.approx(3.0, rel=0.15)
    scaled = true_logits * 3.0 / temperature
    calibrated = np.exp(scaled) / np.exp(scaled).sum(1, keepdims=True)
    overconfident = np.exp(true_logits * 3) / np.exp(true_logits * 3).sum(1, keepdims=True)
    assert expected_calibration_error(calibrated, labels) < expected_calibration_error(overconfident, labels)


def test_finetune_cli_writes_a_model_and_a_comparison(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """finetune -> model layer -> local stack (moto) -> a message scored and stored with the new model's version:
    the path a deployer takes with `make layers MODEL=...` and `make demo MODEL=...`."""
    from ticket_sentiment_tools.cli import app
    from ticket_sentiment_tools.local_stack import LocalStack, start_moto
    from typer.testing import CliRunner

    from infra.layers import MODEL, layer_dir, model_version
    from infra.layers import main as build_layers
    from infra.local_deploy import local_layers

    tickets = tmp_path / "tickets.csv"
    write_csv(tickets, ["text", "label"], [[f"{t} (ref {i})", label] for i in range(5) for t, label in ROWS])
    out = tmp_path / "domain-model"
    version = "ticket-sentiment-minilm-finetuned-test"
    result = CliRunner().invoke(
        app, ["finetune", str(tickets), "--out", str(out), "--steps", "2", "--version", version]
    )
    assert result.exit_code == 0, result.output
    comparison = json.loads((out / "comparison.json").read_text())
    assert comparison["heldout_rows"] == 8
    assert comparison["train_rows"] == 32
    for model in ("bundled", "finetuned"):
        assert 0 <= comparison[model]["macro_recall"] <= 1
    assert OnnxSentimentScorer(out).version == version
    card = (out / "MODEL_CARD.md").read_text()
    assert version in card
    assert "| finetuned |" in card
    assert f"make layers MODEL={out}" in card

    # `make layers MODEL=out`: the model layer from the fine-tuned directory, complete (card included).
    assert build_layers(["--model-only", "--model", str(out), "--out", str(tmp_path / "layers")]) == 0
    layer = layer_dir(tmp_path / "layers", MODEL, "arm64") / "model"
    assert (layer / "MODEL_CARD.md").is_file()
    assert model_version(layer) == version
    # `make demo MODEL=out` / `local --model-dir out`: the local deploy's model layer follows the same directory.
    monkeypatch.setenv("TICKET_SENTIMENT_MODEL_DIR", str(out))
    assert model_version(layer_dir(local_layers(tmp_path / "local"), MODEL, "arm64") / "model") == version

    # The local stack scores with the layer's model, and the stored message records its version.
    from ticket_sentiment.handlers.ingest import build_app

    from ..unit.pipeline_fakes import api_event, event_payload, ref

    server, endpoint = start_moto()
    try:
        stack = LocalStack(endpoint, prefix="finetuned")
        stack.provision()
        payload = event_payload(ticket_id="FT-1", created_at=datetime.now(UTC).isoformat())  # inside ingest's window
        posted = build_app(stack.event_queue).resolve(api_event(json.dumps(payload)), None)  # type: ignore[arg-type]
        assert posted["statusCode"] == 202
        stack.pump_events(stack.scoring_service(OnnxSentimentScorer(layer)))
        ticket = stack.store().get_ticket(ref("FT-1", "other"))
        assert ticket is not None
        assert ticket.current is not None
        assert ticket.current.model_version == version
        assert ticket.model_version == version
    finally:
        server.stop()


def test_a_finetune_gets_its_own_version() -> None:
    from datetime import UTC, datetime

    from sentiment_training.finetune import finetuned_version

    version = finetuned_version(datetime(2026, 12, 7, 8, 30, tzinfo=UTC))
    assert version == "ticket-sentiment-minilm-finetuned-20261207T083000"


def test_regraph_rebuilds_an_unfused_int8_graph_without_changing_its_labels(tmp_path: Path) -> None:
    """The shipped student was exported before attention fusion: regraph rebuilds such a graph from its int8
    weights alone. Here an unfused one-layer graph is made the old way (the encoder exported as it is)."""
    import onnx
    import torch
    from sentiment_training.export_graph import quantize
    from sentiment_training.network import MultiTaskSentiment, base_model_dir
    from sentiment_training.regraph import regraph, weights_from_graph
    from transformers import AutoModel, AutoTokenizer

    torch.manual_seed(0)
    tokenizer = AutoTokenizer.from_pretrained(base_model_dir())
    encoder = AutoModel.from_pretrained(base_model_dir())
    keep_layers(encoder, (0,))
    wrapper = torch.nn.Module()  # the old export's wrapper: parameter names start with "model."
    wrapper.model = MultiTaskSentiment(encoder, 384, 8)
    wrapper.forward = wrapper.model.forward
    enc = tokenizer(["export sample", "a second, longer export sample text"], padding=True, return_tensors="pt")
    fp32 = tmp_path / "fp32.onnx"
    torch.onnx.export(
        wrapper.eval(),
        (enc["input_ids"], enc["attention_mask"]),
        str(fp32),
        input_names=["input_ids", "attention_mask"],
        output_names=["polarity_logits", "emotion_logits"],
        dynamic_axes={"input_ids": {0: "batch", 1: "seq"}, "attention_mask": {0: "batch", 1: "seq"}},
        opset_version=17,
        dynamo=False,
    )
    model_dir = tmp_path / "model"
    model_dir.mkdir()
    quantize(fp32, model_dir / "model.onnx")
    (model_dir / "model_meta.json").write_text(json.dumps({"version": "old-graph", "encoder_layers": 1}))
    unfused = weights_from_graph(model_dir / "model.onnx")
    assert "encoder.encoder.layer.0.attention.self.query.weight" in unfused

    texts = [
        "I'm still waiting for my refund",
        "thanks, that fixed it",
        "the app crashes at login",
        "ok",
        "third time I'm writing about this invoice",
        "where is my order?",
    ]
    report = regraph(model_dir, texts)
    assert report["vs_previous_graph"]["label_agreement"] == 1.0
    assert report["vs_previous_graph"]["mean_prob_diff"] < 0.01
    graph = onnx.load(str(model_dir / "model.onnx"), load_external_data=False).graph
    assert Counter(node.op_type for node in graph.node)["QAttention"] == 1
    assert json.loads((model_dir / "model_meta.json").read_text())["fused_operators"]["Attention"] == 1
    with pytest.raises(ValueError, match="already has fused attention"):
        regraph(model_dir, texts)
    # The fused graph still reads back: the same parameters, on the int8 grid they were re-quantised to.
    fused = weights_from_graph(model_dir / "model.onnx")
    assert set(fused) == set(unfused)
    for name, value in unfused.items():
        np.testing.assert_allclose(fused[name], value, atol=0.02 * float(np.abs(value).max()) + 1e-6, err_msg=name)


def test_severity_thresholds_keep_calm_complaints_out_of_very_negative() -> None:
    from sentiment_training.calibration import fit_severity_thresholds

    # Support calm complaints whose extreme share is 0.45, escalations at 0.9; SemEval's rare very_negatives at 0.3
    # would pull the threshold down to 0.3 if MAE^M alone decided.
    polarity = np.array([[0.9, 0.05, 0.05]] * 60)
    shares = [0.45] * 20 + [0.9] * 20 + [0.3] * 20
    severity = np.array([[s * 0.9, (1 - s) * 0.9, 0.1, 0.0, 0.0] for s in shares])
    levels = np.array([1] * 20 + [0] * 20 + [0] * 20)
    sources = ["team"] * 40 + ["semeval"] * 20
    fitted = fit_severity_thresholds(polarity, severity, levels, sources)
    assert 0.3 < fitted["thresholds"]["very_negative"] <= 0.9
    assert fitted["dev_calm_called_very_negative"] == 0.0
    unconstrained = fit_severity_thresholds(polarity, severity, levels, sources, max_calm_escalated=1.0)
    assert unconstrained["thresholds"]["very_negative"] <= 0.3


def test_five_level_labels_train_the_severity_head_and_none_switch_it_off(tiny_data: Path, tmp_path: Path) -> None:
    """With SemEval 4C's five-point tweets the export carries a used severity head; without five-level labels (a
    finetune on three-class tickets) the head is untrained, so the scorer must ignore it."""
    plain = tmp_path / "plain"
    train(
        tiny_config(
            tiny_data,
            out_dir=plain,
            steps=2,
        )
    )
    assert json.loads((plain / "model_meta.json").read_text())["severity_levels"] == []
    assert OnnxSentimentScorer(plain).score_one("I want to speak to a manager").level in {
        "negative",
        "neutral",
        "positive",
    }

    levels = ["very_negative", "negative", "neutral", "positive", "very_positive"]
    write_csv(
        tiny_data / "semeval2016_4c" / "train.csv",
        ["id", "topic", "score", "label", "text"],
        [[str(i), "t", str(i % 5 - 2), levels[i % 5], f"{text} {i}"] for i, (text, _) in enumerate(ROWS * 3)],
    )
    graded = tmp_path / "graded"
    report = train(
        tiny_config(
            tiny_data,
            out_dir=graded,
            steps=2,
        )
    )
    meta = json.loads((graded / "model_meta.json").read_text())
    assert meta["severity_levels"] == levels
    assert "severity_logits" in meta["onnx_outputs"]
    assert set(meta["severity_thresholds"]) == {"very_negative", "very_positive"}
    assert sum(report["level_counts"]) > 0
    result = OnnxSentimentScorer(graded).score_one("I want to speak to a manager")
    assert result.level in levels
    assert 0 <= result.intensity <= 1
