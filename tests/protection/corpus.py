"""A corpus of support tickets full of personal data, with every raw value recorded so it can be searched for.

Deterministic (seeded). Each ticket carries a greeting and sign-off name, an email, a phone in one of several
formats, a Luhn-valid card, a checksummed IBAN, a US SSN, a street address and a password or API token, in the
kinds of sentences customers write; one in four also has the e-mail in its subject, another one in four in its
ticket link. `values` are the raw strings; `digit_forms` the digits-only forms of cards and
phones (a leak may drop the separators).
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

FIRST = [
    "Anna",
    "Jonas",
    "Priya",
    "Mateo",
    "Chloe",
    "Oluwaseun",
    "Ingrid",
    "Hiroshi",
    "Fatima",
    "Liam",
    "Sofia",
    "Dmitri",
    "Aisha",
    "Lucas",
    "Marta",
    "Yusuf",
    "Elena",
    "Kwame",
    "Noor",
    "Felix",
]
LAST = [
    "Kowalski",
    "Lindqvist",
    "Raghunathan",
    "Fernandez",
    "Dubois",
    "Adeyemi",
    "Halvorsen",
    "Tanaka",
    "Al-Sayed",
    "O'Brien",
    "Rossi",
    "Volkov",
    "Mensah",
    "Moreau",
    "Novak",
    "Yilmaz",
    "Petrova",
    "Asante",
    "Haddad",
    "Schneider",
]
STREETS = ["Maple Avenue", "Baker Street", "Elm Street", "Harbor Road", "Oak Lane", "Pine Drive", "Cedar Court"]
CITIES = [
    ("Springfield", "IL", "62704"),
    ("Portland", "OR", "97205"),
    ("Austin", "TX", "78701"),
    ("Denver", "CO", "80202"),
    ("Madison", "WI", "53703"),
]
AREA_CODES = ["212", "312", "415", "617", "206", "303", "512", "608", "503", "404"]
COMPLAINTS = [
    "I have been charged twice for the same order and nobody answers my emails. This is unacceptable.",
    "Your app keeps logging me out and I lose all my work. I am really frustrated.",
    "Thanks for the quick fix yesterday, everything works now. Great support!",
    "The refund you promised three weeks ago still has not arrived. I am furious.",
    "Can you tell me how to export my invoices as CSV? I could not find it in the settings.",
    "The dashboard has been down since this morning and my whole team is blocked.",
]

SPANISH = [
    "Me han cobrado dos veces el mismo pedido y nadie contesta a mis correos. Es inaceptable y estoy muy enfadado.",
    "La aplicación se cierra cada vez que intento pagar y he perdido todo mi trabajo, estoy harta de esperar.",
    "Gracias por la ayuda de ayer, ahora todo funciona perfectamente. ¡Un servicio excelente!",
]


def luhn_complete(prefix: str, length: int, rng: random.Random) -> str:
    body = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
    total = 0
    for i, digit in enumerate(reversed(body)):
        d = int(digit)
        if i % 2 == 0:
            d = d * 2 - 9 if d * 2 > 9 else d * 2
        total += d
    return body + str((10 - total % 10) % 10)


def iban_de(rng: random.Random) -> str:
    bban = "".join(rng.choice(string.digits) for _ in range(18))
    numeric = int(bban + "131400")  # D=13, E=14, check digits 00
    check = 98 - numeric % 97
    return f"DE{check:02d}{bban}"


def group(value: str, size: int = 4) -> str:
    return " ".join(value[i : i + size] for i in range(0, len(value), size))


@dataclass
class Ticket:
    ticket_id: str
    event: dict[str, Any]
    values: list[str] = field(default_factory=list)
    digit_forms: list[str] = field(default_factory=list)


def make_ticket(i: int, rng: random.Random) -> Ticket:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    name = f"{first} {last}"
    domain = rng.choice(["gmail.com", "outlook.com", "example.org", "acme-mail.net"])
    email = f"{first.lower()}.{last.lower().replace(chr(39), '')}{rng.randint(10, 9999)}@{domain}"
    area, exchange, line = rng.choice(AREA_CODES), str(rng.randint(201, 989)), f"{rng.randint(0, 9999):04d}"
    if exchange.endswith("11") or exchange == "555":
        exchange = "634"
    phone = rng.choice(
        [
            f"({area}) {exchange}-{line}",
            f"{area}-{exchange}-{line}",
            f"+1 {area} {exchange} {line}",
            f"+1-{area}-{exchange}-{line}",
            f"{area}.{exchange}.{line}",
        ]
    )
    card_digits = luhn_complete(rng.choice(["4", "51", "52", "53", "54", "55"]), 16, rng)
    card = rng.choice([group(card_digits), "-".join(group(card_digits).split()), card_digits])
    iban = iban_de(rng)
    iban_text = rng.choice([iban, group(iban)])
    ssn = f"{rng.randint(100, 665):03d}-{rng.randint(1, 99):02d}-{rng.randint(1, 9999):04d}"
    number = rng.randint(10, 9899)
    street = rng.choice(STREETS)
    city, state, zip_code = rng.choice(CITIES)
    address = f"{number} {street}, {city}, {state} {zip_code}"
    secret = "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(14)) + "!7"
    secret_line = rng.choice([f"my password: {secret}", f"password is {secret}", f"token={secret}"])
    complaint = rng.choice(COMPLAINTS)
    spanish = i % 5 == 4  # not a language the bundled model covers: scored by (fake) Comprehend
    greeting = f"Hola {name},\n\n{rng.choice(SPANISH)}\n" if spanish else f"Hi, my name is {name}.\n\n{complaint}\n"
    sign_off = "Saludos" if spanish else "Best regards"
    if spanish:
        text = (
            greeting + f"Pueden escribirme a {email} o llamarme al {phone}.\n"
            f"Cobraron la tarjeta {card}, por favor devuelvan el dinero al IBAN {iban_text}.\n"
            f"Para el formulario fiscal mi SSN es {ssn}. Envíen el repuesto a {address}.\n"
            f"Si necesitan entrar en mi cuenta, {secret_line}\n\n{sign_off},\n{name}"
        )
    else:
        text = (
            greeting + f"You can reach me at {email} or call {phone}.\n"
            f"The card {card} was charged, please refund to IBAN {iban_text}.\n"
            f"For the tax form my SSN is {ssn}. Ship the replacement to {address}.\n"
            f"In case you need to log in, {secret_line}\n\n{sign_off},\n{name}"
        )
    created = datetime(2026, 3, 2, 9, 0, tzinfo=UTC) + timedelta(minutes=i)
    # Some put personal data in the subject or the ticket link too (drawn without the generator: the rest of the
    # corpus stays as it was).
    subject = f"Problem with my order ({email})" if i % 4 == 1 else "Problem with my order"
    event = {
        "source": "other",
        "ticket_id": f"PII-{i:05d}",
        "message_id": "m-1",
        "author_role": "customer",
        "text": text,
        "created_at": created.isoformat(),
        "subject": subject,
        "priority": rng.choice(["normal", "high", "urgent"]),
        "customer_tier": rng.choice(["standard", "premium", "enterprise"]),
        "product_area": "billing",
    }
    if i % 4 == 2:
        event["ticket_url"] = f"https://helpdesk.example.com/tickets/PII-{i:05d}?requester={email}"
    values = [
        name,
        first + " " + last,
        email,
        phone,
        card,
        card_digits,
        iban,
        iban_text,
        ssn,
        address,
        f"{number} {street}",
        secret,
    ]
    digit_forms = [card_digits, "".join(c for c in phone if c.isdigit())[-10:]]
    return Ticket(f"PII-{i:05d}", event, sorted(set(values)), digit_forms)


def build_corpus(size: int, seed: int = 20260302) -> list[Ticket]:
    rng = random.Random(seed)
    return [make_ticket(i, rng) for i in range(size)]
