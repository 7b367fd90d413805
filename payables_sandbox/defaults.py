"""The sandbox's defaults that the bot's settings need, importable without the sandbox's web app."""

from __future__ import annotations

DEFAULT_API_KEY = "billpay-sandbox"
