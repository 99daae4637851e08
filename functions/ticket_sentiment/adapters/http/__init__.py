"""HTTP adapters: one transport (retries, Retry-After, allowed hosts) under Slack and the helpdesk writers."""
