"""Rebuild a shipped int8 model's graph with the current export, without its fp32 checkpoint.

Training writes the fp32 graph only long enough to quantise it, so a model trained elsewhere (the shipped
student was trained on a lent GPU) leaves behind int8 weights only. Those are enough to change the graph's
structure: every weight is dequantised (scale x (q - zero point)) into a MultiTaskSentiment, which is
exported, fused and quantised again (export_graph.py). Re-quantising per channel lands the matrices back on
the same int8 grid, except the fused query/key/value weights, which QAttention keeps at 7 bits; the check
against the original graph on the dev texts says what that costs.

    python -m sentiment_training.regraph layers/model
    python -m sentiment_training.regraph layers/model --again --version NEW   # a newer quantisation
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import torch
from ticket_sentiment.labels import EMOTIONS

from .export_graph import QUANTIZATION, calibration_feeds, export_onnx, quantize
from .optimize import model_mb, optimize_model_dir
from .outliers import PREFIX, SUM_SUFFIX
from .prune import resize_ffn

_QUANT_SUFFIX = "_quantized"


def _dequantize(initializers: dict[str, np.ndarray], name: str) -> np.ndarray:
    base = name[: -len(_QUANT_SUFFIX)]
    q = initializers[name].astype(np.float32)
    scale, zero = initializers[base + "_scale"].astype(np.float32), initializers[base + "_zero_point"]
    return np.asarray((q - zero.astype(np.float32)) * scale, dtype=np.float32)


def weights_from_graph(model_path: Path) -> dict[str, np.ndarray]:
    """Every parameter of a MultiTaskSentiment, by its PyTorch name, read from an exported int8 graph.

    Reads both exports. The old one (unfused attention) keeps float parameters' names under "model."; a
    quantised matrix is named by the node that consumes it ("/model/encoder/encoder/layer.0/attention/self/
    query/MatMul_quant" -> ...query.weight, transposed back to PyTorch's [out, in]). The fused one names
    float parameters under "encoder." (the FusableEncoder wrapper); layer i's query/key/value matrix is the
    i-th QAttention's, and every other matrix is named by the bias its product is added to (the fused skip
    layer norm's or bias GELU's bias input).
    """
    import onnx
    from onnx import numpy_helper

    graph = onnx.load(str(model_path)).graph
    initializers = {init.name: numpy_helper.to_array(init) for init in graph.initializer}
    fused = any(node.op_type in {"Attention", "QAttention"} for node in graph.node)
    prefix = "encoder." if fused else "model."
    weights: dict[str, np.ndarray] = {}
    for name, value in initializers.items():
        if name.endswith(("_scale", "_zero_point")):
            continue
        quantised = name.endswith(_QUANT_SUFFIX)
        param = name[: -len(_QUANT_SUFFIX)] if quantised else name
        if param.startswith(prefix):
            param = param.removeprefix(prefix)
        elif not (fused and param.startswith(("polarity.", "emotions.", "severity."))):
            continue
        if quantised:  # embeddings (Gather) and heads
            matrix = _dequantize(initializers, name)
            weights[param] = matrix if "embeddings" in param else matrix.T
        else:
            weights[param] = value.astype(np.float32)
    if fused:
        weights |= _fused_matrices(graph.node, initializers)
        return {name: np.ascontiguousarray(value) for name, value in weights.items()}
    for node in graph.node:
        for name in node.input:
            if name in initializers and name.endswith(_QUANT_SUFFIX) and not name.startswith("model."):
                module = node.name.lstrip("/").removeprefix("model/").rsplit("/", 1)[0].replace("/", ".")
                weights[f"{module}.weight"] = _dequantize(initializers, name).T
    return {name: np.ascontiguousarray(value) for name, value in weights.items()}


def _fused_matrices(nodes: Any, initializers: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The encoder matrices of a fused graph (see weights_from_graph), by PyTorch name."""
    producer = {output: node for node in nodes for output in node.output}
    weights: dict[str, np.ndarray] = {}
    attention = [node for node in nodes if node.op_type in {"Attention", "QAttention"}]
    for index, node in enumerate(attention):
        qkv = _dequantize(initializers, node.input[1]).T  # [3 * hidden, hidden]: query, key, value rows
        bias = initializers[node.input[2]].astype(np.float32)
        hidden = qkv.shape[1]
        for part, name in enumerate(("query", "key", "value")):
            module = f"encoder.encoder.layer.{index}.attention.self.{name}"
            weights[f"{module}.weight"] = qkv[part * hidden : (part + 1) * hidden]
            weights[f"{module}.bias"] = bias[part * hidden : (part + 1) * hidden]
    for node in nodes:
        bias_input = {"SkipLayerNormalization": 4, "BiasGelu": 1}.get(node.op_type)
        if bias_input is None or len(node.input) <= bias_input:
            continue
        bias = node.input[bias_input].removeprefix("encoder.")
        matmul = producer.get(node.input[0])
        if matmul is not None and matmul.name.startswith(PREFIX) and matmul.name.endswith(SUM_SUFFIX):
            matmul = producer.get(matmul.input[0])  # a split product (outliers.py): its int8 half has every row
        if not bias.endswith(".dense.bias") or matmul is None:
            continue
        weights[bias.removesuffix("bias") + "weight"] = _dequantize(initializers, matmul.input[1]).T
    return weights


def rebuild(model_dir: Path) -> Any:
    """A MultiTaskSentiment holding `model_dir`'s (dequantised) weights."""
    from transformers import AutoModel

    from .network import MultiTaskSentiment, base_model_dir, keep_layers

    meta = json.loads((model_dir / "model_meta.json").read_text())
    encoder = AutoModel.from_pretrained(base_model_dir())
    layers = int(meta.get("encoder_layers") or encoder.config.num_hidden_layers)
    keep_layers(encoder, tuple(range(layers)))
    model = MultiTaskSentiment(encoder, encoder.config.hidden_size, len(EMOTIONS))
    weights = weights_from_graph(model_dir / "model.onnx")
    resize_ffn(
        model, [int(weights[f"encoder.encoder.layer.{i}.intermediate.dense.weight"].shape[0]) for i in range(layers)]
    )
    state = model.state_dict()
    # Buffers, and the pooler the heads never read (mean pooling), are not in the graph.
    unused = ("position_ids", "token_type_ids")
    # A model exported before the severity head keeps its fresh initialisation: training teaches it.
    missing = sorted(
        name
        for name in set(state) - set(weights)
        if not name.startswith(("encoder.pooler.", "severity.")) and not name.endswith(unused)
    )
    if missing:
        raise RuntimeError(f"{model_dir / 'model.onnx'} lacks {missing[:5]}")
    for name, value in weights.items():
        if name not in state:
            raise RuntimeError(f"{name} is not a parameter of the model")
        if tuple(state[name].shape) != value.shape:
            raise RuntimeError(f"{name}: graph {value.shape}, model {tuple(state[name].shape)}")
    model.load_state_dict({name: torch.from_numpy(value) for name, value in weights.items()}, strict=False)
    return model.eval()


def polarity_probs(path: Path, texts: list[str], tokenizer: Any, max_len: int = 128) -> np.ndarray:
    """A graph's polarity probabilities on `texts`, one text per run as the scorer runs them (int8 activations
    are quantised per run, so batch mates would add noise)."""
    import onnxruntime as ort

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    probs = []
    for text in texts:
        enc = tokenizer([text], truncation=True, max_length=max_len, return_tensors="np")
        feed = {name: enc[name].astype(np.int64) for name in ("input_ids", "attention_mask")}
        logits = session.run(["polarity_logits"], feed)[0]
        z = np.exp(logits - logits.max(1, keepdims=True))
        probs.append(z / z.sum(1, keepdims=True))
    return np.concatenate(probs)


def compare(a: np.ndarray, b: np.ndarray) -> dict[str, float]:
    """Label agreement and probability differences of two graphs' polarity probabilities on the same texts."""
    diff = np.abs(a - b)
    return {
        "texts": len(a),
        "label_agreement": float((a.argmax(1) == b.argmax(1)).mean()),
        "max_prob_diff": float(diff.max()),
        "mean_prob_diff": float(diff.mean()),
    }


def regraph(
    model_dir: Path,
    texts: list[str],
    *,
    calibration_texts: list[str] | None = None,
    again: bool = False,
    version: str | None = None,
) -> dict[str, Any]:
    """Replace `model_dir/model.onnx` (and its weights file) with the rebuilt graph; returns the comparison.

    `texts` compare the old and new graphs; `calibration_texts` (training text) find the outlier channels
    quantize() keeps in fp32. A graph already exported with fused attention is rebuilt only when `again`
    (to apply a newer quantisation); `version` renames the model, as its scores change.
    """
    import onnx
    from transformers import AutoTokenizer

    from .network import base_model_dir

    graph_nodes = onnx.load(str(model_dir / "model.onnx"), load_external_data=False).graph.node
    if not again and any(node.op_type in {"Attention", "QAttention"} for node in graph_nodes):
        raise ValueError(f"{model_dir / 'model.onnx'} already has fused attention: nothing to rebuild")
    tokenizer = AutoTokenizer.from_pretrained(base_model_dir())
    model = rebuild(model_dir)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        fp32, int8 = work / "model.fp32.onnx", work / "model.onnx"
        exported = export_onnx(model, tokenizer, fp32)
        quantize(fp32, int8, calibration_feeds(tokenizer, calibration_texts or texts))
        graph = optimize_model_dir(work, update_meta=False)
        old = work / "previous.onnx"
        onnx.save_model(onnx.load(str(model_dir / "model.onnx")), str(old))  # inline: the data file moves next
        # Each graph runs the texts once; the three comparisons are read from those runs.
        probs = {
            name: polarity_probs(path, texts, tokenizer) for name, path in (("old", old), ("new", int8), ("fp32", fp32))
        }
        comparison = compare(probs["old"], probs["new"])
        fidelity = {"previous": compare(probs["fp32"], probs["old"]), "rebuilt": compare(probs["fp32"], probs["new"])}
        for name in ("model.onnx", graph["onnx_external_data"]):
            shutil.copy(work / name, model_dir / name)
            (model_dir / name).chmod(0o644)
    meta_path = model_dir / "model_meta.json"
    meta = json.loads(meta_path.read_text())
    meta.update({k: graph[k] for k in ("graph_optimization", "optimized_with", "onnx_external_data")})
    meta["fused_operators"] = exported["fused_operators"]
    meta["quantization"] = QUANTIZATION
    if version:
        meta["version"] = version
    meta_path.write_text(json.dumps(meta, indent=2) + "\n")
    result = {
        "export": exported,
        "graph": graph,
        "vs_previous_graph": comparison,
        "int8_vs_fp32": fidelity,
        "quantization": QUANTIZATION,
        "int8_mb": model_mb(model_dir / "model.onnx"),
    }
    report_path = model_dir / "training_report.json"
    if report_path.is_file():  # the model card reads how the shipped graph was made from here
        report = json.loads(report_path.read_text())
        report["regraph"] = result
        report_path.write_text(json.dumps(report, indent=2) + "\n")
    return result


def _dev_texts(data_dir: Path, limit: int) -> list[str]:
    import csv

    # Training texts, not the SemEval test set: the comparison reads no labels, but the benchmark stays unseen.
    path = data_dir / "semeval2017_4a" / "train.csv"
    texts: list[str] = []
    if path.is_file():
        with path.open(newline="", encoding="utf-8") as f:
            texts = [row["text"] for row in csv.DictReader(f)][-limit:]
    return texts or ["ok", "my refund is late again", "thanks, that fixed it"]


def _calibration_texts() -> list[str]:
    """The team's labelled support training split (committed with the repository): never a test split."""
    from .severity_eval import read_team_split

    try:
        return read_team_split("train")[0]
    except FileNotFoundError:
        return []


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model_dir", type=Path, nargs="?", default=Path("layers/model"))
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--texts", type=int, default=2000, help="texts to compare the old and new graph on")
    parser.add_argument("--again", action="store_true", help="rebuild a graph that already has fused attention")
    parser.add_argument("--version", default=None, help="the rebuilt model's version (its scores change)")
    args = parser.parse_args(argv)
    result = regraph(
        args.model_dir,
        _dev_texts(args.data, args.texts),
        calibration_texts=_calibration_texts(),
        again=args.again,
        version=args.version,
    )
    print(json.dumps(result, indent=2), flush=True)


if __name__ == "__main__":
    main()
