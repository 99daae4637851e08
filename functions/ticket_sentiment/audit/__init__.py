"""Monthly audit: a stratified sample of scored messages for human labels, and the labels' way back to the model."""

from .models import EXPORT_COLUMNS, LABELLED_COLUMNS, AuditRow, AuditSample, StratumReport
from .sampler import DEFAULT_SAMPLE_SIZE, allocate, draw_sample, previous_month

__all__ = [
    "DEFAULT_SAMPLE_SIZE",
    "EXPORT_COLUMNS",
    "LABELLED_COLUMNS",
    "AuditRow",
    "AuditSample",
    "StratumReport",
    "allocate",
    "draw_sample",
    "previous_month",
]
