"""Reading back what the handlers' Powertools metrics printed: CloudWatch's embedded metric format (EMF) lines
in captured stdout."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any


def emf_metrics(out: str) -> Iterator[tuple[str, Any]]:
    """Each metric of each EMF line in `out`, in order: its name and value (a list where one flush holds several)."""
    for line in out.splitlines():
        if line.startswith("{") and "_aws" in line:
            blob = json.loads(line)
            for directive in blob["_aws"]["CloudWatchMetrics"]:
                for metric in directive["Metrics"]:
                    yield metric["Name"], blob[metric["Name"]]


def emf_values(out: str) -> dict[str, Any]:
    """Each metric's last emitted value (the first of a flush's list)."""
    return {name: value[0] if isinstance(value, list) else value for name, value in emf_metrics(out)}
