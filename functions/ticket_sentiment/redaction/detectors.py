"""Detectors for personal data that is not a plain number: e-mail, secrets, URLs with tokens, IPv6, birth dates.

Keyword-anchored detectors run only in small windows around their keyword (found with str.find, which is far
cheaper than a case-insensitive alternation scanned over the whole text). Every pattern is bounded (no nested
unbounded repeats), so matching stays linear in the text length.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator, Sequence
from functools import lru_cache
from urllib.parse import parse_qsl, urlsplit

from .models import EntityType, Span

E = EntityType


# ASCII letters and digits stay, every other byte (punctuation, and each byte of a non-ASCII character) splits.
_WORD_BYTES = bytes(c if chr(c).isascii() and chr(c).isalnum() else 0x20 for c in range(256)).lower()


class WordIndex:
    """The words of a lower-cased text, to skip keyword searches that cannot hit.

    Each str.find over a 2 KB ticket costs about a microsecond and a half, and the detectors look for some 150
    keywords; a split and two sets answer "does any word start with this keyword?" for all of them at once.
    Words here are runs of ASCII letters and digits, so every place where a keyword starts a word also starts
    a word here: the index may let a keyword through needlessly, but never rules one out that is there.
    """

    __slots__ = ("prefixes", "words")

    def __init__(self, low: str) -> None:
        self.words = set(low.encode("utf-8", "surrogatepass").translate(_WORD_BYTES).split())
        self.prefixes = {word[:3] for word in self.words}


class _KeywordGroups:
    """A keyword list grouped by what WordIndex must hold for a keyword to start a word: its first word ("my"
    of "my name is"), or for a keyword that is one ASCII word itself ("pass"), its first three characters."""

    def __init__(self, keywords: tuple[str, ...]) -> None:
        self.always: list[str] = []  # opens with punctuation or a non-ASCII letter, or is too short to group
        by_word: dict[bytes, list[str]] = {}
        by_prefix: dict[bytes, list[str]] = {}
        for keyword in keywords:
            raw = keyword.encode("utf-8")
            head = raw.translate(_WORD_BYTES).split(b" ", 1)[0]
            if head and head != raw:
                by_word.setdefault(head, []).append(keyword)
            elif head and len(raw) >= 3:
                by_prefix.setdefault(raw[:3], []).append(keyword)
            else:
                self.always.append(keyword)
        self.by_word, self.heads = by_word, frozenset(by_word)
        self.by_prefix, self.prefixes = by_prefix, frozenset(by_prefix)

    def present(self, index: WordIndex) -> list[str]:
        found = list(self.always)
        for head in self.heads & index.words:
            found += self.by_word[head]
        for prefix in self.prefixes & index.prefixes:
            found += self.by_prefix[prefix]
        return found


@lru_cache(maxsize=64)
def _groups(keywords: tuple[str, ...]) -> _KeywordGroups:
    return _KeywordGroups(keywords)


def _present(keywords: tuple[str, ...], words: WordIndex | None) -> Sequence[str]:
    return keywords if words is None else _groups(keywords).present(words)


def keyword_windows(
    text: str, low: str, keywords: tuple[str, ...], before: int, after: int, *, words: WordIndex | None = None
) -> list[tuple[int, int]]:
    """Merged [start, end) windows around every occurrence of the keywords (the whole text if offsets drift).

    `words` skips keywords that start no word: pass it only where every match lies in the window of a keyword
    that starts a word, and only for ASCII text (in other scripts case folding can match "ſ" to "s").
    """
    if len(low) != len(text):  # lower() changed some lengths (rare scripts): fall back to one full-text window
        return [(0, len(text))] if any(k in low for k in keywords) else []
    hits: list[int] = []
    for keyword in _present(keywords, words):
        i = low.find(keyword)
        while i >= 0:
            hits.append(i)
            i = low.find(keyword, i + 1)
    windows: list[tuple[int, int]] = []
    for i in sorted(hits):
        lo, hi = max(0, i - before), min(len(text), i + after)
        if windows and lo <= windows[-1][1]:
            windows[-1] = (windows[-1][0], max(windows[-1][1], hi))
        else:
            windows.append((lo, hi))
    return windows


_DIGIT_RUN = re.compile(r"\d+")
_DIGIT_MASK = bytes(0x30 if 0x30 <= c <= 0x39 else 0x20 for c in range(256))  # digits to "0", all else to " "


def digit_runs(text: str) -> list[tuple[int, int]]:
    """[start, end) of every run of digits, as `\\d+` would find them.

    Detectors that need a digit try their patterns only at these offsets instead of scanning the whole text:
    the regex engine walks a 2 KB text at roughly 10 ns a character, while bytes.find is a memchr.
    """
    if not text.isascii():
        return [m.span() for m in _DIGIT_RUN.finditer(text)]  # Unicode digits: let the regex engine decide
    mask = text.encode("ascii").translate(_DIGIT_MASK)
    runs: list[tuple[int, int]] = []
    start = mask.find(b"0")
    while start >= 0:
        end = mask.find(b" ", start)
        if end < 0:
            runs.append((start, len(mask)))
            break
        runs.append((start, end))
        start = mask.find(b"0", end)
    return runs


def keyword_positions(text: str, low: str, keywords: tuple[str, ...], words: WordIndex | None = None) -> list[int]:
    """Sorted offsets where a keyword starts a word (not "called" for "calle"); offsets index `text`.

    `words`: the text's WordIndex, to skip the keywords that start no word.
    """
    present = _present(keywords, words)
    if not present:
        return []
    if len(low) != len(text):
        low = "".join(c if len(c.lower()) != 1 else c.lower() for c in text)  # keep offsets aligned
    hits: list[int] = []
    for keyword in present:
        i = low.find(keyword)
        while i >= 0:
            if i == 0 or not low[i - 1].isalnum():
                hits.append(i)
            i = low.find(keyword, i + 1)
    return sorted(hits)


# --- e-mail -------------------------------------------------------------------------------------------------------

# The local part may hold any RFC 5322 "atext" character; the domain ends in a TLD (letters, or punycode).
_LOCAL_PART = re.compile(r"(?<![^\s@<>()\[\]\\,;:\"])[^\s@<>()\[\]\\,;:\"]{1,64}$")
_DOMAIN = re.compile(r"(?:[^\W_](?:[\w-]{0,61}[^\W_])?\.){1,32}(?:[^\W\d_]{2,63}|(?i:xn--)[\w-]{1,59})(?![\w-])")
# "anna (at) example (dot) com", "anna at example dot com": people do this to dodge spam filters.
_EMAIL_SPELLED = re.compile(
    r"(?i)(?<![\w.+-])[\w.+-]{1,64}\s?(?:[(\[{]\s?at\s?[)\]}]|\sat\s)\s?[\w-]{1,63}"
    r"(?:\s?(?:[(\[{]\s?dot\s?[)\]}]|\sdot\s)\s?[\w-]{1,63}){1,3}(?![\w-])"
)
_SPELLED_TLDS = frozenset(
    {
        "com",
        "net",
        "org",
        "de",
        "fr",
        "es",
        "nl",
        "uk",
        "co",
        "in",
        "io",
        "eu",
        "it",
        "ie",
        "be",
        "at",
        "ch",
        "info",
        "biz",
        "edu",
        "gov",
        "me",
        "us",
        "ca",
        "au",
        "mx",
        "br",
    }
)


# Obfuscated addresses: "john dot doe at gmail dot com", "anna_b @ gmail.com", "x at gmail.com", "a (at) b.de".
_LOOSE_DOT = r"(?:\.|[ \t]?[(\[{][ \t]?(?:dot|punkt|point|punto)[ \t]?[)\]}][ \t]?|[ \t](?:dot|punkt|point|punto)[ \t])"
_EMAIL_LOOSE = re.compile(
    r"(?i)(?<![\w.+-])[\w+-]{1,64}(?:" + _LOOSE_DOT + r"[\w+-]{1,64}){0,4}"
    r"(?P<at>[ \t]?@[ \t]?|[ \t]?[(\[{<][ \t]?(?:at|@)[ \t]?[)\]}>][ \t]?|[ \t](?:at|arroba|chez)[ \t])"
    r"(?P<domain>[\w-]{1,63}(?:" + _LOOSE_DOT + r"[\w-]{1,63}){1,3})(?![\w-])"
)
_LOOSE_TRIGGERS = (
    "(at)",
    "[at]",
    "{at}",
    "( at )",
    "[ at ]",
    "<at>",
    " dot ",
    "(dot)",
    "[dot]",
    " @",
    "@ ",
    " arroba ",
    " chez ",
    " punkt ",
    "gmail",
    "googlemail",
    "yahoo",
    "hotmail",
    "outlook",
    "icloud",
    "gmx",
    "aol.",
    "proton",
    "yandex",
    "live.",
    "msn.",
    "web.de",
    "t-online",
    "mail.ru",
    "wp.pl",
    "o2.pl",
    "onet.",
    "interia",
    "orange.fr",
    "free.fr",
    "libero",
    "laposte",
    "btinternet",
    "zoho",
)
# With a bare " at " and real dots ("meet me at example.com"), only a webmail domain makes it an address.
_WEBMAIL = frozenset(
    {
        "gmail",
        "googlemail",
        "yahoo",
        "hotmail",
        "outlook",
        "icloud",
        "me",
        "mac",
        "gmx",
        "aol",
        "protonmail",
        "proton",
        "yandex",
        "live",
        "msn",
        "web",
        "t-online",
        "mail",
        "wp",
        "o2",
        "onet",
        "interia",
        "orange",
        "free",
        "libero",
        "laposte",
        "btinternet",
        "zoho",
        "ymail",
        "rocketmail",
    }
)
_LOOSE_TLDS = _SPELLED_TLDS | frozenset(
    {
        "pl",
        "ru",
        "tr",
        "pt",
        "se",
        "dk",
        "no",
        "fi",
        "cz",
        "gr",
        "ro",
        "hu",
        "jp",
        "cn",
        "kr",
        "ar",
        "cl",
        "za",
        "nz",
        "sg",
        "ua",
        "sk",
        "lt",
        "lv",
        "ee",
        "si",
        "hr",
    }
)
_DOT_SPLIT = re.compile(r"(?i)" + _LOOSE_DOT)


def _loose_emails(text: str, low: str, words: WordIndex | None = None) -> Iterator[Span]:
    # Every match holds its trigger within the window (an "@", "at", "dot" or a webmail name that starts a word).
    index = words if words is not None and text.isascii() else None
    for lo, hi in keyword_windows(text, low, _LOOSE_TRIGGERS, 100, 120, words=index):
        for m in _EMAIL_LOOSE.finditer(text, lo, hi):
            labels = _DOT_SPLIT.split(m.group("domain").lower())
            if labels[-1] not in _LOOSE_TLDS:
                continue
            bare_at = m.group("at").strip().lower() in ("at", "arroba", "chez")
            spelled_dot = len(labels) > 1 and "." not in m.group("domain")
            if bare_at and not spelled_dot and labels[0] not in _WEBMAIL:
                continue
            yield Span(m.start(), m.end(), E.EMAIL)


def find_emails(text: str, low: str, words: WordIndex | None = None) -> Iterator[Span]:
    at = text.find("@")
    while at >= 0:
        local = _LOCAL_PART.search(text, max(0, at - 64), at)
        domain = _DOMAIN.match(text, at + 1)
        if local is not None and domain is not None:
            yield Span(local.start(), domain.end(), E.EMAIL)
        at = text.find("@", at + 1)
    for lo, hi in keyword_windows(text, low, ("(at)", "[at]", "{at}", "( at )", "[ at ]", " dot "), 80, 120):
        for m in _EMAIL_SPELLED.finditer(text, lo, hi):
            value = m.group().lower()
            tld = re.split(r"[\s)\]}]", value)[-1]
            if ("at)" in value or "at]" in value or "at}" in value) or (" dot " in value and tld in _SPELLED_TLDS):
                yield Span(m.start(), m.end(), E.EMAIL)
    yield from _loose_emails(text, low, words)


# --- IPv6 (IPv4 is found with the other numbers) ---------------------------------------------------------------

_IPV6 = re.compile(
    r"(?i)(?<![\w:.])(?:[0-9a-f]{0,4}:){2,7}(?:[0-9a-f]{1,4}|\d{1,3}(?:\.\d{1,3}){3})?(?:%\w{1,15})?"
    r"(?:/\d{1,3})?(?![\w:])"
)
_NOT_PERSONAL_IPV6 = frozenset({"::", "::1"})


def find_ipv6(text: str) -> Iterator[Span]:
    if "::" not in text and text.count(":") < 7:
        return
    for m in _IPV6.finditer(text):
        value = m.group().split("%")[0].split("/")[0]
        if value.count(":") < 2 or value in _NOT_PERSONAL_IPV6:
            continue
        try:
            ipaddress.IPv6Address(value)
        except ValueError:
            continue
        yield Span(m.start(), m.end(), E.IP)


# --- secrets ------------------------------------------------------------------------------------------------------

_KNOWN_TOKEN = re.compile(
    r"(?<![\w/+=-])(?:"
    r"(?:AKIA|ASIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|APKA)[0-9A-Z]{16}"  # AWS access key ids
    r"|gh[pousr]_[A-Za-z0-9]{30,255}|github_pat_[A-Za-z0-9_]{22,255}"  # GitHub
    r"|xox[abposr]-[A-Za-z0-9-]{10,250}"  # Slack
    r"|(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{10,247}|whsec_[A-Za-z0-9]{20,100}"  # Stripe
    r"|AIza[0-9A-Za-z_-]{35}"  # Google API keys
    r"|sk-(?:proj-|ant-)?[A-Za-z0-9_-]{20,250}"  # OpenAI / Anthropic style
    r"|glpat-[A-Za-z0-9_-]{20,100}|npm_[A-Za-z0-9]{36}|SG\.[A-Za-z0-9_-]{16,32}\.[A-Za-z0-9_-]{16,64}"
    r"|eyJ[A-Za-z0-9_-]{8,4000}\.eyJ[A-Za-z0-9_-]{8,8000}\.[A-Za-z0-9_-]{0,4000}"  # JWTs
    r")(?![\w-])"
)
_TOKEN_TRIGGERS = (
    "AKIA",
    "ASIA",
    "AGPA",
    "AIDA",
    "AROA",
    "AIPA",
    "ANPA",
    "ANVA",
    "APKA",
    "ghp_",
    "gho_",
    "ghu_",
    "ghs_",
    "ghr_",
    "github_pat_",
    "xox",
    "_live_",
    "_test_",
    "whsec_",
    "AIza",
    "sk-",
    "glpat-",
    "npm_",
    "SG.",
    "eyJ",
)


_Anchors = tuple[tuple[str, tuple[tuple[int, tuple[str, ...]], ...]], ...]


def _anchored(triggers: tuple[str, ...], anchors: str) -> _Anchors:
    """Each trigger under the first of `anchors` it contains, grouped by that character's offset in it."""
    table: dict[str, dict[int, tuple[str, ...]]] = {}
    for trigger in triggers:
        anchor = next(c for c in anchors if c in trigger)
        by_offset = table.setdefault(anchor, {})
        by_offset[trigger.index(anchor)] = (*by_offset.get(trigger.index(anchor), ()), trigger)
    return tuple((anchor, tuple(by_offset.items())) for anchor, by_offset in table.items())


# Rare characters to look for first: one memchr each, instead of one substring search per trigger.
_TRIGGER_ANCHORS = _anchored(_TOKEN_TRIGGERS, "_-AxSJ")


def _has_trigger(text: str) -> bool:
    """any(t in text for t in _TOKEN_TRIGGERS), found from the triggers' rare characters."""
    for anchor, by_offset in _TRIGGER_ANCHORS:
        i = text.find(anchor)
        while i >= 0:
            for offset, group in by_offset:  # a plain loop: a generator per hit costs more than the test
                if i >= offset and text.startswith(group, i - offset):
                    return True
            i = text.find(anchor, i + 1)
    return False


# The body stops at the END line, or at the first character a PEM body cannot hold when the END line is missing.
_PEM = re.compile(
    r"-----BEGIN[A-Z ]{0,30}PRIVATE KEY-----(?:(?!-----END)[A-Za-z0-9+/=\s:,-]){0,20000}"
    r"(?:-----END[A-Z ]{0,30}PRIVATE KEY-----)?"
)
_SECRET_WORD = (
    r"(?:pass(?:word|wd|code|phrase)?|pwd|pw|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|key|"
    r"client[_-]?secret|auth[_-]?token|credentials?|kennwort|passwort|wachtwoord|contrase[ñn]a|clave|"
    r"mot de passe|mdp)"
)
_CODE_WORD = r"(?:(?:one[- ]time|verification|security|2fa|mfa|otp|sms|login|auth) ?code|otp|pin|cvv2?|cvc2?|csc)"
_SECRET_KV = re.compile(
    r"(?i)(?<![^\W_])(?:(?P<word>" + _SECRET_WORD + r")|(?P<code>" + _CODE_WORD + r"))(?:[_.-][a-z0-9]{1,20}){0,3}"
    r"(?![\w])(?:\s[\w'-]{1,20}){0,4}?"  # "password for the admin panel is ...", "password by mistake: ..."
    r"(?P<sep>\s{0,3}(?:[:=]|=>|->)\s{0,3}|\s{1,3}(?:is|was|is now|ist|lautet|est|es|era|is nu)\s{1,3}|"
    r"\s{1,3}(?=[\"'`]|[^\s]*\d))"
    r"(?P<value>\"[^\"\n]{1,200}\"|'[^'\n]{1,200}'|`[^`\n]{1,200}`|[^\s\"'`]{1,200})"
)
# Every word the key alternatives above can open with: the pattern is tried only where one of them starts a word.
# Modifiers ("api", "security", ...) only matter before a head noun ("key", "code", ...), so they are searched
# only when one of those occurs at all.
_SECRET_KEYWORDS = (
    "pass",
    "pw",
    "secret",
    "token",
    "key",
    "credential",
    "kennwort",
    "wachtwoord",
    "contrase",
    "clave",
    "mot de passe",
    "mdp",
    "otp",
    "pin",
    "cvv",
    "cvc",
    "csc",
)
_SECRET_MODIFIERS = (
    "api",
    "access",
    "private",
    "client",
    "auth",
    "one",
    "verif",
    "security",
    "2fa",
    "mfa",
    "sms",
    "login",
)
_SECRET_HEADS = ("key", "code", "secret", "token")
_PLACEHOLDER_START = re.compile(r"\[[A-Z_]{2,20}\]")
_BEARER = re.compile(r"(?i)\b(?:bearer|basic)\s+(?P<value>[A-Za-z0-9\-._~+/]{12,4000}=*)")
# Words that follow "password:" in tickets without being the password.
_NOT_A_SECRET = frozenset(
    {
        "reset",
        "resets",
        "expired",
        "expires",
        "incorrect",
        "wrong",
        "invalid",
        "required",
        "missing",
        "none",
        "null",
        "n/a",
        "na",
        "not",
        "no",
        "yes",
        "empty",
        "blank",
        "changed",
        "change",
        "forgotten",
        "forgot",
        "lost",
        "same",
        "unknown",
        "locked",
        "ok",
        "okay",
        "correct",
        "set",
        "please",
        "help",
        "the",
        "a",
        "an",
        "my",
        "your",
        "is",
        "was",
        "policy",
        "rules",
        "requirements",
        "manager",
        "field",
        "prompt",
        "screen",
        "page",
        "link",
        "email",
        "e-mail",
        "mail",
        "sent",
        "via",
        "and",
        "or",
        "but",
        "it",
        "this",
        "that",
        "still",
        "doesn't",
        "does",
        "didn't",
        "won't",
        "can't",
        "cannot",
        "isn't",
        "wasn't",
        "again",
        "too",
        "also",
        "has",
        "had",
        "have",
        "will",
        "would",
        "should",
        "must",
        "needs",
        "need",
        "works",
        "working",
        "problem",
        "issue",
        "error",
        "here",
        "there",
        "below",
        "above",
        "attached",
        "hidden",
        "redacted",
        "removed",
        "withheld",
        "correctly",
        "now",
        "then",
        "every",
        "each",
        "for",
        "to",
        "of",
        "in",
        "on",
        "at",
        "with",
        "without",
        "be",
        "being",
        "been",
        "are",
        "were",
        "so",
        "very",
        "really",
        "just",
        "only",
        "never",
        "always",
        "because",
        "since",
        "after",
        "before",
        "when",
        "if",
        "while",
        "till",
        "until",
        "i",
        "we",
        "you",
        "they",
        "he",
        "she",
        "me",
        "us",
        "them",
        "him",
        "her",
        "enter",
        "value",
        "authentication",
        "based",
        "protected",
        "strength",
        "length",
        "complexity",
        "history",
        "update",
        "updated",
    }
)


def _credential_like(value: str) -> bool:
    return any(c.isdigit() for c in value) or any(not c.isalnum() for c in value) or any(c.isupper() for c in value[1:])


def _bare_credential(value: str) -> bool:
    """ "pwd Adm!n2026": letters and digits, six characters or more."""
    return len(value) >= 6 and any(c.isdigit() for c in value) and any(c.isalpha() for c in value)


def find_secrets(text: str, low: str, words: WordIndex | None = None) -> Iterator[Span]:
    if _has_trigger(text):
        for m in _KNOWN_TOKEN.finditer(text):
            yield Span(m.start(), m.end(), E.SECRET)
    if "PRIVATE KEY" in text:
        for m in _PEM.finditer(text):
            yield Span(m.start(), m.end(), E.SECRET)
    for lo, hi in keyword_windows(text, low, ("bearer", "basic"), 0, 4020):
        for m in _BEARER.finditer(text, lo, hi):
            value = m.group("value")
            if any(c.isdigit() for c in value) or (len(value) >= 20 and not value.islower()):
                yield Span(m.start("value"), m.end("value"), E.SECRET)
    keywords: tuple[str, ...] = _SECRET_KEYWORDS
    if any(h in low for h in _SECRET_HEADS):
        keywords += _SECRET_MODIFIERS
    for pos in keyword_positions(text, low, keywords, words):
        kv = _SECRET_KV.match(text, pos)
        span = _secret_value(kv) if kv else None
        if span is not None:
            yield span


def _secret_value(m: re.Match[str]) -> Span | None:
    value, start = m.group("value"), m.start("value")
    sep = m.group("sep").strip().lower()
    quoted = value[:1] in "\"'`" and len(value) >= 2 and value[-1] == value[0]
    if quoted:
        value, start = value[1:-1], start + 1
    else:
        value = value.split("[", 1)[0] if _PLACEHOLDER_START.search(value) else value
        value = value.rstrip(".,;:)]}>")
    if not value:
        return None
    if m.group("code"):
        # PINs, CVVs and one-time codes are digits; "error code 5001" never gets here (no code word before it).
        if not (value.isdigit() and 3 <= len(value) <= 8):
            return None
    elif not sep and not (quoted or _bare_credential(value)):
        return None  # "password 2 times": a bare space introduces only a quoted or credential-like value
    elif sep in (":", "=", "=>", "->"):
        if value.lower() in _NOT_A_SECRET and not quoted:
            return None
    elif not (quoted or _credential_like(value)) or value.lower() in _NOT_A_SECRET:
        return None  # "my password is correct"
    return Span(start, start + len(value), E.SECRET)


# --- dates of birth -----------------------------------------------------------------------------------------------

_MONTH = r"[^\W\d_]{3,10}\.?"
_DATE = (
    r"\d{1,4}[./-]\d{1,2}[./-]\d{1,4}|\d{1,2}(?:st|nd|rd|th)?\.?\s(?:of\s)?"
    + _MONTH
    + r",?\s\d{4}|"
    + _MONTH
    + r"\s\d{1,2}(?:st|nd|rd|th)?,?\s\d{4}"
)
_DOB = re.compile(
    r"(?i)(?<![\w])(?:date of birth|d\.o\.b\.?|dob|birth ?date|birthday|born(?: on)?|geburtsdatum|geboren(?: am)?|"
    r"date de naissance|n[ée]e? le|fecha de nacimiento|nacid[oa] el|geboortedatum|geboren op)(?![\w])"
    r"[^\w\n]{0,3}(?:(?:is|was|ist|est|es|:)(?![\w])[^\w\n]{0,3})?(?P<value>" + _DATE + r")(?![\w])"
)
_DOB_KEYWORDS = (
    "birth",
    "dob",
    "d.o.b",
    "born",
    "geburt",
    "geboren",
    "naissance",
    "née le",
    "nee le",
    "né le",
    "ne le",
    "nacimiento",
    "nacid",
    "geboorte",
)


def find_birth_dates(text: str, low: str, words: WordIndex | None = None) -> Iterator[Span]:
    # Every match holds a keyword that starts a word, at most 9 characters after the match starts and 50 before
    # it ends: within that keyword's window, so keywords that start no word can be skipped (see keyword_windows).
    index = words if words is not None and text.isascii() else None
    for lo, hi in keyword_windows(text, low, _DOB_KEYWORDS, 24, 80, words=index):
        for m in _DOB.finditer(text, lo, hi):
            yield Span(m.start("value"), m.end("value"), E.DOB)


# --- URLs that carry personal tokens ------------------------------------------------------------------------------

_URL = re.compile(r"(?i)\b(?:https?://|www\.)[^\s<>\"'`{}|\\^\[\]]{1,2000}")
_SENSITIVE_PARAM = re.compile(
    r"(?i)token|secret|passw|pwd|session|sess_?id|^sid$|sig$|signature|e-?mail|^mail$|phone|^tel$|user|login|"
    r"^name$|^first_?name$|^last_?name$|^code$|otp|ssn|^card|account|invite|reset|jwt|credential|api_?key|"
    r"access_?key|^key$|^auth|nonce|^hash$|^address$|^dob$"
)
_PERSONAL_PATH = frozenset(
    {
        "reset",
        "reset-password",
        "password-reset",
        "invite",
        "invitation",
        "verify",
        "confirm",
        "activate",
        "unsubscribe",
        "magic-link",
        "magic",
        "login",
        "share",
        "s",
        "d",
        "u",
        "user",
        "users",
        "profile",
        "account",
        "accounts",
        "webhooks",
        "services",
    }
)
_WEBHOOK_HOSTS = ("hooks.slack.com", "discord.com", "discordapp.com", "outlook.office.com", "webhook.office.com")


def _tokenish(segment: str) -> bool:
    """A long mixed-case or digit-rich path segment: a capability token rather than a page name."""
    if len(segment) < 16:
        return False
    digits = sum(c.isdigit() for c in segment)
    upper = sum(c.isupper() for c in segment)
    lower = sum(c.islower() for c in segment)
    return (
        segment.startswith("eyJ")
        or (upper > 0 and lower > 0 and digits > 0)
        or (len(segment) >= 24 and digits >= 4 and (upper + lower) >= 4 and "-" not in segment)
    )


def _id_like(segment: str) -> bool:
    """/users/48213, /s/AbC9xYz: an id or token after a personal path word (not /account/billing-history)."""
    return len(segment) >= 4 and (
        any(c.isdigit() for c in segment) or (len(segment) >= 8 and not segment.islower() and not segment.isupper())
    )


def is_personal_url(url: str) -> bool:
    if "@" in url or "%40" in url.lower():
        return True  # credentials in the authority, or an e-mail address in the path or query
    try:
        parts = urlsplit(url if "://" in url else "http://" + url)
    except ValueError:
        return False
    host = parts.hostname or ""
    if host.endswith(_WEBHOOK_HOSTS) and parts.path.count("/") >= 2:
        return True
    for query in (parts.query, parts.fragment):
        for key, value in parse_qsl(query, keep_blank_values=True):
            if value and _SENSITIVE_PARAM.search(key):
                return True
    segments = [s for s in parts.path.split("/") if s]
    for i, segment in enumerate(segments):
        if _tokenish(segment):
            return True
        if segment.lower() in _PERSONAL_PATH and i + 1 < len(segments) and _id_like(segments[i + 1]):
            return True
    return False


def find_urls(text: str, low: str) -> Iterator[Span]:
    if "://" not in text and "www." not in low:
        return
    for m in _URL.finditer(text):
        url = m.group().rstrip(".,;:!?)'\"")
        if is_personal_url(url):
            yield Span(m.start(), m.start() + len(url), E.URL)
