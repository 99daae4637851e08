"""A deterministic, realistic mix of ticket events for the load runs.

Tickets carry several customer messages and agent replies; some posts are exact re-posts (a helpdesk retrying),
the posting order is shuffled (out-of-order delivery), and the texts mix short complaints, long e-mails with quoted
history, emoji-only replies, HTML bodies and other languages. A small share of posts is invalid on purpose and must
be rejected (400, or 413 for an oversized body).
"""

from __future__ import annotations

import json
import random
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from ticket_sentiment.events import MAX_BODY_BYTES, TicketEvent

Kind = Literal["event", "duplicate", "invalid", "oversize"]

NEGATIVE = [
    "I'm still waiting for my refund, this is the third time I'm writing. Unacceptable.",
    "Your dashboard has been down since 9am and my whole team can't work. We need an ETA now!",
    "I was charged twice for the March invoice and nobody answers. I'm cancelling if this goes on.",
    "This is the worst support experience I've ever had. Nothing works and nobody cares.",
    "The export has failed every single day this week. Extremely frustrating.",
    "Oh great, another outage. Just what I needed on a Monday.",
    "Three days now and nobody has fixed it. I want to speak to a manager.",
]
NEUTRAL = [
    "How do I export my invoices as CSV?",
    "Could you tell me where to change the billing address?",
    "I can't log in since the update, the reset link never arrives. Can someone help?",
    "Please find the requested screenshots attached.",
    "Is there an API endpoint for bulk updates?",
]
POSITIVE = [
    "That fixed it, thank you so much for the quick help! 🙏",
    "Great, everything works again. Thanks a lot for your patience.",
    "Brilliant support, you solved it in minutes. Much appreciated!",
]
FOREIGN = [
    "Ich warte seit zwei Wochen auf meine Rückerstattung, das ist wirklich ärgerlich.",
    "Das Dashboard funktioniert seit heute Morgen nicht mehr, bitte helfen Sie uns sofort.",
    "Llevo tres semanas esperando el reembolso y nadie me responde. Es inaceptable.",
    "Muchas gracias, el problema está resuelto.",
    "Je n'arrive toujours pas à me connecter, c'est vraiment pénible.",
    "Merci beaucoup pour votre aide rapide !",
    "Il servizio non funziona da ieri e nessuno risponde.",
    "O pagamento foi cobrado duas vezes, preciso do reembolso.",
    "Ik wacht al een week op een antwoord, dit is echt niet normaal.",
    "注文した商品がまだ届きません。早く対応してください。",
]
EMOJI = ["😡😡😡", "👍", "🙏🙏", "😭", "🔥🔥🔥😤", "❤️"]
AGENT = [
    "Thanks for reaching out! Could you try clearing your cache and signing in again?",
    "I've escalated this to our billing team; you'll hear from us within 24 hours.",
    "Sorry for the trouble. The fix is deployed, could you check again?",
    "Could you send us the order number so we can look into it?",
]
QUOTED = (
    "On Tue, 3 Mar 2026 at 10:02, Support <help@example.com> wrote:\n"
    "> Thanks for your patience! Please clear your cache and try again.\n> Happy to help!\n"
)
SOURCES = ["zendesk", "zendesk", "freshdesk", "intercom", "salesforce", "other"]
AREAS = ["billing", "dashboard", "auth", "exports", "mobile", None]
TIERS = ["free", "standard", "standard", "premium", "enterprise"]
PRIORITIES = ["low", "normal", "normal", "high", "urgent"]


@dataclass(frozen=True)
class Post:
    """One HTTP POST to /v1/events, or for Zendesk's messages to its signed webhook (`route` "zendesk": only what
    comes through a helpdesk's own route is written back, README "Tenancy"). `event_id` and `ticket_id` are set
    for valid events (and their duplicates)."""

    kind: Kind
    body: bytes
    event_id: str | None = None
    ticket_id: str | None = None
    customer: bool = False
    route: str = "events"


_ZENDESK_ROLES = {"customer": "end-user", "agent": "agent", "system": "system"}


def zendesk_payload(event: dict[str, Any]) -> dict[str, Any]:
    """The canonical event as Zendesk's trigger template (ZENDESK_BODY_TEMPLATE) renders it: the same event id."""
    role = _ZENDESK_ROLES[event["author_role"]]
    author = "1000" if role == "end-user" else "2000"
    return {
        "schema": "ticket-sentiment.zendesk.v1",
        "ticket": {
            "id": event["ticket_id"],
            "title": event["subject"],
            "priority": event["priority"],
            "tags": "",
            "link": event["ticket_url"],
            "updated_at": event["created_at"],
            "requester_id": "1000",
            "customer_tier": event["customer_tier"],
            "product_area": event.get("product_area", ""),
        },
        "comment": {
            "id": event["message_id"],
            "public": "true",
            "author_id": author,
            "author_role": role,
            "html": event.get("html") or event.get("text"),
            "created_at": event["created_at"],
        },
        "updater": {"id": author, "role": role},
    }


def _long_email(rng: random.Random) -> str:
    """A long e-mail: a complaint on top, then a quoted history several levels deep (3 to 40 KB)."""
    top = rng.choice(NEGATIVE + NEUTRAL)
    history = []
    for level in range(rng.randint(3, 12)):
        quote = "> " * (level + 1)
        lines = [rng.choice(AGENT + NEUTRAL + NEGATIVE) for _ in range(rng.randint(4, 30))]
        history.append(
            f"On Mon, {level + 1} Mar 2026 at 09:{level:02d}, Someone wrote:\n"
            + "\n".join(quote + line for line in lines)
        )
    return top + "\n\n" + "\n\n".join(history)


def customer_text(rng: random.Random) -> tuple[str, bool]:
    """(body, is_html)."""
    roll = rng.random()
    if roll < 0.35:
        return rng.choice(NEGATIVE), False
    if roll < 0.50:
        return rng.choice(NEUTRAL), False
    if roll < 0.60:
        return rng.choice(POSITIVE), False
    if roll < 0.72:
        return rng.choice(FOREIGN), False
    if roll < 0.80:
        return rng.choice(EMOJI), False
    if roll < 0.88:
        return _long_email(rng), False
    if roll < 0.93:
        return rng.choice(NEGATIVE) + "\n\n" + QUOTED, False
    text = rng.choice(NEGATIVE + NEUTRAL)
    return f"<div><p>{text}</p><blockquote>Thanks for contacting us!</blockquote></div>", True


def _ticket_id(source: str, n: int) -> str:
    return str(100000 + n) if source == "zendesk" else f"{source[:2].upper()}-{n}"


def _invalid(rng: random.Random, good: dict[str, Any]) -> bytes:
    choice = rng.randrange(6)
    if choice == 0:
        return b'{"ticket_id": 1'
    if choice == 1:
        return json.dumps({k: v for k, v in good.items() if k != "created_at"}).encode()
    if choice == 2:
        return json.dumps({**good, "created_at": "2026-03-02T09:00:00"}).encode()  # naive: rejected
    if choice == 3:  # both bodies, whichever the original had (replacing an HTML body alone left it valid)
        return json.dumps(
            {**good, "text": good.get("text") or "both", "html": good.get("html") or "<p>both</p>"}
        ).encode()
    if choice == 4:
        return json.dumps({**good, "ticket_id": "has spaces and ; semicolons"}).encode()
    return json.dumps([good]).encode()


def generate(
    total: int,
    *,
    seed: int = 20260302,
    duplicate_share: float = 0.05,
    invalid_share: float = 0.02,
    oversize_every: int = 2500,
) -> list[Post]:
    """Exactly `total` posts, shuffled; deterministic for a seed."""
    rng = random.Random(seed)
    invalid_n = int(total * invalid_share)
    duplicate_n = int(total * duplicate_share)
    oversize_n = total // oversize_every if oversize_every else 0
    valid_n = total - invalid_n - duplicate_n - oversize_n
    start = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    posts: list[Post] = []
    ticket = 0
    while len(posts) < valid_n:
        ticket += 1
        source = rng.choice(SOURCES)
        ticket_id = _ticket_id(source, ticket)
        opened = start + timedelta(minutes=rng.randint(0, 60 * 24 * 7))
        meta: dict[str, Any] = {
            "source": source,
            "ticket_id": ticket_id,
            "subject": f"Ticket {ticket}",
            "priority": rng.choice(PRIORITIES),
            "customer_tier": rng.choice(TIERS),
            "ticket_url": f"https://example.zendesk.com/agent/tickets/{ticket}",
        }
        area = rng.choice(AREAS)
        if area:
            meta["product_area"] = area
        for i in range(min(rng.randint(2, 7), valid_n - len(posts))):
            role = "customer" if i == 0 or rng.random() < 0.6 else rng.choice(["agent", "agent", "system"])
            if role == "customer":
                body, html = customer_text(rng)
            else:
                body, html = rng.choice(AGENT), False
            payload = {
                **meta,
                "message_id": f"m-{i + 1}",
                "author_role": role,
                ("html" if html else "text"): body,
                "created_at": (opened + timedelta(minutes=37 * i + rng.randint(0, 30))).isoformat(),
            }
            event = TicketEvent.model_validate(payload)
            route = "zendesk" if source == "zendesk" else "events"
            sent = json.dumps(zendesk_payload(payload) if route == "zendesk" else payload).encode()
            posts.append(Post("event", sent, event.event_id, ticket_id, customer=role == "customer", route=route))
    originals = list(posts)
    canonical = [p for p in originals if p.route == "events"]
    for _ in range(duplicate_n):
        original = rng.choice(originals)
        posts.append(
            Post("duplicate", original.body, original.event_id, original.ticket_id, original.customer, original.route)
        )
    for _ in range(invalid_n):
        posts.append(Post("invalid", _invalid(rng, json.loads(rng.choice(canonical).body))))
    for _ in range(oversize_n):
        big = {**json.loads(canonical[0].body), "message_id": "huge", "text": "x" * 10}
        posts.append(Post("oversize", json.dumps(big).encode() + b" " * (MAX_BODY_BYTES + 1)))
    rng.shuffle(posts)  # out-of-order delivery: a ticket's messages arrive in any order, duplicates anywhere
    return posts


def describe(posts: list[Post]) -> dict[str, int]:
    """Counts of the mix, for the report."""
    counts: Counter[str] = Counter(p.kind for p in posts)
    valid = [p for p in posts if p.kind == "event"]
    counts["tickets"] = len({p.ticket_id for p in valid})
    counts["customer_messages"] = sum(p.customer for p in valid)
    counts["long_emails_over_3kb"] = sum(len(p.body) > 3000 for p in valid)
    return dict(counts)
