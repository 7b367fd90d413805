"""The payables sandbox: an embedded stand-in for Codat's Sync for Payables API (FastAPI on its own
SQLAlchemy database). It imports nothing of the product, so it cannot share the product's mistakes.
"""
