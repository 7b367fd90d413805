"""The Slack publisher: everything the bot posts or updates in Slack, whether a person clicked or
the bot acts on its own (a scheduled payment sent, a digest): `/bills` messages, cards updated in
place, the audit line in a card's thread, direct messages.

Listeners, the notices and webhooks' reactions all send through it. It renders with
`billpay.slack.blocks` (it is the Slack edge's way out, as `app.py` is its way in) and reaches
Slack through `client(team_id)`, the workspace's own client: the one bot token's with one
workspace, the workspace's installation's with many (`billpay.slack.installations`). What the
bot does on its own for a workspace that uninstalled the app is skipped, not attempted.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from billpay.bills.book import CaseBook
from billpay.bills.links import Links
from billpay.bills.listing import (
    BillFilter,
    Listed,
    page_count,
    summarise_cases,
)
from billpay.bills.messages import MessageRef, MessageStore, Shown
from billpay.bills.outstanding import OutstandingBills
from billpay.config import Settings
from billpay.core.domain import ConnectionPause, PaymentOutcome
from billpay.core.errors import NotLinked
from billpay.core.i18n import words
from billpay.invoices.service import Invoices
from billpay.mirror.connection import ConnectionChange, ConnectionHealth
from billpay.payables.models import Bill
from billpay.slack.blocks.bills.message import (
    ACCOUNTING_PLATFORM,
    bills_message,
    out_of_date_message,
)
from billpay.slack.blocks.connection import paused_announcement, resumed_announcement
from billpay.slack.blocks.outcomes import payment_line
from billpay.slack.homes import HomeTabs
from billpay.slack.people import Person
from billpay.store.claims import Claimant
from billpay.store.db import Database
from billpay.store.models import CompanyLink

log = logging.getLogger(__name__)
MAX_RENDERS = 5
# A change of one bill updates at most this many messages showing it (the clicked one and the
# newest); older ones are retired as out of date, and at most `MAX_RETIRED_UPDATES` of them
# lose their buttons at once. chat.update is rate limited per workspace (about 50 a minute).
MAX_LIVE_MESSAGES = 3
MAX_RETIRED_UPDATES = 5
# A new `/bills` that finds bills changed since other messages drew them updates those messages
# for this many bills at most (a click on any other stale card is refused and redraws it).
MAX_CHANGED_BILLS = 5
# A sync of the mirror that finds bills changed in the platform updates the messages showing
# at most this many of them per channel; the others are brought up to date when next shown.
MAX_SYNCED_BILLS = 20
# A connection paused or resumed redraws this many of each channel's newest messages.
MAX_REDRAWN_ON_PAUSE = 20


def slack_client(
    settings: Settings, factory: Callable[..., AsyncWebClient] = AsyncWebClient
) -> AsyncWebClient:
    """A Web API client that waits out Slack's rate limits (`Retry-After`) and retries
    connection and server errors, as Slack recommends; with one workspace's bot token when
    there is one (with many, `factory` builds a workspace's client, its token read per call)."""
    token = settings.slack_bot_token
    return factory(
        token=token.get_secret_value() if token is not None else None,
        base_url=settings.slack_api_url,
        retry_handlers=[
            AsyncConnectionErrorRetryHandler(max_retry_count=2),
            AsyncRateLimitErrorRetryHandler(max_retry_count=3),
            AsyncServerErrorRetryHandler(max_retry_count=2),
        ],
    )


class Publisher:
    def __init__(
        self,
        links: Links,
        cases: CaseBook,
        outstanding: OutstandingBills,
        messages: MessageStore,
        invoices: Invoices,
        clock: Callable[[], datetime],
        *,
        clients: Callable[[str], AsyncWebClient],
        db: Database,
        claimant: Claimant,
        installed: Callable[[str], Awaitable[bool]] | None = None,
        health: ConnectionHealth | None = None,
        locale: str = "en_GB",
        time_zone: str = "UTC",
    ) -> None:
        self.links = links
        # The connections' health, so cards drawn while one is not Linked say so; and the
        # channel's language and time zone when no person's are known (announcements).
        self.health = health
        self.locale = locale
        self.time_zone = time_zone
        self.cases = cases
        self.outstanding = outstanding
        self.messages = messages
        self.invoices = invoices
        self.clock = clock
        self.clients = clients
        # The App Home tabs of the people who opened theirs, refreshed after each change.
        self.installed = installed
        self.homes = HomeTabs(
            self.client, db=db, claimant=claimant, clock=clock, reaches=self.reaches
        )

    def client(self, team_id: str) -> AsyncWebClient:
        """The workspace's Web API client (with many workspaces, a call for one that is not
        installed raises `billpay.slack.installations.NotInstalled`)."""
        return self.clients(team_id)

    async def reaches(self, team_id: str) -> bool:
        """Whether the bot can speak in the workspace (with one workspace, always)."""
        return self.installed is None or await self.installed(team_id)

    async def post_listing(
        self,
        team_id: str,
        person: Person,
        link: CompanyLink,
        bill_filter: BillFilter,
        *,
        page: int = 0,
        channel_id: str,
        ts: str | None = None,
        posted: Callable[[], Awaitable[object]] | None = None,
    ) -> str:
        """Post (or, with `ts`, replace) one page of the channel's bills; returns its ts.
        `posted` is awaited once the page is in the channel, before other messages showing its
        bills are brought up to date."""
        now = self.clock()
        today = person.today(now)
        listing = await self.outstanding.listing(link, bill_filter, today, page)
        fresh = listing.freshness
        # Figures read a while ago say when, and from where (the mirror syncs every 15 min).
        stale = fresh is not None and fresh.stale
        summary, page, bills = listing.summary, listing.page, listing.bills
        facts = await self.invoices.facts(link, bills, today)
        synced = await self.cases.sync_cases(link, bills, facts)
        cases = [synced[bill.id] for bill in bills]
        pause = await self.pause_for(link)
        # The channel reads the message: its language; dates as the person who asked sees them.
        language = self.links.language_of(link)
        message = bills_message(
            company_name=link.company_name,
            headline=words(language)(bill_filter.headline(summary.count)),
            filter_text=bill_filter.source,
            summary=summary,
            cases=cases,
            page=page,
            pages=page_count(summary.count),
            locale=language,
            today=today,
            as_of=fresh.as_of if fresh is not None and stale and fresh.as_of else now,
            time_zone=person.time_zone,
            pause=pause,
            figures_from=(link.platform_name or words(language)(ACCOUNTING_PLATFORM))
            if stale or pause is not None
            else None,
        )
        client = self.client(team_id)
        if ts is None:
            response = await client.chat_postMessage(channel=channel_id, **message)
            ts = str(response["ts"])
        else:
            await client.chat_update(channel=channel_id, ts=ts, **message)
        await self.messages.record(
            link,
            channel_id,
            ts,
            bill_filter=bill_filter,
            page=page,
            bill_ids=[case.bill_id for case in cases],
            locale=language,
            time_zone=person.time_zone,
            user_id=person.user_id,
        )
        if posted is not None:
            await posted()
        # Bills that moved since other messages drew them (paid in part elsewhere, say).
        for bill_id in listing.changed[:MAX_CHANGED_BILLS]:
            await self.quietly(
                self.bill_changed(
                    team_id, link.id, bill_id, clicked=MessageRef(channel_id, ts), drawn=True
                ),
                "update other messages",
            )
        return ts

    async def post_bill(
        self, team_id: str, person: Person, link: CompanyLink, bill: Bill, *, channel_id: str
    ) -> str:
        """A new bill's card, alone in its message, ready for approval; returns its ts. The
        message is recorded like a `/bills` page, so its buttons work the same and it is kept
        true like one."""
        now = self.clock()
        today = person.today(now)
        case = (await self.cases.sync_cases(link, [bill]))[bill.id]
        listed = [Listed.of_case(case)]
        bill_filter = BillFilter()
        summary = summarise_cases(listed, bill_filter, today, link.base_currency, {bill.id})
        pause = await self.pause_for(link)
        language = self.links.language_of(link)
        message = bills_message(
            company_name=link.company_name,
            headline=words(language)(bill_filter.headline(summary.count)),
            summary=summary,
            cases=[case],
            page=0,
            pages=1,
            locale=language,
            today=today,
            as_of=now,
            time_zone=person.time_zone,
            pause=pause,
            new_bill_by=person.user_id,
        )
        response = await self.client(team_id).chat_postMessage(channel=channel_id, **message)
        ts = str(response["ts"])
        await self.messages.record(
            link,
            channel_id,
            ts,
            bill_filter=bill_filter,
            page=0,
            bill_ids=[bill.id],
            cards_only=True,
            locale=language,
            time_zone=person.time_zone,
            user_id=person.user_id,
            new_bill=True,
        )
        self.homes.changed(team_id)  # a new bill waits for approval
        return ts

    async def refresh_message(self, team_id: str, channel_id: str, ts: str | None) -> bool:
        """Re-render a `/bills` message from the cases as they are now: its cards, and its
        summary line counted again from its filter, as of now. A message retired
        as out of date is rendered as such, without buttons. False when the message is not
        one of ours (nothing to update).

        Rendering takes the message's lock and bumps its version; the update is sent after the
        lock is released (Slack may make us wait). If another render happened meanwhile, its
        update and ours may have crossed, so render again until ours is the latest."""
        if not ts:
            return False
        recorded = await self.messages.get(channel_id, ts)
        if recorded is None:
            return False
        pause = await self.pause_of_link(recorded.link_id)
        for _ in range(MAX_RENDERS):
            async with self.messages.locked(channel_id, ts) as shown:
                if shown is None:
                    return False
                rendered = self._render(shown, pause)
            rendered_version = shown.message.version  # as the lock's commit left it
            await self.client(team_id).chat_update(channel=channel_id, ts=ts, **rendered)
            latest = await self.messages.get(channel_id, ts)
            if latest is None or latest.version == rendered_version:
                break
        return True

    def _render(self, shown: Shown, pause: ConnectionPause | None = None) -> dict[str, Any]:
        message, link = shown.message, shown.link
        # Redrawn in the channel's language as it is now, though it was another when posted.
        language = self.links.language_of(link)
        if message.out_of_date:
            return out_of_date_message(company_name=link.company_name, locale=language)
        bill_filter, summary = shown.bill_filter, shown.summary
        return bills_message(
            company_name=link.company_name,
            headline=words(language)(bill_filter.headline(summary.count)),
            filter_text=message.filter_text,
            summary=summary,
            cases=shown.cases,
            page=message.page,
            pages=max(page_count(summary.count), message.page + 1),
            locale=language,
            today=shown.today,
            as_of=self.clock(),
            time_zone=message.time_zone,
            pause=pause,
            new_bill_by=message.posted_by if message.new_bill else None,
        )

    async def pause_for(self, link: CompanyLink) -> ConnectionPause | None:
        return None if self.health is None else await self.health.pause_for(link)

    async def pause_of_link(self, link_id: int) -> ConnectionPause | None:
        return None if self.health is None else await self.health.pause_of_link(link_id)

    async def bills_read(self, company_id: str, connection_id: str, bills: list[Bill]) -> None:
        """A sync of the mirror read these bills, changed lately in the platform (paid, edited):
        the cards already posted for them, in every channel linked to the company, say so."""
        for link in await self.links.links_of_connection(company_id, connection_id):
            moved = await self.outstanding.bring_up_to_date(link, bills)
            if not await self.reaches(link.team_id):
                continue  # the cases are up to date; no card can be
            for bill_id in moved[:MAX_SYNCED_BILLS]:
                await self.quietly(
                    self.bill_changed(link.team_id, link.id, bill_id), "update a card"
                )

    async def connection_changed(self, change: ConnectionChange) -> None:
        """A connection stopped being Linked, or is Linked again (this process claimed saying
        so): each linked channel is told once, and so is whoever linked it (they chose the
        connection, so they are the one who can have it reconnected); its newest messages are
        redrawn, Pay giving way to Reconnect or back."""
        for link in change.links:
            if not await self.reaches(link.team_id):
                log.info("a connection changed for workspace %s, which uninstalled", link.team_id)
                continue
            language = self.links.language_of(link)
            if change.pause is not None:
                pause = ConnectionPause(
                    company_name=link.company_name,
                    platform=change.pause.platform,
                    status=change.pause.status,
                    link_url=change.pause.link_url,
                    since=change.pause.since,
                )
                message = paused_announcement(pause, locale=language, time_zone=self.time_zone)
            else:
                message = resumed_announcement(
                    link.company_name, link.platform_name, locale=language
                )
            await self.quietly(self.post(link.team_id, link.channel_id, message), "tell a channel")
            await self.quietly(
                self.client(link.team_id).chat_postMessage(channel=link.linked_by, **message),
                "tell who linked the channel",
            )
            for ref in await self.messages.newest(link.id, MAX_REDRAWN_ON_PAUSE):
                await self.quietly(
                    self.refresh_message(link.team_id, ref.channel_id, ref.ts), "redraw a message"
                )

    async def bill_changed(
        self,
        team_id: str,
        link_id: int,
        bill_id: str,
        *,
        clicked: MessageRef | None = None,
        drawn: bool = False,
    ) -> list[MessageRef]:
        """After a bill's case changed: update the messages that show it, the one clicked
        first, then the newest, at most `MAX_LIVE_MESSAGES` in all. Older ones are retired
        as out of date (their clicks are refused from now on) and, `MAX_RETIRED_UPDATES` at
        most, lose their buttons at once; the rest do when someone clicks them. This keeps
        one click to a few `chat.update` calls however many times the bill was listed.
        With `drawn`, the `clicked` message already shows the change (it was just posted).
        Returns the messages showing the change, clicked (or newest) first. The App Homes
        of the workspace's people are refreshed soon after, in the background."""
        self.homes.changed(team_id)
        showing = await self.messages.showing(link_id, bill_id)
        if clicked is not None and clicked in showing:
            showing = [clicked, *(ref for ref in showing if ref != clicked)]
        live, old = showing[:MAX_LIVE_MESSAGES], showing[MAX_LIVE_MESSAGES:]
        await self.messages.retire(old)
        for ref in [*live, *old[:MAX_RETIRED_UPDATES]]:
            if drawn and ref == clicked:
                continue
            await self.quietly(
                self.refresh_message(team_id, ref.channel_id, ref.ts), "update a message"
            )
        return live

    async def bill_changed_here(
        self, team_id: str, channel_id: str, bill_id: str, ts: str | None
    ) -> None:
        """`bill_changed` for a click in a linked channel: the bill's link is the channel's."""
        try:
            link = await self.links.link_for(team_id, channel_id)
        except NotLinked:
            return
        clicked = MessageRef(channel_id, ts) if ts else None
        await self.bill_changed(team_id, link.id, bill_id, clicked=clicked)

    async def thread_line(self, team_id: str, channel_id: str, ts: str | None, text: str) -> None:
        """The audit line under a card."""
        if ts:
            await self.client(team_id).chat_postMessage(channel=channel_id, thread_ts=ts, text=text)

    async def thread_message(
        self, team_id: str, channel_id: str, ts: str, message: dict[str, Any]
    ) -> str:
        """A message with blocks under a card (a question, say); returns its ts."""
        response = await self.client(team_id).chat_postMessage(
            channel=channel_id, thread_ts=ts, **message
        )
        return str(response["ts"])

    async def channel_language(self, team_id: str, channel_id: str) -> str:
        """The language of what the bot says to a channel (its thread lines, announcements):
        the linked channel's own, whoever's click it follows; the default for any other."""
        try:
            link = await self.links.link_for(team_id, channel_id)
        except NotLinked:
            return self.locale
        return self.links.language_of(link)

    async def payment_shown(
        self,
        team_id: str,
        channel_id: str,
        ts: str | None,
        outcome: PaymentOutcome,
        *,
        by: str | None = None,
    ) -> None:
        """A payment step on its cards (every message showing the bill) and in the clicked
        card's thread. Both are sent after the change is committed, so a failure here is
        logged, never reported as the step failing."""
        await self.quietly(
            self.bill_changed_here(team_id, channel_id, outcome.case.bill_id, ts),
            "update the cards",
        )
        await self.payment_note(team_id, channel_id, ts, outcome, by=by)

    async def payment_note(
        self,
        team_id: str,
        channel_id: str,
        ts: str | None,
        outcome: PaymentOutcome,
        *,
        by: str | None = None,
    ) -> None:
        """The audit line of a payment step in a card's thread, in the channel's language."""
        line = payment_line(outcome, await self.channel_language(team_id, channel_id))
        if line:
            text = f"{line} (<@{by}>)" if by else line
            await self.quietly(self.thread_line(team_id, channel_id, ts, text), "post the line")

    async def share_files(
        self,
        team_id: str,
        channel_id: str,
        thread_ts: str,
        files: list[tuple[str, bytes]],
        comment: str,
    ) -> tuple[list[str], str]:
        """Upload files into a card's thread (`files_upload_v2`: one upload URL per file, the
        bytes, then one completion that shares them); returns the files' ids and the thread's
        link, for later clicks."""
        client = self.client(team_id)
        response = await client.files_upload_v2(
            file_uploads=[
                {"filename": name, "content": content, "title": name} for name, content in files
            ],
            channel=channel_id,
            thread_ts=thread_ts,
            initial_comment=comment,
        )
        shared = response.get("files") or []
        ids = [str(f.get("id")) for f in shared if isinstance(f, dict) and f.get("id")]
        link = await client.chat_getPermalink(channel=channel_id, message_ts=thread_ts)
        return ids, str(link.get("permalink") or "")

    async def ephemeral(
        self,
        team_id: str,
        channel_id: str,
        user_id: str,
        message: dict[str, Any],
        *,
        thread_ts: str | None = None,
    ) -> None:
        await self.client(team_id).chat_postEphemeral(
            channel=channel_id, user=user_id, thread_ts=thread_ts, **message
        )

    async def direct_message(self, team_id: str, user_id: str, text: str) -> None:
        await self.client(team_id).chat_postMessage(channel=user_id, text=text)

    async def post(self, team_id: str, channel_id: str, message: dict[str, Any]) -> str:
        response = await self.client(team_id).chat_postMessage(channel=channel_id, **message)
        return str(response["ts"])

    @staticmethod
    async def quietly(work: Any, what: str) -> None:
        """Run a Slack call that follows a change already made: a failure is logged only."""
        try:
            await work
        except Exception as exc:
            log.warning("could not %s: %r", what, exc)
