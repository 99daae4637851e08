"""Following docs/writeback.md and docs/helpdesks.md works: each documented secret loads into the model that reads
it, and the inbound and write-back secrets do not accept each other's keys (one secret each, issue #16)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from pydantic import BaseModel
from ticket_sentiment.helpdesks.secrets import FreshdeskSecret, IntercomSecret, SalesforceSecret, ZendeskSecret
from ticket_sentiment.writeback.models import CredentialsError, load_credentials

DOCS = Path(__file__).resolve().parents[2] / "docs"
INBOUND: dict[str, type[BaseModel]] = {
    "zendesk": ZendeskSecret,
    "freshdesk": FreshdeskSecret,
    "intercom": IntercomSecret,
    "salesforce": SalesforceSecret,
}


def writeback_examples() -> dict[str, str]:
    """The `// <prefix>/writeback/<platform>` blocks of docs/writeback.md, their // comments stripped."""
    text = (DOCS / "writeback.md").read_text()
    found: dict[str, str] = {}
    for platform, block in re.findall(r"// <prefix>/writeback/(\w+)\n(.*?)(?=\n\n|\n```)", text, re.S):
        found[platform] = re.sub(r"\s+//[^\n]*", "", block)
    return found


def inbound_examples() -> dict[str, dict[str, object]]:
    """The JSON block after each "Secret `<prefix>/helpdesk/<platform>`" step of docs/helpdesks.md."""
    text = (DOCS / "helpdesks.md").read_text()
    return {
        platform: json.loads(block)
        for platform, block in re.findall(r"Secret `<prefix>/helpdesk/(\w+)`.*?```json\n(.*?)\n```", text, re.S)
    }


def test_every_writeback_example_loads_as_credentials() -> None:
    examples = writeback_examples()
    assert set(examples) == set(INBOUND)
    for platform, block in examples.items():
        load_credentials(platform, block)


@pytest.mark.parametrize("platform", sorted(INBOUND))
def test_inbound_examples_use_only_the_inbound_models_keys(platform: str) -> None:
    documented = inbound_examples()[platform]
    assert set(documented) <= set(INBOUND[platform].model_fields), platform


@pytest.mark.parametrize("platform", sorted(INBOUND))
def test_an_inbound_key_in_the_writeback_secret_is_refused_naming_it(platform: str) -> None:
    inbound_key = next(
        k
        for k in inbound_examples()[platform]
        if k not in {"integration_user_id", "integration_admin_id", "header", "allow_basic_auth"}
    )
    credentials = json.loads(writeback_examples()[platform])
    assert inbound_key not in credentials
    merged = {**credentials, inbound_key: "x" * 20}
    with pytest.raises(CredentialsError, match=inbound_key):
        load_credentials(platform, json.dumps(merged))
