"""Human review of escalations: Slack request signatures, interaction payloads, reviewed messages, precision.

Pure Python, no I/O: the handlers in handlers/review.py and handlers/precision.py do the talking.
(`review.message` imports the pipeline's Slack escaping, so it is not re-exported here: the pipeline's message
builder imports `review.models`, and this package must stay importable from it.)
"""

from .errors import BadReview, NotConfigured, ReviewError, ReviewTargetNotFound, SignatureError
from .models import VERDICT_LABELS, VERDICTS, Review, ReviewRequest, Verdict
from .precision import PrecisionReport, PrecisionWindow, precision_report

__all__ = [
    "VERDICTS",
    "VERDICT_LABELS",
    "BadReview",
    "NotConfigured",
    "PrecisionReport",
    "PrecisionWindow",
    "Review",
    "ReviewError",
    "ReviewRequest",
    "ReviewTargetNotFound",
    "SignatureError",
    "Verdict",
    "precision_report",
]
