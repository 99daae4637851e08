"""The service's customer-managed KMS key: queues, topics, the table and the secrets are encrypted with it."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct


class ServiceKey(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, prefix: str) -> None:
        super().__init__(scope, construct_id)
        self.key = kms.Key(
            self,
            "Key",
            alias=f"alias/{prefix}",
            enable_key_rotation=True,
            description=f"{prefix}: ticket data at rest (queues, topics, table, secrets)",
            removal_policy=RemovalPolicy.RETAIN,
            pending_window=Duration.days(30),
        )
        # Services that write into our encrypted queues and topics on our behalf: SNS (subscription DLQ) and
        # CloudWatch (alarm actions on the operations topic), only for this account.
        for service in ("sns", "cloudwatch"):
            self.key.add_to_resource_policy(
                iam.PolicyStatement(
                    sid=f"Allow{service.capitalize()}",
                    principals=[iam.ServicePrincipal(f"{service}.amazonaws.com")],
                    actions=["kms:GenerateDataKey*", "kms:Decrypt"],
                    resources=["*"],
                    conditions={"StringEquals": {"aws:SourceAccount": Stack.of(self).account}},
                )
            )
