"""Personal names: greetings, sign-offs, introductions, mail headers, and names in running prose.

No NER model: the places a helpdesk message names a person are mostly formulaic ("Hi Anna,", "Thanks,
John Smith", "Regards\\nMaria", "my name is ...", "From: Anna Müller <...>"), and a short parser after those
triggers finds most names in microseconds. Names in running prose ("I spoke to Maria Gonzalez", "your agent
Priya closed it") are found by a first-name gazetteer (first_names.txt: Faker's first names of every locale,
built by ticket_sentiment_tools.redaction.gazetteer; Faker is not a run-time dependency) and by context cues (a
capitalised word after "agent", "husband", "spoke to", "Mr", ...).
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from .detectors import WordIndex, keyword_positions
from .models import EntityType, Span

_GREETINGS = (
    "hi",
    "hello",
    "hey",
    "hiya",
    "heya",
    "dear",
    "good morning",
    "good afternoon",
    "good evening",
    "morning",
    "greetings",
    "hallo",
    "liebe",
    "lieber",
    "liebes",
    "sehr geehrte",
    "sehr geehrter",
    "guten tag",
    "guten morgen",
    "moin",
    "servus",
    "grüezi",
    "bonjour",
    "bonsoir",
    "salut",
    "cher",
    "chère",
    "chers",
    "hola",
    "buenos días",
    "buenos dias",
    "buenas tardes",
    "buenas",
    "estimado",
    "estimada",
    "estimados",
    "querido",
    "querida",
    "beste",
    "geachte",
    "hoi",
    "goedemorgen",
    "goedemiddag",
    "dag",
    "namaste",
    "ciao",
    "buongiorno",
    "gentile",
    "olá",
    "caro",
    "cara",
    "hej",
    "thank you",
    "thanks",
)
# Polish, Turkish and Russian: looked for at line starts, and after a sentence only where their first letter is
# already one the scan tries (adding "i" of "iyi" and "p" of "pozdrawiam" to it would try every "I ..." and
# "Please ..." sentence).
_GREETINGS_MORE = (
    "dzień dobry",
    "witam",
    "cześć",
    "szanowny panie",
    "szanowna pani",
    "drogi",
    "droga",
    "merhaba",
    "sayın",
    "selam",
    "iyi günler",
    "здравствуйте",
    "привет",
    "добрый день",
    "добрый вечер",
    "доброе утро",
    "уважаемый",
    "уважаемая",
    "дорогой",
    "дорогая",
)
_SIGNOFFS = (
    "thanks",
    "thank you",
    "thanks again",
    "thanks so much",
    "thank you so much",
    "many thanks",
    "thanks a lot",
    "thanks in advance",
    "thanks and regards",
    "thanks & regards",
    "thx",
    "ty",
    "cheers",
    "regards",
    "kind regards",
    "best regards",
    "warm regards",
    "warmest regards",
    "best wishes",
    "best",
    "all the best",
    "sincerely",
    "yours sincerely",
    "sincerely yours",
    "yours faithfully",
    "yours truly",
    "respectfully",
    "take care",
    "talk soon",
    "rgds",
    "with thanks",
    "mit freundlichen grüßen",
    "mit freundlichen grüssen",
    "freundliche grüße",
    "freundliche grüsse",
    "viele grüße",
    "viele grüsse",
    "beste grüße",
    "liebe grüße",
    "herzliche grüße",
    "schöne grüße",
    "grüße",
    "gruß",
    "mfg",
    "lg",
    "vg",
    "danke",
    "vielen dank",
    "danke schön",
    "cordialement",
    "bien cordialement",
    "bien à vous",
    "salutations",
    "meilleures salutations",
    "sincères salutations",
    "merci",
    "merci beaucoup",
    "merci d'avance",
    "amicalement",
    "mit besten grüßen",
    "mit besten grüssen",
    "besten dank",
    "beste grüsse",
    "mit freundlichem gruß",
    "danke und gruß",
    "danke und grüße",
    "many thanks & kind regards",
    "thanks & kind regards",
    "thanks and kind regards",
    "ok thx bye",
    "thx bye",
    "bye",
    "bonne journée",
    "à bientôt",
    "saludos",
    "un saludo",
    "saludos cordiales",
    "atentamente",
    "gracias",
    "muchas gracias",
    "un abrazo",
    "cordialmente",
    "met vriendelijke groet",
    "met vriendelijke groeten",
    "vriendelijke groeten",
    "vriendelijke groet",
    "groeten",
    "groet",
    "mvg",
    "bedankt",
    "dank je",
    "dank u",
    "hartelijke groet",
    "cordiali saluti",
    "grazie",
    "saluti",
    "sent by",
    "signed",
)
_SIGNOFFS_MORE = (
    "pozdrawiam",
    "z poważaniem",
    "z pozdrowieniami",
    "dziękuję",
    "serdecznie pozdrawiam",
    "saygılarımla",
    "teşekkürler",
    "teşekkür ederim",
    "iyi çalışmalar",
    "с уважением",
    "спасибо",
    "всего доброго",
    "с наилучшими пожеланиями",
)
_INTROS = (
    "account holder",
    "kontoinhaber",
    "kontoinhaberin",
    "cardholder",
    "card holder",
    "titular",
    "t.n.v.",
    "ten name van",
    "au nom de",
    "a nombre de",
    "my name is",
    "my name's",
    "name's",
    "mein name ist",
    "ich heiße",
    "ich heisse",
    "je m'appelle",
    "je m’appelle",
    "mon nom est",
    "me llamo",
    "mi nombre es",
    "mijn naam is",
    "ik heet",
    "mera naam",
    "i am called",
)
# Ambiguous introductions ("I'm Anna" vs "I'm Furious"): only with a follower that fits a name.
_WEAK_INTROS = ("i am", "i'm", "i’m", "im", "this is", "it's", "it’s", "ich bin", "je suis", "soy", "ik ben", "here's")
_FIELD_LABELS = (
    "name",
    "full name",
    "customer name",
    "account holder",
    "account name",
    "cardholder",
    "cardholder name",
    "card holder",
    "contact",
    "contact person",
    "kontoinhaber",
    "kontoinhaberin",
    "ansprechpartner",
    "ansprechpartnerin",
    "nom",
    "nom complet",
    "nombre",
    "nombre completo",
    "titular",
    "naam",
    "from",
    "to",
    "cc",
    "von",
    "an",
    "de",
    "à",
    "para",
    "van",
    "aan",
    "sender",
    "requester",
    "requested by",
    "submitted by",
    "reported by",
    "customer",
    "agent",
    "assignee",
    "first name",
    "last name",
    "surname",
    "given name",
    "family name",
    "your name",
    "prénom",
    "vorname",
    "nachname",
    "apellido",
    "apellidos",
    "voornaam",
    "achternaam",
    "name of account holder",
    "contact name",
    "billing name",
)
_TITLES = frozenset(
    {
        "mr",
        "mrs",
        "ms",
        "miss",
        "mx",
        "dr",
        "prof",
        "sir",
        "madam",
        "herr",
        "frau",
        "monsieur",
        "madame",
        "mme",
        "mlle",
        "m",
        "señor",
        "señora",
        "señorita",
        "sr",
        "sra",
        "srta",
        "don",
        "doña",
        "dhr",
        "mevr",
        "mevrouw",
        "meneer",
        "heer",
        "shri",
        "smt",
        "sig",
        "sig.ra",
        "signor",
        "signora",
        "ing",
        "mag",
        "dipl",
        "pan",
        "pani",
        "panie",
        "bay",
        "bayan",
        "господин",
        "госпожа",
        "тов",
        "товарищ",
        "dott",
        "dott.ssa",
        "dottssa",
        "avv",
        "arch",
        "geom",
        "rag",
        "univ",
        "uz",
        "öğr",
        "çev",
        "av",
        "op",
        "doç",
        "sayın",
    }
)
_PARTICLES = frozenset(
    {
        "van",
        "von",
        "der",
        "den",
        "de",
        "del",
        "della",
        "di",
        "da",
        "du",
        "dos",
        "das",
        "la",
        "le",
        "ter",
        "ten",
        "'t",
        "bin",
        "ibn",
        "al",
        "el",
        "zu",
        "y",
        "e",
    }
)
_CONNECTORS = frozenset({"and", "&", "und", "et", "y", "en", "e"})
_WEAK_FOLLOWERS = frozenset(
    {
        "from",
        "here",
        "at",
        "of",
        "and",
        "speaking",
        "calling",
        "writing",
        "again",
        "von",
        "bei",
        "de",
        "du",
        "van",
        "del",
        "aus",
        "en",
        "y",
        "und",
        "et",
    }
)
# Capitalised words that follow greetings and sign-offs without being names.
_STOP_WORDS = """
team teams there all everyone everybody anyone someone folks guys gals people friends colleagues customer
customers service services care help helpdesk support desk admin admins administrator agent agents staff sales
billing accounts accounting finance payroll hr it ops devops dev engineering tech technical department dept
company corp inc ltd llc gmbh plc co sir madam madame ladies gentlemen damen herren zusammen allerseits leute
tout tous toutes monde equipo todos todas chicos iedereen allen allemaal again so very much lot lots in advance
for from a an the and or but to you your yours we i my our ours me us this that these those it its it's that's
is was are were be been please sorry ok okay yes no yeah yep nope regards best kind warm thanks thank thx cheers
sincerely hello hi hey dear morning afternoon evening day night week weekend today tomorrow yesterday soon monday
tuesday wednesday thursday friday saturday sunday january february march june july august september october
november december great good perfect awesome excellent nice cool amazing appreciate appreciated looking hope hoping
let have has had any can could would will should shall may might must just still also as at on in of by with
without about after before when where what which who whom whose why how if then than there's here here's quick
fast again, waiting wait sent sent from get got iphone ipad android outlook mobile samsung gmail mail email e-mail
phone tel fax web website www http https re fw fwd subject cc bcc to date attachment attachments attached note
notes ps p.s update urgent asap important issue problem question request order invoice ticket case ref account
password login user username customer's client clients partner partners manager managers director ceo cto cfo
president owner founder lead head office headquarters support-team supportteam servicedesk service-desk
not now new old all. other others both each every few many more most some such only own same other another
first last next previous your's thanks, hello, dear, bonjour salut merci madame monsieur messieurs mesdames
señores señoras estimados saludos gracias hola buenos buenas dag heren dames geachte beste hallo liebe lieber
sehr geehrte geehrter danke vielen grüße grüsse gruß cordialement équipe service client clientèle servicio
cliente atención soporte klantenservice kundenservice kundendienst kundensupport technik technique técnico
frustrated ridiculous angry annoyed disappointed confused sorry happy unhappy upset furious tired done unacceptable
absurd insane crazy terrible awful horrible outrageous broken urgent serious fine bad stuck lost desperate worried
glad pleased grateful sure afraid aware able unable ready back away here world contact forwarded message original
anyway mate man dude buddy pal bro heaps loads tons alot pls plz thx ty bye guys everyone later państwo
"""
# Products and companies that customers name where a person could stand ("Dear Zendesk Team", "Thanks, Apple
# Pay"): never a name.
_BRANDS_WORDS = """
apple google microsoft amazon android iphone ipad ipados macbook imac mac windows office teams slack zoom excel
outlook gmail chrome safari firefox edge stripe paypal visa mastercard amex shopify salesforce zendesk intercom
freshdesk hubspot jira confluence github gitlab dropbox netflix spotify uber lyft airbnb ebay etsy facebook meta
instagram whatsapp tiktok twitter linkedin youtube samsung huawei xiaomi sony dell lenovo asus acer nokia vodafone
verizon comcast fedex dhl ups usps hermes klarna revolut monzo wise venmo zelle cashapp alexa siri cortana kindle
prime pixel galaxy surface xbox playstation nintendo tesla bmw audi ford toyota honda ikea lidl aldi tesco walmart
costco target oracle sap adobe photoshop acrobat notion trello asana figma canva wordpress wix squarespace
mailchimp twilio okta auth0 cloudflare heroku vercel netlify docker kubernetes linux ubuntu debian python java
"""
BRANDS = frozenset(_BRANDS_WORDS.split())
_STOP = frozenset(_STOP_WORDS.split()) | BRANDS


def _alternation(words: tuple[str, ...]) -> str:
    return "|".join(re.escape(w).replace(r"\ ", r"[ \t]+") for w in sorted(words, key=len, reverse=True))


# Greetings and sign-offs open a line or a sentence: only those positions are tried.
_SENTENCE_START = re.compile(r"[.!?;:][ \t]+[>*\"'“]*([^\W\d_]+)")
# A signature delimiter line: "--", "-- ", an em dash alone.
_DELIMITER_LINE = re.compile(r"[ \t]*(?:--|—|–)[ \t]*\n")
# A line that ends in a sign-off word, whatever precedes it ("Many thanks & kind regards,"). Only the end of the
# line decides, so redacting something earlier on the line never changes the verdict.
_CLOSING_TAIL = re.compile(
    r"(?i)\b(?:regards|wishes|grüßen?|grüssen?|gruß|groet(?:en)?|saludos|salutations|"
    r"cordialement|saluti|thanks|thank you|thx|cheers)[ \t]*[,.!]?[ \t]*$"
)
# For ASCII text, a line can end in a sign-off only if its end, stripped as the pattern allows, ends in one of its
# ASCII words: that test skips the pattern's search of every offset of the window on almost every line.
_CLOSING_ASCII = (
    "regards",
    "wishes",
    "groet",
    "groeten",
    "saludos",
    "salutations",
    "cordialement",
    "saluti",
    "thanks",
    "thank you",
    "thx",
    "cheers",
)
_LEAD = re.compile(r"[ \t>*\"'“]*([^\W\d_]+(?:['’][^\W\d_]+)?)")


def _by_first_word(phrases: tuple[str, ...]) -> dict[str, re.Pattern[str]]:
    """One small case-insensitive pattern per opening word: a dict lookup picks it, instead of trying them all."""
    groups: dict[str, list[str]] = {}
    for phrase in phrases:
        groups.setdefault(phrase.split()[0], []).append(phrase)
    return {
        first: re.compile(r"(?i)(?:" + _alternation(tuple(group)) + r")(?![\w'’])") for first, group in groups.items()
    }


_GREETING_AT = _by_first_word(_GREETINGS + _GREETINGS_MORE)
_SIGNOFF_AT = _by_first_word(_SIGNOFFS + _SIGNOFFS_MORE)
_FIELD_FIRST_WORDS = frozenset(w.split()[0] for w in _FIELD_LABELS)
_SCAN_FIRST_WORDS = frozenset(w.split()[0] for w in (*_GREETINGS, *_SIGNOFFS))
_FIRST_WORDS = _SCAN_FIRST_WORDS | frozenset(w.split()[0] for w in (*_GREETINGS_MORE, *_SIGNOFFS_MORE))
# _SENTENCE_START, scanned over the whole text in one call instead of one call per punctuation mark, and refusing
# in the pattern the commonest sentence openings no greeting or sign-off starts with: a letter none starts with
# ("I ...", "Please ..."), or a frequent word that is none of them ("The ...", "You ..."). The first letter of
# every ASCII first word stays possible, and text that is not ASCII is still checked word by word.
_NO_FIRST_LETTERS = "".join(
    c + c.upper() for c in string.ascii_lowercase if not any(w.startswith(c) for w in _SCAN_FIRST_WORDS)
)
_NOT_FIRST = (
    "the",
    "this",
    "that",
    "they",
    "there",
    "these",
    "you",
    "your",
    "we",
    "my",
    "so",
    "and",
    "but",
    "can",
    "could",
    "would",
    "what",
    "when",
    "how",
    "now",
    "no",
    "not",
    "still",
    "also",
    "just",
    "our",
    "as",
)
assert _FIRST_WORDS.isdisjoint(_NOT_FIRST)
_SENTENCE_SCAN = re.compile(
    r"[.!?;:][ \t]+[>*\"'“]*(?![" + _NO_FIRST_LETTERS + r"]|(?i:" + "|".join(_NOT_FIRST) + r")(?![^\W\d_]))([^\W\d_]+)"
)
_INTRO_AT = _by_first_word(_INTROS)
_WEAK_INTRO_AT = _by_first_word(_WEAK_INTROS)
_INTRO_PHRASES = tuple(sorted({*_INTROS, *_WEAK_INTROS}))
_FIELD = re.compile(r"(?i)[ \t>*]*(?:" + _alternation(_FIELD_LABELS) + r")[ \t]*:[ \t]*")
_TOKEN = re.compile(r"[^\W\d_](?:[^\W\d_]|['’\-](?=[^\W\d_])){0,40}\.?")
_GAP = re.compile(r"[ \t]{1,3}")
_SIGNOFF_PUNCT = re.compile(r"[ \t]*[,.!:;\-–—]*")
_GREETING_GAP = re.compile(r"[ \t]*,?[ \t]*")
_ANGLE_EMAIL = re.compile(r"[\"'”]?[ \t]*<[\w.%+-]{1,64}@")
_BEFORE_ANGLE = re.compile(r"(?:[^\W\d_][\w'’.\-]{0,40}[ \t]{1,3}){0,4}[^\W\d_][\w'’.\-]{0,40}$")


def _is_name_token(token: str) -> bool:
    word = token.rstrip(".")
    if len(word) == 1 and token.endswith(".") and word.isupper():
        return True  # an initial: "A. Kowalczyk"
    if not word or word[0].islower() or word.lower() in _STOP:
        return False
    return not (token.endswith(".") and len(word) > 1 and word.lower() in _TITLES)


def _lower_name_ok(text: str, token: str, end: int) -> bool:
    """A lower-case word as a name, only alone at the end of a line or clause ("thanks john", "im anna,")."""
    word = token.rstrip(".").lower()
    follower = text[end : end + 1]
    return (
        len(word) >= 2
        and word not in _STOP
        and not word.endswith(("ing", "ed", "ly"))
        and (follower in ("", "\n", ",", "!", "?") or token.endswith("."))
    )


# "Klaus-D.", "Hans-J.": a first name with the initial of a second, not the end of a sentence.
_HYPHEN_INITIAL = re.compile(r"-[^\W\d_]\.\Z")


@dataclass(slots=True)
class _NameRun:
    """The names parse_names has found so far, and the one it is reading."""

    spans: list[tuple[int, int]] = field(default_factory=list)
    start: int = -1
    end: int = -1
    count: int = 0
    titled: bool = False

    def close(self) -> None:
        if self.start >= 0:
            self.spans.append((self.start, self.end))
        self.start = self.end = -1

    def skips(self, token: str) -> bool:
        """Titles before a name, connectors between names ("Anna and Tom" is two), lower-case particles inside
        one ("van", "de"): consumed, but not a name token."""
        word = token.rstrip(".").lower()
        if self.start < 0 and (word in _TITLES or (self.titled and word in _CONNECTORS)):
            self.titled = True  # "Dear Mr. and Mrs. Jensen"
            self.count += 1
            return True
        if self.start >= 0 and word in _CONNECTORS:
            self.close()
            return True
        return self.start >= 0 and word in _PARTICLES and not token[0].isupper()

    def add(self, start: int, end: int, token: str) -> bool:
        """A name token; True when it also ends the name ("Smith." ends the sentence; "J." is an initial)."""
        if self.start < 0:
            self.start = start
        self.count += 1
        if token.endswith(".") and len(token) > 2 and not _HYPHEN_INITIAL.search(token):
            self.end = end - 1
            return True
        self.end = end
        return False

    def lower_name_first(self, text: str, token: str, end: int) -> bool:
        return not self.spans and self.start < 0 and token[0].islower() and _lower_name_ok(text, token, end)


def parse_names(
    text: str,
    pos: int,
    max_tokens: int = 4,
    *,
    allow_lower: bool = False,
) -> tuple[list[tuple[int, int]], int]:
    """Names starting at `pos` on the same line (titles skipped, particles kept, "Anna and Tom" split).

    Returns the name spans and the position right after the last token examined.
    """
    run = _NameRun()
    i = pos
    while run.count <= max_tokens + 2:
        gap = _GAP.match(text, i)
        j = gap.end() if gap else i
        m = _TOKEN.match(text, j)
        if m is None and run.titled and run.start < 0 and text.startswith("-", j):
            j += 1  # "Dipl.-Ing.": a compound title
            m = _TOKEN.match(text, j)
        if m is None:
            break
        token = m.group()
        if run.skips(token):
            i = m.end()
            continue
        if not _is_name_token(token):
            if allow_lower and run.lower_name_first(text, token, m.end()):
                run.spans.append((j, m.end() - 1 if token.endswith(".") else m.end()))
                i = m.end()
            break
        i = m.end()
        if run.add(j, m.end(), token):
            break
    run.close()
    return run.spans, i


def _line_end(text: str, pos: int) -> int:
    nl = text.find("\n", pos)
    return len(text) if nl < 0 else nl


def _rest_is_tail(text: str, pos: int) -> bool:
    """After a name on its own line: nothing, punctuation, or a separator before a job title or company."""
    rest = text[pos : _line_end(text, pos)].strip()
    return not rest or rest[0] in ",.!|-–—(/·•" or rest.lower().startswith(("from ", "at ", "@"))


def _next_line_names(text: str, pos: int) -> list[tuple[int, int]]:
    """The name on the line after a sign-off line ("Regards\nMaria"), skipping one blank line. No length
    limit on the sign-off line: redacting part of it must not change the verdict."""
    nl = text.find("\n", pos)
    if nl < 0:
        return []
    line_start = nl + 1
    line = text[line_start : _line_end(text, line_start)]
    if not line.strip():
        line_start += len(line) + 1
        if line_start >= len(text):
            return []
        line = text[line_start : _line_end(text, line_start)]
    indent = len(line) - len(line.lstrip(" \t>*-–—~"))
    spans, _ = parse_names(text, line_start + indent, allow_lower=True)
    return spans if spans and _rest_is_tail(text, spans[-1][1]) else []


def _closing_tail(text: str, lo: int, hi: int) -> bool:
    """_CLOSING_TAIL.search(text, lo, hi) is not None."""
    tail = text[lo:hi]
    if tail.isascii() and not tail.rstrip(" \t").rstrip(",.!").rstrip(" \t").lower().endswith(_CLOSING_ASCII):
        return False
    return _CLOSING_TAIL.search(text, lo, hi) is not None


def _weak_ok(text: str, pos: int) -> bool:
    rest = text[pos : pos + 40]
    if not rest.strip() or rest[:1] in ",.!;:)\n" or rest.lstrip(" \t")[:1] in ",.!;:)\n":
        return True
    follower = rest.split(None, 1)[0].lower().rstrip(",.!;:")
    return follower in _WEAK_FOLLOWERS


def _starts(text: str) -> Iterator[tuple[int, bool]]:
    """Positions that open a line (True), or a sentence whose first word can open a greeting or sign-off.

    Not in offset order: lines first, then sentences (the spans are merged and sorted afterwards).
    """
    yield 0, True
    i = text.find("\n")
    while i >= 0:
        yield i + 1, True
        i = text.find("\n", i + 1)
    # No sentence match holds a second mark or a new line, so one scan tries every mark, like _SENTENCE_START
    # tried at each of them.
    for m in _SENTENCE_SCAN.finditer(text):
        if m.group(1).lower() in _FIRST_WORDS:
            yield m.start(1), False


def _trigger_names(text: str, pos: int, line_start: bool) -> list[tuple[int, int]]:
    if line_start and _DELIMITER_LINE.match(text, pos):
        return _next_line_names(text, pos)
    lead = _LEAD.match(text, pos)
    if lead is None:
        return []
    first, at = lead.group(1).lower(), lead.start(1)
    spans: list[tuple[int, int]] = []
    greeting = _GREETING_AT.get(first)
    m = greeting.match(text, at) if greeting else None
    if m is not None:
        gap = _GREETING_GAP.match(text, m.end())
        spans, _ = parse_names(text, gap.end() if gap else m.end(), allow_lower=True)
    signoff = _SIGNOFF_AT.get(first)
    m = signoff.match(text, at) if signoff and not spans else None
    next_line_read = False
    if m is not None:
        punct = _SIGNOFF_PUNCT.match(text, m.end())
        spans, _ = parse_names(text, punct.end() if punct else m.end(), allow_lower=True)
        if not spans:
            # "Thanks for your help,\nAnna": a short sign-off line, then the name on the next line.
            spans, next_line_read = _next_line_names(text, m.end()), True
    if not spans and line_start and first in _FIELD_FIRST_WORDS:
        field = _FIELD.match(text, pos)
        if field is not None:
            spans, _ = parse_names(text, field.end())
    if line_start and not next_line_read:  # the sign-off above read the same next line already
        # Whatever opened the line, a line ending in a sign-off word puts a name on the next line.
        line_end = _line_end(text, pos)
        if line_end < len(text) and _closing_tail(text, max(pos, line_end - 24), line_end):
            spans += _next_line_names(text, line_end)
    return spans


def _intro_names(text: str, pos: int) -> list[tuple[int, int]]:
    first = text[pos : pos + 12].split(None, 1)[0].lower() if text[pos : pos + 12].strip() else ""
    for table, weak in ((_INTRO_AT, False), (_WEAK_INTRO_AT, True)):
        pattern = table.get(first)
        m = pattern.match(text, pos) if pattern else None
        if m is None:
            continue
        gap = _GAP.match(text, m.end())
        if gap is None:
            continue
        lower_ok = not weak or first == "im"  # "I am happy" is the common case: skip it before parsing
        if not lower_ok and not text[gap.end() : gap.end() + 1].isupper():
            continue
        spans, _ = parse_names(text, gap.end(), allow_lower=lower_ok)
        if first == "im" and spans and not text[spans[0][0]].islower():
            continue  # chat "im anna" only: German "im Anhang", "im Moment" are not introductions
        if spans and (not weak or _weak_ok(text, spans[-1][1])):
            return spans
    return []


def find_names(text: str, low: str, words: WordIndex | None = None) -> Iterator[Span]:
    for pos, line_start in _starts(text):
        for start, end in _trigger_names(text, pos, line_start):
            yield Span(start, end, EntityType.NAME)
    for pos in keyword_positions(text, low, _INTRO_PHRASES, words):
        for start, end in _intro_names(text, pos):
            yield Span(start, end, EntityType.NAME)
    if "<" in text and "@" in text:
        yield from _names_before_addresses(text)
    for start, end in _closing_name(text):
        yield Span(start, end, EntityType.NAME)
    for start, end in prose_names(text):
        yield Span(start, end, EntityType.NAME)


def _closing_name(text: str) -> list[tuple[int, int]]:
    """A bare name on the last line, after a finished sentence: "...lock the account!\nLinda Park"."""
    body = text.rstrip()
    nl = body.rfind("\n")
    if nl < 0 or len(body) - nl > 48:
        return []
    previous = body[:nl].rstrip()
    if not previous or previous[-1] not in ".!?:)":
        return []
    line_start = nl + 1
    line = body[line_start:]
    indent = len(line) - len(line.lstrip(" \t-–—~"))
    spans, after = parse_names(text, line_start + indent, max_tokens=3)
    if len(spans) != 1 or body[after:].strip(" \t.,!"):
        return []
    return spans


def _names_before_addresses(text: str) -> Iterator[Span]:
    """'Anna Müller <anna@example.de>' in headers and quoted-reply lines."""
    for m in _ANGLE_EMAIL.finditer(text):
        window_start = max(0, m.start() - 80, text.rfind("\n", 0, m.start()) + 1)
        before = _BEFORE_ANGLE.search(text, window_start, m.start())
        if before is None:
            continue
        # Keep the longest tail of tokens that are all names (drop "wrote", "On Tue," and the like).
        tokens = [(t.start(), t.end()) for t in _TOKEN.finditer(text, before.start(), m.start())]
        first = len(tokens)
        while first > 0:
            s, e = tokens[first - 1]
            token = text[s:e]
            if _is_name_token(token) or (first < len(tokens) and token.lower() in _PARTICLES):
                first -= 1
            else:
                break
        while first < len(tokens) and text[tokens[first][0] : tokens[first][1]].lower() in _PARTICLES:
            first += 1
        if first < len(tokens):
            end = tokens[-1][1]
            yield Span(tokens[first][0], end - 1 if text[end - 1] == "." else end, EntityType.NAME)


# --- names in running prose ---------------------------------------------------------------------------------------

FIRST_NAMES_PATH = Path(__file__).with_name("first_names.txt")
# First names that are also words in some language ("Grace", "Sam", "Pedro", "Carlos"): taken only with a
# capitalised surname after them (ticket_sentiment_tools.redaction.gazetteer writes both files).
AMBIGUOUS_NAMES_PATH = Path(__file__).with_name("ambiguous_first_names.txt")
# First names that are also everyday words, kept out of the gazetteer by its builder (Faker's lorem word lists
# of every locale add thousands more): "Will you", "May I", "Mark as read", "my Mac".
_NOT_FIRST_NAMES_WORDS = """
will may mark bill grace hope rose joy faith june april august chase page art max sunny summer dawn eve ivy holly
amber ruby pearl crystal angel star sky river case paris london sydney austin dallas jordan china india asia frank
guy don rich drew penny carol ernst echo nova luna stella victoria sierra delta alpha oscar romeo can add man mad
job era gun odd owe per red mac cap doc dot fed gay lot icy ion bee ebb sale pay dear team best thanks hello hi
said sue tag bud bob pat gene lee son sonny patience honor honour precious justice major king prince duke baron
hunter cash price dusty rusty misty stormy ginger candy brandy sugar cherry apple olive hazel willow iris daisy
lily violet heather jasmine rosemary ginger clay dale glen heath reed wade cliff rock stone forrest avenue street
lane road long short new old young white black brown green gray grey gold silver
"""
NOT_FIRST_NAMES = frozenset(_NOT_FIRST_NAMES_WORDS.split()) | BRANDS
# Words after which a capitalised word names a person: "your agent Priya", "my husband Tom", "spoke to Anna".
_PERSON_CUES_WORDS = """
agent agents rep representative advisor adviser consultant technician engineer supervisor manager colleague
coworker co-worker husband wife partner boyfriend girlfriend fiancé fiancée fiance fiancee son daughter brother
sister mother father mom mum dad mommy daddy uncle aunt cousin grandma grandpa grandmother grandfather nephew niece
friend neighbour neighbor boss assistant secretary landlord tenant driver courier doctor nurse lawyer accountant
named called mr mrs ms miss mx dr prof sir herr frau monsieur madame mme señor señora sr sra signor signora dhr
mevrouw pan pani panie bay bayan mitarbeiter mitarbeiterin kollege kollegin mann ehemann ehefrau frau laut
operatore operatrice marito moglie collega secondo mari femme collègue conseiller conseillère selon agente marido
esposa compañero compañera según medewerker medewerkster vrouw volgens mąż żona kolega konsultant konsultantka
według eşim temsilciniz temsilci оператор муж жена коллега менеджер со тов товарищ господин госпожа
"""
_PERSON_CUES = frozenset(_PERSON_CUES_WORDS.split())
_CUE_PHRASES = (
    "spoke to",
    "spoke with",
    "talked to",
    "talked with",
    "speak to",
    "speak with",
    "talk to",
    "talking to",
    "speaking to",
    "speaking with",
    "chatted with",
    "ask for",
    "asked for",
    "asked",
    "contacted",
    "emailed",
    "called",
    "thanks to",
    "according to",
    "helped by",
    "handled by",
    "assisted by",
    "escalated to",
    "assigned to",
    "transferred to",
    "forwarded to",
    "cc",
    "mit",
    "avec",
    "con",
    "met",
    "z",
    "ze",
    "с",
)
_PHRASE_CUES = frozenset(_CUE_PHRASES)
# A capitalised word of Latin, Greek or Cyrillic script (the first letter is checked for case in Python).
_CAPITALISED = re.compile(
    r"(?<![\w'’@.#/\\-])[A-ZÀ-ÖØ-ÞĀ-ɏΆ-ΏΑ-ΩЀ-Я][^\W\d_]{1,24}(?:[-'’][A-Z][^\W\d_]{1,24})?"
    r"(?![\w@])"
)
_NAME_GAP = re.compile(r"[ \t]{1,2}")
_ELIDED_ARTICLE = re.compile(r"['’]t[ \t]{1,2}")


@cache
def first_names() -> frozenset[str]:
    """The gazetteer's case-folded first names, read on first need (a cold start that meets no capitalised word
    outside a sentence start does not pay for it)."""
    return frozenset(FIRST_NAMES_PATH.read_text(encoding="utf-8").split())


@cache
def ambiguous_first_names() -> frozenset[str]:
    return frozenset(AMBIGUOUS_NAMES_PATH.read_text(encoding="utf-8").split())


def _surname_follows(text: str, end: int) -> bool:
    """A capitalised word that is no common word, brand, team or company word comes right after `end`:
    "Grace Singh", not "Grace Period", "Sam Support" or "Jordan Brand"."""
    gap = _NAME_GAP.match(text, end)
    m = _CAPITALISED.match(text, gap.end()) if gap else None
    if m is None:
        return False
    low = m.group().casefold()
    return _surname_word(m.group()) and low not in _STOP and low not in NOT_FIRST_NAMES and len(low) >= 3


def _sentence_start(text: str, pos: int) -> bool:
    i = pos - 1
    while i >= 0 and text[i] in " \t\"'“(*>-":
        i -= 1
    return i < 0 or text[i] in ".!?\n:;"


def _cue_before(text: str, pos: int) -> bool:
    """The word (or two) right before `pos`, after a space, is a person cue ("agent", "spoke to")."""
    head = text[max(0, pos - 32) : pos]
    if not head.endswith((" ", "\t")):
        return False
    words = head.lower().split()
    if not words:
        return False
    last = words[-1]
    if last.endswith("."):  # a title's abbreviation ("Mr. Okonkwo", "тов. Марков"), else the sentence's end
        last = last[:-1] if last[:-1] in _TITLES else ""
    return last in _PERSON_CUES or last in _PHRASE_CUES or (len(words) >= 2 and f"{words[-2]} {last}" in _PHRASE_CUES)


def _name_word(token: str) -> bool:
    low = token.casefold()
    return token[0].isupper() and low not in _STOP and not (token.isupper() and len(token) > 3)


# Words that end a company name ("Walker Ltd", "Baker & Sons", "Kraus GmbH"): a name before one is a company's.
_COMPANY_WORDS_TEXT = """
ltd ltd. limited inc inc. incorporated llc llp plc corp corp. corporation co co. company group holding holdings
gmbh ag kg kgaa ohg mbh ug se sa s.a. sarl sas srl s.r.l. spa s.p.a. sl s.l. bv b.v. nv n.v. ab as oy sons
partners associates şti şti. a.ş. ооо лтд зао оао пао ип sp spółka s.a.s s.coop s.l.n.e s.l s.a s.c
s.n.c s.e sagl kft zrt oü aps
"""
_COMPANY_WORDS = frozenset(_COMPANY_WORDS_TEXT.split())
# "Shaw, Morgan and Garcia", "Geertsen & Kalman": surnames in a list are a firm's name unless a cue names people.
_FIRM_AFTER = re.compile(r",[ ]" + r"[A-Z][\w'’-]+,?[ ](?:and|&|und|et|y|en|e)[ ][A-Z]|[ ](?:&|und|et)[ ][A-Z]")
_FIRM_BEFORE = re.compile(r"(?:[A-Z][\w'’-]+,[ ]|[A-Z][\w'’-]+,?[ ](?:and|&|und|et|y|en|e)[ ])\Z")
_SURNAME_STOP = (
    frozenset(
        {
            "team",
            "support",
            "service",
            "services",
            "customer",
            "billing",
            "sales",
            "department",
            "desk",
            "from",
            "and",
            "the",
        }
    )
    | BRANDS
    | _COMPANY_WORDS
)


def _surname_word(token: str) -> bool:
    """A capitalised word after a first name is its surname unless it is a brand, a team or a company word
    (the stop list of greetings is too broad here: "Allen" is German for "all")."""
    return token[0].isupper() and token.casefold() not in _SURNAME_STOP and not (token.isupper() and len(token) > 3)


def _in_firm_name(text: str, start: int, stop: int, token: str) -> bool:
    """Part of a firm's name: a list of surnames ("Shaw, Morgan and Garcia"), or a hyphenated pair with no
    surname after it ("Baker-Lara"; "Jean-Luc Picard" is a person)."""
    if "-" in token and stop == start + len(token):
        return True
    return bool(_FIRM_AFTER.match(text, stop) or _FIRM_BEFORE.search(text, max(0, start - 40), start))


def _company_after(text: str, end: int) -> bool:
    """The words right after a name end a company name: "Walker Ltd", "Shaw, Morgan and Garcia PLC"."""
    for word in text[end : end + 48].replace(",", " ").split()[:4]:
        low = word.casefold().rstrip(".,;:!?)")
        if low in _COMPANY_WORDS or low.rstrip(".") in _COMPANY_WORDS or word == "&":
            return True
    return False


def _surname_end(text: str, end: int) -> int:
    """Past the capitalised words (at most two, particles between them allowed) that follow a first name."""
    taken = 0
    pos = end
    while taken < 3:
        gap = _NAME_GAP.match(text, pos)
        if gap is None:
            break
        m = _CAPITALISED.match(text, gap.end())
        if m is None:
            particle = _TOKEN.match(text, gap.end())
            if particle is not None and particle.group().lower() in _PARTICLES:
                after = _NAME_GAP.match(text, particle.end())
                elided = _ELIDED_ARTICLE.match(text, after.end()) if after else None
                if elided is not None:  # "van 't Erve"
                    after = elided
                second = _TOKEN.match(text, after.end()) if after else None
                if second is not None and second.group().lower() in _PARTICLES:  # "van der Velden"
                    after = _NAME_GAP.match(text, second.end())
                nxt = _CAPITALISED.match(text, after.end()) if after else None
                if nxt is not None and _surname_word(nxt.group()):
                    pos = end = nxt.end()
                    taken += 1
                    continue
            break
        if not _surname_word(m.group()):
            break
        pos = end = m.end()
        taken += 1
    return end


def prose_names(text: str) -> list[tuple[int, int]]:
    """Names in running prose: a capitalised word that is a known first name (at a sentence start only with a
    capitalised surname after it), or any capitalised word after a person cue ("agent", "husband", "spoke
    to", "Mr"), with the capitalised surname words that follow."""
    spans: list[tuple[int, int]] = []
    names: frozenset[str] | None = None
    skip_to = 0
    for m in _CAPITALISED.finditer(text):
        start, end = m.span()
        token = m.group()
        if start < skip_to or not token[0].isupper() or not _name_word(token):
            continue
        low = token.casefold()
        if low in _TITLES:
            continue
        if names is None:
            names = first_names()
        known = low.split("-")[0] in names
        cue = _cue_before(text, start)
        if not cue:
            if not known and not (low in ambiguous_first_names() and _surname_follows(text, end)):
                continue
            if _sentence_start(text, start) and _surname_end(text, end) == end:
                continue  # "Will you ...", "Can I ...": a sentence opening with a first name alone is not one
        stop = _surname_end(text, end)
        if not cue and (_company_after(text, stop) or _in_firm_name(text, start, stop, token)):
            continue  # "Walker Ltd", "Shaw, Morgan and Garcia", "Baker-Lara"
        spans.append((start, stop))
        skip_to = stop
    return spans


_LABEL_WORD_BREAK = re.compile(r"[\s_]+")


# A short dotted word of letters: an abbreviated title before a name ("Sig.ra", "Dott.ssa", "тов.") or a degree
# after it ("B.Eng.", "Ph.D.").
_DOTTED_ABBREVIATION = re.compile(r"(?:[^\W\d_]{1,4}\.)+[^\W\d_]{0,4}")


def _label_words(value: str) -> list[str]:
    """The words of a label without leading titles ("Dipl.-Ing.", "Öğr.", "Mr", "Sig.ra") or trailing degrees
    ("B.Eng."), their dots and hyphens."""
    words = [w for w in _LABEL_WORD_BREAK.split(value) if w]
    while words and _leading_title(words):
        words = words[1:]
    while len(words) > 2 and _abbreviation(words[-1]) and "." in words[-1].rstrip("."):
        words = words[:-1]  # "Angelina_Pechel_B.Eng.": a degree has a dot inside, a surname's initial does not
    return [w.rstrip(".") for w in words]


def _leading_title(words: list[str]) -> bool:
    first = words[0]
    if all(part.casefold() in _TITLES for part in re.split(r"[.\-]+", first) if part):
        return True
    return len(words) > 1 and ((first.endswith(".") and len(first) <= 5) or _abbreviation(first))


def _abbreviation(word: str) -> bool:
    return len(word) <= 8 and _DOTTED_ABBREVIATION.fullmatch(word) is not None


def looks_like_person(value: str) -> bool:
    """A short label ("maria gonzalez", a tag "Jeremy_Wilson", "Dipl.-Ing. Hans-J. Mälzer") that reads as a
    person's name: one to four words (particles aside), the first a known first name, or two or more words the
    first of which is a first name that is also a common word ("Tom Becker", "Mark Robles"). A label wrongly
    taken for a name is only dropped, so this leans the safe way."""
    words = [w for w in _label_words(value) if w.casefold() not in _PARTICLES]  # "Pieter_van_'t_Erve"
    if not 1 <= len(words) <= 4 or not all(w.replace("-", "").replace("'", "").isalpha() for w in words):
        return False
    first = words[0].split("-")[0].casefold()
    if first in _STOP and not (len(words) >= 2 and first in NOT_FIRST_NAMES and first not in BRANDS):
        return False
    if first in first_names():
        return True
    return len(words) >= 2 and (first in ambiguous_first_names() or (first in NOT_FIRST_NAMES and first not in BRANDS))
