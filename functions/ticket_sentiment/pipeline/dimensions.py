"""Metric dimensions taken from events: low-cardinality, and never personal data.

A product area becomes a dimension only when it is one of a closed set (protection.metric_area): redaction
cannot be trusted to find every name in a free-text field, and a dimension is kept for fifteen months.
"""

from __future__ import annotations

from .protection import metric_area, metric_areas_from


def area_dimension(product_area: str | None, allowed: str | None = None) -> str:
    """A product area safe to use as a metric dimension: one of the closed set `allowed` (comma-separated, the
    scoring function's METRIC_PRODUCT_AREAS; else protection.DEFAULT_METRIC_AREAS), "none", or "other"."""
    return metric_area(product_area, metric_areas_from(allowed))
