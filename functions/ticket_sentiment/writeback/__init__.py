"""Write-back: the score, label and tags written onto the helpdesk ticket through each platform's REST API.

`policy` decides whether and what to write, `models` holds the queued request and the credentials, `consumer` the
SQS batch logic. The writers, one per platform, and their HTTP transport are adapters (adapters/http/).
"""

from .consumer import WritebackFailure, process_writebacks
from .models import (
    LABEL_TAGS,
    MARKER_TAG,
    Credentials,
    CredentialsError,
    FreshdeskCredentials,
    IntercomCredentials,
    Platform,
    SalesforceCredentials,
    WritebackError,
    WritebackRequest,
    ZendeskCredentials,
    load_credentials,
)
from .policy import is_own_update, tags_for, writeback_request

__all__ = [
    "LABEL_TAGS",
    "MARKER_TAG",
    "Credentials",
    "CredentialsError",
    "FreshdeskCredentials",
    "IntercomCredentials",
    "Platform",
    "SalesforceCredentials",
    "WritebackError",
    "WritebackFailure",
    "WritebackRequest",
    "ZendeskCredentials",
    "is_own_update",
    "load_credentials",
    "process_writebacks",
    "tags_for",
    "writeback_request",
]
