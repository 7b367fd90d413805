"""Bills: each bill's case in the bot, the channel links and policies, listings, the audit
trail, possible duplicates and questions."""
