"""ticket-sentiment: sentiment triage for helpdesk tickets."""

__version__ = "0.1.0"
