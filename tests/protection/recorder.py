"""Records every AWS API call the process makes (any client, any session): service, operation, params, response.

Wraps botocore's BaseClient._make_api_call, so clients the handlers build themselves (boto3.client, Powertools'
providers, boto3.resource tables) are all seen. Used to search the traffic for personal data and to derive the
IAM actions each function's code needs.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from botocore.client import BaseClient


@dataclass(frozen=True)
class Call:
    service: str  # the IAM prefix: the signing name (dynamodb, sqs, sns, secretsmanager, ssm, comprehend)
    operation: str
    params: dict[str, Any]
    response: dict[str, Any] | None

    @property
    def action(self) -> str:
        return f"{self.service}:{self.operation}"


@dataclass
class Recorder:
    calls: list[Call] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def actions(self) -> set[str]:
        return {call.action for call in self.calls}

    def clear(self) -> None:
        with self.lock:
            self.calls.clear()


@contextmanager
def recording() -> Iterator[Recorder]:
    recorder = Recorder()
    original = BaseClient._make_api_call

    def make_api_call(self: BaseClient, operation_name: str, api_params: dict[str, Any]) -> Any:
        model = self.meta.service_model
        service = model.signing_name or model.endpoint_prefix
        response: dict[str, Any] | None = None
        try:
            response = original(self, operation_name, api_params)
            return response
        finally:
            with recorder.lock:
                recorder.calls.append(Call(str(service), operation_name, dict(api_params), response))

    BaseClient._make_api_call = make_api_call
    try:
        yield recorder
    finally:
        BaseClient._make_api_call = original
