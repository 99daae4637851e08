"""The REST API: ingest and query routes, request validation, stage throttling, access logs, API keys.

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
from ticket_sentiment.pipeline.events import TicketEvent

from ..config import StackConfig
from .functions import _retention
from .nag import acknowledge

AUTH_REASON = ("Callers are helpdesk webhooks and back-office tools, not Cognito users: every route requires an API "
               "key bound to a usage plan, and the helpdesk routes verify each platform's HMAC signature in the "
               "function (constant-time) before anything is enqueued.")
WAF_REASON = ("Stage throttling and usage-plan quotas bound abuse; a WAF web ACL is an account-level choice with its "
              "own cost, documented in the README as an option to attach.")


def ticket_event_schema() -> apigw.JsonSchema:
    """The gateway's first check, from the same pydantic model the function validates with: an object with the
    required fields. The function's validation (types, formats, limits) stays the authority."""
    schema: dict[str, Any] = TicketEvent.model_json_schema()
    return apigw.JsonSchema(schema=apigw.JsonSchemaVersion.DRAFT4, title="TicketEvent",
                            type=apigw.JsonSchemaType.OBJECT, required=sorted(schema.get("required", [])))


class ServiceApi(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, config: StackConfig, ingest: lambda_.IFunction,
                 query: lambda_.IFunction, review: lambda_.IFunction) -> None:
        super().__init__(scope, construct_id)
        self.webhook_paths: dict[str, str] = {}
        self.access_logs = logs.LogGroup(self, "AccessLogs", retention=_retention(config.log_retention_days),
                                         removal_policy=RemovalPolicy.DESTROY)
        self.api = apigw.RestApi(
            self, "Api", rest_api_name=config.prefix, description="ticket-sentiment ingest and query API",
            endpoint_types=[apigw.EndpointType.REGIONAL], cloud_watch_role=True,
            cloud_watch_role_removal_policy=RemovalPolicy.DESTROY,
            api_key_source_type=apigw.ApiKeySourceType.HEADER,
            deploy_options=apigw.StageOptions(
                stage_name=config.stage, throttling_rate_limit=config.api_rate_limit,
                throttling_burst_limit=config.api_burst_limit, tracing_enabled=True, metrics_enabled=True,
                logging_level=apigw.MethodLoggingLevel.ERROR, data_trace_enabled=False,
                access_log_destination=apigw.LogGroupLogDestination(self.access_logs),
                access_log_format=apigw.AccessLogFormat.json_with_standard_fields(
                    caller=False, http_method=True, ip=False, protocol=True, request_time=True,
                    resource_path=True, response_length=True, status=True, user=False)))
        # Gateway-level rejections answer with the reason, like the functions do.
        self.api.add_gateway_response(
            "BadBody", type=apigw.ResponseType.BAD_REQUEST_BODY, status_code="400",
            templates={"application/json":
                       '{"error": "invalid request body", "reason": "$context.error.validationErrorString"}'})
        for response_type, reason in ((apigw.ResponseType.DEFAULT_4_XX, "$context.error.messageString"),
                                      (apigw.ResponseType.DEFAULT_5_XX, "internal error, retry later")):
            self.api.add_gateway_response(
                response_type.response_type, type=response_type,
                templates={"application/json": f'{{"error": "{reason}"}}'})
        body_validator = self.api.add_request_validator("Body", validate_request_body=True,
                                                        validate_request_parameters=True)
        params_validator = self.api.add_request_validator("Params", validate_request_parameters=True)
        event_model = self.api.add_model("TicketEvent", content_type="application/json",
                                         schema=ticket_event_schema())

        v1 = self.api.root.add_resource("v1")
        self.events = v1.add_resource("events")
        self.events.add_method("POST", apigw.LambdaIntegration(ingest), api_key_required=True,
                               request_validator=body_validator, request_models={"application/json": event_model})
        # Helpdesk webhooks: the function verifies each platform's signature or token on the raw body. Intercom and
        # Salesforce cannot send custom headers, so these routes take no API key; the generic one (whose token
        # is optional) keeps it.
        webhooks = v1.add_resource("webhooks")
        for platform in config.helpdesks:
            webhooks.add_resource(platform).add_method(
                "POST", apigw.LambdaIntegration(ingest), api_key_required=platform == "generic")
            self.webhook_paths[platform] = f"/v1/webhooks/{platform}"
        tickets = v1.add_resource("tickets").add_resource("{ticket_id}")
        tickets.add_method("GET", apigw.LambdaIntegration(query), api_key_required=True,
                           request_validator=params_validator,
                           request_parameters={"method.request.path.ticket_id": True})
        # Erasure on request: the read/admin function, never the ingest route's.
        tickets.add_method("DELETE", apigw.LambdaIntegration(query), api_key_required=True,
                           request_validator=params_validator,
                           request_parameters={"method.request.path.ticket_id": True})
        # Human review: from Slack's buttons (signed by Slack, which sends no API key) and from the API.
        v1.add_resource("slack").add_resource("actions").add_method("POST", apigw.LambdaIntegration(review))
        tickets.add_resource("review").add_method(
            "POST", apigw.LambdaIntegration(review), api_key_required=True, request_validator=params_validator,
            request_parameters={"method.request.path.ticket_id": True})

        stage = self.api.deployment_stage
        self.ingest_key = self.api.add_api_key("IngestKey", description="helpdesk webhooks and event producers")
        self.query_key = self.api.add_api_key("QueryKey", description="dashboards and back-office tools")
        ingest_plan = self.api.add_usage_plan(
            "IngestPlan", description="event ingestion", api_stages=[apigw.UsagePlanPerApiStage(stage=stage)],
            throttle=apigw.ThrottleSettings(rate_limit=config.api_rate_limit, burst_limit=config.api_burst_limit))
        ingest_plan.add_api_key(self.ingest_key)
        query_plan = self.api.add_usage_plan(
            "QueryPlan", description="ticket queries", api_stages=[apigw.UsagePlanPerApiStage(stage=stage)],
            throttle=apigw.ThrottleSettings(rate_limit=min(config.api_rate_limit, 20), burst_limit=40),
            quota=apigw.QuotaSettings(limit=config.query_quota_per_day, period=apigw.Period.DAY))
        query_plan.add_api_key(self.query_key)

        for rule in ("AwsSolutions-APIG4", "AwsSolutions-COG4"):
            acknowledge(self.api, rule, AUTH_REASON)
        acknowledge(self.api, "AwsSolutions-APIG3", WAF_REASON)
        acknowledge(self.api, "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
                    "AmazonAPIGatewayPushToCloudWatchLogs]",
                    "The account-level role API Gateway needs to write execution logs; AWS's managed policy is "
                    "the documented way and grants only CloudWatch Logs writes.")

    @property
    def events_url(self) -> str:
        return str(self.api.url_for_path("/v1/events"))
