"""Write-back: the score, label and tags written onto the helpdesk ticket through each platform's REST API.

`policy` decides whether and what to write, `models` holds the queued request and the credentials, `clients`
one writer per platform, `transport` the HTTP with retries and rate limits, `consumer` the SQS batch logic.
"""

from .clients import FreshdeskWriter, IntercomWriter, SalesforceWriter, ZendeskWriter, build_writer
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
    WritebackRequest,
    ZendeskCredentials,
    load_credentials,
)
from .policy import is_own_update, tags_for, writeback_request
from .transport import RetrySettings, WritebackError

__all__ = [
    "LABEL_TAGS",
    "MARKER_TAG",
    "Credentials",
    "CredentialsError",
    "FreshdeskCredentials",
    "FreshdeskWriter",
    "IntercomCredentials",
    "IntercomWriter",
    "Platform",
    "RetrySettings",
    "SalesforceCredentials",
    "SalesforceWriter",
    "WritebackError",
    "WritebackFailure",
    "WritebackRequest",
    "ZendeskCredentials",
    "ZendeskWriter",
    "build_writer",
    "is_own_update",
    "load_credentials",
    "process_writebacks",
    "tags_for",
    "writeback_request",
]
