"""Block Kit message for an alert. The alert is already redacted; Slack's mrkdwn control characters are escaped."""

from __future__ import annotations

from typing import Any

from ..events import Alert
from .models import REVIEW_BLOCK_ID, VERDICT_LABELS, action_id, button_value

_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}


def escape(text: str) -> str:
    return "".join(_ESCAPES.get(c, c) for c in text)


# Slack's button styles: green for the verdict that confirms the alert, red for the one that refutes it.
_STYLES = {"right_call": "primary", "false_alarm": "danger"}


def review_actions(alert: Alert) -> dict[str, Any]:
    """The review buttons (handlers/review.py receives the clicks); each carries ids only, never ticket text."""
    value = button_value(alert.ticket_key, alert.alert_id)
    buttons: list[dict[str, Any]] = []
    for verdict, label in VERDICT_LABELS.items():
        button: dict[str, Any] = {
            "type": "button",
            "action_id": action_id(verdict),
            "value": value,
            "text": {"type": "plain_text", "text": label},
        }
        if verdict in _STYLES:
            button["style"] = _STYLES[verdict]
        buttons.append(button)
    return {"type": "actions", "block_id": REVIEW_BLOCK_ID, "elements": buttons}


def build_message(alert: Alert) -> dict[str, Any]:
    subject = escape(alert.subject or "(no subject)")
    title = f"<{escape(alert.ticket_url)}|{subject}>" if alert.ticket_url else subject
    emotions = ", ".join(f"{e.name} {e.probability:.0%}" for e in alert.emotions) or "none"
    thread = "n/a" if alert.thread_score is None else f"{alert.thread_score:+.2f}"
    level = alert.level.replace("_", " ")
    fields = [
        f"*Level*\n{level}",
        f"*Score*\n{alert.score:+.2f} (intensity {alert.intensity:.2f})",
        f"*Thread*\n{thread}",
        f"*Emotions*\n{escape(emotions)}",
        f"*Tier*\n{alert.customer_tier}",
        f"*Priority*\n{alert.priority}",
        f"*Rule*\n{escape(alert.rule)}",
        f"*Area*\n{escape(alert.product_area or '-')}",
    ]
    excerpt = escape(alert.excerpt).replace("\n", " ")
    return {
        "text": f"{level.capitalize()} ticket {alert.ticket_key}: {alert.subject or '(no subject)'} "
        f"({alert.score:+.2f}, intensity {alert.intensity:.2f}, rule {alert.rule})",
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": f"Ticket {alert.ticket_key}"[:150]}},
            {"type": "section", "text": {"type": "mrkdwn", "text": f":rotating_light: {title}"}},
            {"type": "section", "fields": [{"type": "mrkdwn", "text": f} for f in fields]},
            {"type": "section", "text": {"type": "mrkdwn", "text": f">{excerpt}" if excerpt else "_no text_"}},
            {
                "type": "context",
                "elements": [
                    {
                        "type": "mrkdwn",
                        "text": f"{alert.source} · scored by {alert.scorer} · {alert.created_at:%Y-%m-%d %H:%M} UTC · "
                        f"alert {alert.alert_id}",
                    }
                ],
            },
            review_actions(alert),
        ],
    }
