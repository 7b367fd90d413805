"""The Slack edge: the Bolt app (`app`), the one error boundary (`boundary`), listeners by area
(`handlers/`), Block Kit builders (`blocks/`), what the bot posts on its own (`notices/`), the
publisher everything is sent through, and the people who use the bot."""
