"""Redaction for log records: whatever slips into a message, an extra field or a traceback is masked.

- `PiiRedactingFormatter`: a Powertools `LambdaPowertoolsFormatter` that redacts every field of the structured
  record right before it is serialised (message, extra keys, appended keys, exception, stack trace).
      Logger(service="ticket-sentiment", logger_formatter=PiiRedactingFormatter())
- `PiiRedactingFilter`: a plain `logging.Filter` for stdlib handlers; it rewrites the record in place.

(The module is not called logging.py so that running a file in this folder never shadows the stdlib.)
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

from .engine import redact
from .models import RedactionConfig

if TYPE_CHECKING:
    from aws_lambda_powertools.logging.types import LogRecord

# Attributes every LogRecord has; anything else on a record came in through `extra=`.
_RECORD_ATTRS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}
# Fields Powertools fills in itself (never user data); everything else is redacted.
_POWERTOOLS_FIELDS = frozenset(
    {
        "level",
        "location",
        "timestamp",
        "service",
        "sampling_rate",
        "cold_start",
        "function_name",
        "function_memory_size",
        "function_arn",
        "function_request_id",
        "xray_trace_id",
        "exception_name",
    }
)
_FAILED = "[log record withheld: redaction failed]"


def redact_value(value: Any, config: RedactionConfig | None = None, _depth: int = 0) -> Any:
    """Strings redacted; dicts, lists and tuples walked; long integers checked as digit strings."""
    if isinstance(value, str):
        return redact(value, config).text
    if value is None or isinstance(value, bool | float):
        return value
    if isinstance(value, int):
        if abs(value) < 1_000_000:
            return value
        text = str(value)
        redacted = redact(text, config).text
        return value if redacted == text else redacted  # a phone or card number logged as an int
    if _depth >= 8:
        return "[nested value withheld]"
    if isinstance(value, dict):
        return {k: redact_value(v, config, _depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [redact_value(v, config, _depth + 1) for v in value]
    return redact(str(value), config).text  # objects end up as str() in the log anyway


class PiiRedactingFilter(logging.Filter):
    """Redacts the formatted message, extra fields, exception text and stack info of each record."""

    def __init__(self, config: RedactionConfig | None = None, name: str = "") -> None:
        super().__init__(name)
        self.config = config
        self._formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            record.msg = redact(record.getMessage(), self.config).text
            record.args = None
            for key, value in list(vars(record).items()):
                if key not in _RECORD_ATTRS:
                    setattr(record, key, redact_value(value, self.config))
            if record.exc_info:
                # The formatted traceback, redacted, replaces the live exception (whose message may hold data).
                record.exc_text = redact(self._formatter.formatException(record.exc_info), self.config).text
                record.exc_info = None
            elif record.exc_text:
                record.exc_text = redact(record.exc_text, self.config).text
            if record.stack_info:
                record.stack_info = redact(record.stack_info, self.config).text
        except Exception:  # a record that cannot be redacted is withheld, never passed on raw
            record.msg, record.args, record.exc_info, record.exc_text = _FAILED, None, None, None
        return True


class PiiRedactingFormatter(LambdaPowertoolsFormatter):
    """Powertools' JSON formatter, with every user-supplied field redacted before serialisation."""

    def __init__(self, *args: Any, redaction_config: RedactionConfig | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.redaction_config = redaction_config

    def serialize(self, log: LogRecord) -> str:
        fields: dict[str, Any] = dict(log)
        try:
            safe = {
                key: value if key in _POWERTOOLS_FIELDS else redact_value(value, self.redaction_config)
                for key, value in fields.items()
            }
        except Exception:
            safe = {key: value for key, value in fields.items() if key in _POWERTOOLS_FIELDS} | {"message": _FAILED}
        return super().serialize(safe)
