"""Starting what the bot runs on: the payables backend its settings choose (Codat's API, or the
embedded sandbox when no Codat key is set) and the bot's services over its database, which the
caller has migrated (`billpay db upgrade`, or `billpay run` at start-up). With the embedded
sandbox, the bot checks the sandbox's webhooks with the secret the sandbox signs them with
(`PayablesBackend.webhook_secret`), unless CODAT_WEBHOOK_SECRET names one for both.
"""

from __future__ import annotations

from billpay.config import Settings
from billpay.payables.backend import PayablesBackend, codat_backend
from billpay.services import Services, build_services
from billpay.store.db import Database


async def open_backend(settings: Settings) -> PayablesBackend:
    """Start the configured backend and return a client for it."""
    if settings.uses_sandbox:
        # The sandbox (FastAPI, its own models) is loaded only when it is the backend.
        from billpay.runtime.embedded import sandbox_backend

        return await sandbox_backend(settings)
    return codat_backend(settings)


async def open_services(settings: Settings, backend: PayablesBackend | None = None) -> Services:
    """Start the payables backend (unless the caller did: `backend`) and the bot's database
    (already migrated by the caller); the services own both."""
    backend = backend or await open_backend(settings)
    if backend.webhook_secret is not None and settings.codat_webhook_secret is None:
        settings = settings.model_copy(update={"codat_webhook_secret": backend.webhook_secret})
    db = Database(settings.database_url)
    return build_services(settings, db=db, payables=backend.client, backend=backend)
