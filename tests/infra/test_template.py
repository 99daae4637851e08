"""The synthesised template holds what the issue asks of the stack: encryption, least privilege, the queue and
event source settings, alarms wired to operations, the dashboard, and the API's protections."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from ticket_sentiment import metric_names as m
from ticket_sentiment.adapters.aws.dynamodb import create_table

from infra.layers import FUNCTION_LAYERS

from .conftest import code_asset, function_layers, props, resources

TOOLS_PACKAGE = Path(__file__).resolve().parents[2] / "tools" / "ticket_sentiment_tools"

Template = dict[str, Any]


def _functions(template: Template) -> dict[str, dict[str, Any]]:
    return {
        props(f)["FunctionName"]["Fn::Join"][1][-1]
        if isinstance(props(f)["FunctionName"], dict)
        else props(f)["FunctionName"]: props(f)
        for f in resources(template, "AWS::Lambda::Function").values()
    }


def _policy_actions(template: Template, role_prefix: str) -> set[str]:
    actions: set[str] = set()
    for policy in resources(template, "AWS::IAM::Policy").values():
        if not any(r["Ref"].startswith(role_prefix) for r in props(policy)["Roles"]):
            continue
        for statement in props(policy)["PolicyDocument"]["Statement"]:
            found = statement["Action"]
            actions.update([found] if isinstance(found, str) else found)
    return actions


def test_functions_run_python_313_on_arm64_with_tracing_and_their_own_log_groups(template: Template) -> None:
    functions = _functions(template)
    assert set(functions) == {
        f"ticket-sentiment-test-{n}"
        for n in ("ingest", "score", "notify", "query", "writeback", "review", "precision", "drift", "audit")
    }
    for name, fn in functions.items():
        assert fn["Runtime"] == "python3.13", name
        assert fn["Architectures"] == ["arm64"], name
        assert fn["TracingConfig"] == {"Mode": "Active"}, name
        assert "LogGroup" in fn["LoggingConfig"], name
        env = fn["Environment"]["Variables"]
        assert env["POWERTOOLS_SERVICE_NAME"] == "ticket-sentiment-test"
        assert env["POWERTOOLS_METRICS_NAMESPACE"] == m.NAMESPACE
        for key, value in env.items():  # no secret value in the environment, only where to find it
            assert not re.search(r"hooks\.slack\.com|xox[bp]-|password", json.dumps(value), re.I), key
    assert (
        functions["ticket-sentiment-test-score"]["Environment"]["Variables"]["TICKET_SENTIMENT_MODEL_DIR"]
        == "/opt/model"
    )
    assert len(functions["ticket-sentiment-test-score"]["Layers"]) == 4  # runtime, numpy, scoring, model
    # SNS invokes the notifier asynchronously: a failed invocation must land somewhere, not vanish.
    assert "TargetArn" in functions["ticket-sentiment-test-notify"]["DeadLetterConfig"]
    for group in resources(template, "AWS::Logs::LogGroup").values():
        assert props(group)["RetentionInDays"] >= 30


# Only the scorer runs the model: the model and the scoring layer (onnxruntime, tokenizers, py3langid) are its alone;
# numpy goes where the code computes with it (the scorer, drift statistics, the audit sampler through them).
EXPECTED_LAYERS = {
    "ingest": ["runtime"],
    "score": ["runtime", "numpy", "scoring", "model"],
    "writeback": ["runtime"],
    "notify": ["runtime"],
    "query": ["runtime"],
    "review": ["runtime"],
    "precision": ["runtime"],
    "drift": ["runtime", "numpy"],
    "audit": ["runtime", "numpy"],
}
# Modules that run only on a laptop or in CI (tools/ticket_sentiment_tools): none may ship in the functions' asset.
TOOL_MODULES = (
    "cli",
    "local_stack",
    "bench",
    "openapi",
    "reporting",
    "threshold_calibration",
    "backfill",
    "evaluation",
    "samples",
    "redaction/evaluate",
    "audit/labelling",
)


def test_each_function_gets_only_the_layers_its_code_imports(template: Template) -> None:
    assert function_layers(template) == EXPECTED_LAYERS
    assert function_layers(template) == {name: list(layers) for name, layers in FUNCTION_LAYERS.items()}


def test_functions_ship_the_runtime_package_and_no_tools(assembly: Path, template: Template) -> None:
    code = code_asset(assembly, template)  # one code asset, shared
    assert [p.name for p in code.iterdir()] == ["ticket_sentiment"]
    files = {p.relative_to(code).as_posix() for p in code.rglob("*") if p.is_file()}
    for handler in ("api", "audit", "drift", "ingest", "notify", "precision", "review", "score", "writeback"):
        assert f"ticket_sentiment/handlers/{handler}.py" in files, handler
    tools = {
        f"ticket_sentiment/{p.relative_to(TOOLS_PACKAGE).as_posix()}"
        for p in TOOLS_PACKAGE.rglob("*.py")
        if p.name != "__init__.py"
    }
    tools |= {f"ticket_sentiment/{module}.py" for module in TOOL_MODULES}
    assert tools & files == set()
    assert not [f for f in files if f.startswith(tuple(f"ticket_sentiment/{m}/" for m in TOOL_MODULES))]
    assert not [f for f in files if "__pycache__" in f or f.endswith(".pyc")]


def test_no_managed_policies_and_no_wildcard_actions(template: Template) -> None:
    for role in resources(template, "AWS::IAM::Role").values():
        if "ApiGateway" in json.dumps(props(role).get("AssumeRolePolicyDocument")) or "apigateway" in json.dumps(
            props(role).get("AssumeRolePolicyDocument")
        ):
            continue  # API Gateway's account logging role, acknowledged with its reason
        assert "ManagedPolicyArns" not in props(role)
    for policy in resources(template, "AWS::IAM::Policy").values():
        for statement in props(policy)["PolicyDocument"]["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            for action in actions:
                assert action != "*", action
                assert not action.endswith(":*"), action


def test_each_function_gets_only_the_calls_its_code_makes(template: Template) -> None:
    xray = {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}
    logs = {"logs:CreateLogStream", "logs:PutLogEvents"}
    # Ingest carries out helpdesk deletions: table actions scoped by leading key (test_iam_least_privilege), the
    # parked queues swept, the requester key read.
    assert _policy_actions(template, "Ingest") == xray | logs | {
        "sqs:SendMessage",
        "kms:GenerateDataKey",
        "kms:Decrypt",
        "kms:Encrypt",
        "secretsmanager:GetSecretValue",
        "dynamodb:GetItem",
        "dynamodb:Query",
        "dynamodb:DeleteItem",
        "dynamodb:UpdateItem",
        "dynamodb:PutItem",
        "sqs:ReceiveMessage",
        "sqs:DeleteMessage",
        "sqs:ChangeMessageVisibility",
    }
    assert _policy_actions(template, "Writeback") == xray | logs | {
        "secretsmanager:GetSecretValue",
        "dynamodb:GetItem",
        "kms:Decrypt",
        "sqs:ReceiveMessage",
        "sqs:DeleteMessage",
        "sqs:ChangeMessageVisibility",
        "sqs:GetQueueAttributes",
        "sqs:GetQueueUrl",
    }
    # Erasure on request: DeleteItem/PutItem scoped by leading key (test_iam_least_privilege), KMS to write.
    assert _policy_actions(template, "Query") == xray | logs | {
        "dynamodb:GetItem",
        "dynamodb:Query",
        "dynamodb:DeleteItem",
        "dynamodb:PutItem",
        "sqs:ReceiveMessage",  # the parked queues' sweep (audit queue, notify DLQ)
        "sqs:DeleteMessage",
        "sqs:ChangeMessageVisibility",
        "kms:Decrypt",
        "kms:Encrypt",
        "kms:GenerateDataKey",
    }
    assert _policy_actions(template, "TrustLoopPrecision") == xray | logs | {"dynamodb:Query", "kms:Decrypt"}
    assert _policy_actions(template, "TrustLoopDrift") == xray | logs | {"dynamodb:Query", "kms:Decrypt"}
    assert _policy_actions(template, "Notify") == xray | logs | {
        "secretsmanager:GetSecretValue",
        "sqs:SendMessage",
        "kms:GenerateDataKey",
        "kms:Decrypt",
    }
    score = _policy_actions(template, "Score")
    assert {
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:Query",
        "sns:Publish",
        "sqs:SendMessage",
        "ssm:GetParameter",
        "comprehend:BatchDetectSentiment",
        "sqs:ReceiveMessage",
        "sqs:DeleteMessage",
    } <= score
    assert not {
        a
        for a in score
        if a.startswith("dynamodb:") and a.endswith(("Scan", "DeleteItem", "BatchWriteItem", "DeleteTable"))
    }


def test_each_secret_is_readable_only_by_the_function_that_needs_it(template: Template) -> None:
    """Inbound verification secrets (<prefix>/helpdesk/*) only by ingest; write-back credentials
    (<prefix>/writeback/*, the helpdesks' admin API tokens) only by the write-back function; Slack's by its users."""
    names = {logical: props(s)["Name"] for logical, s in resources(template, "AWS::SecretsManager::Secret").items()}
    readers: dict[str, set[str]] = {name: set() for name in names.values()}
    for policy in resources(template, "AWS::IAM::Policy").values():
        [role] = [r["Ref"] for r in props(policy)["Roles"]]
        for statement in props(policy)["PolicyDocument"]["Statement"]:
            if "secretsmanager:GetSecretValue" not in json.dumps(statement["Action"]):
                continue
            found = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            for resource in found:
                readers[names[resource["Ref"]]].add(re.sub(r"(ServiceRole)?[0-9A-F]{8}$", "", role))
    inbound = {n for n in names.values() if "/helpdesk/" in n}
    writeback = {n for n in names.values() if "/writeback/" in n}
    assert len(inbound) == 5
    assert {n.rsplit("/", 1)[-1] for n in writeback} == {"zendesk", "intercom"}
    for name in inbound:
        assert readers[name] == {"IngestRole"}, (name, readers[name])
    for name in writeback:
        assert readers[name] == {"WritebackRole"}, (name, readers[name])
    [slack] = [n for n in names.values() if n.endswith("/slack")]
    assert not readers[slack] & {"IngestRole", "WritebackRole"}
    assert readers[slack]


def test_queues_are_encrypted_with_a_dlq_and_a_visibility_of_six_scorer_timeouts(template: Template) -> None:
    queues = resources(template, "AWS::SQS::Queue")
    assert len(queues) == 6  # events + DLQ, write-back + DLQ, notify DLQ, audit review queue
    for queue in queues.values():
        assert "KmsMasterKeyId" in props(queue)
    events = next(props(q) for k, q in queues.items() if "RedrivePolicy" in props(q) and k.startswith("Queues"))
    scorer = _functions(template)["ticket-sentiment-test-score"]
    assert events["VisibilityTimeout"] >= 6 * scorer["Timeout"]
    assert 2 <= events["RedrivePolicy"]["maxReceiveCount"] <= 10
    writeback = next(props(q) for k, q in queues.items() if "RedrivePolicy" in props(q) and k.startswith("Writeback"))
    assert writeback["RedrivePolicy"]["maxReceiveCount"] == 3  # permanent API errors reach the DLQ quickly
    mapping = next(
        props(m)
        for m in resources(template, "AWS::Lambda::EventSourceMapping").values()
        if m["Properties"]["BatchSize"] == 10 and "Score" in json.dumps(m["Properties"]["FunctionName"])
    )
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["BatchSize"] == 10
    assert mapping["MaximumBatchingWindowInSeconds"] >= 1
    assert mapping["ScalingConfig"]["MaximumConcurrency"] >= 2


class _RecordingDynamo:
    def __init__(self) -> None:
        self.calls: dict[str, dict[str, Any]] = {}

    def create_table(self, **kwargs: Any) -> None:
        self.calls["create_table"] = kwargs

    def update_time_to_live(self, **kwargs: Any) -> None:
        self.calls["ttl"] = kwargs

    def get_waiter(self, name: str) -> Any:
        return type("Waiter", (), {"wait": lambda self, **kw: None})()


def test_table_matches_the_one_the_local_stack_and_tests_use(template: Template) -> None:
    table = props(next(iter(resources(template, "AWS::DynamoDB::Table").values())))
    assert table["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert table["SSESpecification"]["SSEEnabled"] is True
    assert "KMSMasterKeyId" in table["SSESpecification"]
    assert table["DeletionProtectionEnabled"] is True
    local = _RecordingDynamo()
    create_table(local, "t")
    assert table["TimeToLiveSpecification"] == local.calls["ttl"]["TimeToLiveSpecification"]
    assert table["KeySchema"] == local.calls["create_table"]["KeySchema"]
    assert sorted(table["AttributeDefinitions"], key=str) == sorted(
        local.calls["create_table"]["AttributeDefinitions"], key=str
    )
    indexes = {i["IndexName"]: i["KeySchema"] for i in table["GlobalSecondaryIndexes"]}
    assert indexes == {i["IndexName"]: i["KeySchema"] for i in local.calls["create_table"]["GlobalSecondaryIndexes"]}


def test_topics_and_secrets_are_encrypted_and_secrets_hold_no_value(template: Template) -> None:
    for topic in resources(template, "AWS::SNS::Topic").values():
        assert "KmsMasterKeyId" in props(topic)
    subscription = props(next(iter(resources(template, "AWS::SNS::Subscription").values())))
    assert subscription["Protocol"] == "lambda"
    assert "deadLetterTargetArn" in subscription["RedrivePolicy"]
    secrets = resources(template, "AWS::SecretsManager::Secret")
    names = {props(s)["Name"] for s in secrets.values()}
    assert "ticket-sentiment-test/slack" in names
    assert {"zendesk", "freshdesk", "intercom", "salesforce", "generic"} == {
        n.rsplit("/", 1)[-1] for n in names if "/helpdesk/" in n
    }
    for name, secret in secrets.items():
        assert "KmsKeyId" in props(secret)
        if name.startswith("SecretsRequesterKey"):  # generated by Secrets Manager: no value in the template
            assert "SecretString" not in props(secret)
            assert props(secret)["GenerateSecretString"]["PasswordLength"] >= 32
            continue
        assert props(secret)["SecretString"] == "{}"
    key = props(next(iter(resources(template, "AWS::KMS::Key").values())))
    assert key["EnableKeyRotation"] is True


def test_alarms_cover_dlqs_errors_throttles_latency_fallback_and_drift(template: Template) -> None:
    alarms = {
        props(a)["AlarmName"].removeprefix("ticket-sentiment-test-"): props(a)
        for a in resources(template, "AWS::CloudWatch::Alarm").values()
    }
    expected = {
        "EventsDeadLetters",
        "NotifyDeadLetters",
        "WritebackDeadLetters",
        "ScorerP95Duration",
        "ComprehendFallbackRate",
        "ScoreDrift",
        "ModelUnavailable",
        "EscalationPrecision",
    }
    expected |= {
        f"{fn}{kind}"
        for fn in ("Ingest", "Score", "Notify", "Query", "Writeback", "Review", "Precision", "Drift", "Audit")
        for kind in ("Errors", "Throttles")
    }
    assert set(alarms) == expected
    ops = next(k for k, v in resources(template, "AWS::SNS::Topic").items() if props(v)["TopicName"].endswith("-ops"))
    for name, alarm in alarms.items():
        assert alarm["AlarmActions"] == [{"Ref": ops}], name
    assert alarms["ScoreDrift"]["MetricName"] == m.SCORE_DRIFT
    assert alarms["ScoreDrift"]["EvaluationPeriods"] == 2  # one odd day pages no one
    fallback = json.dumps(alarms["ComprehendFallbackRate"]["Metrics"])
    assert m.SCORED_BY_COMPREHEND in fallback
    assert m.SCORED_BY_MODEL in fallback


def test_dashboard_shows_what_support_leads_ask_for(template: Template) -> None:
    body = json.dumps(props(next(iter(resources(template, "AWS::CloudWatch::Dashboard").values())))["DashboardBody"])
    for title in (
        "Average sentiment and share very negative, by week",
        "Negative messages by product area",
        "First response to negative",
        "Precision of automated escalations",
        "Throughput",
        "Scorer latency",
        "Errors and throttles",
        "Comprehend fallback rate",
        "Dead-letter queues",
        "Score drift",
        "escalation precision (30 d)",
    ):
        assert title in body, title
    for metric in (
        m.SENTIMENT_SCORE,
        m.NEGATIVE_MESSAGES,
        m.NEGATIVE_FIRST_RESPONSE,
        m.ESCALATION_PRECISION,
        m.SHARE_NEGATIVE_7D,
        m.ESCALATION_PRECISION_30D,
        m.VERY_NEGATIVE_MESSAGES,
    ):
        assert metric in body, metric


def test_api_validates_throttles_logs_and_requires_keys_without_cors(template: Template) -> None:
    methods = {k: props(x) for k, x in resources(template, "AWS::ApiGateway::Method").items()}
    assert {x["HttpMethod"] for x in methods.values()} == {"POST", "GET", "DELETE"}  # no OPTIONS: CORS is off
    # Erasure is served by the read/admin (query) function, keyed, like the ticket read it sits beside.
    [erase] = [m for m in methods.values() if m["HttpMethod"] == "DELETE"]
    assert "QueryFunction" in json.dumps(erase["Integration"])
    assert erase["ApiKeyRequired"] is True
    webhooks = {k: m for k, m in methods.items() if "webhooks" in k}
    assert len(webhooks) == 5  # one route per enabled helpdesk
    for name, method in webhooks.items():  # signatures are checked in the function; most platforms send no key
        assert method["ApiKeyRequired"] is ("generic" in name), name
    [slack] = [m for k, m in methods.items() if "slackactions" in k]
    assert not slack.get("ApiKeyRequired", False)  # Slack signs its requests and cannot send an API key
    for name, method in methods.items():
        if name not in webhooks and "slackactions" not in name:
            assert method["ApiKeyRequired"] is True, name
            assert "RequestValidatorId" in method, name
    stages = [props(s) for s in resources(template, "AWS::ApiGateway::Stage").values()]
    assert len(stages) == 2  # the ingest API and the read API
    for stage in stages:
        settings = stage["MethodSettings"][0]
        assert settings["ThrottlingRateLimit"] > 0
        assert settings["ThrottlingBurstLimit"] > 0
        assert settings["DataTraceEnabled"] is False  # request bodies hold customer text: never logged
        assert "DestinationArn" in stage["AccessLogSetting"]
        assert stage["TracingEnabled"] is True
    model = props(next(iter(resources(template, "AWS::ApiGateway::Model").values())))
    assert set(model["Schema"]["required"]) >= {"source", "ticket_id", "message_id", "author_role", "created_at"}
    plans = [props(p) for p in resources(template, "AWS::ApiGateway::UsagePlan").values()]
    assert any("Quota" in p for p in plans)


def _method_paths(template: Template) -> dict[str, tuple[str, str, str, bool]]:
    """Each method as (its RestApi's logical id, HTTP method, full path, key required), from the resource tree."""
    res = resources(template, "AWS::ApiGateway::Resource")

    def path_of(ref: dict[str, Any]) -> tuple[str, str]:
        if "Fn::GetAtt" in ref:  # the API's root resource
            return ref["Fn::GetAtt"][0], ""
        node = props(res[ref["Ref"]])
        api, parent = path_of(node["ParentId"])
        return api, f"{parent}/{node['PathPart']}"

    found = {}
    for name, method in resources(template, "AWS::ApiGateway::Method").items():
        api, path = path_of(props(method)["ResourceId"])
        found[name] = (api, props(method)["HttpMethod"], path, bool(props(method).get("ApiKeyRequired", False)))
    return found


def test_each_api_key_opens_only_its_own_routes(template: Template) -> None:
    """The ingest key (in every helpdesk's trigger) cannot read tickets or post reviews, and the read key cannot
    ingest: each key's usage plan is attached only to its own API's stage, and the routes sit on the API the
    route table (infra.routes, which the local stack enforces too) names."""
    from infra.routes import ApiKind, route_for

    methods = _method_paths(template).values()
    apis = {
        kind: {api for api, verb, path, _ in methods if route_for(verb, path).api == kind}  # type: ignore[union-attr]
        for kind in ApiKind
    }
    assert all(len(ids) == 1 for ids in apis.values())
    assert apis[ApiKind.INGEST] != apis[ApiKind.READ]
    for api, verb, path, key_required in methods:
        route = route_for(verb, path)
        assert route is not None, path
        assert route.key_required is key_required, path
        assert {api} == apis[route.api], path
    assert {p for _, v, p, _ in methods if v == "GET"} == {"/v1/tickets/{ticket_id}"}
    stage_of = {k: props(s)["RestApiId"]["Ref"] for k, s in resources(template, "AWS::ApiGateway::Stage").items()}
    keys = {
        props(link)["KeyId"]["Ref"]: props(link)["UsagePlanId"]["Ref"]
        for link in resources(template, "AWS::ApiGateway::UsagePlanKey").values()
    }
    plans = resources(template, "AWS::ApiGateway::UsagePlan")
    for key, kind in (("IngestKey", ApiKind.INGEST), ("QueryKey", ApiKind.READ)):
        [plan] = [p for k, p in keys.items() if key in k]
        stages = props(plans[plan])["ApiStages"]
        assert {stage_of[s["Stage"]["Ref"]] for s in stages} == apis[kind], key  # its own API and nothing else
        assert {s["ApiId"]["Ref"] for s in stages} == apis[kind], key
    assert "Quota" in props(plans[keys[next(k for k in keys if "QueryKey" in k)]])  # reads are quota-bound


def test_outputs_name_the_urls_an_operator_needs(template: Template) -> None:
    assert {
        "ApiUrl",
        "ReadApiUrl",
        "EventsUrl",
        "DashboardUrl",
        "SlackSecretName",
        "IngestApiKeyId",
        "QueryApiKeyId",
        "WebhookUrlZendesk",
        "WebhookUrlFreshdesk",
        "WebhookUrlIntercom",
        "WebhookUrlSalesforce",
        "WebhookUrlGeneric",
    } <= set(template["Outputs"])


def test_the_stack_records_the_model_version_it_ships(template: Template) -> None:
    """The model layer is built from layers/model here (a fine-tune with `make layers MODEL=...`): the stack
    output and the layer's description name its version, so a deployer can see which model is live."""
    from infra.layers import MODEL_SOURCE, model_version

    version = model_version(MODEL_SOURCE)
    assert template["Outputs"]["ModelVersion"]["Value"] == version
    [layer] = [
        r
        for r in resources(template, "AWS::Lambda::LayerVersion").values()
        if "/opt/model" in r["Properties"]["Description"]
    ]
    assert version in layer["Properties"]["Description"]
    assert "get-api-key" in template["Outputs"]["QueryApiKeyId"]["Description"]


@pytest.mark.parametrize("override", [{"architecture": "x86_64"}, {"scorer": "onnx"}])
def test_config_overrides_are_typed(override: dict[str, str]) -> None:
    from infra.config import StackConfig, load_config

    config = load_config({**override, "stages": {"prod": {"log_retention_days": 90}}})
    assert isinstance(config, StackConfig)
    assert config.model_dump()[next(iter(override))] == next(iter(override.values()))


def test_bad_config_fails_with_the_field_name() -> None:
    from pydantic import ValidationError

    from infra.config import load_config

    with pytest.raises(ValidationError, match="scorer_timeout_s"):
        load_config({"scorer_timeout_s": 900})
    with pytest.raises(ValidationError, match="helpdesks"):
        load_config({"helpdesks": ["jira"]})


def test_every_function_that_writes_the_table_gets_the_retention_policy(template: Template) -> None:
    """TTL on every item: each function holding a table write action sets its items' expiry from the stack's
    retention context (RETENTION_POLICY), with the text's days from text_retention_days."""
    from ticket_sentiment.pipeline.lifecycle import Retention
    from ticket_sentiment.settings import RETENTION_POLICY

    functions = _functions(template)
    roles = {
        "score": "Score",
        "query": "Query",
        "review": "TrustLoopReview",
        "writeback": "Writeback",
        "precision": "TrustLoopPrecision",
        "drift": "TrustLoopDrift",
        "audit": "TrustLoopAudit",
    }
    writers = {
        name
        for name, prefix in roles.items()
        if _policy_actions(template, prefix) & {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:BatchWriteItem"}
    }
    assert writers == {"score", "query", "review"}
    for name in writers:
        env = functions[f"ticket-sentiment-test-{name}"]["Environment"]["Variables"]
        policy = Retention.model_validate_json(env[RETENTION_POLICY])
        assert policy.message >= 395, name
        assert policy.text == int(
            functions["ticket-sentiment-test-score"]["Environment"]["Variables"]["TEXT_RETENTION_DAYS"]
        ), name
    table = next(iter(resources(template, "AWS::DynamoDB::Table").values()))
    assert props(table)["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}


def test_the_readme_floor_counts_what_the_stack_creates(template: Template) -> None:
    """The fixed monthly floor in the README is priced per resource: its counts must be the template's."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = readme.split("### The fixed monthly floor", 1)[1].split("###", 1)[0]
    counts = {
        row.split("|")[1].strip(): int(row.split("|")[2])
        for row in section.splitlines()
        if row.startswith("| ") and row.split("|")[2].strip().isdigit()
    }
    kinds = {
        "KMS customer-managed key": "AWS::KMS::Key",
        "Secrets Manager secrets (Slack, the requester key, one per helpdesk in `helpdesks`)": (
            "AWS::SecretsManager::Secret"
        ),
        "CloudWatch alarms (standard resolution)": "AWS::CloudWatch::Alarm",
        "CloudWatch dashboard": "AWS::CloudWatch::Dashboard",
    }
    assert set(counts) == set(kinds)
    for item, kind in kinds.items():
        # The session's template switches write-back on (off by default, as the README prices it).
        found = [name for name in resources(template, kind) if "Writeback" not in name]
        assert counts[item] == len(found), item


def test_the_comprehend_pii_pass_is_off_by_default_and_its_permission_comes_only_with_it(
    template: Template, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """`comprehend_pii` (off by default): off, the scorer may not call DetectPiiEntities and is not told to; on,
    it gets PII_SECOND_PASS=comprehend and exactly that one more action, on '*' (Comprehend has no resource ARN)."""
    from infra.local_deploy import synth_local

    def score_env(t: Template) -> dict[str, str]:
        return dict(_functions(t)["ticket-sentiment-test-score"]["Environment"]["Variables"])

    assert "comprehend:DetectPiiEntities" not in _policy_actions(template, "Score")
    assert "PII_SECOND_PASS" not in score_env(template)
    # The session template's overrides (write-back on), plus the flag: the difference is the flag's alone.
    overrides = {"writeback": ["zendesk", "intercom"], "comprehend_pii": True}
    out = synth_local(tmp_path_factory.mktemp("cdk-pii") / "cdk.out", stage="test", overrides=overrides)
    switched: Template = json.loads((out / "TicketSentiment-test.template.json").read_text())
    assert score_env(switched)["PII_SECOND_PASS"] == "comprehend"
    assert _policy_actions(switched, "Score") == _policy_actions(template, "Score") | {"comprehend:DetectPiiEntities"}
    statements = [
        statement
        for policy in resources(switched, "AWS::IAM::Policy").values()
        if any(r["Ref"].startswith("Score") for r in props(policy)["Roles"])
        for statement in props(policy)["PolicyDocument"]["Statement"]
        if "comprehend:DetectPiiEntities" in json.dumps(statement["Action"])
    ]
    assert [(s["Action"], s["Resource"]) for s in statements] == [("comprehend:DetectPiiEntities", "*")]
    for name, fn in _functions(switched).items():  # no other function is told to, or may
        if name != "ticket-sentiment-test-score":
            assert "PII_SECOND_PASS" not in fn["Environment"]["Variables"], name
    for role in ("Ingest", "Notify", "Query"):
        assert "comprehend:DetectPiiEntities" not in _policy_actions(switched, role)
