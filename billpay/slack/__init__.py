"""The Slack edge: the Bolt app, the error boundary, listeners by area, Block Kit builders, the
publisher and people."""
