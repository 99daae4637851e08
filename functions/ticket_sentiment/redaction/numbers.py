"""Numeric personal data: phone numbers, payment cards, IBANs, national ids, account numbers, IPv4 addresses.

One linear scan finds runs of four or more digits; every check below runs only on a small window around such
a run, so a ticket with three numbers costs three small checks, not a dozen scans of the whole text. A pattern
only proposes a candidate; validation decides: libphonenumber for phones, Luhn plus the issuer prefix for
cards, the mod-97 check for IBANs, the python-stdnum checks for national ids.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache, lru_cache

import phonenumbers
from phonenumbers import REGION_CODE_FOR_NON_GEO_ENTITY, PhoneMetadata, PhoneNumberDesc
from stdnum import iban as stdnum_iban
from stdnum import numdb
from stdnum.de import idnr
from stdnum.es import dni, nie
from stdnum.fr import nir
from stdnum.in_ import aadhaar, pan
from stdnum.nl import bsn
from stdnum.us import ssn
from stdnum.util import get_cc_module

from .context import PHONE_LABELS, LabelReader, id_label, is_not_personal, number_label
from .detectors import digit_runs
from .models import EntityType, Span

E = EntityType
# Module constants: an enum member lookup (E.PHONE) costs about as much as a short string test on Python 3.11.
_E_PHONE, _E_CARD, _E_IBAN, _E_SSN, _E_NATIONAL_ID, _E_IP = E.PHONE, E.CARD, E.IBAN, E.SSN, E.NATIONAL_ID, E.IP
_SEPARATORS = " \u00a0().-/"
_ASCII_LETTERS = frozenset(string.ascii_letters)
_ASCII_ALNUM = string.ascii_letters + string.digits
_RUN = re.compile(r"\d[ \u00a0().\-/]{0,3}\d[ \u00a0().\-/]{0,3}\d[ \u00a0().\-/]{0,3}\d[\d \u00a0().\-/]*")

# --- phone numbers ------------------------------------------------------------------------------------------------

# Candidates may be longer than any phone number: a run like "4111 1111 1111 1111 020 7946 0958" is matched
# whole, then retried from each digit group, so the result does not depend on where a length limit cut it.
_PHONE = re.compile(r"(?<![\w+@#/.=(-])(?:\+\(?|\(\+?)?\d[\d \u00a0().\-/]{5,}\d(?!(?!x\d)\w|[.,/-]\d)")
# An extension after a phone number belongs to it: "555-123-4567 x204", "(216)476-5657x104", "ext. 12".
_EXTENSION = re.compile(r"(?i)[ \t]?(?:x|ext\.?|extn\.?|extension|durchwahl|poste|#)[ \t]?\d{1,6}(?!\w)")
# Groups of a run are split at spaces and slashes only: "122.0.6261.112" and "415-555-0132" are one group each.
_GROUP = re.compile(r"[+(]*\d[^\s/]*(?<=[\d)])")
# A label after the number, where a language puts it there: Turkish "... numarasından arayın" ("call from the
# number ..."), German "... anrufen" / "erreichbar", a bracketed "(mobile)".
_LABEL_AFTER = re.compile(
    r"(?i)[ \t]*(?:\((?:mobile|mob|cell|tel|phone|handy|cep)\)|numarasından|numaramdan|numaradan|telefonundan"
    r"|anrufen|erreichbar|zurückrufen)(?!\w)"
)
_MAX_RETRIES = 24  # phone checks per run once the whole run failed
_MAX_GROUPS = 48  # digit groups of one run examined for hidden numbers
_DATE_LIKE = re.compile(r"\d{1,4}([./-])\d{1,2}\1\d{1,4}(?:[ T]\d{1,2})?")
# A phone number never holds a full date: "02.03.2026 2.5" is a date and a size, not a number.
_HAS_DATE = re.compile(r"(?<!\d)(?:\d{1,2}([./-])\d{1,2}\1(?:19|20)\d{2}|(?:19|20)\d{2}([./-])\d{1,2}\2\d{1,2})(?!\d)")
_NANP = re.compile(r"(?:\+?1[ .-]?)?(?:\(\d{3}\)[ .-]?|\d{3}[ .-])\d{3}[ .-]\d{4}")
_ES = re.compile(r"[6-9]\d{2}(?:[ .-]\d{3}){2}|[6-9]\d[ .-]\d{3}(?:[ .-]\d{2}){2}|[6-9]\d{2}(?:[ .-]\d{2}){3}")
_IN_MOBILE = re.compile(r"[6-9]\d{4}[ -]?\d{5}")
# "020 7946 0958 or 07700 900123": a number right after a phone number, joined by "or" or a slash, is one too.
_PHONE_JOINER = re.compile(
    r"(?i)\s*(?:,|/|or|oder|ou|o|of|en|y|und|et|and|\||;)?\s*(?:\(|\b(?:mobile|mob|m|t|"
    r"tel|cell|landline|home|work|office|fax)\b\.?:?\s*)?"
)
_CARRIER_NEAR = re.compile(
    r"(?i)\b(?:ups|fedex|dhl|usps|tnt|gls|dpd|hermes|royal mail|parcelforce|colissimo|correos|"
    r"postnl|tracking|sendung|colis|envío|envio|zending)\b[^\n]*$"
)
# Regions whose national format starts with the trunk prefix 0, tried in order of how often that length occurs.
_TRUNK_ZERO_BY_LENGTH = {
    11: ("GB", "IN", "DE", "IT", "AT", "IE", "NL"),
    10: ("FR", "NL", "DE", "BE", "CH", "AU", "IT", "IE", "AT", "GB"),
}
_TRUNK_ZERO_OTHER = ("DE", "AT", "IT", "IE", "BE", "GB", "CH", "NL", "IN", "AU")
# libphonenumber costs tens of microseconds a call; a text with more candidates than this (only bulk or
# adversarial input has) is judged by shape alone, which errs towards redacting and keeps time bounded.
PHONE_VALIDATION_BUDGET = 48


# Number types besides fixed line and mobile: libphonenumber tries all of these first, though a number in a ticket
# is almost always one of those two.
_RARER_TYPES = ("premium_rate", "toll_free", "shared_cost", "voip", "personal_number", "pager", "uan", "voicemail")


@cache  # static libphonenumber metadata, not verdicts on any text
def _metadata_pattern(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _desc_matches(nsn: str, desc: PhoneNumberDesc | None) -> bool:
    """libphonenumber's test of a number against one type: a listed length, and the whole pattern."""
    if desc is None or not desc.national_number_pattern:
        return False
    if desc.possible_length and len(nsn) not in desc.possible_length:
        return False
    return _metadata_pattern(desc.national_number_pattern).fullmatch(nsn) is not None


def valid_for_region(number: phonenumbers.PhoneNumber, region: str) -> bool:
    """phonenumbers.is_valid_number_for_region, with the same tests in a cheaper order: a number is valid when
    it fits the region's general pattern and any one number type, so the common types go first."""
    if number.country_code is None:
        return False
    return _valid_nsn(number.country_code, phonenumbers.national_significant_number(number), region)


def _valid_nsn(country_code: int, nsn: str, region: str) -> bool:
    """valid_for_region for a national significant number, with no PhoneNumber object to build."""
    metadata = PhoneMetadata.metadata_for_region_or_calling_code(country_code, region)
    if metadata is None or (region != REGION_CODE_FOR_NON_GEO_ENTITY and country_code != metadata.country_code):
        return False
    if not _desc_matches(nsn, metadata.general_desc):
        return False
    if _desc_matches(nsn, metadata.fixed_line):
        return True
    # Like libphonenumber, the mobile pattern counts only where it differs from the fixed-line one.
    if not metadata.same_mobile_and_fixed_line_pattern and _desc_matches(nsn, metadata.mobile):
        return True
    return any(_desc_matches(nsn, getattr(metadata, kind)) for kind in _RARER_TYPES)


def _valid_for(national: str, region: str) -> bool:
    """Validity of a nationally written number, without the cost of phonenumbers.parse()."""
    if region == "IT":  # Italian numbers keep their leading zero: let the parser handle that
        return _parse_valid(national, region)
    digits = national
    nanp = region in ("US", "CA")
    trunk = digits.startswith("0") and not nanp and region != "ES"
    if trunk or (nanp and len(digits) == 11 and digits.startswith("1")):
        digits = digits[1:]  # the trunk prefix (0, or 1 in North America) is not part of the national number
    if not digits or digits.startswith("0") or len(digits) > 15:
        return False
    # str(int()): what national_significant_number() gives back (digits of other scripts become ASCII ones).
    return _valid_nsn(phonenumbers.country_code_for_region(region), str(int(digits)), region)


def _valid_international(digits: str) -> bool:
    for size in (1, 2, 3):  # country calling codes are prefix-free
        code = int(digits[:size])
        region = phonenumbers.region_code_for_country_code(code)
        if region != phonenumbers.UNKNOWN_REGION:
            rest = digits[size:]
            if code == 39 or rest.startswith("0"):
                return _parse_valid("+" + digits, None)
            if not rest:
                return False
            # The code's main region first (GB for +44, US for +1): one check instead of one per sharing region.
            national = int(rest)
            return _valid_nsn(code, str(national), region) or bool(
                phonenumbers.is_valid_number(phonenumbers.PhoneNumber(country_code=code, national_number=national))
            )
    return False


def _parse_valid(number: str, region: str | None) -> bool:
    try:
        return bool(phonenumbers.is_valid_number(phonenumbers.parse(number, region)))
    except phonenumbers.NumberParseException:
        return False


_NON_DIGITS = re.compile(r"\D")


@lru_cache(maxsize=2048)
def valid_phone(candidate: str, regions: tuple[str, ...], labelled: bool) -> bool:
    """libphonenumber's verdict, trying only the regions whose national format fits the candidate's shape."""
    cleaned = candidate.replace("(0)", " ").replace("\u00a0", " ")
    if cleaned.startswith("(+"):
        cleaned = cleaned[1:]  # "(+44) 20 ..."
    digits = _NON_DIGITS.sub("", cleaned)
    if cleaned.startswith("+") or digits.startswith("00"):
        return len(digits) >= 8 and _valid_international(digits[2:] if digits.startswith("00") else digits)
    if digits.startswith("0"):
        tried = _TRUNK_ZERO_BY_LENGTH.get(len(digits), _TRUNK_ZERO_OTHER)
        return any(_valid_for(digits, r) for r in tried if r in regions)
    shaped: list[str] = []
    if _NANP.fullmatch(cleaned) or (labelled and len(digits) in (10, 11)):
        shaped += ["US", "CA"]
    if _ES.fullmatch(cleaned) or (labelled and len(digits) == 9):
        shaped.append("ES")
    if _IN_MOBILE.fullmatch(cleaned) or (labelled and len(digits) == 10):
        shaped.append("IN")
    return any(_valid_for(digits, r) for r in shaped if r in regions)


@dataclass
class _ScanState:
    """One text's scan: the libphonenumber budget, where the last phone ended (for numbers joined by "or"),
    candidates already seen, and the label words read before each offset."""

    budget: int = PHONE_VALIDATION_BUDGET
    last_end: int = -1
    seen: set[int] = field(default_factory=set)
    words: dict[int, list[str]] = field(default_factory=dict)  # words_before, memoised for this text
    reader: LabelReader | None = None  # made on the first label read: many texts have no number to label

    def words_before(self, text: str, start: int) -> list[str]:
        words = self.words.get(start)
        if words is None:
            if self.reader is None:
                self.reader = LabelReader(text)
            words = self.words[start] = self.reader.words_before(start)
        return words


def _phone_at(text: str, start: int, end: int, regions: tuple[str, ...], state: _ScanState) -> bool:
    candidate = text[start:end]
    digits = sum(map(str.isdigit, candidate))
    if not 7 <= digits <= 15 or _DATE_LIKE.fullmatch(candidate) or _HAS_DATE.search(candidate):
        return False
    date = _HAS_DATE.search(text, max(0, start - 8), min(len(text), start + 10))
    if date is not None and date.start() < start < date.end():
        return False  # "14/02/2021 (2.3.4.5)": the tail of a date and what follows is no phone number
    international = candidate.startswith(("+", "00"))
    if not international and _CARRIER_NEAR.search(text, max(0, start - 40), start):
        return False  # "UPS 1Z 999 AA1 01 2345 6784": a spaced tracking number, not a phone
    label = _label_of(text, start, end, state)
    is_phone_label = label in PHONE_LABELS
    # A + prefix or a bracketed area code says "phone" louder than any label before it.
    if label is not None and not is_phone_label and not international and not candidate.startswith("("):
        return False
    if state.budget > 0:
        state.budget -= 1
        valid = valid_phone(candidate, regions, is_phone_label)
    else:
        valid = international or candidate.startswith("0")
    if valid or (is_phone_label and digits >= 8):
        state.last_end = end
        return True
    return False


def _label_of(text: str, start: int, end: int, state: _ScanState) -> str | None:
    """What labels the number at start..end: the words before it; "phone" when it follows a phone number it is
    joined to ("... or 020 ...") or, with no label before it, when the word after it labels a phone ("order
    123456789 ..." stays an order number)."""
    label = number_label(state.words_before(text, start))
    if state.last_end >= 0 and start - state.last_end <= 24 and _PHONE_JOINER.fullmatch(text, state.last_end, start):
        return "phone"
    if label is None and _labelled_after(text, end):
        return "phone"
    return label


def _labelled_after(text: str, end: int) -> bool:
    """The word after the number (and its extension, if any) labels it a phone number."""
    extension = _EXTENSION.match(text, end)
    return _LABEL_AFTER.match(text, extension.end() if extension else end) is not None


def _phones(text: str, lo: int, hi: int, regions: tuple[str, ...], state: _ScanState) -> Iterator[Span]:
    for m in _PHONE.finditer(text, lo, hi):
        if m.start() in state.seen:
            continue
        state.seen.add(m.start())
        candidate = m.group()
        if candidate.startswith("(") and ")" not in candidate:
            candidate = candidate.lstrip("(")
        start = m.end() - len(candidate)
        if _phone_at(text, start, m.end(), regions, state):
            extension = _EXTENSION.match(text, m.end())
            yield Span(start, extension.end() if extension else m.end(), _E_PHONE)
        elif not text[start - 1 : start].isalpha():  # a run glued to letters ("DE89 3704 ...") is something else
            yield from _phones_inside(text, start, m.end(), regions, state)


def _phones_inside(
    text: str,
    start: int,
    end: int,
    regions: tuple[str, ...],
    state: _ScanState,
) -> Iterator[Span]:
    """Numbers behind or between others in one run ("order 48213 020 7946 0958", "0100000 0100000"): left to
    right, the longest run of whole groups that is a phone, so the result is the same whether or not a
    neighbour was redacted first. Bounded: at most _MAX_RETRIES checks per run."""
    groups = [(g.start(), g.end()) for _, g in zip(range(_MAX_GROUPS), _GROUP.finditer(text, start, end), strict=False)]
    tries, i = 0, 0
    while i < len(groups) and tries < _MAX_RETRIES:
        found = -1
        for j in range(min(len(groups) - 1, i + 14), i - 1, -1):  # at most 15 digits: at most 15 groups
            if (i, j) == (0, len(groups) - 1) or not 7 <= _digits(text, groups[i][0], groups[j][1]) <= 15:
                continue  # the whole run was checked already
            tries += 1
            if _phone_at(text, groups[i][0], groups[j][1], regions, state):
                found = j
                break
            if tries >= _MAX_RETRIES:
                break
        if found >= 0:
            yield Span(groups[i][0], groups[found][1], _E_PHONE)
            i = found + 1
        else:
            i += 1


def _digits(text: str, start: int, end: int) -> int:
    return sum(map(str.isdigit, text[start:end]))


# --- payment cards ------------------------------------------------------------------------------------------------

# The whole digit run (up to 80 digits) is matched, then searched for cards group by group, so a card glued to
# another number is found the same way whether or not its neighbour was redacted first.
# Separators: space, dash, dot or slash, mixed or not ("4111.1111-1111 1111").
_CARD = re.compile(r"(?<![\w.,/+-])\d(?:[ ./-]?\d){11,79}(?!\w|[.,/-]\d)")
_MAX_CARD_GROUPS = 7  # a card is written in at most seven groups
_MAX_CARD_CHECKS = 64  # Luhn checks per run once the whole run failed


_ANY = range(12, 20)
_LONG = range(16, 20)
# (first, last, prefix digits, lengths): the first range holding the card's prefix decides. Schemes in use: Visa,
# Mastercard incl. the 2-series, Amex, Discover, JCB incl. its 15-digit 2131/1800 ranges, Diners, UnionPay, Maestro
# (12-19 digits), Mir, RuPay, Troy.
_SCHEMES: tuple[tuple[int, int, int, range | tuple[int, ...]], ...] = (
    (5018, 5018, 4, _ANY),
    (5020, 5020, 4, _ANY),
    (5038, 5038, 4, _ANY),
    (5893, 5893, 4, _ANY),
    (6304, 6304, 4, _ANY),
    (6759, 6759, 4, _ANY),
    (6761, 6763, 4, _ANY),  # Maestro
    (4, 4, 1, (13, 16, 19)),  # Visa
    (51, 55, 2, (16,)),
    (2221, 2720, 4, (16,)),  # Mastercard
    (34, 34, 2, (15,)),
    (37, 37, 2, (15,)),  # American Express
    (2131, 2131, 4, (15,)),
    (1800, 1800, 4, (15,)),  # JCB's old 15-digit ranges
    (6011, 6011, 4, _LONG),
    (65, 65, 2, _LONG),
    (644, 649, 3, _LONG),
    (622126, 622925, 6, _LONG),  # Discover
    (35, 35, 2, _LONG),  # JCB (3528-3589 issued; the whole 35 range is JCB's)
    (36, 36, 2, range(14, 20)),
    (38, 39, 2, range(14, 20)),
    (300, 305, 3, range(14, 20)),
    (3095, 3095, 4, range(14, 20)),  # Diners
    (2200, 2204, 4, _LONG),  # Mir
    (9792, 9792, 4, (16,)),  # Troy
    (353, 353, 3, _LONG),
    (356, 356, 3, _LONG),
    (508, 508, 3, _LONG),
    (60, 60, 2, _LONG),
    (81, 82, 2, _LONG),  # RuPay
    (50, 50, 2, _ANY),
    (62, 62, 2, _LONG),
    (56, 69, 2, _LONG),  # Maestro, UnionPay
)


def card_brand_ok(d: str) -> bool:
    """The issuer prefix and length fit a real card scheme (Luhn alone passes one random number in ten).
    A 12-15 digit number in Maestro's broad 56-58 ranges counts only where it is labelled (see _short_maestro)."""
    n = len(d)
    if not 12 <= n <= 19:
        return False
    for first, last, size, lengths in _SCHEMES:
        if first <= int(d[:size]) <= last:
            return n in lengths
    return False


# Byte tables from an ASCII digit to its value, and to the digit sum of twice its value (Luhn's doubled digits).
_LUHN_VALUE = bytes.maketrans(b"0123456789", bytes(range(10)))
_LUHN_DOUBLED = bytes.maketrans(b"0123456789", bytes((0, 2, 4, 6, 8, 1, 3, 5, 7, 9)))


def luhn_valid(digits: str) -> bool:
    """stdnum.luhn.is_valid for decimal numbers, without its generic-alphabet machinery (several times slower)."""
    if not digits or not digits.isascii() or not digits.isdigit():
        return False
    raw = digits.encode("ascii")
    return (sum(raw[::-2].translate(_LUHN_VALUE)) + sum(raw[-2::-2].translate(_LUHN_DOUBLED))) % 10 == 0


def is_card(digits: str) -> bool:
    return 12 <= len(digits) <= 19 and card_brand_ok(digits) and luhn_valid(digits)


_CARD_WORDS = frozenset(
    {
        "card",
        "maestro",
        "karte",
        "carte",
        "tarjeta",
        "carta",
        "kaart",
        "karta",
        "kart",
        "карта",
        "debit",
        "credit",
        "cc",
    }
)


def _short_maestro(digits: str, words: list[str]) -> bool:
    """A 12-15 digit Maestro card in the broad 56-58 ranges: only where the words before say "card" (order
    numbers of that length pass Luhn one time in ten)."""
    return (
        12 <= len(digits) <= 15
        and digits[:2] in ("56", "57", "58")
        and luhn_valid(digits)
        and not _CARD_WORDS.isdisjoint(words)
    )


def _cards(text: str, lo: int, hi: int, state: _ScanState) -> Iterator[Span]:
    for m in _CARD.finditer(text, lo, hi):
        # "ref 2231 4111 1111 1111 1111": the label names the first group only.
        words = state.words_before(text, m.start())
        labelled_id = is_not_personal(words)
        digits = _NON_DIGITS.sub("", m.group())
        if not labelled_id and (is_card(digits) or _short_maestro(digits, words)) and not _HAS_DATE.search(m.group()):
            yield Span(m.start(), m.end(), _E_CARD)
            continue
        # Left to right, the longest run of whole digit groups that is a card ("ref 2231 4111 1111 1111 1111").
        # Only groups opening with a digit a card scheme can start with, and a bounded number of checks.
        groups = [(m.start() + g.start(), m.start() + g.end()) for g in re.finditer(r"\d+", m.group())]
        i, checks = int(labelled_id), 0
        while len(groups) > 1 and i < len(groups) and checks < _MAX_CARD_CHECKS:
            if text[groups[i][0]] not in "23456":
                i += 1
                continue
            checks += _MAX_CARD_GROUPS
            last = next(
                (
                    j
                    for j in range(min(len(groups) - 1, i + _MAX_CARD_GROUPS - 1), i - 1, -1)
                    if is_card("".join(text[a:b] for a, b in groups[i : j + 1]))
                    and not _HAS_DATE.search(text, groups[i][0], groups[j][1])
                ),
                None,
            )
            if last is None:
                i += 1
                continue
            yield Span(groups[i][0], groups[last][1], _E_CARD)
            i = last + 1


# --- IBAN ---------------------------------------------------------------------------------------------------------

# Lengths from the SWIFT IBAN registry: they tell where an IBAN ends when words follow it.
IBAN_LENGTHS = {
    "AD": 24,
    "AE": 23,
    "AL": 28,
    "AT": 20,
    "AZ": 28,
    "BA": 20,
    "BE": 16,
    "BG": 22,
    "BH": 22,
    "BI": 27,
    "BR": 29,
    "BY": 28,
    "CH": 21,
    "CR": 22,
    "CY": 28,
    "CZ": 24,
    "DE": 22,
    "DJ": 27,
    "DK": 18,
    "DO": 28,
    "EE": 20,
    "EG": 29,
    "ES": 24,
    "FI": 18,
    "FK": 18,
    "FO": 18,
    "FR": 27,
    "GB": 22,
    "GE": 22,
    "GI": 23,
    "GL": 18,
    "GR": 27,
    "GT": 28,
    "HN": 28,
    "HR": 21,
    "HU": 28,
    "IE": 22,
    "IL": 23,
    "IQ": 23,
    "IS": 26,
    "IT": 27,
    "JO": 30,
    "KW": 30,
    "KZ": 20,
    "LB": 28,
    "LC": 32,
    "LI": 21,
    "LT": 20,
    "LU": 20,
    "LV": 21,
    "LY": 25,
    "MC": 27,
    "MD": 24,
    "ME": 22,
    "MK": 19,
    "MN": 20,
    "MR": 27,
    "MT": 31,
    "MU": 30,
    "NI": 28,
    "NL": 18,
    "NO": 15,
    "OM": 23,
    "PK": 24,
    "PL": 28,
    "PS": 29,
    "PT": 25,
    "QA": 29,
    "RO": 24,
    "RS": 22,
    "RU": 33,
    "SA": 24,
    "SC": 31,
    "SD": 18,
    "SE": 24,
    "SI": 19,
    "SK": 24,
    "SM": 27,
    "SO": 23,
    "ST": 25,
    "SV": 28,
    "TL": 23,
    "TN": 24,
    "TR": 26,
    "UA": 29,
    "VA": 22,
    "VG": 24,
    "XK": 20,
    "YE": 30,
}
_LETTER_VALUES = str.maketrans({c: str(int(c, 36)) for c in string.ascii_uppercase})  # A -> "10" ... Z -> "35"


def _mod97(compact: str) -> bool:
    if not compact.isalnum() or not compact.isascii():
        return False
    return int((compact[4:] + compact[:4]).translate(_LETTER_VALUES)) % 97 == 1


@cache  # static registry data per country, not verdicts on any text
def _bban_format(country: str) -> tuple[re.Pattern[str] | None, bool]:
    """The country's BBAN structure from python-stdnum's IBAN registry, and whether stdnum has a national check."""
    props = numdb.get("iban").info(country)[0][1]
    if not props:
        return None, False
    structure = re.sub(
        r"([1-9][0-9]*)!([nac])",
        lambda m: {"n": "[0-9]", "a": "[A-Z]", "c": "[A-Za-z0-9]"}[m.group(2)] + f"{{{m.group(1)}}}",
        props.get("bban", ""),
    )
    return re.compile(f"^{structure}$"), get_cc_module(country, "iban") is not None


def _iban_valid(compact: str) -> bool:
    """stdnum.iban.is_valid for a compact, upper-case value that passed _mod97, without its per-call linear
    search of the registry (tens of microseconds): the country's BBAN structure, then any national check."""
    pattern, national_check = _bban_format(compact[:2])
    if pattern is None or not pattern.match(compact[4:]):
        return False
    return stdnum_iban.is_valid(compact) if national_check else True


_IBAN_HEAD = re.compile(r"(?<![^\W\d_])[A-Za-z]{2}\d{2}")
# An IBAN of exactly n alphanumerics, single spaces or hyphens allowed between them: each repeat takes one
# alphanumeric (and the separator before it), so the match ends right after the n-th one.
_IBAN_OF_LENGTH = {
    n: re.compile(rf"[A-Za-z]{{2}}\d{{2}}(?:[ \-]?[A-Za-z0-9]){{{n - 4}}}") for n in set(IBAN_LENGTHS.values())
}
_IBAN_START = re.compile(r"[A-Za-z]{2}\d{2}")


def _ibans(text: str, lo: int, hi: int) -> Iterator[Span]:
    pos = lo
    for head in _IBAN_HEAD.finditer(text, lo, hi):  # every "XX00", so one candidate never hides the next
        if head.start() < pos:
            continue
        length = IBAN_LENGTHS.get(head.group()[:2].upper())
        m = _IBAN_OF_LENGTH[length].match(text, head.start(), hi) if length else None
        if m is None:
            continue
        end = m.end()
        if end < len(text) and text[end].isalnum():
            continue  # the IBAN must end at a word boundary
        compact = m.group().replace(" ", "").replace("-", "").upper()
        if _mod97(compact) and _iban_valid(compact):  # the cheap checksum first, then the country format
            yield Span(m.start(), end, _E_IBAN)
            pos = end


# --- national ids and labelled numbers ----------------------------------------------------------------------------

_SSN = re.compile(r"(?<![\w-])\d{3}([- ])\d{2}\1\d{4}(?!\w|[-.,/]\d)")
_NINO = re.compile(
    r"(?<![\w-])(?!BG|GB|KN|NK|NT|TN|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D]"
    r"(?![\w-])"
)
_DNI = re.compile(r"(?i)(?<![\w-])\d{8}[ -]?[A-HJ-NP-TV-Z](?![\w-])")
_NIE = re.compile(r"(?i)(?<![\w-])[XYZ][ -]?\d{7}[ -]?[A-HJ-NP-TV-Z](?![\w-])")
_NIR = re.compile(r"(?<![\w-])[12] ?\d{2} ?(?:0[1-9]|1[0-2]|[2-9]\d) ?(?:\d{2}|2[AB]) ?\d{3} ?\d{3} ?\d{2}(?![\w-])")
_PAN = re.compile(r"(?<![\w-])[A-Z]{3}[ABCFGHJLPT][A-Z]\d{4}[A-Z](?![\w-])")
_VALUE = re.compile(r"[A-Za-z0-9]{1,20}(?:[ \-/.][A-Za-z0-9]{1,20}){0,5}")
# A bare "account" is a bank account only where banking words are near ("AWS account 1234..." is not).
_BANK_CONTEXT = re.compile(
    r"(?i)\b(?:bank|routing|sort code|iban|ifsc|bic|swift|bsb|aba|wire|transfer|refund|"
    r"deposit|kontonummer|blz|compte|cuenta|rekening)"
)
_ALNUM_TOKEN = re.compile(r"(?=[A-Za-z0-9]{0,20}\d)(?=[A-Za-z0-9]{0,20}[A-Za-z])[A-Za-z0-9]{8,20}(?![A-Za-z0-9])")
_TOKEN_START = re.compile(r"[A-Za-z0-9]{1,6}$")


def _value_tokens(value: str) -> tuple[str, int]:
    """The leading tokens of a labelled value that look like an identifier (digits, or short capitals)."""
    kept: list[str] = []
    for token in re.split(r"[ \-/.]", value):
        if any(c.isdigit() for c in token) or (len(token) <= 2 and token.isupper()):
            kept.append(token)
        else:
            break
    while kept and not any(c.isdigit() for c in kept[-1]):
        kept.pop()
    if not kept:
        return "", 0
    length = sum(len(t) for t in kept) + len(kept) - 1  # the kept tokens and the single separators between them
    return "".join(kept).upper(), length


def _labelled_entity(kind: str, compact: str) -> EntityType | None:
    if kind == "ssn":
        return E.SSN if ssn.is_valid(compact) else None
    if kind == "bank":
        ok = 6 <= len(compact) <= 18 and (compact.isdigit() or (len(compact) == 11 and compact[4] == "0"))
        return E.BANK_ACCOUNT if ok else None
    checks: dict[str, Callable[[str], bool]] = {
        "bsn": bsn.is_valid,
        "aadhaar": aadhaar.is_valid,
        "nir": nir.is_valid,
        "pan": pan.is_valid,
        "nino": lambda v: _NINO.fullmatch(v) is not None,
        "idnr": lambda v: idnr.is_valid(v) or 5 <= len(v) <= 20,
        "doc": lambda v: 5 <= len(v) <= 20,
    }
    return E.NATIONAL_ID if checks[kind](compact) else None


def _national_ids(text: str, start: int, end: int, nd: int, words: list[str]) -> list[Span]:
    """Checksummed national ids around a digit run; each pattern is tried only when the characters around the
    run can hold it (letters before a NINO or NIE, a letter after a DNI, five capitals before a PAN). The label
    test runs only once a pattern matched: most runs match none."""
    lo, hi = max(0, start - 5), min(len(text), end + 3)
    found: list[Span] = []
    if nd >= 9:
        found += _ssns_and_nirs(text, start, (lo, hi), nd, words)
    if nd >= 6 and text[max(0, start - 2) : start].strip().isupper():
        found += (Span(m.start(), m.end(), _E_NATIONAL_ID) for m in _NINO.finditer(text, lo, hi))
    if nd >= 7:
        after = text[end : end + 2]
        if after[:1].isalpha() or after[1:2].isalpha():
            found += _spanish_ids(text, start, (lo, hi), nd)
    elif nd == 4 and text[end : end + 1].isupper() and text[max(0, start - 5) : start].isupper():
        found += (
            Span(m.start(), m.end(), _E_NATIONAL_ID) for m in _PAN.finditer(text, lo, hi) if pan.is_valid(m.group())
        )
    return found


def _ssns_and_nirs(text: str, start: int, window: tuple[int, int], nd: int, words: list[str]) -> list[Span]:
    """US social security numbers and French NIRs (13+ digits starting 1 or 2), unless labelled not personal."""
    if is_not_personal(words):
        return []
    lo, hi = window
    found = [
        Span(m.start(), m.end(), _E_SSN)
        for m in _SSN.finditer(text, lo, hi)
        if ssn.is_valid(m.group().replace(m.group(1), ""))
    ]
    if nd >= 13 and text[start] in "12":
        found += (
            Span(m.start(), m.end(), _E_NATIONAL_ID) for m in _NIR.finditer(text, lo, hi) if nir.is_valid(m.group())
        )
    return found


def _spanish_ids(text: str, start: int, window: tuple[int, int], nd: int) -> list[Span]:
    """A DNI (eight digits and a letter) or an NIE (X, Y or Z, seven digits and a letter)."""
    lo, hi = window
    found: list[Span] = []
    if nd >= 8:
        found += (
            Span(m.start(), m.end(), _E_NATIONAL_ID)
            for m in _DNI.finditer(text, lo, hi)
            if dni.is_valid(_compact(m.group()))
        )
    if not _NIE_LETTERS.isdisjoint(text[max(0, start - 3) : start]):
        found += (
            Span(m.start(), m.end(), _E_NATIONAL_ID)
            for m in _NIE.finditer(text, lo, hi)
            if nie.is_valid(_compact(m.group()))
        )
    return found


_NIE_LETTERS = frozenset("XYZxyz")


def _compact(value: str) -> str:
    return value.upper().replace(" ", "").replace("-", "")


def _labelled(text: str, token_start: int, words: list[str]) -> Span | None:
    kind = id_label(words)
    if kind is None:
        return None
    m = _VALUE.match(text, token_start)
    if m is None:
        return None
    compact, length = _value_tokens(m.group())
    if (
        kind == "bank"
        and words[-1:] in (["account"], ["acct"], ["acc"])
        and not _BANK_CONTEXT.search(text, max(0, token_start - 160), token_start)
    ):
        return None
    entity = _labelled_entity(kind, compact) if compact else None
    return Span(token_start, token_start + length, entity) if entity else None


# --- IPv4 ---------------------------------------------------------------------------------------------------------

_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
_IPV4 = re.compile(r"(?<![\w.])" + _OCTET + r"(?:\." + _OCTET + r"){3}(?:/\d{1,2})?(?!\w|\.\d)")
_VERSION_WORDS = frozenset(
    {
        "v",
        "version",
        "ver",
        "build",
        "release",
        "firmware",
        "fw",
        "sdk",
        "app",
        "os",
        "chrome",
        "firefox",
        "safari",
        "edge",
        "windows",
        "ios",
        "android",
        "macos",
        "kernel",
    }
)
_IP_WORDS = frozenset({"ip", "ipv4", "address", "addr", "host", "server", "from", "adresse", "dirección"})
_NOT_PERSONAL_IPS = frozenset({"0.0.0.0", "127.0.0.1", "255.255.255.255"})


def _ipv4(text: str, lo: int, hi: int, words: list[str]) -> Iterator[Span]:
    if words and words[-1] in _VERSION_WORDS:
        return
    for m in _IPV4.finditer(text, lo, hi):
        address = m.group().split("/")[0]
        if len(address) == 7 and not (words and words[-1] in _IP_WORDS):
            continue  # "2.3.4.5": four single digits are a version number unless labelled as an address
        if address not in _NOT_PERSONAL_IPS:
            yield Span(m.start(), m.end(), _E_IP)


# --- the scan -----------------------------------------------------------------------------------------------------

_ID_TYPES = frozenset({E.SSN, E.NATIONAL_ID, E.BANK_ACCOUNT})


def _gaps(lo: int, hi: int, spans: list[Span]) -> list[tuple[int, int]]:
    """[lo, hi) without the given spans: later checks look beside a found card or IBAN, never into it."""
    gaps, pos = [], lo
    for span in sorted(spans, key=lambda s: s.start):
        if span.start > pos:
            gaps.append((pos, span.start))
        pos = max(pos, span.end)
    if pos < hi:
        gaps.append((pos, hi))
    return gaps


def _runs(text: str, digits: list[tuple[int, int]]) -> Iterator[tuple[re.Match[str], int]]:
    """_RUN.finditer(text), tried only where a run of digits starts; each match with the index of its first run.

    Same matches: a match starts with a digit, and where an attempt at one digit fails, an attempt at the digit
    right after it fails too (the longer attempt could take that one's match and prepend a digit).
    """
    end = 0
    for k, (start, _) in enumerate(digits):
        if start >= end:
            m = _RUN.match(text, start)
            if m is not None:
                end = m.end()
                yield m, k


def _iban_head_near(text: str, digits: list[tuple[int, int]], k: int, start: int) -> bool:
    """_IBAN_START.search(text, max(0, start - 16), start + 3) is not None, for the run `digits[k]` at `start`.

    The "00" of an "XX00" in that window opens a run of two digits or more right after two ASCII letters, at
    most 14 characters before this run: a walk back over a few runs instead of a search of every offset.
    """
    while k >= 0:
        run_start, run_end = digits[k]
        if run_start < start - 14:
            return False
        if (
            run_end - run_start >= 2
            and run_start >= 2
            and text[run_start - 1] in _ASCII_LETTERS
            and text[run_start - 2] in _ASCII_LETTERS
        ):
            return True
        k -= 1
    return False


@dataclass(frozen=True, slots=True)
class _Wanted:
    """The wanted types, tested once per text, not per run: an enum member lookup costs about 0.1 µs on Python
    3.11."""

    iban: bool
    card: bool
    phone: bool
    ip: bool
    national: bool
    ids: bool

    @classmethod
    def of(cls, want: frozenset[EntityType]) -> _Wanted:
        return cls(
            iban=_E_IBAN in want,
            card=_E_CARD in want,
            phone=_E_PHONE in want,
            ip=_E_IP in want,
            national=_E_NATIONAL_ID in want or _E_SSN in want,
            ids=not want.isdisjoint(_ID_TYPES),
        )


def find_numeric(
    text: str, want: frozenset[EntityType], regions: tuple[str, ...], digits: list[tuple[int, int]] | None = None
) -> Iterator[Span]:
    """`digits`: the text's digit runs (see digit_runs), when the caller has them already."""
    runs = digit_runs(text) if digits is None else digits
    if not runs:
        return
    phones = _ScanState()
    n = len(text)
    wanted = _Wanted.of(want)
    for m, k in _runs(text, runs):
        run = m.group().rstrip(_SEPARATORS)
        start = m.start()
        end = start + len(run)
        nd = sum(map(str.isdigit, run))
        lo, hi = max(0, start - 3), min(n, end + 3)
        found = _cards_and_ibans(text, runs, k, where=(start, lo, hi), nd=nd, wanted=wanted, phones=phones)
        if found:
            yield from found
            if any(s.start <= start and s.end >= end for s in found):
                continue  # a card or IBAN: its digits are not also a phone number or an id
        if nd >= 7 and wanted.phone:
            for a, b in _gaps(lo, hi, found) if found else ((lo, hi),):
                yield from _phones(text, a, b, regions, phones)
        dotted = wanted.ip and run.count(".") >= 3
        if wanted.ids or dotted:
            yield from _ids_at(text, (start, end, nd, lo, hi), dotted=dotted, wanted=wanted, want=want, phones=phones)
    if wanted.ids:
        yield from _mixed_ids(text, runs, phones, want)


def _cards_and_ibans(
    text: str,
    runs: list[tuple[int, int]],
    k: int,
    *,
    where: tuple[int, int, int],
    nd: int,
    wanted: _Wanted,
    phones: _ScanState,
) -> list[Span]:
    start, lo, hi = where
    found: list[Span] = []
    if wanted.iban and _iban_head_near(text, runs, k, start):
        found += _ibans(text, max(0, start - 16), min(len(text), start + 48))
    if nd >= 12 and wanted.card:
        # Cards are looked for beside an IBAN, never across it ("DE11 ... 62 4000 0000 0000 6").
        for a, b in _gaps(lo, hi, found) if found else ((lo, hi),):
            found += _cards(text, a, b, phones)
    return found


def _ids_at(
    text: str,
    run: tuple[int, int, int, int, int],
    *,
    dotted: bool,
    wanted: _Wanted,
    want: frozenset[EntityType],
    phones: _ScanState,
) -> Iterator[Span]:
    """IPv4 addresses and identifiers at a digit run (`run`: start, end, digit count, and the window lo, hi)."""
    start, end, nd, lo, hi = run
    # _TOKEN_START.search(text, max(0, start - 6), start): the ASCII letters and digits right before the run.
    before = text[max(0, start - 6) : start]
    token_start = start - len(before) + len(before.rstrip(_ASCII_ALNUM))
    # Labels matter for IPs and for ids of five digits or more; a four-digit run can only be a PAN's middle.
    words = phones.words_before(text, token_start) if dotted or nd >= 5 else []
    if dotted:
        yield from _ipv4(text, lo, hi, words)
    if not wanted.ids:
        return
    if wanted.national and nd != 5:  # no national id pattern below holds a run of five digits
        for national in _national_ids(text, start, end, nd, words):
            if national.type in want:
                yield national
    span = _labelled(text, token_start, words) if words else None
    if span is not None and span.type in want:
        yield span


def _mixed_ids(
    text: str,
    runs: list[tuple[int, int]],
    state: _ScanState,
    want: frozenset[EntityType],
) -> Iterator[Span]:
    """Labelled identifiers of letters and digits whose digit runs are too short for the scan above ("codice
    fiscale CRCLCU21E19D395C"): each such token is read once, from its first run."""
    seen = -1
    for start, end in runs:
        if (
            end - start >= 4
            or start <= seen
            or not (text[end : end + 1] in _ASCII_LETTERS or text[start - 1 : start] in _ASCII_LETTERS)
        ):
            continue  # only a run glued to a letter can be part of such a token
        before = text[max(0, start - 12) : start]
        token_start = start - len(before) + len(before.rstrip(_ASCII_ALNUM))
        token = _ALNUM_TOKEN.match(text, token_start)
        if token is None:
            continue
        seen = token.end()
        words = state.words_before(text, token_start)
        span = _labelled(text, token_start, words) if words else None
        if span is not None and span.type in want:
            yield span


def clear_caches() -> None:
    """Forget memoised phone verdicts (benchmarks measure the cold path)."""
    valid_phone.cache_clear()
