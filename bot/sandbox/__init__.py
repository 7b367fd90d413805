"""The sandbox: an in-process fake of Codat's Sync for Payables API."""
