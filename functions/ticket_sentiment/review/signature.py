"""Slack request signing (https://api.slack.com/authentication/verifying-requests-from-slack).

X-Slack-Signature = "v0=" + hex(HMAC-SHA256(signing_secret, "v0:" + X-Slack-Request-Timestamp + ":" + raw_body)),
checked on the raw bytes before anything is parsed; the timestamp bounds replays.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from ..headers import header
from .errors import SignatureError

SIGNATURE_HEADER = "X-Slack-Signature"
TIMESTAMP_HEADER = "X-Slack-Request-Timestamp"
VERSION = "v0"
DEFAULT_REPLAY_WINDOW = timedelta(minutes=5)
_TIMESTAMP = re.compile(r"[0-9]{1,10}")


def sign(signing_secret: str, timestamp: str, raw_body: bytes) -> str:
    base = f"{VERSION}:{timestamp}:".encode() + raw_body
    return f"{VERSION}=" + hmac.new(signing_secret.encode(), base, hashlib.sha256).hexdigest()


def verify(
    headers: Mapping[str, str],
    raw_body: bytes,
    signing_secret: str,
    now: datetime,
    window: timedelta = DEFAULT_REPLAY_WINDOW,
) -> None:
    """Raise SignatureError (401) unless Slack signed exactly these bytes within `window` of `now`."""
    if not signing_secret:
        raise ValueError("signing secret is empty")  # a configuration bug, never a caller's fault
    signature = header(headers, SIGNATURE_HEADER)
    timestamp = header(headers, TIMESTAMP_HEADER)
    if not signature or not timestamp:
        raise SignatureError("missing Slack signature or timestamp header")
    timestamp = timestamp.strip()
    # ASCII digits only, at most 10 (Unix seconds until 2286): str.isdigit accepts superscripts and other scripts,
    # and a longer value overflows datetime before the signature is even checked.
    if not _TIMESTAMP.fullmatch(timestamp):
        raise SignatureError("malformed Slack timestamp header")
    sent = datetime.fromtimestamp(int(timestamp), tz=UTC)
    now = now if now.tzinfo is not None else now.replace(tzinfo=UTC)
    # Both ways: a future timestamp is as suspicious as a stale one (clock skew is far below the window).
    if abs(now - sent) > window:
        raise SignatureError("Slack timestamp is outside the replay window")
    expected = sign(signing_secret, timestamp, raw_body)
    # Constant time, on bytes: a non-ASCII header would make compare_digest on str raise instead.
    if not hmac.compare_digest(expected.encode(), signature.strip().encode("utf-8", "replace")):
        raise SignatureError("Slack signature does not match")
