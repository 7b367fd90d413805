"""Bill pay for Slack: the application core (settings, payables client, sandbox, workflow)."""
