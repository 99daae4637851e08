"""The alert message after a review: the same blocks, with the buttons replaced by who said what.

This is what Slack's `response_url` gets, with `replace_original: true`, so the channel sees the verdict and
nobody reviews the same alert twice by accident.
"""

from __future__ import annotations

from typing import Any

from .models import REVIEW_BLOCK_ID, REVIEWED_BLOCK_ID, VERDICT_LABELS, Verdict, action_id
from .slack_message import escape

_REVIEW_ACTIONS = {action_id(v) for v in VERDICT_LABELS}


def reviewed_line(reviewer_name: str, verdict: Verdict) -> dict[str, Any]:
    return {
        "type": "context",
        "block_id": REVIEWED_BLOCK_ID,
        "elements": [{"type": "mrkdwn", "text": f"Reviewed by @{escape(reviewer_name)}: {VERDICT_LABELS[verdict]}"}],
    }


def _is_review_block(block: dict[str, Any]) -> bool:
    if block.get("block_id") in (REVIEW_BLOCK_ID, REVIEWED_BLOCK_ID):
        return True
    # Slack may rewrite block ids; the buttons' own action ids still identify the block.
    elements = block.get("elements") if block.get("type") == "actions" else None
    return isinstance(elements, list) and any(
        isinstance(e, dict) and e.get("action_id") in _REVIEW_ACTIONS for e in elements
    )


def reviewed_message(
    blocks: list[dict[str, Any]] | None, text: str | None, reviewer_name: str, verdict: Verdict
) -> dict[str, Any]:
    """The replacement message. Without the original blocks (Slack omits them for some message kinds) the
    verdict line alone replaces the message, which still tells the channel it was handled."""
    line = reviewed_line(reviewer_name, verdict)
    replaced = False
    out: list[dict[str, Any]] = []
    for block in blocks or []:
        if _is_review_block(block):
            if not replaced:  # the line takes the buttons' place; a second review replaces the first line
                out.append(line)
                replaced = True
            continue
        out.append(block)
    if not replaced:
        out.append(line)
    message: dict[str, Any] = {"replace_original": True, "blocks": out}
    if text:
        message["text"] = text
    return message
