"""`local --serve` configures a test secret for every helpdesk and prints a signed curl per platform: run each
snippet with bash (openssl signs, curl posts) against the local runtime and see it accepted, and a tampered
secret refused; --secrets-out holds them keyed by platform with docs/helpdesks.md's field names."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from ticket_sentiment.adapters.aws.onnx_scorer import OnnxSentimentScorer
from ticket_sentiment_tools.local_helpdesks import PLATFORMS, signed_curl
from ticket_sentiment_tools.local_stack import LocalRuntime, LocalStack, configure_helpdesks

from .test_score_pipeline import RULES

pytestmark = pytest.mark.skipif(not (shutil.which("curl") and shutil.which("openssl")), reason="needs curl, openssl")
FIELDS = {
    "zendesk": {"signing_secret"},
    "freshdesk": {"token", "header", "allow_basic_auth"},
    "intercom": {"client_secret"},
    "salesforce": {"organization_id", "endpoint_token"},
    "generic": {"token", "header"},
}


def _run(snippet: str) -> str:
    done = subprocess.run(["bash", "-c", snippet], capture_output=True, text=True, timeout=60, check=True)
    return done.stdout.strip()


def test_every_helpdesk_can_be_tried_signed(stack: LocalStack, scorer: OnnxSentimentScorer, tmp_path: Path) -> None:
    stack.helpdesk_secret_prefix = f"{stack.prefix}/helpdesk/"
    for platform in PLATFORMS:
        stack.client("secretsmanager").create_secret(
            Name=f"{stack.helpdesk_secret_prefix}{platform}", SecretString="{}"
        )
    runtime = LocalRuntime(stack, scorer, RULES, "http://127.0.0.1:9/slack")
    try:
        out = tmp_path / "secrets.json"
        ingest_key = runtime.key("ingest")["x-api-key"]
        banner = configure_helpdesks(stack, runtime.url, out, ingest_key)
        saved = json.loads(out.read_text())
        assert {p: set(v) for p, v in saved.items()} == FIELDS
        for platform, secret in saved.items():
            snippet = signed_curl(platform, runtime.url, secret, ingest_key=ingest_key)
            assert f"# {platform}\nBODY=" in banner
            assert json.dumps(secret) in banner  # printed, ready to paste
            reply = _run(snippet)
            assert reply.endswith("HTTP 202") or (platform == "salesforce" and reply.endswith("HTTP 200")), reply
            tampered = dict(secret)
            for key in ("signing_secret", "client_secret", "token", "endpoint_token"):
                if key in tampered:
                    tampered[key] = "0" * 32
            refused = _run(signed_curl(platform, runtime.url, tampered, ingest_key=ingest_key))
            assert refused.endswith("HTTP 401"), (platform, refused)
        runtime.drain()
        assert runtime.processor.outcomes["scored"] >= len(PLATFORMS)
    finally:
        runtime.close()
