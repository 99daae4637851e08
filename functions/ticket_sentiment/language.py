"""Offline language identification: decides whether the bundled English model can score a text."""

from __future__ import annotations

import re
from functools import lru_cache

from py3langid.langid import MODEL_FILE, LanguageIdentifier

_WORD = re.compile(r"[^\W\d_]{2,}")
MODEL_LANGUAGES = frozenset({"en"})


@lru_cache(maxsize=1)
def _identifier() -> LanguageIdentifier:
    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def detect_language(text: str, min_words: int = 4, min_confidence: float = 0.8) -> str:
    """ISO 639-1 code, or "en" when the text is too short or ambiguous to tell.

    Short support messages ("ok thanks", an emoji) are mostly English in our traffic and
    langid is unreliable on them, so they stay on the model instead of a paid API.
    """
    if len(_WORD.findall(text)) < min_words:
        return "en"
    lang, prob = _identifier().classify(text)
    return str(lang) if prob >= min_confidence else "en"
