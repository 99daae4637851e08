"""Escalation rules from an SSM parameter (moto)."""

from __future__ import annotations

import json

from ticket_sentiment.adapters.aws.ssm import load_rules
from ticket_sentiment_tools.local_stack import LocalStack


def test_rules_from_ssm(stack: LocalStack) -> None:
    ssm = stack.client("ssm")
    name = f"/{stack.prefix}/escalation-rules"
    config = {"shadow": True, "cooldown_minutes": 30, "rules": [{"name": "ssm-rule", "max_score": -0.6}]}
    ssm.put_parameter(Name=name, Value=json.dumps(config), Type="String")
    rules = load_rules({"ESCALATION_RULES_PARAM": name}, ssm)
    assert rules.shadow
    assert rules.cooldown_minutes == 30
    assert [r.name for r in rules.rules] == ["ssm-rule"]
    # The env variable wins over the parameter.
    assert load_rules({"ESCALATION_RULES": json.dumps({"rules": []}), "ESCALATION_RULES_PARAM": name}, ssm).rules == ()
