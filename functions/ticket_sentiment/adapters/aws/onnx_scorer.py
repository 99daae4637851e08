"""The run-time scorer: onnxruntime + tokenizers + numpy, loaded once per process."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import onnxruntime as ort
from tokenizers import Tokenizer

from ...labels import EMOTIONS_CONTRADICTING
from ...language import MODEL_LANGUAGES, detect_language
from ...low_signal import CONTENT_WORD, is_low_signal
from ...models import EmotionScore, ModelMeta, SentimentResult
from ...settings import MODEL_DIR
from ...severity import decide_level, extreme_shares, five_level_distribution, polarity_and_intensity
from ...textprep import normalize_for_model, prepare_ticket_text


class ModelNotFoundError(RuntimeError):
    """The model directory is missing or incomplete."""


def default_model_dir() -> Path:
    """$TICKET_SENTIMENT_MODEL_DIR, else the Lambda layer path, else the repository's layers/model."""
    env = os.environ.get(MODEL_DIR)
    if env:
        return Path(env)
    layer = Path("/opt/model")
    if (layer / "model.onnx").exists():
        return layer
    return Path(__file__).resolve().parents[4] / "layers" / "model"


@dataclass(frozen=True)
class _Window:
    text_index: int
    ids: list[int]


class OnnxSentimentScorer:
    """Scores texts one window per run by default; long texts are split into overlapping windows and aggregated.

    Dynamic int8 quantises activations with one scale per input tensor, so in a batch a text's score moves with its
    batch mates (the six-layer model moved one by 0.12). One window per run makes a ticket's score independent of
    whatever else its SQS batch held; `batch_size` > 1 trades that for throughput in offline jobs that want it.
    """

    def __init__(
        self, model_dir: Path | None = None, *, intra_op_threads: int = 1, batch_size: int = 1, window_stride: int = 96
    ) -> None:
        model_dir = model_dir or default_model_dir()
        paths = {name: model_dir / name for name in ("model.onnx", "tokenizer.json", "model_meta.json")}
        missing = [name for name, p in paths.items() if not p.is_file()]
        if missing:
            raise ModelNotFoundError(f"model directory {model_dir} lacks {', '.join(missing)}; run `make model`")
        self.meta = ModelMeta.model_validate_json(paths["model_meta.json"].read_text())
        if self.meta.onnx_external_data and not (model_dir / self.meta.onnx_external_data).is_file():
            raise ModelNotFoundError(
                f"model directory {model_dir} lacks {self.meta.onnx_external_data}, "
                "the weights of model.onnx; run `make model`"
            )
        self.tokenizer = Tokenizer.from_file(str(paths["tokenizer.json"]))
        self.tokenizer.no_padding()
        self.tokenizer.no_truncation()
        self._cls = self._token_id("[CLS]")
        self._sep = self._token_id("[SEP]")
        self._pad = self._token_id("[PAD]")
        options = ort.SessionOptions()
        options.intra_op_num_threads = intra_op_threads
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = ort.InferenceSession(str(paths["model.onnx"]), options, providers=["CPUExecutionProvider"])
        self.batch_size = batch_size
        self.body_tokens = self.meta.max_length - 2
        self.window_stride = min(window_stride, self.body_tokens)
        self._thresholds = [self.meta.emotion_thresholds.get(e, 0.5) for e in self.meta.emotions]
        outputs = {output.name for output in self.session.get_outputs()}
        # A model exported before the severity head still scores: levels then stop at negative/positive.
        self._severity = bool(self.meta.severity_levels) and "severity_logits" in outputs
        self._outputs = ["polarity_logits", "emotion_logits"] + (["severity_logits"] if self._severity else [])

    def _token_id(self, token: str) -> int:
        token_id = self.tokenizer.token_to_id(token)
        if token_id is None:
            raise ModelNotFoundError(f"tokenizer has no {token} token")
        return int(token_id)

    @property
    def version(self) -> str:
        return self.meta.version

    def _windows(self, texts: Sequence[str]) -> list[_Window]:
        windows = []
        # The _fast variant skips character offsets, which the scorer never reads: the same ids, ~20% sooner.
        encodings = self.tokenizer.encode_batch_fast(list(texts), add_special_tokens=False)
        for i, enc in enumerate(encodings):
            ids = enc.ids
            starts = range(0, max(len(ids) - self.body_tokens, 0) + 1, self.window_stride)
            last = list(starts)
            if last and last[-1] + self.body_tokens < len(ids):
                last.append(len(ids) - self.body_tokens)  # the tail of a long message is often the ask
            for start in last:
                windows.append(_Window(i, [self._cls, *ids[start : start + self.body_tokens], self._sep]))
        return windows

    def _run(self, windows: list[_Window]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Logits for every window (polarity, emotions, severity), batched by similar length so padding stays
        small."""
        order = sorted(range(len(windows)), key=lambda k: len(windows[k].ids))
        pol = np.zeros((len(windows), len(self.meta.polarity_labels)), dtype=np.float32)
        emo = np.zeros((len(windows), len(self.meta.emotions)), dtype=np.float32)
        sev = np.zeros((len(windows), len(self.meta.severity_levels)), dtype=np.float32)
        for start in range(0, len(order), self.batch_size):
            idx = order[start : start + self.batch_size]
            width = max(len(windows[k].ids) for k in idx)
            input_ids = np.full((len(idx), width), self._pad, dtype=np.int64)
            mask = np.zeros((len(idx), width), dtype=np.int64)
            for row, k in enumerate(idx):
                ids = windows[k].ids
                input_ids[row, : len(ids)] = ids
                mask[row, : len(ids)] = 1
            outputs = self.session.run(self._outputs, {"input_ids": input_ids, "attention_mask": mask})
            pol[idx], emo[idx] = outputs[0], outputs[1]
            if self._severity:
                sev[idx] = outputs[2]
        return pol, emo, sev

    def score_prepared(self, texts: Sequence[str], languages: Sequence[str] | None = None) -> list[SentimentResult]:
        """Score texts that are already cleaned with `prepare_ticket_text` or `normalize_for_model`."""
        languages = languages or [detect_language(t) for t in texts]
        # A language the model was not trained on gets no label from it, not a confident guess (see _empty).
        non_empty = [i for i, t in enumerate(texts) if CONTENT_WORD.search(t) and self.covers_language(languages[i])]
        windows = self._windows([texts[i] for i in non_empty])
        pol_probs, emo_probs, sev_probs, window_counts = self._per_text(
            windows, len(non_empty), *self._probabilities(windows)
        )
        if not self.meta.emotions_trained:
            emo_probs = np.zeros((len(non_empty), 0))
        return self._assemble(texts, languages, non_empty, (pol_probs, emo_probs, sev_probs), window_counts)

    def _assemble(
        self,
        texts: Sequence[str],
        languages: Sequence[str],
        non_empty: list[int],
        probabilities: tuple[np.ndarray, np.ndarray, np.ndarray],
        window_counts: list[int],
    ) -> list[SentimentResult]:
        """One result per text, in order; texts without content get the empty (low-signal) result."""
        pol_probs, emo_probs, sev_probs = probabilities
        # Python floats from here: per-element numpy calls cost more than the arithmetic on a few numbers.
        severities: list[list[float] | None] = list(sev_probs.tolist()) if self._severity else [None] * len(non_empty)
        scored = {
            text_index: self._result(
                texts[text_index], probs, emotions, severity, language=languages[text_index], windows=count
            )
            for text_index, probs, emotions, severity, count in zip(
                non_empty, pol_probs.tolist(), emo_probs.tolist(), severities, window_counts, strict=True
            )
        }
        return [scored[i] if i in scored else self._empty(languages[i]) for i in range(len(texts))]

    def _probabilities(self, windows: list[_Window]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per window: polarity and severity probabilities (softmax) and emotion probabilities (sigmoid)."""
        pol_logits, emo_logits, sev_logits = (
            self._run(windows) if windows else (np.zeros((0, 3)), np.zeros((0, 0)), np.zeros((0, 5)))
        )
        pol_probs = _softmax(pol_logits / self.meta.polarity_temperature)
        sev_probs = _softmax(sev_logits) if self._severity else np.zeros((len(pol_probs), 0))
        emo_probs = 1.0 / (1.0 + np.exp(-emo_logits / self.meta.emotion_temperature))
        return pol_probs, emo_probs, sev_probs

    def _per_text(
        self, windows: list[_Window], texts: int, pol_probs: np.ndarray, emo_probs: np.ndarray, sev_probs: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[int]]:
        """Window rows folded into one row per text, and each text's window count."""
        if len(windows) == texts:  # one window per text: nothing to fold
            return pol_probs, emo_probs, sev_probs, [1] * texts
        rows_of: dict[int, list[int]] = {}
        for k, window in enumerate(windows):
            rows_of.setdefault(window.text_index, []).append(k)
        rows = [rows_of[local] for local in range(texts)]
        # Mean polarity over windows; an emotion counts if any window shows it.
        pol_probs = np.stack([pol_probs[r].mean(axis=0) for r in rows]) if rows else pol_probs
        emo_probs = np.stack([emo_probs[r].max(axis=0) for r in rows]) if rows else emo_probs
        return pol_probs, emo_probs, self._fold_severity(sev_probs, rows), [len(r) for r in rows]

    def _fold_severity(self, sev_probs: np.ndarray, rows: list[list[int]]) -> np.ndarray:
        """Each level's highest probability over a text's windows, renormalised (an escalation is often one line
        of a long e-mail, and averaging would dilute it)."""
        if rows and self._severity:
            peaks = np.stack([sev_probs[r].max(axis=0) for r in rows])
            return np.asarray(peaks / peaks.sum(axis=1, keepdims=True))
        return sev_probs[: len(rows)]

    def score(self, texts: Sequence[str], *, ticket_body: bool = True) -> list[SentimentResult]:
        """Score raw texts. With `ticket_body`, HTML, quoted history and signatures are removed first."""
        prepared = [prepare_ticket_text(t) if ticket_body else normalize_for_model(t) for t in texts]
        return self.score_prepared(prepared, [detect_language(t) for t in prepared])

    def score_one(self, text: str) -> SentimentResult:
        return self.score([text])[0]

    def _result(
        self,
        text: str,
        probs: list[float],
        emotions: list[float],
        severity: list[float] | None,
        *,
        language: str,
        windows: int,
    ) -> SentimentResult:
        labels = self.meta.polarity_labels
        confidence = max(probs)
        label_index = probs.index(confidence)
        label = labels[label_index]
        contradicting = EMOTIONS_CONTRADICTING.get(label, frozenset())
        fired = sorted(
            (
                (p, name)
                for name, p, t in zip(self.meta.emotions, emotions, self._thresholds, strict=False)
                if p >= t and name not in contradicting
            ),
            reverse=True,
        )
        shares = extreme_shares(severity)
        score, intensity = polarity_and_intensity(five_level_distribution(probs, shares))
        return SentimentResult(
            label=label,
            level=decide_level(label_index, shares, self.meta.severity_thresholds),
            score=round(score, 4),
            intensity=round(intensity, 4),
            confidence=round(confidence, 4),
            probabilities={label: round(p, 4) for label, p in zip(labels, probs, strict=True)},
            emotions=[EmotionScore(name=name, probability=round(p, 4)) for p, name in fired[:3]],
            low_signal=is_low_signal(text),
            language=language,
            windows=windows,
            model_version=self.meta.version,
        )

    def _empty(self, language: str) -> SentimentResult:
        return SentimentResult.unscored(
            language, scorer="onnx", model_version=self.meta.version, needs_fallback=not self.covers_language(language)
        )

    @staticmethod
    def covers_language(language: str) -> bool:
        return language in MODEL_LANGUAGES


def _softmax(x: np.ndarray) -> np.ndarray:
    z = np.exp(x - x.max(axis=1, keepdims=True))
    return np.asarray(z / z.sum(axis=1, keepdims=True))


@lru_cache(maxsize=4)
def get_scorer(model_dir: str | None = None) -> OnnxSentimentScorer:
    """Process-wide scorer (Lambda init): the session and tokenizer load once."""
    return OnnxSentimentScorer(Path(model_dir) if model_dir else None)
