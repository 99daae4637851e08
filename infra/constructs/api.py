"""The REST APIs (ingest; read and review): routes, request validation, stage throttling, access logs, API keys.

No CORS: browsers are not clients of this API (helpdesks and back-office tools call it server to server).
Request bodies are never logged (data tracing off): they hold customer text.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import RemovalPolicy
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct
from ticket_sentiment.events import TicketEvent

from ..config import StackConfig
from ..routes import ApiKind, route_for
from .functions import _retention
from .nag import acknowledge

AUTH_REASON = (
    "Callers are helpdesk webhooks and back-office tools, not Cognito users: every route requires an API "
    "key bound to a usage plan, and the helpdesk routes verify each platform's HMAC signature in the "
    "function (constant-time) before anything is enqueued."
)
WAF_REASON = (
    "Stage throttling and usage-plan quotas bound abuse; a WAF web ACL is an account-level choice with its "
    "own cost, documented in the README as an option to attach."
)


def ticket_event_schema() -> apigw.JsonSchema:
    """The gateway's first check, from the same pydantic model the function validates with: an object with the
    required fields. The function's validation (types, formats, limits) stays the authority."""
    schema: dict[str, Any] = TicketEvent.model_json_schema()
    return apigw.JsonSchema(
        schema=apigw.JsonSchemaVersion.DRAFT4,
        title="TicketEvent",
        type=apigw.JsonSchemaType.OBJECT,
        required=sorted(schema.get("required", [])),
    )


def _key(method: str, path: str, api: ApiKind) -> bool:
    """Whether the route needs an API key, from the one route table (infra.routes) the local stack enforces too;
    a route placed on the other API than the table says fails the synth."""
    route = route_for(method, path)
    if route is None or route.api != api:
        raise ValueError(f"{method} {path} is not a {api} route in infra.routes.ROUTES")
    return route.key_required


class ServiceApi(Construct):
    """Two REST APIs, one per credential (infra.routes): a usage plan's key opens every key-required method of the
    stages it is attached to, so the ingest key and the read key are scoped by living on different APIs."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StackConfig,
        ingest: lambda_.IFunction,
        query: lambda_.IFunction,
        review: lambda_.IFunction,
    ) -> None:
        super().__init__(scope, construct_id)
        self.webhook_paths: dict[str, str] = {}
        self.access_logs = logs.LogGroup(
            self, "AccessLogs", retention=_retention(config.log_retention_days), removal_policy=RemovalPolicy.DESTROY
        )
        # "Api" keeps the ingest API's logical ids (and so its URL) from before the split.
        self.api = self._rest_api(
            "Api",
            config,
            "ticket-sentiment ingest API: events and helpdesk webhooks",
            name=config.prefix,
            cloud_watch_role=True,
        )
        self.read_api = self._rest_api(
            "ReadApi",
            config,
            "ticket-sentiment read API: tickets and reviews",
            name=f"{config.prefix}-read",
            cloud_watch_role=False,
        )
        # The execution-log role is account-wide: set once (by the ingest API), before the read stage logs.
        self.read_api.deployment_stage.node.add_dependency(self.api.node.find_child("Account"))
        self._ingest_routes(config, ingest)
        self._read_routes(query, review)
        self.ingest_key = self.api.add_api_key("IngestKey", description="helpdesk webhooks and event producers")
        self.query_key = self.read_api.add_api_key("QueryKey", description="dashboards and back-office tools")
        ingest_plan = self.api.add_usage_plan(
            "IngestPlan",
            description="event ingestion",
            api_stages=[apigw.UsagePlanPerApiStage(api=self.api, stage=self.api.deployment_stage)],
            throttle=apigw.ThrottleSettings(rate_limit=config.api_rate_limit, burst_limit=config.api_burst_limit),
        )
        ingest_plan.add_api_key(self.ingest_key)
        query_plan = self.read_api.add_usage_plan(
            "QueryPlan",
            description="ticket queries",
            api_stages=[apigw.UsagePlanPerApiStage(api=self.read_api, stage=self.read_api.deployment_stage)],
            throttle=apigw.ThrottleSettings(rate_limit=min(config.api_rate_limit, 20), burst_limit=40),
            quota=apigw.QuotaSettings(limit=config.query_quota_per_day, period=apigw.Period.DAY),
        )
        query_plan.add_api_key(self.query_key)
        for api in (self.api, self.read_api):
            for rule in ("AwsSolutions-APIG4", "AwsSolutions-COG4"):
                acknowledge(api, rule, AUTH_REASON)
            acknowledge(api, "AwsSolutions-APIG3", WAF_REASON)
        acknowledge(
            self.api,
            "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
            "AmazonAPIGatewayPushToCloudWatchLogs]",
            "The account-level role API Gateway needs to write execution logs; AWS's managed policy is "
            "the documented way and grants only CloudWatch Logs writes.",
        )

    def _rest_api(
        self, construct_id: str, config: StackConfig, description: str, *, name: str, cloud_watch_role: bool
    ) -> apigw.RestApi:
        api = apigw.RestApi(
            self,
            construct_id,
            rest_api_name=name,
            description=description,
            endpoint_types=[apigw.EndpointType.REGIONAL],
            cloud_watch_role=cloud_watch_role,
            cloud_watch_role_removal_policy=RemovalPolicy.DESTROY if cloud_watch_role else None,
            api_key_source_type=apigw.ApiKeySourceType.HEADER,
            deploy_options=apigw.StageOptions(
                stage_name=config.stage,
                throttling_rate_limit=config.api_rate_limit,
                throttling_burst_limit=config.api_burst_limit,
                tracing_enabled=True,
                metrics_enabled=True,
                logging_level=apigw.MethodLoggingLevel.ERROR,
                data_trace_enabled=False,
                access_log_destination=apigw.LogGroupLogDestination(self.access_logs),
                access_log_format=apigw.AccessLogFormat.json_with_standard_fields(
                    caller=False,
                    http_method=True,
                    ip=False,
                    protocol=True,
                    request_time=True,
                    resource_path=True,
                    response_length=True,
                    status=True,
                    user=False,
                ),
            ),
        )
        # Gateway-level rejections answer with the reason, like the functions do.
        api.add_gateway_response(
            "BadBody",
            type=apigw.ResponseType.BAD_REQUEST_BODY,
            status_code="400",
            templates={
                "application/json": (
                    '{"error": "invalid request body", "reason": "$context.error.validationErrorString"}'
                )
            },
        )
        for response_type, reason in (
            (apigw.ResponseType.DEFAULT_4_XX, "$context.error.messageString"),
            (apigw.ResponseType.DEFAULT_5_XX, "internal error, retry later"),
        ):
            api.add_gateway_response(
                response_type.response_type,
                type=response_type,
                templates={"application/json": f'{{"error": "{reason}"}}'},
            )
        return api

    def _ingest_routes(self, config: StackConfig, ingest: lambda_.IFunction) -> None:
        body_validator = self.api.add_request_validator(
            "Body", validate_request_body=True, validate_request_parameters=True
        )
        event_model = self.api.add_model("TicketEvent", content_type="application/json", schema=ticket_event_schema())
        v1 = self.api.root.add_resource("v1")
        self.events = v1.add_resource("events")
        self.events.add_method(
            "POST",
            apigw.LambdaIntegration(ingest),
            api_key_required=_key("POST", "/v1/events", ApiKind.INGEST),
            request_validator=body_validator,
            request_models={"application/json": event_model},
        )
        # Helpdesk webhooks: the function verifies each platform's signature or token on the raw body. Intercom and
        # Salesforce cannot send custom headers, so these routes take no API key; the generic one (whose token
        # is optional) keeps it.
        webhooks = v1.add_resource("webhooks")
        for platform in config.helpdesks:
            path = f"/v1/webhooks/{platform}"
            webhooks.add_resource(platform).add_method(
                "POST", apigw.LambdaIntegration(ingest), api_key_required=_key("POST", path, ApiKind.INGEST)
            )
            self.webhook_paths[platform] = path

    def _read_routes(self, query: lambda_.IFunction, review: lambda_.IFunction) -> None:
        # Body validation too (the review function validates the body itself; no request model here) so that
        # every API has a full validator, as cdk-nag's APIG2 asks.
        params_validator = self.read_api.add_request_validator(
            "Params", validate_request_body=True, validate_request_parameters=True
        )
        v1 = self.read_api.root.add_resource("v1")
        tickets = v1.add_resource("tickets").add_resource("{ticket_id}")
        tickets.add_method(
            "GET",
            apigw.LambdaIntegration(query),
            api_key_required=_key("GET", tickets.path, ApiKind.READ),
            request_validator=params_validator,
            request_parameters={"method.request.path.ticket_id": True},
        )
        # Erasure on request: the read/admin function, never the ingest route's.
        tickets.add_method(
            "DELETE",
            apigw.LambdaIntegration(query),
            api_key_required=_key("DELETE", tickets.path, ApiKind.READ),
            request_validator=params_validator,
            request_parameters={"method.request.path.ticket_id": True},
        )
        # Human review: from Slack's buttons (signed by Slack, which sends no API key) and from the API.
        slack = v1.add_resource("slack").add_resource("actions")
        slack.add_method(
            "POST", apigw.LambdaIntegration(review), api_key_required=_key("POST", slack.path, ApiKind.READ)
        )
        review_resource = tickets.add_resource("review")
        review_resource.add_method(
            "POST",
            apigw.LambdaIntegration(review),
            api_key_required=_key("POST", review_resource.path, ApiKind.READ),
            request_validator=params_validator,
            request_parameters={"method.request.path.ticket_id": True},
        )

    @property
    def events_url(self) -> str:
        return str(self.api.url_for_path("/v1/events"))
