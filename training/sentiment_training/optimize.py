"""Ship the quantised graph the way the scorer loads fastest: pre-optimised, weights in a side file.

Two costs of every cold start move here, to build time:
1. onnxruntime rewrites a graph each time a session is created (constant folding, attention, layer-norm,
   GELU and int8 MatMul fusions): most of the session's initialisation for this model. The rewritten graph
   is saved once. Only the hardware-independent levels (basic + extended) are saved, so the file suits any
   CPU (x86_64 and arm64 alike); the scorer still asks for ORT_ENABLE_ALL, which finds nothing left to fuse
   in an optimised graph and still optimises a plain one. The fused operators are onnxruntime contrib ops:
   the file is for onnxruntime (the only run-time), from the version that wrote it on.
2. Parsing 23 MB of weights out of one protobuf. With the weights in `model.onnx.data` (ONNX external data)
   the graph file is small and onnxruntime memory-maps the weights instead of copying them.

    python -m sentiment_training.optimize layers/model   # in place; the training export runs it too
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np

GRAPH_OPTIMIZATION = "ORT_ENABLE_EXTENDED"
EXTERNAL_DATA = "model.onnx.data"


def optimize_for_load(model_path: Path, out_path: Path) -> dict[str, Any]:
    """Write `model_path` optimised at ORT_ENABLE_EXTENDED to `out_path`, weights to EXTERNAL_DATA beside it.

    `model_path` may hold its weights inline or externally; `out_path` must differ from it.
    """
    import onnx
    import onnxruntime as ort

    inline = out_path.with_name(out_path.name + ".inline.tmp")
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
    options.optimized_model_filepath = str(inline)
    ort.InferenceSession(str(model_path), options, providers=["CPUExecutionProvider"])
    try:
        graph = onnx.load(str(inline))
        data = out_path.with_name(EXTERNAL_DATA)
        data.unlink(missing_ok=True)  # onnx appends to an existing data file
        onnx.save_model(
            graph,
            str(out_path),
            save_as_external_data=True,
            all_tensors_to_one_file=True,
            location=EXTERNAL_DATA,
            size_threshold=1024,
        )
        data.chmod(0o644)  # onnx creates it owner-only; the layer zip must be world-readable
    finally:
        inline.unlink(missing_ok=True)
    return {
        "graph_optimization": GRAPH_OPTIMIZATION,
        "optimized_with": f"onnxruntime {ort.__version__}",
        "onnx_external_data": EXTERNAL_DATA,
    }


def max_output_diff(a_path: Path, b_path: Path, feeds: list[dict[str, np.ndarray]]) -> float:
    """Largest absolute difference between two graphs' outputs over `feeds` (same names in, same out)."""
    import onnxruntime as ort

    a, b = (ort.InferenceSession(str(p), providers=["CPUExecutionProvider"]) for p in (a_path, b_path))
    worst = 0.0
    for feed in feeds:
        for x, y in zip(a.run(None, feed), b.run(None, feed), strict=True):
            worst = max(worst, float(np.abs(np.asarray(x) - np.asarray(y)).max()))
    return worst


def _sample_feeds() -> list[dict[str, np.ndarray]]:
    rng = np.random.default_rng(0)
    feeds = []
    for batch, seq in ((1, 2), (1, 41), (4, 17), (8, 128)):
        ids = rng.integers(1000, 30000, size=(batch, seq), dtype=np.int64)
        mask = np.ones_like(ids)
        mask[1:, seq // 2 :] = 0  # padded rows
        feeds.append({"input_ids": ids, "attention_mask": mask})
    return feeds


def optimize_model_dir(model_dir: Path, *, update_meta: bool = True) -> dict[str, Any]:
    """Optimise `model_dir/model.onnx` in place, check it against the original and record it in the meta."""
    import onnx

    model = model_dir / "model.onnx"
    original = model_dir / "model.unoptimized.onnx"
    # Inline copy of the input: its weights may live in the EXTERNAL_DATA file that is about to be rewritten.
    onnx.save_model(onnx.load(str(model)), str(original))
    try:
        info = optimize_for_load(original, model)
        info["max_logit_diff_vs_unoptimized"] = max_output_diff(original, model, _sample_feeds())
    except BaseException:
        original.replace(model)  # leave the directory as it was: the graph inline, no side file
        (model_dir / EXTERNAL_DATA).unlink(missing_ok=True)
        raise
    original.unlink()
    meta_path = model_dir / "model_meta.json"
    if update_meta and meta_path.is_file():
        meta = json.loads(meta_path.read_text())
        meta.update({k: info[k] for k in ("graph_optimization", "optimized_with", "onnx_external_data")})
        meta_path.write_text(json.dumps(meta, indent=2) + "\n")
    return info


def model_mb(path: Path) -> float:
    """Size of an ONNX model with the external data files it references, in MB."""
    import onnx

    graph = onnx.load(str(path), load_external_data=False)
    files = {path} | {
        path.with_name(entry.value)
        for tensor in graph.graph.initializer
        for entry in tensor.external_data
        if entry.key == "location"
    }
    return round(sum(f.stat().st_size for f in files) / 1e6, 1)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model_dir", type=Path, nargs="?", default=Path("layers/model"))
    args = parser.parse_args(argv)
    print(json.dumps(optimize_model_dir(args.model_dir)), flush=True)


if __name__ == "__main__":
    main()
