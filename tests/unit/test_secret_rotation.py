"""Verification across a rotation (helpdesks.rotation) and the adapter's refetch limit: forged requests cannot
turn into one GetSecretValue call each."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from ticket_sentiment.adapters.aws.secrets import SecretsManagerVersions
from ticket_sentiment.helpdesks import AuthError
from ticket_sentiment.helpdesks.rotation import DEFAULT_ROTATION_WINDOW, SecretVersion, verify_with_rotation

NOW = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)


class FakeClient:
    """GetSecretValue answered from stages, counting calls."""

    def __init__(self) -> None:
        self.stages: dict[str, dict[str, Any]] = {"AWSCURRENT": {"SecretString": "old", "CreatedDate": NOW}}
        self.calls = 0

    def rotate(self, value: str, at: datetime) -> None:
        self.stages = {
            "AWSPREVIOUS": self.stages["AWSCURRENT"],
            "AWSCURRENT": {"SecretString": value, "CreatedDate": at},
        }

    def get_secret_value(self, SecretId: str, VersionStage: str) -> dict[str, Any]:  # noqa: N803 - boto3's names
        self.calls += 1
        if VersionStage not in self.stages:
            from botocore.exceptions import ClientError

            raise ClientError({"Error": {"Code": "ResourceNotFoundException"}}, "GetSecretValue")
        return self.stages[VersionStage]


def accepts(expected: str) -> Any:
    def attempt(value: str | None) -> str:
        if value != expected:
            raise AuthError("invalid webhook signature")
        return value

    return attempt


def test_new_at_once_old_within_the_window_then_refused() -> None:
    client, tick = FakeClient(), [0.0]
    versions = SecretsManagerVersions(client, "s", clock=lambda: tick[0])
    assert verify_with_rotation(accepts("old"), versions, NOW) == "old"
    client.rotate("new", NOW + timedelta(minutes=1))
    tick[0] += 2
    assert verify_with_rotation(accepts("new"), versions, NOW + timedelta(minutes=1)) == "new"
    assert verify_with_rotation(accepts("old"), versions, NOW + timedelta(minutes=5)) == "old"
    with pytest.raises(AuthError):
        verify_with_rotation(accepts("old"), versions, NOW + timedelta(minutes=2) + DEFAULT_ROTATION_WINDOW)


def test_forged_requests_refetch_at_most_once_a_second() -> None:
    client, tick = FakeClient(), [0.0]
    versions = SecretsManagerVersions(client, "s", clock=lambda: tick[0])
    versions.current()
    before = client.calls
    for _ in range(50):
        with pytest.raises(AuthError):
            verify_with_rotation(accepts("forged"), versions, NOW + timedelta(hours=1))
    assert client.calls - before <= 1  # one refetch; no previous version is read outside the window
    assert versions.previous() is None
    assert SecretVersion("x").created_at is None


def test_an_unconfigured_previous_version_never_authenticates() -> None:
    """The stack creates each secret holding "{}"; configuring it makes "{}" the previous version. For the generic
    route an empty secret means "API key only", so accepting it in the rotation window would undo the token."""
    client, tick = FakeClient(), [0.0]
    client.stages = {"AWSCURRENT": {"SecretString": "{}", "CreatedDate": NOW}}
    versions = SecretsManagerVersions(client, "s", clock=lambda: tick[0])
    client.rotate('{"token": "t"}', NOW + timedelta(minutes=1))
    tick[0] += 2
    with pytest.raises(AuthError):
        verify_with_rotation(accepts("{}"), versions, NOW + timedelta(minutes=2))


def test_a_rotation_stamped_after_the_function_clock_is_inside_the_window() -> None:
    """Secrets Manager's CreatedDate can be a second ahead of the function's clock (skew, whole seconds): the old
    secret must still be accepted right after the rotation, not refused as if the window were over."""
    client, tick = FakeClient(), [0.0]
    versions = SecretsManagerVersions(client, "s", clock=lambda: tick[0])
    assert verify_with_rotation(accepts("old"), versions, NOW) == "old"
    client.rotate("new", NOW + timedelta(seconds=2))
    tick[0] += 2
    assert verify_with_rotation(accepts("new"), versions, NOW + timedelta(seconds=1)) == "new"  # now cached
    tick[0] += 2
    assert verify_with_rotation(accepts("old"), versions, NOW + timedelta(seconds=1)) == "old"
