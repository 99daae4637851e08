"""Redaction tools: the PII corpus evaluation (`python -m ticket_sentiment_tools.redaction.evaluate`)."""
