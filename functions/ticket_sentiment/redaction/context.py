"""What the words right before a number say it is: "call me on ...", "order no. ...", "BSN: ...".

Read as a handful of lower-cased words and looked up in sets, which is far cheaper than one regex with
hundreds of alternatives searched before every number.
"""

from __future__ import annotations

import re

_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?|#")
# A number, a new line, an earlier placeholder or an e-mail ends the label. Matched from the window's start, the
# greedy ".*" backs off from its end to the last such character: one short match instead of a split into pieces.
_UP_TO_STOP = re.compile(r"(?s:.*)[\d\n\]@]")
_SPACE = re.compile(r"\s")


def _phrase(label: str) -> str:
    return " ".join(_WORD.findall(label.lower()))


PHONE_LABELS = frozenset(
    {
        "phone",
        "phones",
        "telephone",
        "tel",
        "tlf",
        "mobile",
        "mob",
        "cell",
        "cellphone",
        "call",
        "ring",
        "text",
        "sms",
        "whatsapp",
        "fax",
        "contact",
        "reach",
        "dial",
        "landline",
        "ph",
        "m",
        "t",
        "p",
        "telefon",
        "telefonnummer",
        "handy",
        "handynummer",
        "mobil",
        "mobilnummer",
        "rufnummer",
        "erreichbar",
        "anrufen",
        "téléphone",
        "tél",
        "portable",
        "joindre",
        "appeler",
        "móvil",
        "movil",
        "teléfono",
        "telefono",
        "llamar",
        "llámame",
        "llamame",
        "telefoon",
        "telefoonnummer",
        "mobiel",
        "bel",
        "bellen",
        "फ़ोन",
        "मोबाइल",
        "number",
        "numéro",
        "numero",
        "nummer",
        "número",
        "cellulare",
        "chiamatemi",
        "chiamare",
        "zadzwonić",
        "zadzwoń",
        "telefonu",
        "numer",
        "numerem",
        "numara",
        "numaram",
        "numarası",
        "numarasından",
        "arayın",
        "телефон",
        "телефона",
        "номер",
        "номеру",
        "тел",
        "позвоните",
        "звоните",
        "мобильный",
        "appelez",
        "rufen",
    }
)
# Labels of numbers that are not personal data: no phone, card or id check fires after these.
NOT_PERSONAL_LABELS = frozenset(
    {
        "order",
        "orders",
        "ordernumber",
        "ticket",
        "tickets",
        "invoice",
        "inv",
        "receipt",
        "ref",
        "reference",
        "case",
        "incident",
        "tracking",
        "track",
        "shipment",
        "parcel",
        "package",
        "consignment",
        "awb",
        "waybill",
        "sku",
        "serial",
        "s/n",
        "sn",
        "po",
        "build",
        "version",
        "ver",
        "release",
        "error",
        "err",
        "code",
        "exit",
        "status",
        "model",
        "part",
        "batch",
        "lot",
        "ean",
        "isbn",
        "upc",
        "gtin",
        "imei",
        "iccid",
        "zip",
        "postcode",
        "plz",
        "bestellung",
        "bestellnummer",
        "auftrag",
        "auftragsnummer",
        "rechnung",
        "rechnungsnummer",
        "sendungsnummer",
        "commande",
        "facture",
        "dossier",
        "pedido",
        "factura",
        "expediente",
        "localizador",
        "bestelling",
        "bestelnummer",
        "factuur",
        "zending",
        "booking",
        "reservation",
        "confirmation",
        "transaction",
        "txn",
        "policy",
        "claim",
        "contract",
        "vertrag",
        "subscription",
        "license",
        "licence",
        "barcode",
        "artikel",
        "article",
        "#",
        "item",
        "product",
        "asset",
        "job",
        "request",
        "req",
        "issue",
        "bug",
        "pr",
        "commit",
        "port",
        "pid",
        "step",
    }
)
# Words that may sit between a label and its number: "order number is", "call me on", "BSN: ".
FILLERS = frozenset(
    {
        "number",
        "numbers",
        "numero",
        "número",
        "numéro",
        "nummer",
        "è",
        "mio",
        "mia",
        "mój",
        "moj",
        "no",
        "nr",
        "num",
        "n",
        "is",
        "at",
        "on",
        "me",
        "via",
        "under",
        "unter",
        "au",
        "al",
        "op",
        "de",
        "es",
        "ist",
        "est",
        "was",
        "my",
        "our",
        "the",
        "a",
        "us",
        "him",
        "her",
        "them",
        "or",
        "lautet",
        "meine",
        "mein",
        "mon",
        "ma",
        "mi",
        "mijn",
        "il",
        "el",
        "la",
        "le",
        "du",
        "del",
        "van",
        "se",
        "again",
        "anytime",
        "directly",
        "please",
        "back",
        "new",
        "old",
        "id",
        "code",
    }
)

# Labelled identifiers: the label phrase names what the number is, and which check it must pass.
ID_LABELS: dict[str, str] = {
    _phrase(label): kind
    for kind, labels in {
        "ssn": ("ssn", "social security number", "social security no", "social security", "ss#", "ss #"),
        "bsn": ("bsn", "burgerservicenummer", "sofinummer", "sofi-nummer"),
        "aadhaar": ("aadhaar", "aadhar", "aadhaar card", "aadhaar number", "uidai", "aadhaar no"),
        "idnr": (
            "steuer-id",
            "steuer-idnr",
            "steuerid",
            "steueridentifikationsnummer",
            "idnr",
            "tax id",
            "tin",
            "steuerliche identifikationsnummer",
        ),
        "nino": ("national insurance", "national insurance number", "ni number", "nino", "ni no"),
        "nir": (
            "numéro de sécurité sociale",
            "sécurité sociale",
            "securite sociale",
            "nir",
            "insee",
            "numéro de sécu",
            "carte vitale",
        ),
        "pan": ("pan", "pan card", "pan number", "pan no"),
        "doc": (
            "passport",
            "passport number",
            "passport no",
            "reisepass",
            "reisepassnummer",
            "passeport",
            "numéro de passeport",
            "pasaporte",
            "número de pasaporte",
            "paspoort",
            "paspoortnummer",
            "driver's license",
            "drivers license",
            "driver license",
            "driving licence",
            "driver's licence",
            "driving license",
            "licence number",
            "license number",
            "führerschein",
            "führerscheinnummer",
            "permis de conduire",
            "carnet de conducir",
            "rijbewijs",
            "rijbewijsnummer",
            "personalausweis",
            "personalausweisnummer",
            "ausweisnummer",
            "ausweis",
            "id card",
            "id card number",
            "identity card",
            "national id",
            "national id number",
            "carte d'identité",
            "dni",
            "nie",
            "nif",
            "documento de identidad",
            "identiteitskaart",
            "tax number",
            "steuernummer",
            "voter id",
            "id number",
            "codice fiscale",
            "pesel",
            "tc kimlik no",
            "tc kimlik",
            "kimlik no",
            "tckn",
            "инн",
            "снилс",
            "паспорт",
            "personnummer",
            "cpf",
        ),
        "bank": (
            "account number",
            "account no",
            "acct no",
            "acct number",
            "acct",
            "acc",
            "acc no",
            "a/c",
            "a/c no",
            "bank account",
            "bank account number",
            "sort code",
            "routing number",
            "aba",
            "aba routing",
            "kontonummer",
            "blz",
            "numéro de compte",
            "número de cuenta",
            "rekeningnummer",
            "ifsc",
            "ifsc code",
            "account",
        ),
    }.items()
    for label in labels
}
# The word counts of the labels ending in each word, longest first: a label can only end in one of these words,
# and only phrases of these lengths need to be looked up.
_LABEL_SIZES: dict[str, tuple[int, ...]] = {}
for _label in ID_LABELS:
    _LABEL_SIZES[_label.split()[-1]] = tuple(
        sorted({*_LABEL_SIZES.get(_label.split()[-1], ()), len(_label.split())}, reverse=True)
    )


def words_before(text: str, start: int, span: int = 60) -> list[str]:
    """Lower-cased words on the same line before `start`, back to the previous number, placeholder or "@".

    Words glued to what precedes them ("0.CASE", the "A.SN" of an e-mail's domain, half a word at the window's
    edge) are not labels: they belong to something else, and would stop being read once that something is
    redacted, so reading them would make redaction depend on an earlier pass (not idempotent).
    """
    lo = max(0, start - span)
    stop = _UP_TO_STOP.match(text, lo, start)
    tail_start = stop.end() if stop is not None else lo
    first = _WORD.search(text, tail_start, start)
    if first is None:
        return []
    at = first.start()
    if at > 0 and (text[at - 1].isalnum() or text[at - 1] in "@._/-"):
        space = _SPACE.search(text, at, start)  # skip the whole glued run, not just its first word
        if space is None:
            return []
        tail_start = space.start()
    return _WORD.findall(text[tail_start:start].lower())[-6:]


def _label_mask() -> bytes:
    table = bytearray(b" " * 256)
    for c in range(ord("a"), ord("z") + 1):
        table[c] = table[c - 32] = c
    for c in b"0123456789\n]@":
        table[c] = ord("|")
    for c in b"#'":
        table[c] = c
    return bytes(table)


# An ASCII text's label characters: letters lower-cased, "|" where a label ends (a digit, a new line, "]", "@"),
# "#" and "'" kept (a window holding one takes the regex path), a space for everything else.
_LABEL_MASK = _label_mask()


class LabelReader:
    """words_before() for many offsets of one text.

    Each words_before() call runs three Unicode-aware regex scans over its window, at every offset of it. For
    ASCII text, one translated copy of the whole text (a byte table, a few microseconds) answers the same
    question with str.rfind and str.split; other text takes words_before() itself.
    """

    __slots__ = ("_mask", "_text")

    def __init__(self, text: str) -> None:
        self._text = text
        self._mask = text.encode("ascii").translate(_LABEL_MASK).decode("ascii") if text.isascii() else None

    def words_before(self, start: int, span: int = 60) -> list[str]:
        mask, text = self._mask, self._text
        if mask is None:
            return words_before(text, start, span)
        lo = max(0, start - span)
        tail_start = mask.rfind("|", lo, start) + 1 or lo  # right after the last digit, new line, "]" or "@"
        tail = mask[tail_start:start]
        if "#" in tail or "'" in tail:
            return words_before(text, start, span)  # "#" is a word of its own, "'" may join two
        words = tail.split()
        if not words:
            return []
        at = start - len(tail.lstrip())  # the first letter
        if at > 0 and (text[at - 1].isalnum() or text[at - 1] in "@._/-"):
            space = _SPACE.search(text, at, start)  # glued to what precedes it: see words_before
            if space is None:
                return []
            words = mask[space.start() : start].split()
        return words[-6:]


_POSSESSIVES = frozenset(
    {
        "my",
        "mio",
        "mia",
        "mi",
        "mon",
        "ma",
        "mijn",
        "mein",
        "meine",
        "mój",
        "moj",
        "our",
        "your",
        "the",
        "a",
        "his",
        "her",
        "their",
        "this",
        "that",
        "new",
        "old",
        "contact",
        "best",
        "direct",
        "personal",
        "work",
        "home",
        "office",
        "private",
    }
)


def number_label(words: list[str]) -> str | None:
    """The nearest non-filler word: 'call' in "call me on", 'order' in "order number is".

    "number" alone is a phone label only after a possessive ("my number is"), not after an unknown word
    ("registration number"); "#" is an id marker unless a label word precedes it ("cc#", "order #").
    """
    skipped_label = None
    for index in range(len(words) - 1, -1, -1):
        word = words[index]
        if word == "#" and index > 0:
            continue
        if word in FILLERS:
            if skipped_label is not None and word in _POSSESSIVES:
                return skipped_label  # "... my number is": the possessive settles it, whatever came before
            if skipped_label is None and word in PHONE_LABELS:
                skipped_label = word  # "my number is ...": "number" is the label after all
            continue
        if word in PHONE_LABELS or word in NOT_PERSONAL_LABELS or word in ID_LABELS:
            return word
        return skipped_label if word in _POSSESSIVES else None
    return skipped_label


def id_label(words: list[str]) -> str | None:
    """The kind of labelled identifier ("bsn", "bank", ...) named by the words before a value, if any."""
    for trailing in range(0, 4):
        end = len(words) - trailing
        if end <= 0 or (trailing and words[end] not in FILLERS and words[end] != "#"):
            break
        for size in _LABEL_SIZES.get(words[end - 1], ()):
            if size <= end:
                kind = ID_LABELS.get(" ".join(words[end - size : end]))
                if kind is not None:
                    return kind
    return None


def is_not_personal(words: list[str]) -> bool:
    return number_label(words) in NOT_PERSONAL_LABELS
