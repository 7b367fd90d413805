"""Block Kit builders: pure functions from domain objects to Block Kit dicts, with no I/O."""
