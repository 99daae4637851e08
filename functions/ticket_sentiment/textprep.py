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
# ASCII control characters other than whitespace: a NUL or DEL inside a number hides it from redaction.
_ASCII_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
_ALL_WS = re.compile(r"\s+")
# Elongations ("soooo", "!!!!!") squash to three; digits never do: "4111 1111 1111 1111" must reach redaction
# intact, or a card or phone number loses its shape (and its checksum) and slips through.
_REPEAT = re.compile(r"(\D)\1{3,}")
# [^\S\n]: leading blanks within the line only (`\s*` crossed newlines and went quadratic on whitespace runs).
_QUOTED_LINE = re.compile(r"^[^\S\n]*>.*$", re.M)
# Every reply-header pattern of the parser's languages (en, de, fr, es, it, nl) needs a colon ("On ... wrote:",
# "From: ...") or a dashed separator ("-----Original Message-----"); its Outlook rule needs 32 dashes or
# underscores; a signature block opens a line with a delimiter, a "sent from" line or a sign-off word of those
# languages. Text with none of these is returned by the parser as is, up to stripping each line.
_MAYBE_REPLY_HEADER = re.compile(
    r"(?im):|[_-]{2}|^[ \t]*(?:sent from|get outlook|gesendet von|envoy[ée] de|enviado desde|inviato da|verzonden|"
    r"(?:best|kind|warm|warmest)?[ \t]*regards|thanks|thank you|best|all the best|cheers|mit freundlichen|"
    r"(?:viele|beste|besten|liebe)?[ \t]*gr(?:ü|ue)(?:ß|ss)|gru(?:ß|ss)|cordialement|salutations|bien à vous|"
    r"saludos|atentamente|un saludo|groet|groeten|met vriendelijke|saluti|cordiali|distinti)"
)
# Runs of blank lines (a hostile body can hold tens of thousands) become one before the parser, which is
# quadratic in the number of lines; normalize_for_model drops blank lines anyway.
_BLANK_RUN = re.compile(r"\n[ \t]*(?:\n[ \t]*)+")
_LANGUAGES = ["en", "de", "fr", "es", "it", "nl"]
# Not the local part of an address written with a space before its "@" ("anna_b @ gmail.com").
_UNDERSCORED_WORD = re.compile(r"(?<= )[a-z0-9_]+(?= (?!@))")
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
# The model scores a text in overlapping windows of 126 tokens (stride 96), so its cost is linear in the text's
# length: a 100,000-character body took 7-17 s on one vCPU against 1-2 s for 16,000 characters. Support messages
# are rarely over ~20,000 characters once quoted history is stripped. Longer ones keep their opening (where the
# problem is stated) and their end (a long message's ask is usually at the end) and lose the middle (pasted logs,
# stack traces, forwarded text), with CUT_MARK where the cut is and the event flagged `truncated`.
MODEL_TEXT_CHARS = 16_000
MODEL_TEXT_TAIL_CHARS = 4_000
CUT_MARK = "\n[...]\n"  # its own line, so the lines around it stay lines for redaction; not a placeholder
_CUT_SEARCH = 200  # how far a cut may move to fall between words
_PARTIAL_PLACEHOLDER_HEAD = re.compile(r"\[[A-Z_]{0,20}$")
_PARTIAL_PLACEHOLDER_TAIL = re.compile(r"[A-Z_]{0,20}\]")
_EMOTICON_RE = re.compile(
    r"(?<!\S)(" + "|".join(re.escape(e) for e in sorted(_EMOTICONS, key=len, reverse=True)) + r")(?!\S)",
    re.I,
)


def looks_like_html(text: str) -> bool:
    return bool(_HTML_HINT.search(text))


# Elements that start a new line when rendered; every other element (b, span, a, ...) stays inline, so a value
# written across inline tags ("4111 <b>1111</b> 1111 1111") stays one value for redaction.
_BLOCK_TAGS = (
    "address, article, aside, br, dd, div, dl, dt, fieldset, figcaption, figure, footer, form, h1, h2, h3, "
    "h4, h5, h6, header, hr, li, main, nav, ol, p, pre, section, table, tbody, td, tfoot, th, thead, tr, "
    "ul, caption"
)


def html_to_text(html: str) -> str:
    """Visible text of an HTML body, with quoted replies (<blockquote>) dropped: block elements on lines of
    their own, inline elements inline."""
    from selectolax.lexbor import LexborHTMLParser

    tree = LexborHTMLParser(html)
    for node in tree.css("blockquote, script, style, head"):
        node.decompose()
    root = tree.body or tree.root
    if root is None:
        return ""
    for node in root.css(_BLOCK_TAGS):
        node.insert_before("\n")
        node.insert_after("\n")
    return root.text(separator="")


class _CleanTable(dict[int, str | None]):
    """A str.translate table built on first sight of each code point: control and format characters (Cc, Cf:
    NUL, soft hyphen, zero-width and bidi marks) removed, other whitespace made a space, and decimal digits of
    every script made ASCII ("٤١١١" -> "4111"), so no value hides from redaction behind them."""

    def __missing__(self, code: int) -> str | None:
        char = chr(code)
        category = unicodedata.category(char)
        if char in "\n\t":
            value: str | None = char
        elif category in ("Cc", "Cf"):
            value = None
        elif category == "Nd":
            value = str(unicodedata.decimal(char))
        elif char.isspace():
            value = " "
        else:
            value = char
        self[code] = value
        return value


_CLEAN_TABLE = _CleanTable()


_SURROGATE = re.compile("[\ud800-\udfff]")


def well_formed(text: str) -> str:
    """Valid surrogate pairs joined and lone surrogates replaced with U+FFFD. A lone one comes from bytes that are
    not UTF-8 read with surrogateescape (a shell argument, stdin) or from a JSON "\\ud800"; the tokenizer and
    every UTF-8 encoder refuse it."""
    if text.isascii():
        return text  # a constant-time flag check; the surrogate scan below costs tens of microseconds
    if _SURROGATE.search(text):
        return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return text


def clean_characters(text: str) -> str:
    """Surrogates repaired (well_formed), NFKC, then control and format characters removed, Unicode digits made
    ASCII (see _CleanTable)."""
    if text.isascii():
        return _ASCII_CONTROL.sub("", text)
    return unicodedata.normalize("NFKC", well_formed(text)).translate(_CLEAN_TABLE)


def clean_field(value: str) -> str:
    """The clean-up of a one-line free-text field (subject, tag, product area): the body's character clean-up,
    then all whitespace, new lines included, collapsed to single spaces."""
    return _ALL_WS.sub(" ", clean_characters(value)).strip()


@lru_cache(maxsize=1)
def _reply_parser() -> EmailReplyParser:
    """The reply parser; a language added here may need its header marker in _MAYBE_REPLY_HEADER."""
    from mailparser_reply import EmailReplyParser

    return EmailReplyParser(languages=_LANGUAGES)


def _latest_body(text: str) -> str:
    """The newest reply without its signature ("-- " block, "Sent from my iPhone", a sign-off and what follows)
    by mail-parser-reply; hyphen lists ("- step one") are kept as content, not taken for a signature."""
    from mailparser_reply.parser import EmailMessage

    message = EmailMessage(text=text, languages=list(_reply_parser().languages), keep_hyphen_lists=True).read()
    if not message.replies:
        return text
    reply = message.replies[0]
    body: str = reply.body if reply.body.strip() else reply.content
    return body


def strip_email_history(text: str) -> str:
    """Keep only the newest message: drop quoted history, forwarded chains and signatures."""
    without_quotes = _BLANK_RUN.sub("\n\n", _QUOTED_LINE.sub("", text))
    if _MAYBE_REPLY_HEADER.search(without_quotes):
        try:
            latest = _latest_body(without_quotes)
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
    text = clean_characters(text)
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


def prepare_display_text(raw: str) -> str:
    """A message body as the customer wrote it, for people to read (the Slack excerpt, the stored text): HTML,
    quoted history and signatures dropped and characters cleaned as for the model, lines kept, but emojis and
    words left as they are ("😡😡😡", not "enraged face ..."). Links and @mentions are replaced as in the model's
    text, since redaction does not judge what a link or a handle reveals."""
    text = raw.replace("\r\n", "\n")
    if looks_like_html(text):
        text = html_to_text(text)
    text = clean_characters(strip_email_history(text))
    text = _MENTION.sub("@user", _URL.sub("[URL]", text))
    text = _BLANK_LINES.sub("\n\n", _WS.sub(" ", text))
    return "\n".join(line.strip() for line in text.split("\n") if line.strip())


def cap_text(text: str, limit: int = MODEL_TEXT_CHARS, tail: int = MODEL_TEXT_TAIL_CHARS) -> tuple[str, bool]:
    """`text` when it fits in `limit` characters; else its head and its last ~`tail` characters around CUT_MARK,
    at most `limit` in all. Cuts fall between words where one is near (never inside a placeholder like "[EMAIL]").
    The flag says whether anything was cut."""
    if len(text) <= limit:
        return text, False
    if not 0 < tail < limit - len(CUT_MARK):
        raise ValueError("tail must be positive and leave room for the head")
    head_end = _cut_before(text, limit - tail - len(CUT_MARK))
    tail_start = _cut_after(text, len(text) - tail)
    return text[:head_end].rstrip() + CUT_MARK + text[tail_start:].lstrip(), True


def _cut_before(text: str, pos: int) -> int:
    """The last whitespace at or before `pos` (within _CUT_SEARCH), else `pos` moved before a partial placeholder."""
    start = max(0, pos - _CUT_SEARCH)
    space = max(text.rfind(" ", start, pos + 1), text.rfind("\n", start, pos + 1))
    if space > 0:
        return space
    partial = _PARTIAL_PLACEHOLDER_HEAD.search(text, max(0, pos - 22), pos)
    return partial.start() if partial else pos


def _cut_after(text: str, pos: int) -> int:
    """Just past the first whitespace at or after `pos` (within _CUT_SEARCH), else `pos` moved past a partial
    placeholder."""
    end = min(len(text), pos + _CUT_SEARCH)
    found = [i for i in (text.find(" ", pos, end), text.find("\n", pos, end)) if i >= 0]
    if found:
        return min(found) + 1
    partial = _PARTIAL_PLACEHOLDER_TAIL.match(text, pos, min(len(text), pos + 22))
    return partial.end() if partial and partial.end() > pos else pos
