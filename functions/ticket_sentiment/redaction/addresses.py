"""Street addresses (US/UK/IE/IN English, DE/AT/CH/NL, FR, ES) and UK postcodes.

Hand-written on purpose: no maintained offline library parses free-text addresses across these countries
(libpostal needs a 2 GB model, too big for a Lambda). The patterns need a house number next to a street word,
so prose with numbers ("3 times", "version 2 road map") stays intact.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable, Iterator

from .detectors import WordIndex, digit_runs, keyword_positions
from .models import EntityType, Span

_CAP = r"[A-ZÀ-ÖØ-Þ]"
# The letters right before "<dot?><space><end>"; the look-behind makes only the first letter of a word start one.
_LETTERS_BEFORE = re.compile(r"(?<![^\W\d_])[^\W\d_]+(?:-[^\W\d_]+)*\.?[ ]\Z")
_WORD = _CAP + r"[^\W\d_]{1,30}"
_UK_POSTCODE = r"(?:[A-PR-UWYZ][A-HK-Y]?\d[A-Z\d]?) \d[ABD-HJLNP-UW-Z]{2}"
# Patterns open with a plain character class and check the boundary right after it: the regex engine then skips
# ahead to candidate characters instead of trying a look-behind at every position.
_AFTER_HOUSE = frozenset(string.ascii_letters + "-, ")
_INWARD_LETTERS = frozenset("ABDEFGHJLNPQRSTUWXYZ")  # [ABD-HJLNP-UW-Z]
_POSTCODE_ALONE = re.compile(r"[A-PR-UWYZ](?<![\w-][A-PR-UWYZ])(?:[A-HK-Y]?\d[A-Z\d]?) \d[ABD-HJLNP-UW-Z]{2}(?![\w-])")

# The USPS street suffixes (Publication 28) that are not everyday technical words ("502 Bad Gateway", "3 Keys").
_USPS_WORDS = """
Alley Avenue Branch Bridge Brook Brooks Burg Burgs Bypass Camp Canyon Cape Causeway Circle Circles Cliff Cliffs
Common Corner Corners Court Courts Cove Coves Creek Crescent Crest Crossing Crossroad Curve Dale Dam Drive Drives
Estate Estates Expressway Fall Falls Ferry Field Fields Flat Flats Ford Fords Forest Forge Forges Fort Freeway
Garden Gardens Glen Glens Green Greens Grove Groves Harbor Harbors Haven Heights Highway Hill Hills Hollow Inlet
Island Islands Isle Junction Junctions Knoll Knolls Lake Lakes Landing Lane Loaf Lodge Mall Manor Manors Meadow
Meadows Mews Mill Mills Mission Motorway Mount Mountain Mountains Neck Orchard Oval Overpass Park Parks Parkway
Parkways Passage Pike Pine Pines Place Plain Plains Plaza Prairie Ranch Rapid Rapids Ridge Ridges River Road Roads
Route Row Rue Shoal Shoals Shore Shores Skyway Spring Springs Square Squares Stravenue Stream Street Streets Summit
Terrace Throughway Trafficway Trail Tunnel Turnpike Underpass Valley Valleys Via Viaduct Village Villages Ville
Vista Walk Walks Way Ways Spur Spurs Divide Fork Forks Radial Trace
"""
_USPS_SUFFIXES = "|".join(sorted(_USPS_WORDS.split(), key=len, reverse=True))
_EN_STREET = (
    r"Street|St|Avenue|Ave|Road|Rd|Lane|Ln|Boulevard|Blvd|Drive|Dr|Court|Ct|Place|Pl|Way|Terrace|Close|"
    r"Crescent|Cres|Parkway|Pkwy|Highway|Hwy|Square|Sq|Gardens|Grove|Row|Mews|Hill|Circle|Cir|Trail|Walk|"
    r"Green|Parade|Marg|Nagar|Quay|Wharf|Embankment|" + _USPS_SUFFIXES
)
_CITY_TAIL = (
    r"(?:,[ ]?" + _WORD + r"(?:[ -]" + _WORD + r"){0,2}){0,2}"
    r"(?:,?[ ](?:[A-Z]{2}[ ]\d{5}(?:-\d{4})?|[A-Z]{2}[ ][A-Z]\d[A-Z][ ]?\d[A-Z]\d|"
    + _UK_POSTCODE
    + r"|\d{6}|\d{5}|D\d{2}[ ]?[A-Z0-9]{4}))?"
)
_ADDR_EN = re.compile(
    r"\d(?<![\w-]\d)\d{0,4}[A-Za-z]?(?:-\d{1,5})?,?[ ](?:[A-Z][\w'.-]{0,30}[ ]){1,3}(?:" + _EN_STREET + r")\b\.?"
    r"(?:[ ](?:N|S|E|W|NE|NW|SE|SW)\b)?"
    r"(?:,?[ ](?:Apt|Apartment|Unit|Suite|Ste|Flat|Floor|Fl)\.?[ ]?#?[\w-]{1,6})?" + _CITY_TAIL
)

# "Flat 41Q, Garry Circles", "Studio 5, Eileen Avenue": a flat or studio number, then the street without one.
_ADDR_FLAT_FIRST = re.compile(
    r"(?:Flat|Studio|Apartment|Apt\.?|Unit|Suite)[ ]\w{1,5},?[ ]"
    r"(?:[A-Z][\w'.-]{0,30}[ ]){1,3}(?:" + _EN_STREET + r")\b"
)
_FLAT_LEAD = re.compile(r"(?:Flat|Studio|Apartment|Apt\.?|Unit|Suite)[ ]#?$")
_FLAT_BEFORE = re.compile(r"(?:Flat|Apt|Apartment|Unit|Suite|Ste)\.?[ ]?#?(?:[\w-]{1,6},?[ ])?$")
_DE_NL_SUFFIXES = (
    "straße",
    "strasse",
    "str.",
    "weg",
    "allee",
    "platz",
    "gasse",
    "ring",
    "damm",
    "ufer",
    "chaussee",
    "markt",
    "steig",
    "pfad",
    "straat",
    "laan",
    "gracht",
    "plein",
    "kade",
    "singel",
    "dijk",
    "steeg",
    "hof",
    "plantsoen",
    "dreef",
    "graben",
    "berg",
    "anger",
    "pad",
    "baan",
    "boulevard",
    "park",
    "erf",
    "wal",
    "veld",
    "kant",
    "poort",
    "lei",
    "gatan",
    "vägen",
    "gata",
    "gade",
    "vej",
)
_WORD_NUMBER = re.compile(
    r"(" + _CAP + r"(?<![\w-]" + _CAP + r")(?:[^\W\d_.-]|-(?=[^\W\d_])){1,60}\.?)[ ]"
    r"(\d{1,4}[ ]?[a-zA-Z]?(?:[-/]\d{1,4})?)(?![\w-])"
)
_PREVIOUS_WORD = re.compile(_WORD + r"[ -]$")
_DE_NL_TAIL = re.compile(r",?[ ](?:\d{5}|\d{4}[ ]?[A-Z]{2}|\d{4})[ ]" + _WORD + r"(?:[ -]" + _WORD + r")?")

_ADDR_FR = re.compile(
    r"\d(?<![\w-]\d)\d{0,3}(?:[ ]?(?:bis|ter))?,?[ ](?i:rue|avenue|av\.|boulevard|bd|place|chemin|impasse|allée|allee|"
    r"quai|route|cours|square|passage|voie)(?:[ ](?:de|du|des|la|le|les|l['’]|d['’])){0,3}[ ]?"
    + _CAP
    + r"[\w'’-]{1,30}(?:[ ](?:(?:de|du|des|la|le)[ ])?"
    + _CAP
    + r"[\w'’-]{1,30}){0,3}"
    r"(?:,?[ ]\d{5}[ ]" + _WORD + r"(?:[ -]" + _WORD + r")?)?"
)
_ADDR_ES = re.compile(
    r"(?<![\w-])(?i:calle|c/|avenida|avda\.?|av\.|plaza|pza\.?|paseo|carrer|camino|ronda|traves[íi]a|carretera|"
    r"glorieta|pasaje)[ ]?(?:(?:de|del|la|las|los|el|y)[ ]){0,3}" + _CAP + r"[\w'’-]{1,30}"
    r"(?:[ ](?:(?:de|del|la|las|los|el|y)[ ]){0,2}" + _CAP + r"[\w'’-]{1,30}){0,3},?[ ](?:n[ºo°.][ ]?)?\d{1,4}"
    r"(?:,?[ ]\d{1,2}[ºª]?[ ]?[A-Z]?\b)?(?:,?[ ]\d{5}[ ]" + _WORD + r"(?:[ -]" + _WORD + r")?)?"
)
# Indian addresses: "House No. 45, Sector 21, Gurugram 122001" (a six-digit PIN code after the city).
_ADDR_IN = re.compile(
    r"(?i:house|h\.|flat|plot|door|shop|bldg|building)[ ]?(?i:no\.?|#)[ ]?\d{1,5}[A-Za-z]?"
    r"(?:,[ ]?[\w][\w .'/-]{1,40}?){1,4},[ ]?" + _WORD + r"(?:[ ]" + _WORD + r")?[ ]?-?[ ]?\d{6}(?!\d)"
)
_IN_TRIGGERS = (
    "house no",
    "h.no",
    "h. no",
    "flat no",
    "plot no",
    "door no",
    "shop no",
    "bldg no",
    "building no",
    "house #",
    "flat #",
)
_FR_TRIGGERS = (
    "rue ",
    "avenue ",
    "av. ",
    "boulevard ",
    "bd ",
    "place ",
    "chemin ",
    "impasse ",
    "allée ",
    "allee ",
    "quai ",
    "route ",
    "cours ",
    "square ",
    "passage ",
    "voie ",
)
_ES_TRIGGERS = (
    "calle ",
    "c/",
    "avenida ",
    "avda",
    "av. ",
    "plaza ",
    "pza",
    "paseo ",
    "carrer ",
    "camino ",
    "ronda ",
    "travesía ",
    "travesia ",
    "carretera ",
    "glorieta ",
    "pasaje ",
)


# Street-type words written before the name: Italian, Polish, Russian, Portuguese, Spanish and French ones. The
# name is capitalised ("via email 12 times" is not an address) and a house number follows.
_PREFIX_WORDS = (
    "via",
    "viale",
    "piazza",
    "piazzale",
    "corso",
    "largo",
    "vicolo",
    "borgo",
    "contrada",
    "strada",
    "rotonda",
    "incrocio",
    "stretto",
    "canale",
    "lungomare",
    "ulica",
    "ul.",
    "aleja",
    "al.",
    "plac",
    "pl.",
    "osiedle",
    "os.",
    "улица",
    "ул.",
    "проспект",
    "пр.",
    "переулок",
    "пер.",
    "набережная",
    "наб.",
    "бульвар",
    "бул.",
    "шоссе",
    "ш.",
    "аллея",
    "алл.",
    "площадь",
    "пл.",
    "rua",
    "travessa",
    "praça",
    "estrada",
    "avenida",
    "calle",
    "callejón",
    "camino",
    "carrera",
    "cuesta",
    "glorieta",
    "pasaje",
    "paseo",
    "plaza",
    "rambla",
    "ronda",
    "travesía",
    "urbanización",
    "vía",
    "alameda",
    "acceso",
    "carretera",
    "rue",
    "avenue",
    "boulevard",
    "chemin",
    "impasse",
    "allée",
    "place",
    "quai",
    "route",
    "vial",
    "cañada",
    "pasadizo",
    "c.",
)
_NAME_CAP = r"[A-ZÀ-ÖØ-ÞĀ-ŽА-ЯЁ0-9]"
_ADDR_PREFIXED = re.compile(
    r"(?i:" + "|".join(re.escape(w) for w in sorted(_PREFIX_WORDS, key=len, reverse=True)) + r")[ ]?"
    r"(?:(?i:de|del|de la|des|du|di|della|dei|delle|do|da|dos|das|l['’]|d['’])[ ])?"
    r"(?:" + _NAME_CAP + r"[\w'’.-]{0,30}[ ]){0,4}" + _NAME_CAP + r"[\w'’.-]{0,30},?[ ]"
    r"(?:(?i:д\.|дом|n[º°o.]|nr\.?|no[:.]?|nº)[ ]?)?\d{1,4}[a-zA-Z]?(?:[/-]\d{1,4})?(?![\w-])"
    r"(?:,?[ ](?:к\.|стр\.|кв\.|m\.|lok\.|(?i:piano|appartamento|interno|scala|apt\.?|piso|puerta|escalera|"
    r"bajo|andar|apto\.?))[ ]?\w{1,4})*"
)
# Turkish streets: the type follows the name ("Atatürk Caddesi No: 12", "Gül Sok. No:5").
_ADDR_TR = re.compile(
    r"[A-ZÇĞİÖŞÜ][\wçğıöşü'’-]{1,30}[ ](?:[A-ZÇĞİÖŞÜ][\wçğıöşü'’-]{1,30}[ ])?"
    r"(?:Sokak|Sokağı|Sok\.|Caddesi|Cad\.|Bulvarı|Blv\.|Mahallesi|Mah\.)[ ,]*"
    r"(?:No|Numara)[: .]*\d{1,4}(?:/\d{1,4})?"
)
_TR_TRIGGERS = ("sokak", "sok.", "caddesi", "cad.", "bulvarı", "blv.", "mahallesi", "mah.")
# A French street named without a house number ("avenue Lemoine", "chemin Isaac Caron", "boulevard de Adam"):
# the type word in lower case, as French writes it mid-sentence, then one to three capitalised words.
_FR_NAMED = r"[A-ZÀ-ÖØ-Þ][\w'’-]{1,30}"
_ADDR_FR_NO_NUMBER = re.compile(
    r"(?:rue|avenue|boulevard|chemin|impasse|allée|quai)[ ](?:(?:de|du|des|de[ ]la)[ ]|[ld]['’])?"
    + _FR_NAMED
    + r"(?:[ ](?:(?:de|du|des|la|le)[ ])?"
    + _FR_NAMED
    + r"){0,2}"
)
_FR_NO_NUMBER_TYPES = ("rue ", "avenue ", "boulevard ", "chemin ", "impasse ", "allée ", "quai ")
_FR_NO_NUMBER_KEYS = tuple(t.strip() for t in _FR_NO_NUMBER_TYPES)
# A Russian street whose name has lower-case words or numbers ("наб. 60 лет СССР, д. 1"): taken with the house
# marker ("д.", "дом") that settles it.
_ADDR_RU_HOUSE = re.compile(
    r"(?:улица|ул\.|проспект|пр\.|переулок|пер\.|набережная|наб\.|бульвар|бул\.|шоссе|ш\.|площадь|пл\.)[ ]?"
    r"(?:[\w'’.-]{1,30}[ ]){0,4}[\w'’.-]{1,30},?[ ](?:д\.|дом)[ ]?\d{1,4}[а-яa-z]?(?:/\d{1,4})?(?!\w)"
    r"(?:,?[ ](?:к\.|стр\.|кв\.)[ ]?\w{1,4})*"
)


_PREFIX_ASCII = tuple(w for w in _PREFIX_WORDS if w.isascii())


def _flat_first(text: str, runs: list[tuple[int, int]]) -> Iterator[Span]:
    """ "Flat 41Q, Garry Circles": tried only at a number right after a flat word."""
    for start, _ in runs:
        if (
            start >= 5
            and text[start - 1] == " "
            and text[max(0, start - 12) : start]
            .rstrip(" #")
            .endswith(("Flat", "Studio", "Apartment", "Apt", "Apt.", "Unit", "Suite"))
        ):
            lead = _FLAT_LEAD.search(text, max(0, start - 12), start)
            m = _ADDR_FLAT_FIRST.match(text, lead.start()) if lead else None
            if m is not None:
                yield Span(m.start(), m.end(), EntityType.ADDRESS)


def _prefixed_addresses(text: str, low: str, words: WordIndex | None) -> Iterator[Span]:
    ascii_text = text.isascii()
    # The WordIndex skips keywords that start no word; it holds only for ASCII text (see keyword_windows).
    keywords = _PREFIX_ASCII if ascii_text else _PREFIX_WORDS
    for pos in keyword_positions(text, low, keywords, words if ascii_text else None):
        m = _ADDR_PREFIXED.match(text, pos) or _unnumbered(text, pos)
        if m is not None:
            yield Span(m.start(), m.end(), EntityType.ADDRESS)
    for pos in keyword_positions(text, low, _TR_TRIGGERS, words if ascii_text else None):
        m = _ADDR_TR.search(text, max(0, pos - 64), min(len(text), pos + 40))
        if m is not None:
            yield Span(m.start(), m.end(), EntityType.ADDRESS)


def _unnumbered(text: str, pos: int) -> re.Match[str] | None:
    """A street at `pos` without the house number _ADDR_PREFIXED needs: French named streets, Russian ones with
    a house marker."""
    if text.startswith(_FR_NO_NUMBER_TYPES, pos):
        return _ADDR_FR_NO_NUMBER.match(text, pos)
    return None if text.isascii() else _ADDR_RU_HOUSE.match(text, pos)


def _matches_at(pattern: re.Pattern[str], text: str, starts: Iterable[int]) -> Iterator[re.Match[str]]:
    """pattern.finditer(text), given every offset where a match can start: a few anchored attempts instead of
    a scan of the whole text. Sorted, and never inside the previous match, exactly as finditer proceeds."""
    end = 0
    for start in sorted(set(starts)):
        if start >= end:
            m = pattern.match(text, start)
            if m is not None:
                end = m.end()
                yield m


def letters_before(text: str, number: int) -> int | None:
    """_LETTERS_BEFORE.search(text, max(0, number - 46), number).start(), or None: a walk back from the space,
    where the search would try a match at every offset of the window."""
    lo = max(0, number - 46)
    end = number - 1
    if end < lo or text[end] != " ":
        return None
    if end > lo and text[end - 1] == ".":
        end -= 1
    start = end
    # Letters, and hyphens between letters ("Rabea-Adler-Weg"): a hyphen only with a letter on each side.
    while start > lo and (
        _is_letter(text[start - 1])
        or (text[start - 1] == "-" and start < end and start - 1 > lo and _is_letter(text[start - 2]))
    ):
        start -= 1
    if start == end or (start > 0 and _is_letter(text[start - 1])):
        return None  # no letters, or the word goes on before the window: only its first letter starts a match
    return start


def _word_number_starts(text: str, numbers: list[int]) -> Iterator[int]:
    """Where _WORD_NUMBER can start for each "<word> <number>": the start of the letters right before the space
    (a match starting inside them fails its look-behind)."""
    for number in numbers:
        start = letters_before(text, number)
        if start is not None:
            yield start


def _is_letter(char: str) -> bool:
    return char.isalnum() and not char.isdecimal()  # the regex class [^\W\d_]


def find_addresses(
    text: str, low: str, digits: list[tuple[int, int]] | None = None, words: WordIndex | None = None
) -> Iterator[Span]:
    """`digits` and `words`: the text's digit runs and WordIndex, when the caller has them already.

    Every pattern here holds a digit, so each is tried only at the digit runs whose length and neighbours
    can fit it: a few anchored attempts instead of a scan of the whole text, with the same matches.
    """
    runs = digit_runs(text) if digits is None else digits
    if not runs:  # only a street without a house number can be here
        for pos in keyword_positions(text, low, _FR_NO_NUMBER_KEYS, words if text.isascii() else None):
            m = _ADDR_FR_NO_NUMBER.match(text, pos)
            if m is not None:
                yield Span(m.start(), m.end(), EntityType.ADDRESS)
        return
    houses = _house_numbers(text, runs)
    yield from _english_addresses(text, houses)
    yield from _flat_first(text, runs)
    yield from _prefixed_addresses(text, low, words)
    yield from _uk_postcodes(text, runs)
    yield from _street_word_numbers(text, runs)
    yield from _indian_addresses(text, low, runs, words)
    yield from _french_addresses(text, low, houses, words)
    for pos in keyword_positions(text, low, _ES_TRIGGERS, words):
        es = _ADDR_ES.match(text, pos)
        if es is not None:
            yield Span(es.start(), es.end(), EntityType.ADDRESS)


def _house_numbers(text: str, runs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """A house number: a run of at most five digits not glued to a word character or a hyphen (the
    look-behind), then a letter, hyphen, comma or space ("12B", "12-14", "12, ", "12 ")."""
    return [
        (start, end)
        for start, end in runs
        if end - start <= 5
        and not (start and (text[start - 1].isalnum() or text[start - 1] in "_-"))
        and text[end : end + 1] in _AFTER_HOUSE
    ]


def _english_addresses(text: str, houses: list[tuple[int, int]]) -> Iterator[Span]:
    for m in _matches_at(_ADDR_EN, text, (start for start, _ in houses)):
        flat = _FLAT_BEFORE.search(text, max(0, m.start() - 24), m.start())
        yield Span(flat.start() if flat else m.start(), m.end(), EntityType.ADDRESS)


def _uk_postcodes(text: str, runs: list[tuple[int, int]]) -> Iterator[Span]:
    """ "SW1A 1AA": the inward code is one digit after a space and before two letters; the outward code is two
    to four characters before that space."""
    inward = [
        start
        for start, end in runs
        if end - start == 1
        and text[start - 1 : start] == " "
        and len(text) >= end + 2
        and text[end] in _INWARD_LETTERS
        and text[end + 1] in _INWARD_LETTERS
    ]
    for m in _matches_at(_POSTCODE_ALONE, text, (d - k for d in inward for k in (5, 4, 3) if d >= k)):
        yield Span(m.start(), m.end(), EntityType.ADDRESS)


def _street_word_numbers(text: str, runs: list[tuple[int, int]]) -> Iterator[Span]:
    """ "Hauptstraße 5": at most four digits after a single space, after a letter or the dot of "Str."."""
    numbers = [
        start
        for start, end in runs
        if end - start <= 4
        and start >= 3
        and text[start - 1] == " "
        and (text[start - 2] == "." or _is_letter(text[start - 2]))
    ]
    for m in _matches_at(_WORD_NUMBER, text, _word_number_starts(text, numbers)):
        word = m.group(1).lower()
        if not word.endswith(_DE_NL_SUFFIXES):
            continue
        start = m.start()
        if word in _DE_NL_SUFFIXES or word.rstrip(".") in ("str", "weg"):
            # "Berliner Straße 5": the street type is its own word, so its name comes before it.
            before = _PREVIOUS_WORD.search(text, max(0, start - 32), start)
            start = before.start() if before else start
        tail = _DE_NL_TAIL.match(text, m.end())
        yield Span(start, tail.end() if tail else m.end(), EntityType.ADDRESS)


def _indian_addresses(text: str, low: str, runs: list[tuple[int, int]], words: WordIndex | None) -> Iterator[Span]:
    """ "House No. 45": the number follows "no", "no." or "#", so a text without that before a digit has none."""
    if not any("#" in text[max(0, d - 3) : d] or "no" in text[max(0, d - 5) : d].lower() for d, _ in runs):
        return
    for pos in keyword_positions(text, low, _IN_TRIGGERS, words):
        india = _ADDR_IN.match(text, pos)
        if india is not None:
            yield Span(india.start(), india.end(), EntityType.ADDRESS)


def _french_addresses(text: str, low: str, houses: list[tuple[int, int]], words: WordIndex | None) -> Iterator[Span]:
    """The cheap anchored attempts first ("12 ", "12bis"): the street-word check only when one of them matched."""
    french = list(
        _matches_at(_ADDR_FR, text, (start for start, end in houses if end - start <= 4 and text[end] in " ,bt"))
    )
    if french and keyword_positions(text, low, _FR_TRIGGERS, words):
        for m in french:
            yield Span(m.start(), m.end(), EntityType.ADDRESS)
