"""The bot behind the playground, in the test's own process: what `billpay run --playground`
serves (migrated, its services open, its `Host` in playground mode), for a test that drives
`with_playground` and then the page."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from billpay.config import Settings
from billpay.runtime.embedded import Listening
from billpay.runtime.host import Host
from billpay.runtime.startup import open_services
from billpay.services import Services
from billpay.store.migrate import upgrade


@contextlib.asynccontextmanager
async def hosted_playground(settings: Settings, listening: Listening) -> AsyncIterator[Services]:
    """Serve the bot with `settings` until the block ends; enters once the page listens
    (`listening` told its address), with the bot's services."""
    await asyncio.to_thread(upgrade, settings.database_url)
    services = await open_services(settings)
    listens = asyncio.Event()

    async def on_listening(base_url: str) -> None:
        await listening(base_url)
        listens.set()

    host = Host(
        settings,
        services,
        mode="playground",
        announce=lambda text: None,
        on_listening=on_listening,
    )
    running = asyncio.create_task(host.run())
    try:
        waiting = asyncio.create_task(listens.wait())
        await asyncio.wait({running, waiting}, return_when=asyncio.FIRST_COMPLETED)
        assert listens.is_set(), running.result()
        yield services
    finally:
        host.stop()
        await running
