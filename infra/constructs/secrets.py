"""Secrets the operator fills after the first deploy: the Slack webhook, one inbound-verification secret per enabled
helpdesk (`<prefix>/helpdesk/<platform>`, read only by ingest) and one write-back credentials secret per write-back
platform (`<prefix>/writeback/<platform>`, read only by the write-back function): the public ingest function never
holds a helpdesk's admin API token, and the write-back never holds a webhook signing secret.

They are created holding an empty JSON object, never a real value: nothing secret lives in code, context or env.
"""

from __future__ import annotations

from aws_cdk import RemovalPolicy, SecretValue
from aws_cdk import aws_kms as kms
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from .nag import acknowledge

ROTATION_REASON = (
    "Webhook URLs and helpdesk API tokens are issued by Slack and the helpdesk, not by AWS: there is "
    "no rotation Lambda that could mint a new one. Operators rotate them in the vendor's console and "
    "update the secret (documented in the README)."
)


class ServiceSecrets(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        prefix: str,
        key: kms.IKey,
        helpdesks: tuple[str, ...],
        writeback: tuple[str, ...] = (),
    ) -> None:
        super().__init__(scope, construct_id)
        self.slack = self._secret(
            "Slack", f"{prefix}/slack", key, 'Slack incoming webhook: {"webhook_url": "..."} (and "signing_secret")'
        )
        self.helpdesks = {
            name: self._secret(
                name.capitalize(),
                f"{prefix}/helpdesk/{name}",
                key,
                f"{name} inbound webhook signing secret / token (JSON)",
            )
            for name in helpdesks
        }
        self.writeback = {
            name: self._secret(
                f"Writeback{name.capitalize()}",
                f"{prefix}/writeback/{name}",
                key,
                f"{name} write-back API credentials (JSON, docs/writeback.md)",
            )
            for name in writeback
        }

    def _secret(self, construct_id: str, name: str, key: kms.IKey, description: str) -> secretsmanager.Secret:
        secret = secretsmanager.Secret(
            self,
            construct_id,
            secret_name=name,
            description=description,
            encryption_key=key,
            secret_string_value=SecretValue.unsafe_plain_text("{}"),  # a placeholder, not a secret
            removal_policy=RemovalPolicy.RETAIN,
        )
        acknowledge(secret, "AwsSolutions-SMG4", ROTATION_REASON)
        return secret
