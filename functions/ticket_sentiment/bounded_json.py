"""JSON from callers, parsed with bounds: no integer longer than MAX_INT_DIGITS digits.

Python refuses to convert integers over 4,300 digits with a bare ValueError (CVE-2020-10735's limit), which the
stdlib json module lets escape from json.loads: a 5,000-digit number was an unauthenticated 500. No field of
ours needs more than a 64-bit id, so anything past 40 digits is refused early, as a ValueError naming the rule.
"""

from __future__ import annotations

import json
from typing import Any

MAX_INT_DIGITS = 40


class JsonInputError(ValueError):
    """Not JSON, nested too deep, or holding an integer past MAX_INT_DIGITS; the message never quotes input."""

    def reason(self, subject: str) -> str:
        """What to tell the caller: "<subject> is not valid JSON", and which bound it broke, if one."""
        return f"{subject} is not valid JSON" + (f": {self}" if isinstance(self, IntegerTooLongError) else "")


class IntegerTooLongError(JsonInputError):
    pass


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise IntegerTooLongError(f"an integer is longer than {MAX_INT_DIGITS} digits")
    return int(text)


def loads(data: str | bytes) -> Any:
    """json.loads with bounded integers; every failure is a JsonInputError (a ValueError)."""
    try:
        return json.loads(data, parse_int=_bounded_int)
    except JsonInputError:
        raise
    except (ValueError, RecursionError) as exc:  # JSONDecodeError, UnicodeDecodeError; RecursionError: too deep
        raise JsonInputError("not valid JSON") from exc
