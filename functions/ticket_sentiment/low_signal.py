"""Low-signal text: too little content for any scorer to trust ("ok", "?", "hi"). Pure Python, shared by the ONNX
and Comprehend scorers (kept out of the ONNX scorer's module so the Comprehend path never loads onnxruntime)."""

from __future__ import annotations

import re

CONTENT_WORD = re.compile(r"[^\W\d_]{2,}")
_LOW_SIGNAL_WORDS = frozenset(
    {
        "ok",
        "okay",
        "k",
        "yes",
        "no",
        "yep",
        "nope",
        "sure",
        "hi",
        "hello",
        "hey",
        "ty",
        "thx",
        "test",
        "ping",
        "done",
        "fine",
        "noted",
        "re",
        "fw",
        "fwd",
    }
)


def is_low_signal(text: str) -> bool:
    """Too little content to trust: empty, punctuation, or only filler words ("ok", "?", "hi")."""
    return not any(w.lower() not in _LOW_SIGNAL_WORDS for w in CONTENT_WORD.findall(text))
