"""Turn raw ticket bodies into the text the model was trained on.

The same `normalize_for_model` runs at training time and at run time, so what the
encoder sees never drifts between the two.

emoji, selectolax and mail-parser-reply are imported on first need (non-ASCII text, an HTML body, a
possible reply header), so a plain-text ticket does not pay for them in a Lambda cold start.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mailparser_reply import EmailReplyParser

_HTML_HINT = re.compile(r"<\s*(?:p|div|br|html|body|span|table|blockquote|a|ul|li|b|i|strong|em)\b", re.I)
_URL = re.compile(r"\b(?:https?://|www\.)\S+", re.I)
_MENTION = re.compile(r"(?<!\w)@\w{1,30}")
_WS = re.compile(r"[ \t\r\f\v]+")
_BLANK_LINES = re.compile(r"\n{3,}")
# Zero-width, bidi controls and other format characters carry no meaning but break tokenisation.
_INVISIBLE = re.compile(r"[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
# Elongations ("soooo", "!!!!!") squash to three; digits never do: "4111 1111 1111 1111" must reach redaction
# intact, or a card or phone number loses its shape (and its checksum) and slips through.
_REPEAT = re.compile(r"(\D)\1{3,}")
# [^\S\n]: leading blanks within the line only (`\s*` crossed newlines and went quadratic on whitespace runs).
_QUOTED_LINE = re.compile(r"^[^\S\n]*>.*$", re.M)
# Every reply-header pattern of the parser's languages (en, de, fr, es, it, nl) needs a colon ("On ... wrote:",
# "From: ...") or a dashed separator ("-----Original Message-----"); its Outlook rule needs 32 dashes or
# underscores. Text with none of these is returned by the parser as is, up to stripping each line.
_MAYBE_REPLY_HEADER = re.compile(r":|[_-]{5,}")
_UNDERSCORED_WORD = re.compile(r"(?<= )[a-z0-9_]+(?= )")
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
    from selectolax.lexbor import LexborHTMLParser

    tree = LexborHTMLParser(html)
    for node in tree.css("blockquote, script, style, head"):
        node.decompose()
    root = tree.body or tree.root
    if root is None:
        return ""
    return root.text(separator="\n")


@lru_cache(maxsize=1)
def _reply_parser() -> EmailReplyParser:
    """The reply parser; a language added here may need its header marker in _MAYBE_REPLY_HEADER."""
    from mailparser_reply import EmailReplyParser

    return EmailReplyParser(languages=["en", "de", "fr", "es", "it", "nl"])


def strip_email_history(text: str) -> str:
    """Keep only the newest message: drop quoted history, forwarded chains and signatures."""
    without_quotes = _QUOTED_LINE.sub("", text)
    if _MAYBE_REPLY_HEADER.search(without_quotes):
        try:
            latest = _reply_parser().parse_reply(text=without_quotes)
        except Exception:  # the parser is heuristic; never let it lose a ticket
            latest = without_quotes
    else:  # no reply header possible: what the parser would return, without loading it
        latest = "\n".join(line.strip() for line in without_quotes.replace("\r\n", "\n").split("\n"))
    latest = latest.strip()
    return latest if latest else without_quotes.strip()


def demojize(text: str) -> str:
    """Map emojis and emoticons to words the uncased WordPiece vocabulary knows."""
    text = _EMOTICON_RE.sub(lambda m: _EMOTICONS[m.group(1).lower()], text)
    if not text.isascii():  # every emoji has a non-ASCII code point
        import emoji

        text = emoji.demojize(text, delimiters=(" ", " "))
    return _UNDERSCORED_WORD.sub(lambda m: m.group(0).replace("_", " "), text)


def normalize_for_model(text: str, *, keep_lines: bool = False) -> str:
    """Normalisation shared by training and scoring: emojis, URLs, mentions, whitespace.

    `keep_lines` keeps one non-empty line per line (joined with "\n" instead of " "): redaction needs the line
    structure to find a name on its own line under a sign-off; `" ".join(text.split("\n"))` then gives the
    model's single-line form."""
    text = unicodedata.normalize("NFKC", text)
    text = _INVISIBLE.sub("", text)
    text = demojize(text)
    text = _URL.sub("http", text)
    text = _MENTION.sub("@user", text)
    text = _REPEAT.sub(r"\1\1\1", text)
    text = _WS.sub(" ", text)
    text = _BLANK_LINES.sub("\n\n", text)
    return ("\n" if keep_lines else " ").join(line.strip() for line in text.split("\n") if line.strip())


def prepare_ticket_text(raw: str, *, strip_history: bool = True, keep_lines: bool = False) -> str:
    """Full clean-up of a helpdesk message body (HTML or plain text) for scoring (see normalize_for_model)."""
    text = raw.replace("\r\n", "\n")
    if looks_like_html(text):
        text = html_to_text(text)
    if strip_history:
        text = strip_email_history(text)
    return normalize_for_model(text, keep_lines=keep_lines)
