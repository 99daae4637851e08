"""A Lambda function as every function of the service needs it: its own role with only the permissions it is
granted, its own log group with retention, X-Ray tracing, Powertools settings, the shared code asset (the run-time
package alone) and the layers it is given (infra.layers.FUNCTION_LAYERS)."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs
from constructs import Construct
from ticket_sentiment import settings as env

from ..config import StackConfig
from ..layers import ASSET_DIR, ASSET_EXCLUDES
from .layers import lambda_architecture, python_runtime
from .nag import acknowledge

XRAY_REASON = (
    "X-Ray PutTraceSegments/PutTelemetryRecords do not support resource-level permissions; '*' is the "
    "only resource AWS accepts for them."
)


class ServiceFunction(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StackConfig,
        handler: str,
        description: str,
        layers: list[lambda_.ILayerVersion],
        environment: dict[str, str] | None = None,
        memory_mb: int = 512,
        timeout_s: int = 10,
        dead_letter_queue: sqs.IQueue | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        name = f"{config.prefix}-{construct_id.lower()}"
        self.log_group = logs.LogGroup(
            self,
            "Logs",
            log_group_name=f"/aws/lambda/{name}",
            retention=_retention(config.log_retention_days),
            removal_policy=RemovalPolicy.DESTROY,
        )
        # An explicit role instead of the AWSLambdaBasicExecutionRole managed policy: logs only to its own group.
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"{name}: only what this function calls",
        )
        self.role.add_to_policy(
            iam.PolicyStatement(
                actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                resources=[self.log_group.log_group_arn, f"{self.log_group.log_group_arn}:*"],
            )
        )
        self.function = lambda_.Function(
            self,
            "Function",
            function_name=name,
            description=description,
            handler=handler,
            runtime=python_runtime(config.python_version),
            architecture=lambda_architecture(config.architecture),
            code=lambda_.Code.from_asset(str(ASSET_DIR), exclude=ASSET_EXCLUDES),
            layers=layers,
            memory_size=memory_mb,
            timeout=Duration.seconds(timeout_s),
            role=self.role,
            log_group=self.log_group,
            tracing=lambda_.Tracing.ACTIVE,
            dead_letter_queue=dead_letter_queue,
            environment={
                env.SERVICE_NAME: config.prefix,
                env.METRICS_NAMESPACE: "TicketSentiment",
                "POWERTOOLS_LOG_LEVEL": "INFO",
                "TOKENIZERS_PARALLELISM": "false",
                "PYDANTIC_DISABLE_PLUGINS": "__all__",  # skips a scan of installed packages at cold start
                **(environment or {}),
            },
        )
        acknowledge(self.role, "AwsSolutions-IAM5[Resource::*]", XRAY_REASON)
        log_group_id = Stack.of(self).get_logical_id(self.log_group.node.default_child)
        acknowledge(
            self.role,
            f"AwsSolutions-IAM5[Resource::<{log_group_id}.Arn>:*]",
            "Log streams are created by Lambda with generated names inside this function's own log group; "
            "the grant is scoped to that group.",
        )
        acknowledge(
            self.function,
            "AwsSolutions-L1",
            f"Python {config.python_version} is chosen on purpose: the pinned onnxruntime (the layer's size "
            "and the model's validated scores depend on it) ships wheels up to Python 3.13, not for the "
            "newest runtime. Raise python_version in the config when the pin moves.",
        )

    def allow(self, actions: list[str], resources: list[str], reason: str | None = None) -> None:
        """Grant exactly these actions; a '*' resource needs the reason AWS gives no narrower resource."""
        self.role.add_to_policy(iam.PolicyStatement(actions=actions, resources=resources))
        if "*" in resources and reason:
            for action in actions:
                acknowledge(self.role, f"AwsSolutions-IAM5[Action::{action}]", reason)


_RETENTION_DAYS = {
    1: "ONE_DAY",
    3: "THREE_DAYS",
    5: "FIVE_DAYS",
    7: "ONE_WEEK",
    14: "TWO_WEEKS",
    30: "ONE_MONTH",
    60: "TWO_MONTHS",
    90: "THREE_MONTHS",
    120: "FOUR_MONTHS",
    150: "FIVE_MONTHS",
    180: "SIX_MONTHS",
    365: "ONE_YEAR",
    400: "THIRTEEN_MONTHS",
    545: "EIGHTEEN_MONTHS",
    731: "TWO_YEARS",
    1827: "FIVE_YEARS",
    3653: "TEN_YEARS",
}


def _retention(days: int) -> logs.RetentionDays:
    """The shortest retention CloudWatch Logs offers that keeps logs at least `days`."""
    chosen = next((name for d, name in sorted(_RETENTION_DAYS.items()) if d >= days), "TEN_YEARS")
    return getattr(logs.RetentionDays, chosen)


def account_arn(scope: Construct, service: str, resource: str) -> str:
    stack = Stack.of(scope)
    return f"arn:{stack.partition}:{service}:{stack.region}:{stack.account}:{resource}"
