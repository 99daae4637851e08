"""The outlier-channel split (sentiment_training.outliers) on a small graph shaped like a BERT feed-forward block:
exact in fp32, and closer to fp32 than plain dynamic int8 once quantised."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch", reason="the training pipeline needs the train extra (torch)")

import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper
from sentiment_training.export_graph import quantize
from sentiment_training.outliers import PREFIX, feed_forward_outputs, split_outlier_channels

HIDDEN, INNER, TOKENS = 16, 64, 12


def _feed_forward(path: Path, rng: np.random.Generator) -> None:
    """x -> MatMul -> BiasGelu -> MatMul -> y, one GELU channel ~40x the others (as in MiniLM's early layers)."""
    w_in = rng.normal(0, 0.3, (HIDDEN, INNER)).astype(np.float32)
    w_in[:, 5] *= 40.0
    bias = rng.normal(0, 0.1, INNER).astype(np.float32)
    w_out = rng.normal(0, 0.3, (INNER, HIDDEN)).astype(np.float32)
    graph = helper.make_graph(
        [
            helper.make_node("MatMul", ["x", "w_in"], ["inner"], name="ffn_in"),
            helper.make_node("BiasGelu", ["inner", "bias"], ["gelu"], name="gelu", domain="com.microsoft"),
            helper.make_node("MatMul", ["gelu", "w_out"], ["y"], name="ffn_out"),
        ],
        "feed_forward",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, "tokens", HIDDEN])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, "tokens", HIDDEN])],
        [numpy_helper.from_array(a, n) for a, n in ((w_in, "w_in"), (bias, "bias"), (w_out, "w_out"))],
    )
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("com.microsoft", 1)]
    )
    model.ir_version = 8
    onnx.save_model(model, str(path))


def _run(path: Path, feeds: list[dict[str, np.ndarray]]) -> np.ndarray:
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return np.concatenate([session.run(["y"], feed)[0] for feed in feeds])


@pytest.fixture()
def graphs(tmp_path: Path) -> tuple[Path, list[dict[str, np.ndarray]], list[dict[str, np.ndarray]]]:
    rng = np.random.default_rng(7)
    _feed_forward(tmp_path / "fp32.onnx", rng)
    calibration = [{"x": rng.normal(0, 1, (1, TOKENS, HIDDEN)).astype(np.float32)} for _ in range(16)]
    held_out = [{"x": rng.normal(0, 1, (1, TOKENS, HIDDEN)).astype(np.float32)} for _ in range(32)]
    return tmp_path, calibration, held_out


def test_only_the_product_fed_by_a_gelu_is_split_and_the_split_graph_computes_the_same_function(
    graphs: tuple[Path, list[dict[str, np.ndarray]], list[dict[str, np.ndarray]]],
) -> None:
    folder, calibration, held_out = graphs
    assert [node.name for node in feed_forward_outputs(onnx.load(str(folder / "fp32.onnx")).graph)] == ["ffn_out"]
    fp32_nodes = split_outlier_channels(folder / "fp32.onnx", folder / "split.onnx", calibration, k=2)
    assert fp32_nodes == [f"{PREFIX}0/matmul"]
    graph = onnx.load(str(folder / "split.onnx")).graph
    channels = numpy_helper.to_array(next(i for i in graph.initializer if i.name == f"{PREFIX}0/channels"))
    assert 5 in channels.tolist()  # the channel made 40x larger is found
    np.testing.assert_allclose(
        _run(folder / "split.onnx", held_out), _run(folder / "fp32.onnx", held_out), rtol=1e-5, atol=1e-5
    )


def test_with_the_outliers_in_fp32_the_int8_graph_is_closer_to_fp32_than_plain_dynamic_int8(
    graphs: tuple[Path, list[dict[str, np.ndarray]], list[dict[str, np.ndarray]]],
) -> None:
    folder, calibration, held_out = graphs
    quantize(folder / "fp32.onnx", folder / "plain.onnx")
    quantize(folder / "fp32.onnx", folder / "split.onnx", calibration, outlier_channels=2)
    nodes = onnx.load(str(folder / "split.onnx")).graph.node
    assert any(n.name == f"{PREFIX}0/matmul" and n.op_type == "MatMul" for n in nodes)  # left in fp32
    reference = _run(folder / "fp32.onnx", held_out)
    plain = np.abs(_run(folder / "plain.onnx", held_out) - reference).mean()
    split = np.abs(_run(folder / "split.onnx", held_out) - reference).mean()
    assert split < plain / 2, (split, plain)
