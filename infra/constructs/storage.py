"""The ticket table: one table, keys and indexes exactly as `adapters.aws.dynamodb.create_table` creates them
locally (both take the names from `adapters/aws/keys.py`)."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_kms as kms
from constructs import Construct
from ticket_sentiment.adapters.aws.keys import INDEXES, PARTITION_KEY, REQUESTER_INDEX, SORT_KEY, TTL_ATTRIBUTE

S = dynamodb.AttributeType.STRING


class TicketTable(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, key: kms.IKey) -> None:
        super().__init__(scope, construct_id)
        self.table = dynamodb.Table(
            self,
            "Table",
            partition_key=dynamodb.Attribute(name=PARTITION_KEY, type=S),
            sort_key=dynamodb.Attribute(name=SORT_KEY, type=S),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            encryption=dynamodb.TableEncryption.CUSTOMER_MANAGED,
            encryption_key=key,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            time_to_live_attribute=TTL_ATTRIBUTE,  # redacted texts and alert leases expire on their own
            deletion_protection=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        # GSI1: negative tickets by product area and ISO week; GSI2: escalations by month; GSI3: items by day
        # (scored messages for drift and audits, reviews for precision), overloaded by key prefix; GSI4: tickets by
        # requester hash, keys only (erasure needs nothing else).
        for name in INDEXES:
            self.table.add_global_secondary_index(
                index_name=name,
                partition_key=dynamodb.Attribute(name=f"{name}PK", type=S),
                sort_key=dynamodb.Attribute(name=f"{name}SK", type=S),
                projection_type=dynamodb.ProjectionType.KEYS_ONLY
                if name == REQUESTER_INDEX
                else dynamodb.ProjectionType.ALL,
            )
