"""A channel linked to the demo company, built once and copied per test.

Linking a channel reads the company from the payables sandbox and fills the mirror with its
bills, suppliers and options; doing that for every test of the Slack handlers was most of their
set-up. `link` does it as a person does (`/billpay connect`, the mirror's first fill), and
`build_linked` does it once per distinct sandbox configuration and bot settings, on databases
`testkit.databases.TestDatabases.world_copies` then copies for each test. What lives outside the
databases travels in `Linked`: what Slack holds and recorded, the payables requests the bot
made, and the sandbox's count of calls against its daily quota. `resume` puts it into the
running bot of a test that starts from the copies, so the test sees what it would have seen
after linking itself.
"""

from __future__ import annotations

import copy
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx

from billpay.payables.budget import CallBudget
from billpay.store.db import Database
from payables_sandbox.app import Sandbox, SandboxConfig
from payables_sandbox.quota import Quota
from slack_playground.webapi.state import SavedState
from testkit.bot import BOT_TOKEN, Bot, in_process_bot, settle_listeners
from testkit.slack import fake_slack_session
from testkit.world import ANA, CONNECT_DEMO


@dataclass(frozen=True)
class Linked:
    """What a linked world holds outside its databases."""

    slack: SavedState
    payables_requests: list[httpx.Request]
    quota: Quota
    budget: CallBudget


async def link(bot: Bot) -> None:
    """Link the channel to the demo company as a person does, and wait for the mirror's first
    fill."""
    await bot.command("/billpay", CONNECT_DEMO, user=ANA)
    await bot.slack.wait_for_responses(count=1)
    await bot.services.mirror.settled()


def build_linked(
    config: SandboxConfig, settings: dict[str, Any]
) -> Callable[[str, str], Awaitable[Linked]]:
    """A build for `world_copies`: the bot with `settings` links the channel, against the
    sandbox under `config` (its database already seeded)."""

    async def build(sandbox_url: str, bot_url: str) -> Linked:
        sandbox = Sandbox(config.model_copy(update={"database_url": sandbox_url, "reset": False}))
        db = Database(bot_url)
        try:
            await sandbox.start()
            async with (
                fake_slack_session(bot_token=BOT_TOKEN) as slack,
                in_process_bot(sandbox, db, slack, **settings) as bot,
            ):
                await link(bot)
            return Linked(
                slack=slack.saved(),
                payables_requests=list(bot.payables_transport.requests),
                quota=copy.deepcopy(sandbox.quota),
                budget=_counts_of(bot.services.budget),
            )
        finally:
            await db.dispose()
            await sandbox.stop()

    return build


def _counts_of(budget: CallBudget) -> CallBudget:
    """A budget holding only what `budget` counted (the calls of the day, what the API said
    is left), for `resume` to give another."""
    counts = CallBudget(companies=budget.companies)
    counts._state = copy.deepcopy(budget._state)
    return counts


async def resume(bot: Bot, linked: Linked) -> None:
    """Give a bot started on a linked world's copies, before its first request, what the world
    holds outside them: what the process that linked keeps in memory too.

    Linking left Bolt's `auth.test` and the linker's `users.info` in the bot's memory; a
    `/billpay` (its help, which changes nothing) leaves the same, and what Slack recorded of it
    is then replaced by the world's record."""
    before = len(bot.slack.responses)
    await bot.command("/billpay", user=ANA)
    await bot.slack.wait_for_responses(count=before + 1)
    await settle_listeners()
    bot.slack.restore(linked.slack)
    bot.payables_transport.requests[:0] = linked.payables_requests
    bot.sandbox.quota = copy.deepcopy(linked.quota)
    bot.services.budget.companies = linked.budget.companies
    bot.services.budget._state = copy.deepcopy(linked.budget._state)


def linked_key(sandbox: dict[str, Any], settings: dict[str, Any]) -> str | None:
    """What tells linked worlds apart: the sandbox's configuration and the bot's settings a
    test asks for. None when the world cannot be shared: injected faults (their course is the
    test's own) or a value whose text does not say what it is."""
    if "faults" in sandbox:
        return None
    key = repr((sorted(sandbox.items()), sorted(settings.items())))
    return None if " at 0x" in key else key
