"""The payables side of the bot: the client for Codat's Sync for Payables API and its helpers."""
