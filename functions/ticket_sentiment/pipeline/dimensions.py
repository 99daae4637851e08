"""Metric dimensions taken from events: low-cardinality, and never personal data (redaction decides)."""

from __future__ import annotations

import re

from ..redaction import redact

_AREA = re.compile(r"^[a-z0-9][a-z0-9 _./&-]{0,39}$")


def area_dimension(product_area: str | None) -> str:
    """A product area safe to use as a metric dimension: short, plain, and free of anything redaction finds."""
    if not product_area:
        return "none"
    area = product_area.strip().lower()
    return area if _AREA.match(area) and redact(area).text == area else "other"
