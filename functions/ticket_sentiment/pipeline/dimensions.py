"""Metric dimensions taken from events: low-cardinality, and never personal data.

A product area becomes a dimension only when it is one of a closed set (protection.metric_area): redaction
cannot be trusted to find every name in a free-text field, and a dimension is kept for fifteen months.
"""

from __future__ import annotations

import re

from .protection import metric_area, metric_areas_from


def area_dimension(product_area: str | None, allowed: str | None = None) -> str:
    """A product area safe to use as a metric dimension: one of the closed set `allowed` (comma-separated, the
    scoring function's METRIC_PRODUCT_AREAS; else protection.DEFAULT_METRIC_AREAS), "none", or "other"."""
    return metric_area(product_area, metric_areas_from(allowed))


_VERSION = re.compile(r"^[A-Za-z0-9._+-]{1,64}$")


def model_version_dimension(version: str | None) -> str:
    """A model version as a metric dimension. The values are a closed set by construction: a result's version comes
    from the model_meta.json of a model layer the scoring function runs (the live one and the shadow one, at most
    two per deployment) or is Comprehend's fixed name, so each model release adds one value, which is exactly the
    change the dashboard marks. Anything else (a malformed meta file) becomes "other"."""
    return version if version is not None and _VERSION.fullmatch(version) else "other"
