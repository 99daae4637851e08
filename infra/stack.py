"""The whole service in one stack: API -> ingest -> SQS -> scorer -> DynamoDB / SNS -> notifier -> Slack."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aws_cdk import CfnOutput, Duration, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda_event_sources as event_sources
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_ssm as ssm
from constructs import Construct
from ticket_sentiment import settings as env
from ticket_sentiment.adapters.aws import keys

from .config import StackConfig
from .constructs.alerts import AlertTopic
from .constructs.api import ServiceApi
from .constructs.encryption import ServiceKey
from .constructs.functions import ServiceFunction
from .constructs.layers import ServiceLayers
from .constructs.monitoring import Monitoring
from .constructs.queues import EventQueues
from .constructs.secrets import ServiceSecrets
from .constructs.storage import TicketTable
from .constructs.trust_loop import TABLE_WRITE_KMS, TrustLoop
from .layers import BUILD

COMPREHEND_REASON = (
    "Comprehend's DetectSentiment and DetectPiiEntities APIs act on no AWS resource and accept no resource ARN: '*' is "
    "the only resource IAM allows for them."
)
HANDLERS = "ticket_sentiment.handlers"


def _grant_erasure(
    fn: ServiceFunction,
    *,
    config: StackConfig,
    table: dynamodb.ITable,
    key: kms.IKey,
    parked: list[sqs.IQueue],
    requester_key: secretsmanager.ISecret | None = None,
) -> None:
    """What erasure on request (pipeline.lifecycle.Eraser) needs, and no more: delete items only in ticket
    partitions, write only erasure receipts (IAM's leading-key condition), sweep the parked queues. With the
    requester key (the ingest function, which carries out helpdesk deletions): also restate a ticket after a
    redacted message is dropped, and find tickets by requester hash on GSI4 alone."""
    environment = {
        env.TABLE_NAME: table.table_name,
        env.RETENTION_POLICY: config.retention_policy,
        env.PARKED_QUEUE_URLS: ",".join(q.queue_url for q in parked),
    }
    ticket_actions = ["dynamodb:Query", "dynamodb:DeleteItem"]
    scoped = [(["dynamodb:PutItem"], table.table_arn, keys.ERASURE_PREFIX)]
    if requester_key is not None:
        environment[env.REQUESTER_KEY_SECRET] = requester_key.secret_name
        ticket_actions += ["dynamodb:GetItem", "dynamodb:UpdateItem"]
        scoped.append((["dynamodb:Query"], f"{table.table_arn}/index/{keys.REQUESTER_INDEX}", keys.REQUESTER_PREFIX))
        fn.allow(["secretsmanager:GetSecretValue"], [requester_key.secret_arn])
    for name, value in environment.items():
        fn.function.add_environment(name, value)
    for actions, resource, prefix in [(ticket_actions, table.table_arn, keys.TICKET_PREFIX), *scoped]:
        fn.role.add_to_policy(
            iam.PolicyStatement(
                actions=actions,
                resources=[resource],
                conditions={"ForAllValues:StringLike": {"dynamodb:LeadingKeys": [f"{prefix}*"]}},
            )
        )
    fn.allow(["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility"], [q.queue_arn for q in parked])
    fn.allow(TABLE_WRITE_KMS, [key.key_arn])  # receipts and restated tickets are written to the encrypted table


class TicketSentimentStack(Stack):
    def __init__(
        self, scope: Construct, construct_id: str, *, config: StackConfig, layers_dir: Path = BUILD, **kwargs: Any
    ) -> None:
        super().__init__(
            scope, construct_id, description="ticket-sentiment: sentiment triage for helpdesk tickets", **kwargs
        )
        self.config = config
        key = ServiceKey(self, "Encryption", prefix=config.prefix).key
        table = TicketTable(self, "Tickets", key=key).table
        queues = EventQueues(
            self,
            "Queues",
            key=key,
            visibility_timeout_s=config.visibility_timeout_s,
            max_receive_count=config.max_receive_count,
        )
        secrets = ServiceSecrets(
            self,
            "Secrets",
            prefix=config.prefix,
            key=key,
            helpdesks=config.helpdesks,
            writeback=tuple(config.writeback),
        )
        alerts = AlertTopic(self, "Alerts", key=key, prefix=config.prefix)
        layers = ServiceLayers(
            self,
            "Layers",
            architecture=config.architecture,
            python_version=config.python_version,
            build_dir=layers_dir,
            shadow_model=config.shadow_model,
        )
        rules = ssm.StringParameter(
            self,
            "EscalationRules",
            parameter_name=f"/{config.prefix}/escalation-rules",
            string_value=config.rules.model_dump_json(),
            description="escalation rules (JSON); edit to change thresholds without a deploy",
        )

        helpdesk_prefix = f"{config.prefix}/helpdesk/"
        # Ingest prepares and redacts every event before queueing it (about 1 ms for a typical message, 0.3-0.8 s
        # per 100,000 characters on one vCPU): 1024 MB for twice the CPU of 512, and up to 28 s, under API Gateway's
        # 29 s integration timeout, for a webhook batch of many long messages (Salesforce sends up to 100).
        ingest = ServiceFunction(
            self,
            "Ingest",
            config=config,
            handler=f"{HANDLERS}.ingest.handler",
            layers=layers.for_function("ingest"),
            description="verify helpdesk webhooks and ticket events, redact and enqueue them",
            memory_mb=1024,
            timeout_s=28,
            environment={env.EVENTS_QUEUE_URL: queues.events.queue_url, env.HELPDESK_SECRET_PREFIX: helpdesk_prefix},
        )
        ingest.allow(["sqs:SendMessage"], [queues.events.queue_arn])
        ingest.allow(["kms:GenerateDataKey", "kms:Decrypt"], [key.key_arn])
        ingest.allow(["secretsmanager:GetSecretValue"], [s.secret_arn for s in secrets.helpdesks.values()])

        scorer = ServiceFunction(
            self,
            "Score",
            config=config,
            handler=f"{HANDLERS}.score.handler",
            layers=layers.for_function("score"),
            memory_mb=config.scorer_memory_mb,
            timeout_s=config.scorer_timeout_s,
            description="redact, score, store and escalate ticket messages",
            environment={
                env.TABLE_NAME: table.table_name,
                env.ALERTS_TOPIC_ARN: alerts.topic.topic_arn,
                env.SCORER: config.scorer,
                env.ESCALATION_RULES_PARAM: rules.parameter_name,
                env.TEXT_RETENTION_DAYS: str(config.text_retention_days),
                env.RETENTION_POLICY: config.retention_policy,
                env.MODEL_DIR: "/opt/model",
                # Only with a shadow model: without it the scorer loads one model, as before.
                **({env.SHADOW_MODEL_DIR: "/opt/shadow-model"} if layers.shadow is not None else {}),
            },
        )
        scorer.function.add_event_source(
            event_sources.SqsEventSource(
                queues.events,
                batch_size=config.batch_size,
                report_batch_item_failures=True,
                max_batching_window=Duration.seconds(config.batching_window_s),
                max_concurrency=config.scorer_max_concurrency,
            )
        )
        scorer.allow(
            ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Query"], [table.table_arn]
        )
        scorer.allow(["sns:Publish"], [alerts.topic.topic_arn])
        scorer.allow(["ssm:GetParameter"], [rules.parameter_arn])
        scorer.allow(["kms:GenerateDataKey", "kms:Decrypt", "kms:Encrypt"], [key.key_arn])
        if config.scorer != "onnx":
            scorer.allow(["comprehend:BatchDetectSentiment"], ["*"], COMPREHEND_REASON)
        if config.comprehend_pii:  # the second redaction pass: its permission only where it is switched on
            scorer.function.add_environment(env.PII_SECOND_PASS, "comprehend")
            scorer.allow(["comprehend:DetectPiiEntities"], ["*"], COMPREHEND_REASON)

        writeback: ServiceFunction | None = None
        writeback_queues: EventQueues | None = None
        if config.writeback:
            writeback_queues = EventQueues(
                self, "WritebackQueues", key=key, visibility_timeout_s=6 * 60 + 5, max_receive_count=3
            )  # permanent failures reach the DLQ quickly
            writeback = ServiceFunction(
                self,
                "Writeback",
                config=config,
                handler=f"{HANDLERS}.writeback.handler",
                layers=layers.for_function("writeback"),
                timeout_s=60,
                description="write sentiment score, label and tags back to the helpdesk",
                environment={
                    env.WRITEBACK_SECRET_PREFIX: f"{config.prefix}/writeback/",
                    env.TABLE_NAME: table.table_name,
                },
            )
            writeback.function.add_event_source(
                event_sources.SqsEventSource(
                    writeback_queues.events,
                    batch_size=10,
                    report_batch_item_failures=True,
                    max_batching_window=Duration.seconds(5),
                    max_concurrency=config.writeback_max_concurrency,
                )
            )
            writeback.allow(["secretsmanager:GetSecretValue"], [s.secret_arn for s in secrets.writeback.values()])
            writeback.allow(["dynamodb:GetItem"], [table.table_arn])
            writeback.allow(["kms:Decrypt"], [key.key_arn])
            scorer.function.add_environment(env.WRITEBACK_QUEUE_URL, writeback_queues.events.queue_url)
            scorer.function.add_environment(env.WRITEBACK_PLATFORMS, ",".join(config.writeback))
            scorer.allow(["sqs:SendMessage"], [writeback_queues.events.queue_arn])

        notify = ServiceFunction(
            self,
            "Notify",
            config=config,
            handler=f"{HANDLERS}.notify.handler",
            layers=layers.for_function("notify"),
            description="post escalation alerts to Slack",
            timeout_s=30,
            # SNS invokes it asynchronously: an invocation that still fails after Lambda's retries lands here too.
            dead_letter_queue=alerts.dead_letters,
            environment={
                env.SLACK_SECRET_ID: secrets.slack.secret_name,
                env.NOTIFY_DLQ_URL: alerts.dead_letters.queue_url,
            },
        )
        notify.allow(["secretsmanager:GetSecretValue"], [secrets.slack.secret_arn])
        alerts.subscribe(notify, key)

        trust = TrustLoop(
            self, "TrustLoop", config=config, key=key, table=table, slack_secret=secrets.slack, layers=layers
        )
        query = ServiceFunction(
            self,
            "Query",
            config=config,
            handler=f"{HANDLERS}.api.handler",
            layers=layers.for_function("query"),
            description="read a ticket's sentiment, trend and history; erase a ticket on request",
            timeout_s=10,
            environment={env.TABLE_NAME: table.table_name, env.RETENTION_POLICY: config.retention_policy},
        )
        query.allow(["dynamodb:GetItem", "dynamodb:Query"], [table.table_arn])
        parked = [trust.audit_queue, alerts.dead_letters]
        _grant_erasure(query, config=config, table=table, key=key, parked=parked)
        _grant_erasure(ingest, config=config, table=table, key=key, parked=parked, requester_key=secrets.requester_key)

        api = ServiceApi(
            self, "Api", config=config, ingest=ingest.function, query=query.function, review=trust.review.function
        )
        functions = {
            "Ingest": ingest.function,
            "Score": scorer.function,
            "Notify": notify.function,
            "Query": query.function,
            **trust.functions,
        }
        dead_letter_queues = {"Events": queues.dead_letters, "Notify": alerts.dead_letters}
        if writeback is not None and writeback_queues is not None:
            functions["Writeback"] = writeback.function
            dead_letter_queues["Writeback"] = writeback_queues.dead_letters
        monitoring = Monitoring(
            self,
            "Monitoring",
            config=config,
            key=key,
            scorer=scorer.function,
            events_queue=queues.events,
            functions=functions,
            dead_letter_queues=dead_letter_queues,
        )

        self.functions = {
            "ingest": ingest,
            "score": scorer,
            "notify": notify,
            "query": query,
            "review": trust.review,
            "precision": trust.precision,
            "drift": trust.drift,
            "audit": trust.audit,
        }
        if writeback is not None:
            self.functions["writeback"] = writeback
        self.table, self.queues, self.alerts, self.secrets, self.api = table, queues, alerts, secrets, api
        CfnOutput(self, "ApiUrl", value=api.api.url, description="base URL of the ingest API (events, webhooks)")
        CfnOutput(
            self,
            "ReadApiUrl",
            value=api.read_api.url,
            description="base URL of the read API (GET tickets, reviews, Slack actions), with the query key",
        )
        CfnOutput(
            self,
            "EventsUrl",
            value=api.events_url,
            description="POST canonical ticket events here (the generic webhook), with the ingest API key",
        )
        for platform, path in api.webhook_paths.items():
            CfnOutput(
                self,
                f"WebhookUrl{platform.capitalize()}",
                value=api.api.url_for_path(path),
                description=f"{platform} webhook (docs/helpdesks.md); secret {helpdesk_prefix}{platform}",
            )
        CfnOutput(
            self,
            "IngestApiKeyId",
            value=api.ingest_key.key_id,
            description="aws apigateway get-api-key --include-value --api-key <id>",
        )
        CfnOutput(
            self,
            "QueryApiKeyId",
            value=api.query_key.key_id,
            description="the read API's key: opens GET /v1/tickets and reviews, never the ingest routes "
            "(aws apigateway get-api-key --include-value --api-key <id>)",
        )
        CfnOutput(self, "DashboardUrl", value=monitoring.dashboard_url)
        CfnOutput(
            self,
            "SlackSecretName",
            value=secrets.slack.secret_name,
            description=f'fill with {{"webhook_url": "..."}}: an incoming webhook for {config.slack_channel_label}',
        )
        CfnOutput(self, "TableName", value=table.table_name)
        CfnOutput(self, "EventsQueueUrl", value=queues.events.queue_url)
        CfnOutput(self, "EventsDeadLettersUrl", value=queues.dead_letters.queue_url)
        CfnOutput(self, "NotifyDeadLettersUrl", value=alerts.dead_letters.queue_url)
        CfnOutput(
            self,
            "RequesterKeySecretName",
            value=secrets.requester_key.secret_name,
            description="ticket-sentiment forget --requester ID --source PLATFORM --requester-key-secret <this>",
        )
        CfnOutput(self, "EscalationRulesParameter", value=rules.parameter_name)
        CfnOutput(
            self,
            "ModelVersion",
            value=layers.model_version,
            description="the model in the scorer's model layer (every scored message records it)",
        )
        if layers.shadow_model_version is not None:
            CfnOutput(
                self,
                "ShadowModelVersion",
                value=layers.shadow_model_version,
                description="the shadow model scoring beside the live one (ticket-sentiment report --compare-models)",
            )
        CfnOutput(self, "AlertsTopicArn", value=alerts.topic.topic_arn)
        CfnOutput(
            self,
            "AuditQueueUrl",
            value=trust.audit_queue.queue_url,
            description="ticket-sentiment audit export --queue-url <this> --out audit.csv",
        )
        CfnOutput(
            self,
            "SlackActionsUrl",
            value=api.read_api.url_for_path("/v1/slack/actions"),
            description="the Slack app's Interactivity request URL (docs/review.md)",
        )
        CfnOutput(
            self,
            "OpsTopicArn",
            value=monitoring.ops_topic.topic_arn,
            description="subscribe on-call here (alarm_email in the config does it for you)",
        )
