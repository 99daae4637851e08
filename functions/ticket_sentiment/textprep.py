"""Turn raw ticket bodies into the text the model was trained on.

The same `normalize_for_model` runs at training time and at run time, so what the
encoder sees never drifts between the two.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import emoji
from mailparser_reply import EmailReplyParser
from selectolax.lexbor import LexborHTMLParser

_HTML_HINT = re.compile(r"<\s*(?:p|div|br|html|body|span|table|blockquote|a|ul|li|b|i|strong|em)\b", re.I)
_URL = re.compile(r"\b(?:https?://|www\.)\S+", re.I)
_MENTION = re.compile(r"(?<!\w)@\w{1,30}")
_WS = re.compile(r"[ \t\r\f\v]+")
_BLANK_LINES = re.compile(r"\n{3,}")
# Zero-width, bidi controls and other format characters carry no meaning but break tokenisation.
_INVISIBLE = re.compile(r"[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
_REPEAT = re.compile(r"(.)\1{3,}")
_QUOTED_LINE = re.compile(r"^\s*>.*$", re.M)
# Emoticons are frequent in chat tickets and are [UNK]-free words once mapped.
_EMOTICONS = {
    ":)": " smiling face ",
    ":-)": " smiling face ",
    ":d": " grinning face ",
    ":-d": " grinning face ",
    ";)": " winking face ",
    ":(": " frowning face ",
    ":-(": " frowning face ",
    ":'(": " crying face ",
    ":/": " confused face ",
    ":-/": " confused face ",
    "<3": " red heart ",
}
_EMOTICON_RE = re.compile(
    r"(?<!\S)(" + "|".join(re.escape(e) for e in sorted(_EMOTICONS, key=len, reverse=True)) + r")(?!\S)",
    re.I,
)


def looks_like_html(text: str) -> bool:
    return bool(_HTML_HINT.search(text))


def html_to_text(html: str) -> str:
    """Visible text of an HTML body, with quoted replies (<blockquote>) dropped."""
    tree = LexborHTMLParser(html)
    for node in tree.css("blockquote, script, style, head"):
        node.decompose()
    root = tree.body or tree.root
    if root is None:
        return ""
    return root.text(separator="\n")


@lru_cache(maxsize=1)
def _reply_parser() -> EmailReplyParser:
    return EmailReplyParser(languages=["en", "de", "fr", "es", "it", "nl"])


def strip_email_history(text: str) -> str:
    """Keep only the newest message: drop quoted history, forwarded chains and signatures."""
    without_quotes = _QUOTED_LINE.sub("", text)
    try:
        latest = _reply_parser().parse_reply(text=without_quotes)
    except Exception:  # the parser is heuristic; never let it lose a ticket
        latest = without_quotes
    latest = latest.strip()
    return latest if latest else without_quotes.strip()


def demojize(text: str) -> str:
    """Map emojis and emoticons to words the uncased WordPiece vocabulary knows."""
    text = _EMOTICON_RE.sub(lambda m: _EMOTICONS[m.group(1).lower()], text)
    words = emoji.demojize(text, delimiters=(" ", " "))
    return re.sub(r"(?<= )[a-z0-9_]+(?= )", lambda m: m.group(0).replace("_", " "), words)


def normalize_for_model(text: str) -> str:
    """Normalisation shared by training and scoring: emojis, URLs, mentions, whitespace."""
    text = unicodedata.normalize("NFKC", text)
    text = _INVISIBLE.sub("", text)
    text = demojize(text)
    text = _URL.sub("http", text)
    text = _MENTION.sub("@user", text)
    text = _REPEAT.sub(r"\1\1\1", text)
    text = _WS.sub(" ", text)
    text = _BLANK_LINES.sub("\n\n", text)
    return " ".join(line.strip() for line in text.split("\n") if line.strip())


def prepare_ticket_text(raw: str, *, strip_history: bool = True) -> str:
    """Full clean-up of a helpdesk message body (HTML or plain text) for scoring."""
    text = raw.replace("\r\n", "\n")
    if looks_like_html(text):
        text = html_to_text(text)
    if strip_history:
        text = strip_email_history(text)
    return normalize_for_model(text)
