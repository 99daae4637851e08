"""Amazon Comprehend as a fallback scorer: BatchDetectSentiment, 25 documents a call, throttling retried.

Comprehend reads only the first 500 characters of a document, so each text is cut to its most relevant 500:
the opening sentence (where customers usually state the problem) and as many of the closing sentences (the
ask) as fit. Texts reaching here are already cleaned and redacted. Comprehend's four classes map onto the
model's scale: score = P(positive) - P(negative); MIXED counts as neutral for the label; intensity uses the
stronger polar probability in place of an emotion (Comprehend gives none).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import boto3
from botocore.exceptions import ClientError
from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential_jitter

from ...low_signal import is_low_signal
from ...models import Label, SentimentResult
from ...severity import polarity_and_intensity

BATCH = 25
MAX_CHARS = 500
SCORER_NAME = "comprehend"
# Languages BatchDetectSentiment accepts.
LANGUAGES = frozenset({"en", "es", "fr", "de", "it", "pt", "ar", "hi", "ja", "ko", "zh", "zh-TW"})
_THROTTLING = frozenset(
    {
        "ThrottlingException",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "ServiceUnavailableException",
        "InternalServerException",
    }
)
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")
_LABELS: dict[str, Label] = {"POSITIVE": "positive", "NEGATIVE": "negative", "NEUTRAL": "neutral", "MIXED": "neutral"}


class ComprehendError(RuntimeError):
    """Comprehend could not score a document (after retries)."""


def _is_throttling(exc: BaseException) -> bool:
    return isinstance(exc, ClientError) and exc.response.get("Error", {}).get("Code") in _THROTTLING


def most_relevant(text: str, limit: int = MAX_CHARS) -> str:
    """At most `limit` characters: the opening sentence if short, then the closing sentences that fit."""
    text = text.strip()
    if len(text) <= limit:
        return text
    sentences = [s for s in _SENTENCE_END.split(text) if s]
    head = sentences[0] if len(sentences) > 1 and len(sentences[0]) <= limit // 3 else ""
    budget = limit - len(head) - (1 if head else 0)
    tail = _closing(sentences[1:] if head else sentences, budget)
    if not tail:  # one very long sentence: its end, cut at a word boundary
        end = text[-budget:]
        cut = end.find(" ")
        tail = [end[cut + 1 :] if 0 <= cut < 40 else end]
    return " ".join([head, *tail]).strip() if head else " ".join(tail)


def _closing(sentences: list[str], budget: int) -> list[str]:
    """The last sentences that fit in `budget` characters (joined by spaces), in order."""
    tail: list[str] = []
    for sentence in reversed(sentences):
        if len(sentence) + sum(len(s) + 1 for s in tail) > budget:
            break
        tail.insert(0, sentence)
    return tail


def comprehend_language(language: str) -> str | None:
    if language in LANGUAGES:
        return language
    return "zh" if language.startswith("zh") else None


class ComprehendScorer:
    """A TextScorer over BatchDetectSentiment; `scorer` on every result is "comprehend"."""

    def __init__(
        self, client: Any | None = None, *, attempts: int = 6, base_wait: float = 0.2, max_wait: float = 5.0
    ) -> None:
        self.client = client or boto3.client("comprehend")
        self.retrying = Retrying(
            stop=stop_after_attempt(attempts),
            reraise=True,
            wait=wait_exponential_jitter(initial=base_wait, max=max_wait, jitter=base_wait),
            retry=retry_if_exception(_is_throttling),
        )

    def score_prepared(
        self,
        texts: Sequence[str],
        languages: Sequence[str] | None = None,
    ) -> list[SentimentResult]:
        languages = languages or ["en"] * len(texts)
        results: list[SentimentResult | None] = [None] * len(texts)
        by_language: dict[str, list[int]] = {}
        for i, (text, language) in enumerate(zip(texts, languages, strict=True)):
            code = comprehend_language(language)
            if code is None or is_low_signal(text):
                results[i] = _empty(language, low_signal=True)
            else:
                by_language.setdefault(code, []).append(i)
        for code, indexes in by_language.items():
            for start in range(0, len(indexes), BATCH):
                chunk = indexes[start : start + BATCH]
                for i, result in self._detect(code, chunk, texts, languages):
                    results[i] = result
        return [r if r is not None else _empty(languages[i], low_signal=True) for i, r in enumerate(results)]

    def _detect(
        self,
        code: str,
        chunk: list[int],
        texts: Sequence[str],
        languages: Sequence[str],
    ) -> list[tuple[int, SentimentResult]]:
        """One BatchDetectSentiment call (throttling retried); any per-document error fails the call."""
        response = self.retrying(
            self.client.batch_detect_sentiment, TextList=[most_relevant(texts[i]) for i in chunk], LanguageCode=code
        )
        if response.get("ErrorList"):
            codes = sorted({e.get("ErrorCode", "?") for e in response["ErrorList"]})
            raise ComprehendError(f"comprehend failed {len(response['ErrorList'])} documents: {codes}")
        return [
            (chunk[item["Index"]], _result(item, languages[chunk[item["Index"]]], texts[chunk[item["Index"]]]))
            for item in response["ResultList"]
        ]


def _result(item: dict[str, Any], language: str, text: str) -> SentimentResult:
    s = item["SentimentScore"]
    pos, neg, neu, mixed = (float(s.get(k, 0.0)) for k in ("Positive", "Negative", "Neutral", "Mixed"))
    probabilities = {"negative": round(neg, 4), "neutral": round(neu + mixed, 4), "positive": round(pos, 4)}
    label = _LABELS.get(item["Sentiment"], "neutral")
    # Comprehend's scores are confidences, not severity: it never says very_negative or very_positive, and its
    # score and intensity sit on the model's scale for a plain (not extreme) level, so they never saturate.
    score, intensity = polarity_and_intensity([0.0, neg, neu + mixed, pos, 0.0])
    return SentimentResult(
        label=label,
        level=label,
        score=round(score, 4),
        intensity=round(intensity, 4),
        confidence=round(probabilities[label], 4),
        probabilities=probabilities,
        emotions=[],
        low_signal=is_low_signal(text),
        language=language,
        windows=1,
        scorer=SCORER_NAME,
        model_version=SCORER_NAME,
    )


def _empty(language: str, *, low_signal: bool) -> SentimentResult:
    return SentimentResult.unscored(language, scorer=SCORER_NAME, model_version=SCORER_NAME, low_signal=low_signal)
