"""IAM least privilege, derived from the code: every function's `handler` runs against moto, configured from the
environment exactly as in AWS, while every AWS API call it makes is recorded (service:Operation is the IAM
action). The synthesised template's policy for that function's role must allow each recorded action, and allow
nothing else beyond what the runtime, the event source mapping and KMS need (RUNTIME, ESM, KMS below).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from ticket_sentiment.handlers import (
    api,
    audit,
    drift,
    ingest,
    notify,
    precision,
    review,
    score,
    score_wiring,
    writeback,
)
from ticket_sentiment.helpdesks import zendesk
from ticket_sentiment.helpdesks.zendesk import sign as zendesk_sign
from ticket_sentiment_tools.local_stack import LocalStack, lambda_sns_event, lambda_sqs_event, start_moto

from tests.hostile.harness import slack_headers
from tests.integration.helpdesk_fakes import HelpdeskFake
from tests.integration.helpdesk_fakes import zendesk as zendesk_fake
from tests.integration.slack_sink import SlackSink
from tests.lambda_runtime import Context, forget_wiring, function_env, set_env
from tests.protection.recorder import Recorder, recording
from tests.unit.helpdesk_support import SECRETS, fixture, zendesk_headers
from tests.unit.pipeline_fakes import api_event, event_payload
from tests.unit.review_support import form_body, interaction

# Not called by the function's code: the Lambda runtime writes logs and traces; the SQS event source mapping
# receives, deletes and reads attributes with the function's role; KMS is used by SQS, SNS, DynamoDB and Secrets
# Manager on the function's behalf when it reads or writes encrypted resources.
RUNTIME = {"logs:CreateLogStream", "logs:PutLogEvents", "xray:PutTraceSegments", "xray:PutTelemetryRecords"}
# GetQueueUrl: part of CDK's grantConsumeMessages, which SqsEventSource applies; the mapping itself needs only the
# other four (reported as an unneeded, CDK-generated grant in docs/reliability-hostile.md).
ESM = {
    "sqs:ReceiveMessage",
    "sqs:DeleteMessage",
    "sqs:GetQueueAttributes",
    "sqs:ChangeMessageVisibility",
    "sqs:GetQueueUrl",
}
# Operations IAM authorises under another action's name.
IAM_ACTION = {
    "sqs:SendMessageBatch": "sqs:SendMessage",
    "sqs:DeleteMessageBatch": "sqs:DeleteMessage",
    "sqs:ChangeMessageVisibilityBatch": "sqs:ChangeMessageVisibility",
}
# TransactWriteItems has no IAM action of its own: each write in it is authorised as that write alone.
TRANSACT_ACTION = {
    "Put": "dynamodb:PutItem",
    "Update": "dynamodb:UpdateItem",
    "Delete": "dynamodb:DeleteItem",
    "ConditionCheck": "dynamodb:ConditionCheckItem",
}
ROLES = {
    "ingest": "Ingest",
    "score": "Score",
    "notify": "Notify",
    "query": "Query",
    "writeback": "Writeback",
    "review": "TrustLoopReview",
    "precision": "TrustLoopPrecision",
    "drift": "TrustLoopDrift",
    "audit": "TrustLoopAudit",
}
WITH_ESM = {"score", "writeback"}
SLACK_SIGNING = "slack-signing-secret-0123456789abcdef"
GENERIC_TOKEN = "generic-token-0123456789abcdef"
ZENDESK_SIGNING = "zendesk-events-secret-0123456789"
OTHER = {"source": "other"}  # the canonical producer's tickets
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def recorded() -> Iterator[dict[str, set[str]]]:
    server, endpoint = start_moto()
    monkeypatch = pytest.MonkeyPatch()
    sink, fake = SlackSink(), HelpdeskFake(zendesk_fake)
    try:
        yield _run_every_function(LocalStack(endpoint, prefix="iam"), monkeypatch, sink, fake)
    finally:
        monkeypatch.undo()
        forget_wiring()
        sink.close()
        fake.close()
        server.stop()


def _run_every_function(
    stack: LocalStack, monkeypatch: pytest.MonkeyPatch, sink: SlackSink, fake: HelpdeskFake
) -> dict[str, set[str]]:
    res = stack.provision()
    sqs, secrets = stack.client("sqs"), stack.client("secretsmanager")
    writeback_url = sqs.create_queue(QueueName="iam-writeback")["QueueUrl"]
    audit_url = sqs.create_queue(QueueName="iam-audit")["QueueUrl"]
    rules = json.dumps({"cooldown_minutes": 0, "rules": [{"name": "any", "max_score": 1.0}]})
    stack.client("ssm").put_parameter(Name="/iam/escalation-rules", Value=rules, Type="String")
    secrets.put_secret_value(
        SecretId=res.slack_secret_arn,
        SecretString=json.dumps({"webhook_url": sink.url, "signing_secret": SLACK_SIGNING}),
    )
    prefix = "ticket-sentiment/helpdesk/"  # ingest reads $HELPDESK_SECRET_PREFIX at import: the default
    secrets.create_secret(Name=f"{prefix}generic", SecretString=json.dumps({"token": GENERIC_TOKEN}))
    zendesk_secret = json.loads(SECRETS["zendesk"]) | {"events_signing_secret": ZENDESK_SIGNING}
    secrets.create_secret(Name=f"{prefix}zendesk", SecretString=json.dumps(zendesk_secret))
    secrets.create_secret(Name="iam/requester-key", SecretString="k" * 64)
    secrets.create_secret(
        Name="ticket-sentiment/writeback/zendesk",
        SecretString=json.dumps(
            {
                "subdomain": "acme",
                "email": "agent@example.com",
                "api_token": "zd-api-token-0123456789",
                "score_field_id": 11,
                "label_field_id": 12,
                "base_url": fake.url,
            }
        ),
    )
    set_env(
        monkeypatch,
        function_env(stack)
        | {
            "ESCALATION_RULES_PARAM": "/iam/escalation-rules",
            "HELPDESK_SECRET_PREFIX": prefix,
            "WRITEBACK_SECRET_PREFIX": "ticket-sentiment/writeback/",
            "WRITEBACK_PLATFORMS": "zendesk",
            "WRITEBACK_QUEUE_URL": writeback_url,
            "AUDIT_QUEUE_URL": audit_url,
            "AUDIT_SAMPLE_SIZE": "5",
            "PARKED_QUEUE_URLS": f"{audit_url},{res.notify_dlq_url}",
            "REQUESTER_KEY_SECRET": "iam/requester-key",
            "POWERTOOLS_METRICS_DISABLED": "true",
        },
    )
    monkeypatch.delenv("ESCALATION_RULES", raising=False)
    forget_wiring()
    found: dict[str, set[str]] = {}
    ctx = Context(function_name="ticket-sentiment-iam", aws_request_id="req-iam")

    def run(name: str, step: Callable[[], object], recorder: Recorder) -> None:
        recorder.clear()
        step()
        actions = _iam_actions(recorder)
        found[name] = found.get(name, set()) | actions
        recorder.clear()

    with recording() as rec:
        # ingest: canonical events and two webhooks (their secrets read from Secrets Manager); write-back acts only
        # on the Zendesk webhook's ticket (a producer may not name a helpdesk: README, "Tenancy").
        def do_ingest() -> None:
            for i in range(3):
                body = json.dumps(event_payload(ticket_id=f"IAM-{i}", created_at=T0.isoformat()))
                assert ingest.handler(api_event(body), ctx)["statusCode"] == 202
            signed = fixture("zendesk_comment_created.json")
            # A second comment on the same ticket, so the redaction below restates the ticket from the one left.
            second = json.loads(signed)
            second["comment"]["id"] = "38291045513"
            for raw in (signed, json.dumps(second).encode()):
                zendesk_event = api_event(
                    raw.decode(), path="/v1/webhooks/zendesk", path_parameters={"platform": "zendesk"}
                )
                zendesk_event["headers"] = zendesk_headers(raw, timestamp=datetime.now(UTC).isoformat())
                assert ingest.handler(zendesk_event, ctx)["statusCode"] == 202
            webhook = json.dumps(event_payload(source="other", ticket_id="IAM-W", created_at=T0.isoformat()))
            event = api_event(webhook, path="/v1/webhooks/generic", path_parameters={"platform": "generic"})
            event["headers"]["X-Ticket-Sentiment-Token"] = GENERIC_TOKEN
            assert ingest.handler(event, ctx)["statusCode"] == 202

        run("ingest", do_ingest, rec)

        messages = sqs.receive_message(QueueUrl=res.events_queue_url, MaxNumberOfMessages=10)["Messages"]

        def do_score() -> None:
            reply = score.handler(lambda_sqs_event(messages, res.events_queue_url), ctx)
            assert reply == {"batchItemFailures": []}

        rec.clear()
        run("score", do_score, rec)
        # With SCORER=auto a language the model lacks goes to Comprehend (moto has no BatchDetectSentiment: the
        # call is made and recorded, and fails there).
        monkeypatch.setenv("SCORER", "auto")
        score_wiring.default_service.cache_clear()
        spanish = event_payload(
            ticket_id="IAM-ES",
            created_at=T0.isoformat(),
            text="Me han cobrado dos veces y nadie contesta a mis correos, es inaceptable.",
        )
        sqs.send_message(
            QueueUrl=res.events_queue_url,
            MessageBody=json.dumps({"event_id": "es1", "received_at": T0.isoformat(), "event": spanish}),
        )
        spanish_batch = lambda_sqs_event(
            sqs.receive_message(
                QueueUrl=res.events_queue_url,
                MaxNumberOfMessages=10,
            )["Messages"],
            res.events_queue_url,
        )
        run("score", lambda: score.handler(spanish_batch, ctx), rec)
        delivered = sqs.receive_message(QueueUrl=res.alerts_delivery_url, MaxNumberOfMessages=10)["Messages"]

        def do_notify() -> None:
            assert delivered
            for message in delivered:
                notify.handler(lambda_sns_event(json.loads(message["Body"])), ctx)
            notify.handler(
                {"Records": [{**lambda_sns_event({"Message": "not an alert"})["Records"][0]}]}, ctx
            )  # the notify DLQ

        run("notify", do_notify, rec)

        # A parked audit row of the ticket the query erases: the sweep deletes it and releases the DLQ's message.
        sqs.send_message(QueueUrl=audit_url, MessageBody=json.dumps({"ticket_id": "other:IAM-W", "message_id": "m1"}))

        def do_query() -> None:
            event = api_event(None, method="GET", path="/v1/tickets/IAM-0", path_parameters={"ticket_id": "IAM-0"})
            event["queryStringParameters"] = OTHER
            assert api.handler(event, ctx)["statusCode"] == 200
            # Erasure on request (the read/admin API): deletes the ticket's items, writes a receipt.
            erase = api_event(None, method="DELETE", path="/v1/tickets/IAM-W", path_parameters={"ticket_id": "IAM-W"})
            erase["queryStringParameters"] = OTHER
            response = api.handler(erase, ctx)
            assert response["statusCode"] == 200
            assert json.loads(response["body"])["erased"] is True

        run("query", do_query, rec)

        read = api_event(None, method="GET", path="/v1/tickets/IAM-0")
        read["queryStringParameters"] = OTHER
        ticket = json.loads(api.handler(read, ctx)["body"])["ticket"]
        alert_id = f"{ticket['current']['event_id']}:any"

        def do_review() -> None:
            body = json.dumps({"alert_id": alert_id, "verdict": "right_call", "reviewer": "anna"})
            reviewed = api_event(body, path="/v1/tickets/IAM-0/review")
            reviewed["queryStringParameters"] = OTHER
            reply = review.handler(reviewed, ctx)
            assert reply["statusCode"] == 200, reply
            click = form_body(interaction(ticket_id="IAM-1", alert_id="e1:any", response_url=None))
            event = api_event(click.decode(), path="/v1/slack/actions")
            event["headers"] = slack_headers(click, secret=SLACK_SIGNING)
            assert review.handler(event, ctx)["statusCode"] == 200

        run("review", do_review, rec)
        run("precision", lambda: precision.handler({}, ctx), rec)
        now = (T0 + timedelta(days=3)).isoformat()
        run("drift", lambda: drift.handler({"time": now}, ctx), rec)
        run("audit", lambda: audit.handler({"time": "2026-04-01T04:27:00Z"}, ctx), rec)

        writebacks = sqs.receive_message(QueueUrl=writeback_url, MaxNumberOfMessages=10)["Messages"]

        def do_writeback() -> None:
            assert writebacks
            writeback.handler(lambda_sqs_event(writebacks, writeback_url), ctx)

        run("writeback", do_writeback, rec)

        # ingest again: a helpdesk's deletions (Zendesk event webhook), carried out before the reply.
        # An audit row of that ticket parked on the audit queue: the erasure sweeps it off.
        sqs.send_message(
            QueueUrl=audit_url, MessageBody=json.dumps({"ticket_id": "zendesk:4521", "message_id": "38291045513"})
        )

        def do_deletions() -> None:
            for kind, detail, change in (  # the Zendesk webhook's ticket 4521 (two comments) and its requester
                ("ticket.comment_redacted", {"id": "4521"}, {"comment": {"id": "38291045513"}}),
                ("ticket.soft_deleted", {"id": "4521"}, {}),
                ("user.deleted", {"id": "381234567890", "role": "end-user"}, {}),
            ):
                body = json.dumps({"type": f"zen:event-type:{kind}", "detail": detail, "event": change}).encode()
                stamp = datetime.now(UTC).isoformat()
                event = api_event(body.decode(), path="/v1/webhooks/zendesk", path_parameters={"platform": "zendesk"})
                event["headers"] = {
                    zendesk.SIGNATURE_HEADER: zendesk_sign(ZENDESK_SIGNING, stamp, body),
                    zendesk.TIMESTAMP_HEADER: stamp,
                }
                assert ingest.handler(event, ctx)["statusCode"] == 200

        run("ingest", do_deletions, rec)
    return found


def _iam_actions(recorder: Recorder) -> set[str]:
    actions: set[str] = set()
    for call in recorder.calls:
        if call.action == "dynamodb:TransactWriteItems":
            actions |= {TRANSACT_ACTION[op] for item in call.params["TransactItems"] for op in item}
        else:
            actions.add(IAM_ACTION.get(call.action, call.action))
    return actions


def _role_actions(template: dict[str, Any], prefix: str) -> set[str]:
    roles = [
        k
        for k, v in template["Resources"].items()
        if v["Type"] == "AWS::IAM::Role"
        and k.startswith(prefix)
        and "Role" in k
        and not k.startswith(prefix + "Review")
        and (prefix != "Score" or "Writeback" not in k)
    ]
    assert len(roles) == 1, (prefix, roles)
    actions: set[str] = set()
    for resource in template["Resources"].values():
        if resource["Type"] != "AWS::IAM::Policy":
            continue
        if {"Ref": roles[0]} not in resource["Properties"].get("Roles", []):
            continue
        for statement in resource["Properties"]["PolicyDocument"]["Statement"]:
            if statement.get("Effect", "Allow") == "Allow":
                listed = statement["Action"]
                actions |= {listed} if isinstance(listed, str) else set(listed)
    return actions


def _expected_extra(function: str, allowed: set[str]) -> set[str]:
    extra = RUNTIME | {a for a in allowed if a.startswith("kms:")}
    if function in WITH_ESM:
        extra |= ESM
    return extra


@pytest.mark.parametrize("function", sorted(ROLES))
def test_policy_allows_exactly_what_the_code_calls(
    recorded: dict[str, set[str]], template: dict[str, Any], function: str
) -> None:
    allowed = _role_actions(template, ROLES[function])
    called = recorded[function]
    if "comprehend:BatchDetectSentiment" not in allowed:  # SCORER=onnx in this stage: Comprehend is never called
        called = called - {"comprehend:BatchDetectSentiment"}
    missing = called - allowed
    unused = allowed - called - _expected_extra(function, allowed)
    assert not missing, f"{function}: the code calls {sorted(missing)}, the policy does not allow it"
    assert not unused, f"{function}: the policy allows {sorted(unused)}, the code never calls it"


def test_every_function_was_exercised(recorded: dict[str, set[str]]) -> None:
    assert set(recorded) == set(ROLES)
    assert all(recorded[name] for name in ROLES), {k: sorted(v) for k, v in recorded.items()}
    print(json.dumps({k: sorted(v) for k, v in sorted(recorded.items())}, indent=1))


def test_query_role_erases_only_ticket_partitions_and_writes_only_receipts(template: dict[str, Any]) -> None:
    """Erasure's writes on the read/admin function are scoped by partition key prefix: a leaked query key cannot
    overwrite scores or delete delivery claims, only erase tickets (what the route is for) and record receipts."""
    role = next(
        k
        for k, v in template["Resources"].items()
        if v["Type"] == "AWS::IAM::Role" and k.startswith("Query") and "Role" in k
    )
    writes: dict[str, Any] = {}
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::IAM::Policy" and {"Ref": role} in resource["Properties"].get("Roles", []):
            for statement in resource["Properties"]["PolicyDocument"]["Statement"]:
                for action in [statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"]:
                    if action in {
                        "dynamodb:DeleteItem",
                        "dynamodb:PutItem",
                        "dynamodb:UpdateItem",
                        "dynamodb:BatchWriteItem",
                    }:
                        writes[action] = statement.get("Condition")
    assert set(writes) == {"dynamodb:DeleteItem", "dynamodb:PutItem"}
    assert writes["dynamodb:DeleteItem"] == {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["TICKET#*"]}}
    assert writes["dynamodb:PutItem"] == {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["ERASURE#*"]}}


def test_ingest_role_touches_the_table_only_to_erase(template: dict[str, Any]) -> None:
    """The public ingest function carries out helpdesk deletions: every table action it holds is scoped by key
    prefix (ticket partitions, receipts, the requester index), so it can neither read scores elsewhere nor write
    anything but a receipt or a restated ticket."""
    role = next(
        k
        for k, v in template["Resources"].items()
        if v["Type"] == "AWS::IAM::Role" and k.startswith("Ingest") and "Role" in k
    )
    scoped: dict[str, list[Any]] = {}
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::IAM::Policy" and {"Ref": role} in resource["Properties"].get("Roles", []):
            for statement in resource["Properties"]["PolicyDocument"]["Statement"]:
                actions = [statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"]
                for action in (a for a in actions if a.startswith("dynamodb:")):
                    scoped.setdefault(action, []).append(statement.get("Condition"))

    def prefixes(action: str) -> set[str]:
        return {c["ForAllValues:StringLike"]["dynamodb:LeadingKeys"][0] for c in scoped[action]}

    assert all(all(c is not None for c in conditions) for conditions in scoped.values()), scoped
    assert prefixes("dynamodb:DeleteItem") == prefixes("dynamodb:UpdateItem") == {"TICKET#*"}
    assert prefixes("dynamodb:GetItem") == {"TICKET#*"}
    assert prefixes("dynamodb:PutItem") == {"ERASURE#*"}
    assert prefixes("dynamodb:Query") == {"TICKET#*", "REQ#*"}
