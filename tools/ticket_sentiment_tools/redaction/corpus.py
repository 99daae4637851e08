"""A seeded corpus of support tickets full of personal data, written with Faker in ten locales, plus hand-written
adversarial cases (HTML, line splits, invisible characters, Unicode digits, obfuscations), and its measurement
through the path ingest and the scorer run (protect_event, then clean_for_scoring: what is queued, stored,
published and sent to Slack).

Each case carries the raw values it holds, by type, and the hard negatives (order numbers, prices, versions,
dates, tracking codes, SKUs, product and company names) that must survive. A value counts as protected when none
of its significant tokens (see `significant_tokens`) is left in what the path returns: a partly redacted value
is a leak. A negative counts as kept when it is found verbatim.

    python -m ticket_sentiment_tools.redaction.corpus            # the recall table
    python -m ticket_sentiment_tools.redaction.corpus --write F  # the corpus as JSON lines

Faker is a dev dependency: this module is never shipped.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

LOCALES = ("en_US", "en_GB", "de_DE", "fr_FR", "es_ES", "it_IT", "nl_NL", "pl_PL", "tr_TR", "ru_RU")
SEED = 15
STRUCTURED = ("EMAIL", "PHONE", "CARD", "IBAN", "NATIONAL_ID", "IP")
FLOORS = {"structured": 0.99, "NAME_GREETING": 0.95, "NAME_PROSE": 0.90, "ADDRESS": 0.90, "negatives": 0.98}


@dataclass
class Case:
    case_id: str
    locale: str
    kind: str
    body: str
    html: bool = False
    subject: str = ""
    values: list[tuple[str, str]] = field(default_factory=list)  # (type, raw value)
    negatives: list[str] = field(default_factory=list)


# --- locale wording -----------------------------------------------------------------------------------------------

_LANG: dict[str, dict[str, Any]] = {
    "en": {
        "hi": ["Hi", "Hello", "Dear", "Good morning"],
        "bye": ["Thanks", "Best regards", "Kind regards", "Cheers"],
        "complaint": [
            "My refund still has not arrived and nobody answers.",
            "The app logs me out every time I pay. I am really annoyed.",
            "I was charged twice this month, please fix it.",
        ],
        "phone": ["Call me on {v}.", "My number is {v}.", "Phone: {v}", "You can reach me at {v} after 5pm."],
        "email": ["Please write to {v} instead.", "My email is {v}.", "Send the invoice to {v} please."],
        "prose": [
            "I spoke to {n} yesterday and nothing happened.",
            "My husband {n} ordered it last week.",
            "Your agent {f} closed my ticket without an answer.",
            "I already explained it to {n} twice.",
            "{n} from your billing team promised a refund.",
            "My colleague {n} has the same problem.",
            "Please ask {f} about the refund, she knows the case.",
            "Last week {n} told me it would be fixed.",
        ],
    },
    "de": {
        "hi": ["Hallo", "Liebe", "Sehr geehrte", "Guten Tag"],
        "bye": ["Viele Grüße", "Mit freundlichen Grüßen", "Danke", "Beste Grüße"],
        "complaint": ["Meine Erstattung ist immer noch nicht da.", "Die App stürzt bei jeder Zahlung ab."],
        "phone": ["Rufen Sie mich unter {v} an.", "Telefon: {v}", "Meine Handynummer ist {v}."],
        "email": ["Bitte schreiben Sie an {v}.", "Meine E-Mail ist {v}."],
        "prose": [
            "Ich habe gestern mit {n} gesprochen.",
            "Mein Mann {n} hat es bestellt.",
            "Ihr Mitarbeiter {f} hat das Ticket geschlossen.",
            "Laut {n} ist alles erledigt.",
        ],
    },
    "fr": {
        "hi": ["Bonjour", "Cher", "Chère", "Bonsoir"],
        "bye": ["Cordialement", "Merci", "Bien cordialement"],
        "complaint": ["Mon remboursement n'est toujours pas arrivé.", "L'application plante à chaque paiement."],
        "phone": ["Appelez-moi au {v}.", "Mon numéro est le {v}.", "Tél : {v}"],
        "email": ["Écrivez-moi à {v}.", "Mon adresse e-mail est {v}."],
        "prose": [
            "J'ai parlé avec {n} hier.",
            "Mon mari {n} l'a commandé.",
            "Votre agent {f} a fermé mon ticket.",
            "Selon {n} tout est réglé.",
        ],
    },
    "es": {
        "hi": ["Hola", "Estimado", "Estimada", "Buenos días"],
        "bye": ["Saludos", "Gracias", "Un saludo"],
        "complaint": ["Mi reembolso todavía no ha llegado.", "La aplicación se cierra cada vez que pago."],
        "phone": ["Llámame al {v}.", "Mi teléfono es {v}.", "Móvil: {v}"],
        "email": ["Escríbanme a {v}.", "Mi correo es {v}."],
        "prose": [
            "Hablé con {n} ayer.",
            "Mi marido {n} lo pidió.",
            "Su agente {f} cerró mi ticket.",
            "Según {n} ya está resuelto.",
        ],
    },
    "it": {
        "hi": ["Ciao", "Buongiorno", "Gentile", "Caro"],
        "bye": ["Cordiali saluti", "Grazie", "Saluti"],
        "complaint": ["Il mio rimborso non è ancora arrivato.", "L'app si chiude a ogni pagamento."],
        "phone": ["Chiamatemi al {v}.", "Il mio numero è {v}.", "Telefono: {v}"],
        "email": ["Scrivetemi a {v}.", "La mia email è {v}."],
        "prose": [
            "Ho parlato con {n} ieri.",
            "Mio marito {n} l'ha ordinato.",
            "Il vostro operatore {f} ha chiuso il ticket.",
            "Secondo {n} è tutto risolto.",
        ],
    },
    "nl": {
        "hi": ["Hallo", "Beste", "Geachte", "Goedemorgen"],
        "bye": ["Met vriendelijke groet", "Groeten", "Bedankt"],
        "complaint": ["Mijn terugbetaling is er nog steeds niet.", "De app crasht bij elke betaling."],
        "phone": ["Bel me op {v}.", "Mijn telefoonnummer is {v}.", "Tel: {v}"],
        "email": ["Mail naar {v} alstublieft.", "Mijn e-mail is {v}."],
        "prose": [
            "Ik heb gisteren met {n} gesproken.",
            "Mijn man {n} heeft het besteld.",
            "Uw medewerker {f} heeft mijn ticket gesloten.",
            "Volgens {n} is alles opgelost.",
        ],
    },
    "pl": {
        "hi": ["Dzień dobry", "Witam", "Cześć", "Szanowna Pani"],
        "bye": ["Pozdrawiam", "Z poważaniem", "Dziękuję"],
        "complaint": ["Mój zwrot pieniędzy nadal nie dotarł.", "Aplikacja zamyka się przy każdej płatności."],
        "phone": ["Proszę zadzwonić pod numer {v}.", "Mój telefon: {v}", "Tel. {v}"],
        "email": ["Proszę pisać na {v}.", "Mój e-mail to {v}."],
        "prose": [
            "Rozmawiałem wczoraj z {n}.",
            "Mój mąż {n} to zamówił.",
            "Wasz konsultant {f} zamknął zgłoszenie.",
            "Według {n} wszystko jest załatwione.",
        ],
    },
    "tr": {
        "hi": ["Merhaba", "Sayın", "Selam", "İyi günler"],
        "bye": ["Saygılarımla", "Teşekkürler", "İyi çalışmalar"],
        "complaint": ["Param hâlâ iade edilmedi.", "Uygulama her ödemede kapanıyor."],
        "phone": ["Beni {v} numarasından arayın.", "Telefon: {v}", "Numaram {v}."],
        "email": ["Lütfen {v} adresine yazın.", "E-postam {v}."],
        "prose": [
            "Dün {n} ile konuştum.",
            "Eşim {n} sipariş verdi.",
            "Temsilciniz {f} talebimi kapattı.",
            "{n} bana iade sözü verdi.",
        ],
    },
    "ru": {
        "hi": ["Здравствуйте", "Добрый день", "Привет", "Уважаемая"],
        "bye": ["С уважением", "Спасибо", "Всего доброго"],
        "complaint": ["Мне до сих пор не вернули деньги.", "Приложение закрывается при каждой оплате."],
        "phone": ["Позвоните мне по номеру {v}.", "Телефон: {v}", "Мой номер {v}."],
        "email": ["Напишите мне на {v}.", "Моя почта {v}."],
        "prose": [
            "Вчера я говорил с {n}.",
            "Мой муж {n} сделал заказ.",
            "Ваш оператор {f} закрыл заявку.",
            "{n} обещал вернуть деньги.",
        ],
    },
}
_ID_LABELS = {
    "en_US": ("SSN", "ssn"),
    "nl_NL": ("BSN", "ssn"),
    "fr_FR": ("numéro de sécurité sociale", "ssn"),
    "es_ES": ("DNI", "nif"),
    "it_IT": ("codice fiscale", "ssn"),
    "pl_PL": ("PESEL", "pesel"),
    "tr_TR": ("TC Kimlik No", "ssn"),
    "ru_RU": ("ИНН", "businesses_inn"),
    "de_DE": ("Steuer-ID", None),
    "en_GB": ("passport number", None),
}
_CARD_TYPES = ("visa16", "visa13", "visa19", "mastercard", "amex", "discover", "jcb15", "jcb16", "diners", "maestro")
NEGATIVE_MAKERS: tuple[Callable[[random.Random], str], ...] = (
    lambda r: f"order #{r.randint(10000, 99999999)}",
    lambda r: f"Order No. {r.choice('ABCDEFGH')}{r.randint(100000, 999999)}",
    lambda r: f"${r.randint(5, 2999):,}.{r.randint(0, 99):02d}",
    lambda r: f"{r.randint(5, 999)},{r.randint(0, 99):02d} €",
    lambda r: f"v{r.randint(1, 19)}.{r.randint(0, 30)}.{r.randint(0, 99)}",
    lambda r: f"version {r.randint(1, 9)}.{r.randint(0, 9)}.{r.randint(0, 9)}.{r.randint(0, 9)}",
    lambda r: f"{r.randint(1, 28):02d}/{r.randint(1, 12):02d}/{r.randint(2019, 2026)}",
    lambda r: f"{r.randint(2019, 2026)}-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}",
    lambda r: f"{r.randint(1, 28):02d}.{r.randint(1, 12):02d}.{r.randint(2019, 2026)} {r.randint(8, 18)}:00",
    lambda r: "1Z" + "".join(r.choice("0123456789ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(16)),
    lambda r: f"SKU {r.choice(['AB', 'XK', 'TR', 'MX'])}-{r.randint(1000, 9999)}-{r.randint(1000, 9999)}",
    lambda r: f"ticket {r.randint(100000, 9999999)}",
    lambda r: "2.3.4.5",
    lambda r: f"invoice INV-{r.randint(2019, 2026)}-{r.randint(1, 99999):05d}",
    lambda r: r.choice(
        [
            "Apple Pay",
            "Google Drive",
            "Microsoft Teams",
            "Galaxy S24",
            "iPhone 15",
            "Chrome",
            "Zendesk",
            "Amazon Prime",
            "PayPal",
            "Outlook",
        ]
    ),
    lambda r: f"error {r.choice(['ERR', 'E', 'HTTP'])}-{r.randint(100, 5999)}",
)
_OPENERS = (
    "Will you fix this today?",
    "May I ask for an update?",
    "Can you check the logs?",
    "Mark as read does not work.",
    "Grace period ended yesterday.",
    "Thanks, Apple Pay works again.",
    "Dear Zendesk Team, please help.",
    "Hope this helps.",
    "Best part: nothing works.",
)


def _lang(locale: str) -> dict[str, Any]:
    return _LANG[locale.split("_", maxsplit=1)[0]]


# --- value formats --------------------------------------------------------------------------------------------------


def _card(fake: Any, rng: random.Random) -> str:
    digits = fake.credit_card_number(card_type=rng.choice(_CARD_TYPES))
    sep = rng.choice([" ", " ", "-", ".", "/", "", "mixed"])
    groups = [digits[i : i + 4] for i in range(0, len(digits), 4)]
    if sep == "mixed":
        return "".join(g + (rng.choice(" -.") if i < len(groups) - 1 else "") for i, g in enumerate(groups))
    return sep.join(groups)


def _iban(fake: Any, rng: random.Random) -> str:
    iban = fake.iban()
    return " ".join(iban[i : i + 4] for i in range(0, len(iban), 4)) if rng.random() < 0.5 else iban


def _email(fake: Any, rng: random.Random) -> str:
    email = str(fake.free_email() if rng.random() < 0.5 else fake.email())
    if rng.random() < 0.12:  # written to dodge spam filters
        local, domain = email.split("@")
        return rng.choice(
            [
                f"{local} at {domain.replace('.', ' dot ')}",
                f"{local} (at) {domain}",
                f"{local} @ {domain}",
                f"{local.replace('.', ' dot ')} at {domain.replace('.', ' dot ')}",
            ]
        )
    return email


def _phone(fake: Any, rng: random.Random) -> str:
    return str(fake.phone_number())


def _address(fake: Any, locale: str, rng: random.Random) -> str:
    if locale == "tr_TR":
        kind = rng.choice(["Sokak", "Sok.", "Caddesi", "Cad.", "Bulvarı"])
        return f"{fake.last_name()} {kind} No: {rng.randint(1, 199)}"
    return str(fake.street_address()).replace("\n", ", ")


# --- cases ------------------------------------------------------------------------------------------------------------


def _greeting_case(fake: Any, locale: str, rng: random.Random) -> Case:
    lang = _lang(locale)
    name = fake.first_name() if rng.random() < 0.6 else fake.name()
    hello = rng.choice(lang["hi"])
    body = f"{hello} {name},\n{rng.choice(lang['complaint'])}"
    if rng.random() < 0.5:
        bye_name = fake.name()
        body += f"\n\n{rng.choice(lang['bye'])},\n{bye_name}"
        return Case("", locale, "greeting", body, values=[("NAME_GREETING", name), ("NAME_GREETING", bye_name)])
    return Case("", locale, "greeting", body, values=[("NAME_GREETING", name)])


def _prose_case(fake: Any, locale: str, rng: random.Random) -> Case:
    lang = _lang(locale)
    first, full = fake.first_name(), f"{fake.first_name()} {fake.last_name()}"
    template = rng.choice(lang["prose"])
    value = first if "{f}" in template and "{n}" not in template else full
    sentence = template.replace("{n}", full).replace("{f}", first)
    return Case("", locale, "prose", f"{rng.choice(lang['complaint'])} {sentence}", values=[("NAME_PROSE", value)])


def _structured_case(fake: Any, locale: str, rng: random.Random, kind: str, cards: Any) -> Case:
    """`cards`: an en_US Faker (card schemes are the same everywhere; some locales' providers know only one)."""
    lang = _lang(locale)
    complaint = rng.choice(lang["complaint"])
    if kind == "EMAIL":
        value = _email(fake, rng)
        return Case(
            "", locale, kind, f"{complaint} {rng.choice(lang['email']).format(v=value)}", values=[(kind, value)]
        )
    if kind == "PHONE":
        value = _phone(fake, rng)
        return Case(
            "", locale, kind, f"{complaint} {rng.choice(lang['phone']).format(v=value)}", values=[(kind, value)]
        )
    if kind == "CARD":
        value = _card(cards, rng)
        return Case("", locale, kind, f"{complaint} Card {value} was charged twice.", values=[(kind, value)])
    if kind == "IBAN":
        value = _iban(fake, rng)
        return Case("", locale, kind, f"{complaint} Refund to IBAN {value} please.", values=[(kind, value)])
    if kind == "IP":
        value = fake.ipv4_public() if rng.random() < 0.7 else fake.ipv6()
        return Case("", locale, kind, f"{complaint} Login blocked from IP {value} again.", values=[(kind, value)])
    label, provider = _ID_LABELS[locale]
    value = str(getattr(fake, provider)()) if provider else fake.bothify("??#######").upper()
    return Case("", locale, "NATIONAL_ID", f"{complaint} My {label}: {value}", values=[("NATIONAL_ID", value)])


def _address_case(fake: Any, locale: str, rng: random.Random) -> Case:
    value = _address(fake, locale, rng)
    lang = _lang(locale)
    return Case(
        "",
        locale,
        "ADDRESS",
        f"{rng.choice(lang['complaint'])} Ship it to {value} please.",
        values=[("ADDRESS", value)],
    )


def _negative_case(fake: Any, locale: str, rng: random.Random) -> Case:
    negatives = [maker(rng) for maker in rng.sample(NEGATIVE_MAKERS, 3)]
    company = fake.company()
    opener = rng.choice(_OPENERS)
    body = (
        f"{opener} {rng.choice(_lang(locale)['complaint'])} It is about {negatives[0]} and {negatives[1]} "
        f"({negatives[2]}), bought from {company}."
    )
    return Case("", locale, "negative", body, negatives=[opener, *negatives, company])


_PLAN: tuple[tuple[str, int], ...] = (
    ("greeting", 24),
    ("prose", 32),
    ("EMAIL", 14),
    ("PHONE", 14),
    ("CARD", 14),
    ("IBAN", 8),
    ("NATIONAL_ID", 5),
    ("IP", 5),
    ("ADDRESS", 14),
    ("negative", 20),
)


def _vary(case: Case, rng: random.Random) -> Case:
    """Some cases are sent as HTML with the value in an inline tag, some with the value split over lines or
    hidden by invisible characters, some with the value in the subject instead of the body."""
    roll = rng.random()
    if not case.values or case.kind in ("greeting", "negative"):
        return case
    kind, value = case.values[0]
    if roll < 0.2:
        case.body = "<div><p>" + case.body.replace(value, f"<b>{value}</b>").replace("\n", "</p><p>") + "</p></div>"
        case.html = True
    elif roll < 0.3 and " " in value and kind in ("CARD", "IBAN", "PHONE"):
        case.body = case.body.replace(value, value.replace(" ", "\n", 1))
    elif roll < 0.38 and kind in ("CARD", "IBAN", "PHONE", "EMAIL"):
        case.body = case.body.replace(value, value.replace(" ", "\u200b ").replace("@", "\u200b@"))
    elif roll < 0.48 and kind in STRUCTURED:
        case.subject, case.body = case.body[-160:].strip(), "See subject."
    return case


def faker_cases(seed: int = SEED) -> list[Case]:
    from faker import Faker

    cases: list[Case] = []
    for index, locale in enumerate(LOCALES):
        fake, cards = Faker(locale), Faker("en_US")
        fake.seed_instance(seed * 100 + index)
        cards.seed_instance(seed * 100 + index)
        rng = random.Random(seed * 100 + index)
        for kind, count in _PLAN:
            for _ in range(count):
                if kind == "greeting":
                    case = _greeting_case(fake, locale, rng)
                elif kind == "prose":
                    case = _prose_case(fake, locale, rng)
                elif kind == "ADDRESS":
                    case = _address_case(fake, locale, rng)
                elif kind == "negative":
                    case = _negative_case(fake, locale, rng)
                else:
                    case = _structured_case(fake, locale, rng, kind, cards)
                case.case_id = f"{locale}-{len(cases):05d}"
                cases.append(_vary(case, rng))
    return cases


def adversarial_cases() -> list[Case]:
    """The hostile review's reproductions (issue 15), by hand."""
    rows: list[tuple[str, str, bool, list[tuple[str, str]]]] = [
        ("split", "4111\n1111\n1111\n1111", False, [("CARD", "4111 1111 1111 1111")]),
        ("split", "my card is 4111 1111\n1111 1111 thanks", False, [("CARD", "4111 1111 1111 1111")]),
        ("html", "<p>my card is 4111 <b>1111</b> 1111 1111</p>", True, [("CARD", "4111 1111 1111 1111")]),
        (
            "html",
            "<p>My name is <b>Maria Gonzalez</b>, date of birth <b>14/03/1985</b></p>",
            True,
            [("NAME_GREETING", "Maria Gonzalez")],
        ),
        (
            "html",
            "<div>mail <span>anna.kowalski</span>@<span>example.com</span></div>",
            True,
            [("EMAIL", "anna.kowalski@example.com")],
        ),
        ("invisible", "card 4111\u00a01111\u200b1111\u2060 1111", False, [("CARD", "4111 1111 1111 1111")]),
        ("invisible", "card 4111\u00ad1111\u00ad1111\u00ad1111", False, [("CARD", "4111 1111 1111 1111")]),
        ("invisible", "card 4111\x001111\x0011111111", False, [("CARD", "4111 1111 11111111")]),
        ("invisible", "mail anna.kowalski\uff20example.com", False, [("EMAIL", "anna.kowalski@example.com")]),
        (
            "digits",
            "card \u0664\u0661\u0661\u0661 \u0661\u0661\u0661\u0661 \u0661\u0661\u0661\u0661 \u0661\u0661\u0661\u0661",
            False,
            [("CARD", "4111 1111 1111 1111")],
        ),
        (
            "digits",
            "call \uff14\uff11\uff15-\uff15\uff15\uff15-\uff10\uff11\uff13\uff12",
            False,
            [("PHONE", "415-555-0132")],
        ),
        ("brand", "JCB 3530 1113 3330 0000", False, [("CARD", "3530 1113 3330 0000")]),
        ("brand", "JCB 213100000000001", False, [("CARD", "213100000000001")]),
        ("brand", "Maestro 6759 6498 2643 8453", False, [("CARD", "6759 6498 2643 8453")]),
        ("brand", "Maestro 501800000009", False, [("CARD", "501800000009")]),
        ("brand", "card 4111.1111.1111.1111", False, [("CARD", "4111.1111.1111.1111")]),
        ("brand", "card 4111/1111/1111/1111", False, [("CARD", "4111/1111/1111/1111")]),
        ("phone", "call 555-123-4567 x204", False, [("PHONE", "555-123-4567 x204")]),
        ("phone", "call (216)476-5657x104", False, [("PHONE", "(216)476-5657x104")]),
        ("obfuscation", "write to john dot doe at gmail dot com", False, [("EMAIL", "john dot doe at gmail dot com")]),
        ("obfuscation", "mail anna_b @ gmail.com", False, [("EMAIL", "anna_b @ gmail.com")]),
        ("obfuscation", "reach x at gmail.com", False, [("EMAIL", "x at gmail.com")]),
        (
            "signature",
            "Still broken.\n\n-- \nMaria Lopez\nHead of Ops\n+1 415 555 0132",
            False,
            [("NAME_GREETING", "Maria Lopez"), ("PHONE", "+1 415 555 0132")],
        ),
        ("signature", "Still broken.\n\nSent from my iPhone\nTom Becker", False, [("NAME_GREETING", "Tom Becker")]),
        ("prose", "I spoke to Maria Gonzalez yesterday", False, [("NAME_PROSE", "Maria Gonzalez")]),
        ("prose", "my husband Tom Becker ordered it", False, [("NAME_PROSE", "Tom Becker")]),
        ("prose", "your agent Priya closed my ticket", False, [("NAME_PROSE", "Priya")]),
        ("greeting", "Dzień dobry Pani Anno,\nnie działa.", False, [("NAME_GREETING", "Anno")]),
        ("greeting", "Merhaba Ayşe Hanım,\nçalışmıyor.", False, [("NAME_GREETING", "Ayşe")]),
        ("greeting", "Здравствуйте, Ольга!\nНе работает.", False, [("NAME_GREETING", "Ольга")]),
    ]
    return [
        Case(f"adv-{i:03d}", "en_US", kind, body, html=html, values=values)
        for i, (kind, body, html, values) in enumerate(rows)
    ]


def build_corpus(seed: int = SEED) -> list[Case]:
    return faker_cases(seed) + adversarial_cases()


# --- measuring --------------------------------------------------------------------------------------------------------

_TOKEN = re.compile(r"[^\W_]+")
_EMAIL_LOCAL_END = re.compile(r"(?i)\s?(?:@|\(at\)|\bat\b)")
# Words a value may share with its sentence or with a placeholder; never a sign of a leak on their own.
# Titles ("Mr", "Dott.", "pani") are not personal data.
_TITLES = frozenset(
    {
        "mr",
        "mrs",
        "ms",
        "miss",
        "dr",
        "prof",
        "sir",
        "herr",
        "frau",
        "pan",
        "pani",
        "dott",
        "ssa",
        "sig",
        "ra",
        "ing",
        "dipl",
        "univ",
        "uz",
        "öğr",
        "çev",
        "av",
        "op",
        "doç",
        "eng",
        "mag",
        "phd",
        "mba",
        "msc",
        "bsc",
        "ba",
        "ma",
        "md",
        "jr",
        "sr",
        "iii",
        "ii",
        "dds",
        "dvm",
        "mme",
        "mlle",
        "señor",
        "señora",
        "dhr",
        "mevr",
        "ir",
        "drs",
        "bay",
        "bayan",
        "hanım",
        "bey",
        "sra",
        "srta",
        "тов",
        # name particles: "de" of "Maaike de Keijzer" is not hers
        "de",
        "da",
        "di",
        "du",
        "la",
        "le",
        "van",
        "von",
        "ter",
        "ten",
        "al",
        "el",
        "bin",
        "zu",
    }
)
_COMMON = _TITLES | frozenset(
    {
        "the",
        "and",
        "for",
        "von",
        "van",
        "der",
        "den",
        "del",
        "della",
        "dos",
        "street",
        "road",
        "str",
        "via",
        "rue",
        "calle",
        "ulica",
        "apt",
        "suite",
        "unit",
        "flat",
        "com",
        "net",
        "org",
        "dot",
        "gmail",
    }
)


def significant_tokens(kind: str, value: str) -> list[str]:
    """The parts of a value that must not survive: its words of two letters or more (names, addresses), the
    local part of an e-mail address, every group of three digits or more and the whole number (numbers)."""
    if kind == "EMAIL":
        value = _EMAIL_LOCAL_END.split(value, maxsplit=1)[0]
    tokens = [t for t in _TOKEN.findall(value) if len(t) >= (2 if kind.startswith("NAME") else 3)]
    tokens = [t for t in tokens if t.lower() not in _COMMON]
    if kind in STRUCTURED or kind == "CARD":
        compact = "".join(c for c in value if c.isalnum())
        tokens.append(compact)
    return tokens


@dataclass
class Measured:
    case: Case
    stored: str
    leaked: list[tuple[str, str]]
    dropped: list[str]


def _event(case: Case) -> dict[str, Any]:
    return {
        "source": "other",
        "ticket_id": case.case_id,
        "message_id": "m-1",
        "author_role": "customer",
        "created_at": datetime(2026, 3, 2, 9, 0, tzinfo=UTC).isoformat(),
        "subject": case.subject,
        ("html" if case.html else "text"): case.body,
    }


def event_payload(case: Case) -> dict[str, Any]:
    """The canonical event that posts this case to POST /v1/events."""
    return _event(case)


def run_case(case: Case) -> Measured:
    """The case through protect_event (ingest) and clean_for_scoring (the scorer): what is queued, stored,
    published and sent, as one text."""
    from ticket_sentiment.events import TicketEvent
    from ticket_sentiment.pipeline.protection import clean_for_scoring, protect_event

    queued = protect_event(TicketEvent.model_validate(_event(case)), datetime(2026, 3, 2, 9, 1, tzinfo=UTC))
    clean = clean_for_scoring(queued)
    stored = "\n".join([queued.event.body, queued.event.subject, clean.text, clean.subject])
    return Measured(case, stored, leaks(case, stored), [n for n in case.negatives if n not in stored])


def leaks(case: Case, stored: str) -> list[tuple[str, str]]:
    words = {t.lower() for t in _TOKEN.findall(stored)}
    compact = "".join(c for c in stored if c.isalnum()).lower()
    found = []
    for kind, value in case.values:
        for token in significant_tokens(kind, value):
            low = token.lower()
            if low in words or (len(low) >= 8 and low in compact):
                found.append((kind, value))
                break
    return found


class Report:
    def __init__(self, measured: list[Measured]) -> None:
        self.measured = measured
        self.per_type: dict[str, list[int]] = {}  # type -> [gold, protected]
        for m in measured:
            for kind, value in m.case.values:
                row = self.per_type.setdefault(kind, [0, 0])
                row[0] += 1
                row[1] += (kind, value) not in m.leaked
        self.negatives = sum(len(m.case.negatives) for m in measured)
        self.negatives_kept = self.negatives - sum(len(m.dropped) for m in measured)

    def recall(self, kind: str) -> float:
        gold, protected = self.per_type.get(kind, [0, 0])
        return protected / gold if gold else 1.0

    def structured_recall(self) -> float:
        gold = sum(self.per_type.get(k, [0, 0])[0] for k in STRUCTURED)
        protected = sum(self.per_type.get(k, [0, 0])[1] for k in STRUCTURED)
        return protected / gold if gold else 1.0

    def kept_rate(self) -> float:
        return self.negatives_kept / self.negatives if self.negatives else 1.0

    def format(self) -> str:
        locales = sorted({m.case.locale for m in self.measured})
        lines = [
            f"{len(self.measured)} cases, {len(locales)} locales ({', '.join(locales)}), "
            "through protect_event + clean_for_scoring",
            f"{'type':<16}{'values':>8}{'protected':>11}{'recall':>9}",
        ]
        for kind, (gold, protected) in sorted(self.per_type.items()):
            lines.append(f"{kind:<16}{gold:>8}{protected:>11}{protected / gold:>9.3f}")
        lines.append(f"{'structured':<16}{'':>8}{'':>11}{self.structured_recall():>9.3f}")
        lines.append(f"hard negatives kept: {self.negatives_kept}/{self.negatives} = {self.kept_rate():.3f}")
        return "\n".join(lines)

    def failures(self, limit: int = 20) -> Iterator[str]:
        shown = 0
        for m in self.measured:
            if (m.leaked or m.dropped) and shown < limit:
                shown += 1
                yield json.dumps(
                    {"case": m.case.case_id, "leaked": m.leaked, "dropped": m.dropped, "stored": m.stored[:300]},
                    ensure_ascii=False,
                )


def measure(cases: list[Case] | None = None) -> Report:
    return Report([run_case(c) for c in (cases if cases is not None else build_corpus())])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--write", help="write the corpus as JSON lines to this file and stop")
    parser.add_argument("--failures", type=int, default=0, help="print up to this many failing cases")
    args = parser.parse_args(argv)
    cases = build_corpus()
    if args.write:
        with open(args.write, "w", encoding="utf-8") as handle:
            for case in cases:
                handle.write(json.dumps(asdict(case), ensure_ascii=False) + "\n")
        print(f"{len(cases)} cases -> {args.write}", file=sys.stderr)
        return
    report = measure(cases)
    print(report.format())
    for line in report.failures(args.failures):
        print(line)


if __name__ == "__main__":
    main()
