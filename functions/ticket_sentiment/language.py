"""Offline language identification: decides whether the bundled English model can score a text."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from py3langid.langid import LanguageIdentifier

_WORD = re.compile(r"[^\W\d_]{2,}")
MODEL_LANGUAGES = frozenset({"en"})
# Frequent English function words: most traffic is plainly English, and recognising it this way spares
# loading the langid model (the largest part of a cold start) for those messages.
_ENGLISH_WORDS = frozenset(
    {
        "the",
        "and",
        "or",
        "but",
        "to",
        "of",
        "on",
        "at",
        "for",
        "with",
        "from",
        "by",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "am",
        "you",
        "we",
        "my",
        "our",
        "your",
        "it",
        "this",
        "that",
        "not",
        "have",
        "has",
        "had",
        "do",
        "does",
        "did",
        "can",
        "could",
        "would",
        "should",
        "will",
        "please",
        "thanks",
        "thank",
        "still",
        "again",
        "why",
        "what",
        "when",
        "how",
        "there",
        "here",
        "me",
        "us",
        "they",
        "them",
        "he",
        "she",
        "his",
        "her",
        "just",
        "any",
        "some",
        "an",
    }
)


@lru_cache(maxsize=1)
def _identifier() -> LanguageIdentifier:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier  # imported only when a text needs it

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def load_identifier() -> None:
    """Load the langid model now instead of at the first text that needs it: a process running several pollers
    loads it once before they start (lru_cache does not stop threads that miss it together from each loading it)."""
    _identifier()


def _clearly_english(words: list[str]) -> bool:
    hits = sum(w.lower() in _ENGLISH_WORDS for w in words)
    return hits >= 2 and hits / len(words) >= 0.25 and all(w.isascii() for w in words)


def detect_language(text: str, min_words: int = 4, min_confidence: float = 0.8) -> str:
    """ISO 639-1 code, or "en" when the text is too short or ambiguous to tell.

    Short support messages ("ok thanks", an emoji) are mostly English in our traffic and
    langid is unreliable on them, so they stay on the model instead of a paid API.
    """
    words = _WORD.findall(text)
    if len(words) < min_words or _clearly_english(words):
        return "en"
    lang, prob = _identifier().classify(text)
    return str(lang) if prob >= min_confidence else "en"
