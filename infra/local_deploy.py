"""Deploy a synthesised cloud assembly into a local AWS (moto's CloudFormation), the way `cdk deploy` does it:
bootstrap bucket and version parameter, assets zipped and uploaded, stack created, outputs read back.

The local pipeline and its tests run against the resources this creates, so the stack cannot drift from them.
"""

from __future__ import annotations

import contextlib
import io
import json
import time
import zipfile
from pathlib import Path
from typing import Any

from .layers import ARCHITECTURES, LAYER_PACKAGES, MODEL, REPO, RUNTIME, build_model, layer_dir

BOOTSTRAP_QUALIFIER = "hnb659fds"
BOOTSTRAP_VERSION = "30"


class DeployError(RuntimeError):
    pass


def zip_directory(path: Path) -> bytes:
    """The asset as cdk-assets packages it; stored, not deflated: a local deploy only needs the bytes there."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for file in sorted(p for p in path.rglob("*") if p.is_file()):
            archive.write(file, file.relative_to(path).as_posix())
    return buffer.getvalue()


def _resolve(value: str, account: str, region: str) -> str:
    return (
        value.replace("${AWS::AccountId}", account)
        .replace("${AWS::Region}", region)
        .replace("${AWS::Partition}", "aws")
    )


def bootstrap(session: Any, account: str, region: str) -> str:
    """What `cdk bootstrap` leaves behind that a deploy reads: the assets bucket and the version parameter."""
    bucket = f"cdk-{BOOTSTRAP_QUALIFIER}-assets-{account}-{region}"
    s3 = session.client("s3")
    kwargs = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
    with contextlib.suppress(s3.exceptions.BucketAlreadyOwnedByYou):
        s3.create_bucket(Bucket=bucket, **kwargs)
    session.client("ssm").put_parameter(
        Name=f"/cdk-bootstrap/{BOOTSTRAP_QUALIFIER}/version", Value=BOOTSTRAP_VERSION, Type="String", Overwrite=True
    )
    return bucket


def publish_assets(session: Any, assembly: Path, stack_name: str, account: str, region: str) -> int:
    manifest = json.loads((assembly / f"{stack_name}.assets.json").read_text())
    s3 = session.client("s3")
    count = 0
    for asset in manifest.get("files", {}).values():
        source = assembly / asset["source"]["path"]
        body = zip_directory(source) if asset["source"].get("packaging") == "zip" else source.read_bytes()
        for destination in asset["destinations"].values():
            s3.put_object(
                Bucket=_resolve(destination["bucketName"], account, region),
                Key=_resolve(destination["objectKey"], account, region),
                Body=body,
            )
        count += 1
    return count


def adapt_for_moto(template: dict[str, Any]) -> list[str]:
    """Work around gaps in moto's CloudFormation, in place; returns what was changed, so nothing is silent.

    Representation differences are adapted, and Lambda triggers are switched off: moto would run the functions in
    Docker, which a local run has not got; the local runtime polls the queue and taps the topic instead.
    """
    changes: list[str] = []
    resources = template.get("Resources", {})
    for logical_id, resource in list(resources.items()):
        props = resource.get("Properties", {})
        if resource["Type"] == "AWS::Lambda::EventSourceMapping":
            props["Enabled"] = False
            changes.append(f"{logical_id}: event source mapping disabled (the local runtime polls the queue)")
        if resource["Type"] == "AWS::SNS::Subscription" and props.get("Protocol") == "lambda":
            del resources[logical_id]
            changes.append(f"{logical_id}: Lambda subscription left out (the local runtime taps the topic)")
        if resource["Type"] == "AWS::KMS::Key" and props.get("Tags"):
            # moto passes CloudFormation's Key/Value tags to the KMS API model, which expects TagKey/TagValue.
            props["Tags"] = [{"TagKey": t["Key"], "TagValue": t["Value"]} for t in props["Tags"]]
            changes.append(f"{logical_id}: KMS tags as TagKey/TagValue")
        if resource["Type"] == "AWS::SSM::Parameter" and isinstance(props.get("Tags"), dict):
            # CloudFormation gives SSM parameter tags as a map; moto's model iterates a Key/Value list.
            props["Tags"] = [{"Key": k, "Value": v} for k, v in props["Tags"].items()]
            changes.append(f"{logical_id}: SSM tags as a Key/Value list")
    return changes


# Resource types moto's CloudFormation skips (with a warning) that the pipeline needs: the deployer creates them
# through their own API first, with the template's properties, and points the template's references at them.
# (Their KMS key is not applied locally: moto does not encrypt anything anyway.)
def precreate_unsupported(session: Any, template: dict[str, Any]) -> dict[str, str]:
    arns: dict[str, str] = {}
    secrets = session.client("secretsmanager")
    resources = template.get("Resources", {})
    for logical_id, resource in list(resources.items()):
        if resource["Type"] != "AWS::SecretsManager::Secret":
            continue
        props = resource.get("Properties", {})
        arns[logical_id] = secrets.create_secret(
            Name=props["Name"], Description=props.get("Description", ""), SecretString=props.get("SecretString", "{}")
        )["ARN"]
        del resources[logical_id]
    template["Resources"] = _replace_refs(resources, arns)
    template["Outputs"] = _replace_refs(template.get("Outputs", {}), arns)
    return arns


def defer_alarms(template: dict[str, Any], account: str, region: str) -> dict[str, dict[str, Any]]:
    """moto's CloudFormation has no AWS::CloudWatch::Alarm: take the alarms out (created after the stack, see
    `create_alarms`) and give their references the ARN their explicit names determine."""
    resources = template.get("Resources", {})
    alarms = {k: v for k, v in resources.items() if v["Type"] == "AWS::CloudWatch::Alarm"}
    arns = {}
    for logical_id, alarm in alarms.items():
        name = alarm["Properties"].get("AlarmName")
        if not isinstance(name, str):
            raise DeployError(f"{logical_id}: local deploy needs alarms with explicit names")
        arns[logical_id] = f"arn:aws:cloudwatch:{region}:{account}:alarm:{name}"
        del resources[logical_id]
    template["Resources"] = _replace_getatt_arn(resources, arns)
    template["Outputs"] = _replace_getatt_arn(template.get("Outputs", {}), arns)
    return alarms


def create_alarms(session: Any, alarms: dict[str, dict[str, Any]], physical_ids: dict[str, str]) -> None:
    cloudwatch = session.client("cloudwatch")
    for alarm in alarms.values():
        props = _resolve_intrinsics(alarm["Properties"], physical_ids)
        props["Tags"] = [t for t in props.get("Tags", []) if isinstance(t, dict)]
        cloudwatch.put_metric_alarm(**props)


def apply_time_to_live(session: Any, template: dict[str, Any], physical_ids: dict[str, str]) -> None:
    """moto's CloudFormation creates tables without their TimeToLiveSpecification: apply it through the API."""
    dynamodb = session.client("dynamodb")
    for logical_id, resource in template.get("Resources", {}).items():
        spec = resource.get("Properties", {}).get("TimeToLiveSpecification")
        if resource["Type"] == "AWS::DynamoDB::Table" and spec:
            dynamodb.update_time_to_live(TableName=physical_ids[logical_id], TimeToLiveSpecification=spec)


def _resolve_intrinsics(node: Any, physical_ids: dict[str, str]) -> Any:
    """Ref and the GetAtt forms alarms use, against the created stack's physical ids."""
    if isinstance(node, dict):
        if set(node) == {"Ref"}:
            return physical_ids[node["Ref"]]
        if set(node) == {"Fn::GetAtt"}:
            logical_id, attribute = node["Fn::GetAtt"]
            physical = physical_ids[logical_id]
            if attribute == "QueueName":
                return physical.rstrip("/").rsplit("/", 1)[-1]
            if attribute == "Arn" and physical.startswith("arn:"):
                return physical
            raise DeployError(f"cannot resolve {logical_id}.{attribute} locally")
        return {k: _resolve_intrinsics(v, physical_ids) for k, v in node.items()}
    if isinstance(node, list):
        return [_resolve_intrinsics(v, physical_ids) for v in node]
    return node


def _replace_getatt_arn(node: Any, arns: dict[str, str]) -> Any:
    if isinstance(node, dict):
        getatt: list[str] = node.get("Fn::GetAtt") or ["", ""]
        if set(node) == {"Fn::GetAtt"} and getatt[0] in arns and getatt[1] == "Arn":
            return arns[getatt[0]]
        return {k: _replace_getatt_arn(v, arns) for k, v in node.items()}
    if isinstance(node, list):
        return [_replace_getatt_arn(v, arns) for v in node]
    return node


def _replace_refs(node: Any, values: dict[str, str]) -> Any:
    if isinstance(node, dict):
        if set(node) == {"Ref"} and node["Ref"] in values:
            return values[node["Ref"]]
        out = {k: _replace_refs(v, values) for k, v in node.items()}
        if isinstance(out.get("DependsOn"), list):
            out["DependsOn"] = [d for d in out["DependsOn"] if d not in values]
        elif out.get("DependsOn") in values:
            del out["DependsOn"]
        return out
    if isinstance(node, list):
        return [_replace_refs(v, values) for v in node]
    return node


def deploy(session: Any, assembly: Path, stack_name: str, *, timeout_s: float = 300) -> dict[str, str]:
    """Create (or replace) the stack from the assembly; returns its outputs. Raises DeployError with the
    failed resources' reasons when it does not reach CREATE_COMPLETE."""
    account = session.client("sts").get_caller_identity()["Account"]
    region = session.region_name
    bootstrap(session, account, region)
    publish_assets(session, assembly, stack_name, account, region)
    cfn = session.client("cloudformation")
    template = json.loads((assembly / f"{stack_name}.template.json").read_text())
    adapt_for_moto(template)
    precreate_unsupported(session, template)
    alarms = defer_alarms(template, account, region)
    cfn.create_stack(
        StackName=stack_name,
        TemplateBody=json.dumps(template),
        Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"],
    )
    deadline = time.monotonic() + timeout_s
    while True:
        stack = cfn.describe_stacks(StackName=stack_name)["Stacks"][0]
        status = stack["StackStatus"]
        if status == "CREATE_COMPLETE":
            resources = cfn.list_stack_resources(StackName=stack_name)["StackResourceSummaries"]
            physical_ids = {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in resources}
            create_alarms(session, alarms, physical_ids)
            apply_time_to_live(session, template, physical_ids)
            return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
        if not status.endswith("IN_PROGRESS") or time.monotonic() > deadline:
            events = cfn.describe_stack_events(StackName=stack_name)["StackEvents"]
            failed = [
                f"{e['LogicalResourceId']}: {e.get('ResourceStatusReason', '')}"
                for e in events
                if e.get("ResourceStatus", "").endswith("FAILED")
            ]
            raise DeployError(f"{stack_name} ended {status}: {'; '.join(failed) or 'no reason given'}")
        time.sleep(0.2)


LOCAL_STAGE = "local"


def local_layers(out: Path) -> Path:
    """Layers for a local deploy: the real model layer, and dependency layers that only say what they stand for.

    moto runs no Lambda code, so the 120 MB of Linux wheels would only be zipped and stored; `make layers`
    builds the real ones for `cdk deploy`, and the stack is otherwise identical.
    """
    for layer in (RUNTIME, *LAYER_PACKAGES):
        for architecture in ARCHITECTURES:
            site = layer_dir(out, layer, architecture) / "python"
            site.mkdir(parents=True, exist_ok=True)
            (site / "LOCAL_PLACEHOLDER.txt").write_text(
                f"local deploy: moto runs no Lambda code; see `make layers` ({layer} layer)\n"
            )
    build_model(layer_dir(out, MODEL, ARCHITECTURES[0]))
    return out


def synth_local(outdir: Path, stage: str = LOCAL_STAGE, overrides: dict[str, Any] | None = None) -> Path:
    """Synthesise the stack exactly as `cdk synth` does (cdk.json context, cdk-nag), with local layers;
    `overrides` are merged into the `ticket-sentiment` settings (e.g. to switch write-back on)."""
    from aws_cdk import App

    from .app import build_app
    from .config import CONTEXT_KEY

    context = dict(json.loads((REPO / "cdk.json").read_text())["context"])
    context["stage"] = stage
    context[CONTEXT_KEY] = {**context.get(CONTEXT_KEY, {}), **(overrides or {})}
    app = App(outdir=str(outdir), context=context)
    build_app(app, layers_dir=local_layers(outdir.parent / "local-layers"))
    app.synth()
    return outdir


def stack_name(stage: str = LOCAL_STAGE) -> str:
    return f"TicketSentiment-{stage}"
