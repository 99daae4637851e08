"""The ticket pipeline's domain: event models, escalation rules and the per-event flow, behind small ports."""
