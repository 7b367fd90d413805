"""Contract tests: the official client of the payables API against the sandbox."""
