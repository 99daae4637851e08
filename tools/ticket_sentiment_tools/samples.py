"""Sample tickets written for the project, used by `make demo` and the smoke tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ticket_sentiment.models import AuthorRole, ThreadMessage

SAMPLE_TICKETS: list[tuple[str, str]] = [
    (
        "refund",
        "Hi, I returned the blender three weeks ago and I'm still waiting for my refund. "
        "This is the third time I'm writing. Thanks.",
    ),
    ("outage", "Your dashboard has been down since 9am and my whole team can't work. We need an ETA now!"),
    ("login", "I can't log in since the update, the reset link never arrives. Can someone help?"),
    # Calm requests and their escalated twins: the same problem, and only the escalation should page anyone.
    ("billing", "I was charged twice for the March invoice. Please refund the duplicate payment."),
    ("billing-escalated", "This is the fourth time I'm asking. Refund it today or I'm cancelling my account."),
    ("delivery", "My order hasn't arrived yet and tracking hasn't updated since Monday. Could you check on it?"),
    (
        "delivery-escalated",
        "Two weeks late, no reply to three emails. If it isn't here by Friday I'm filing a "
        "chargeback and leaving a review everywhere I can.",
    ),
    ("manager", "I want to speak to a manager."),
    ("sarcasm-data", "Wow, thanks for deleting all my data. Really helpful."),
    ("thanks", "That fixed it, thank you so much for the quick help! 🙏"),
    ("sarcasm", "Oh great, another outage. Just what I needed on a Monday."),
    ("how-to", "How do I export my invoices as CSV?"),
    ("german", "Ich warte seit zwei Wochen auf meine Rückerstattung, das ist wirklich ärgerlich."),
    ("emoji-only", "😡😡😡"),
    ("too-short", "ok"),
    (
        "quoted-email",
        "Still not working.\n\nOn Tue, 3 Mar 2026 at 10:02, Support <help@example.com> wrote:\n"
        "> Thanks for your patience! Please clear your cache and try again.\n> Happy to help!",
    ),
    (
        "html",
        "<div><p>The <b>CSV export</b> keeps failing with an error.</p><p>Very frustrating.</p>"
        "<blockquote>Thanks for contacting us! We love hearing from you.</blockquote></div>",
    ),
]

_START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SAMPLE_THREAD: list[ThreadMessage] = [
    ThreadMessage(
        text="Hi, the mobile app logs me out every few minutes. Could you take a look?",
        author_role=AuthorRole.CUSTOMER,
        created_at=_START,
    ),
    ThreadMessage(
        text="Thanks for reaching out! Could you try reinstalling the app?",
        author_role=AuthorRole.AGENT,
        created_at=_START + timedelta(hours=2),
    ),
    ThreadMessage(
        text="I reinstalled it, still the same. This is really annoying.",
        author_role=AuthorRole.CUSTOMER,
        created_at=_START + timedelta(days=1),
    ),
    ThreadMessage(
        text="Three days now and nobody has fixed it. I'm cancelling if this goes on.",
        author_role=AuthorRole.CUSTOMER,
        created_at=_START + timedelta(days=3),
    ),
]


# A Zendesk trigger's webhook body (the template in docs/helpdesks.md, rendered), for the demo's signed delivery.
SAMPLE_ZENDESK_WEBHOOK: dict[str, object] = {
    "schema": "ticket-sentiment.zendesk.v1",
    "ticket": {
        "id": "ZD-4521",
        "title": "Refund still not processed",
        "priority": "High",
        "tags": "billing refund",
        "group": "Billing",
        "brand": "Example Widgets",
        "link": "example.zendesk.com/agent/tickets/4521",
        "updated_at": "2026-03-06T09:26:53Z",
        "requester_id": "381234567890",
        "customer_tier": "Premium",
        "product_area": "billing",
    },
    "comment": {
        "id": "38291045512",
        "public": "true",
        "author_id": "381234567890",
        "author_role": "end-user",
        "html": "<p>Hi,</p><p>this is the <strong>third</strong> time I'm writing. The refund for order "
        "EX-10293 still hasn't arrived and nobody answers.</p><p>Sam</p>",
    },
    "updater": {"id": "381234567890", "role": "end-user"},
}
