"""SSM Parameter Store: the escalation rules, cached for five minutes (Powertools parameters)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from ...pipeline.rules import RuleConfig, rules_from
from ...settings import ESCALATION_RULES, ESCALATION_RULES_PARAM


def load_rules(env: Mapping[str, str] | None = None, ssm: Any | None = None) -> RuleConfig:
    """$ESCALATION_RULES (JSON), else the SSM parameter named by $ESCALATION_RULES_PARAM, else DEFAULT_RULES."""
    env = dict(os.environ) if env is None else env
    name = env.get(ESCALATION_RULES_PARAM)
    return rules_from(env.get(ESCALATION_RULES), (lambda: parameter(name, ssm)) if name else None)


def parameter(name: str, ssm: Any | None = None, max_age: int = 300) -> str:
    from aws_lambda_powertools.utilities.parameters import SSMProvider

    provider = SSMProvider(boto3_client=ssm) if ssm is not None else SSMProvider()
    return str(provider.get(name, max_age=max_age))
