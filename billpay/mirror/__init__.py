"""A linked company's payables data kept in the bot's database and kept fresh; and the health of
its connection."""
