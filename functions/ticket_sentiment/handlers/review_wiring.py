"""The review function's composition root: the Slack signing secret and the responder that updates the alert
message (its stores are the shared ones in wiring)."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

from ..ports import SlackResponder
from ..settings import ReviewSettings


@cache
def default_secret() -> Callable[[], str | None]:
    from ..adapters.http.slack_interactivity import SlackSigningSecret

    return SlackSigningSecret(ReviewSettings.from_env().slack_secret_id)  # cached by Powertools for 5 minutes


@cache
def default_responder() -> SlackResponder:
    from ..adapters.http.slack_interactivity import SlackResponder as HttpSlackResponder

    return HttpSlackResponder()  # hooks.slack.com over https only


def signing_secret() -> str | None:
    return default_secret()()  # the provider (a boto3 client) is made on first use, not at import
