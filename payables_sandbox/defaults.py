"""The sandbox's defaults that the bot's settings need, importable without the sandbox's web app."""

from __future__ import annotations

DEFAULT_API_KEY = "billpay-sandbox"

# The signing secret of the sandbox's webhook endpoint when none is configured (demo only:
# the base64 of a fixed phrase, in Svix's `whsec_` form).
DEFAULT_WEBHOOK_SECRET = "whsec_YmlsbHBheS1zYW5kYm94LXdlYmhvb2tzLWRlbW8="  # noqa: S105
