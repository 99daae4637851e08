"""SCORER=onnx|comprehend|auto: which scorer scores a text.

auto: the bundled model for the languages it covers; Comprehend for the others, and for everything when the
model cannot be loaded or run. Every result records the scorer that produced it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from enum import StrEnum

from ..language import MODEL_LANGUAGES
from ..models import SentimentResult
from ..ports import TextScorer

log = logging.getLogger(__name__)


class ScorerMode(StrEnum):
    ONNX = "onnx"
    COMPREHEND = "comprehend"
    AUTO = "auto"


class RoutingScorer:
    def __init__(
        self,
        mode: ScorerMode,
        onnx: Callable[[], TextScorer] | None,
        comprehend: Callable[[], TextScorer] | None,
        *,
        on_model_failure: Callable[[Exception], None] | None = None,
    ) -> None:
        if mode != ScorerMode.COMPREHEND and onnx is None:
            raise ValueError(f"SCORER={mode} needs the ONNX model")
        if mode != ScorerMode.ONNX and comprehend is None:
            raise ValueError(f"SCORER={mode} needs a Comprehend client")
        self.mode = mode
        self._onnx = onnx
        self._comprehend = comprehend
        self._on_model_failure = on_model_failure

    def score_prepared(
        self,
        texts: Sequence[str],
        languages: Sequence[str] | None = None,
    ) -> list[SentimentResult]:
        languages = list(languages) if languages is not None else ["en"] * len(texts)
        if self.mode == ScorerMode.ONNX and self._onnx is not None:
            return self._onnx().score_prepared(texts, languages)
        if self._comprehend is None:  # only reachable in ONNX mode, kept for the type checker
            raise RuntimeError("no scorer")
        if self.mode == ScorerMode.COMPREHEND or self._onnx is None:
            return self._comprehend().score_prepared(texts, languages)
        return self._auto(self._onnx, self._comprehend, texts, languages)

    def _auto(
        self,
        onnx: Callable[[], TextScorer],
        comprehend: Callable[[], TextScorer],
        texts: Sequence[str],
        languages: list[str],
    ) -> list[SentimentResult]:
        """The model's languages through the model, the others (and all, if the model fails) through Comprehend."""
        model = [i for i, lang in enumerate(languages) if lang in MODEL_LANGUAGES]
        other = [i for i, lang in enumerate(languages) if lang not in MODEL_LANGUAGES]
        results: dict[int, SentimentResult] = {}
        if model:
            try:
                results |= _score_subset(onnx(), texts, languages, model)
            except Exception as exc:  # the model cannot run here: Comprehend scores these too
                log.warning("onnx scorer failed, falling back to comprehend", exc_info=True)
                if self._on_model_failure is not None:
                    self._on_model_failure(exc)
                other = sorted(other + model)
        if other:
            results |= _score_subset(comprehend(), texts, languages, other)
        return [results[i] for i in range(len(texts))]


def _score_subset(
    scorer: TextScorer,
    texts: Sequence[str],
    languages: Sequence[str],
    indexes: list[int],
) -> dict[int, SentimentResult]:
    scored = scorer.score_prepared([texts[i] for i in indexes], [languages[i] for i in indexes])
    return dict(zip(indexes, scored, strict=True))
