"""The daily digest: what is due in a linked channel, grouped and totalled, and when it goes out.

`compute` turns a company's outstanding bills and the channel's cases into a `Digest` value (pure);
`schedule` says when a subscription's digest is due (pure time arithmetic); `store` keeps
subscriptions and claims each day's run exactly once; `service` reads what `compute` needs (one
bills read per company, shared by its channels); `terminal` prints a digest for `billpay digest
--dry-run` (`billpay.runtime.digest_dry_run` wires it); `words` holds the phrases and text bars
both renderings share. Nothing here calls Slack: `billpay.slack.blocks.digest` renders the message
and the Slack edge posts it.
"""
