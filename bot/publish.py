"""The Slack publisher: everything the bot posts or updates in Slack, whether a person clicked or
the bot acts on its own (a scheduled payment sent, a digest): `/bills` messages, cards updated in
place, the audit line in a card's thread, direct messages.

Listeners, the scheduler and (later) webhooks all send through it. It renders with `blocks/` (it
is the output side of the wiring, as `app.py` is the input side) and reaches Slack through a
client per workspace, so several workspaces can come later without touching its callers.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from blocks.bills import bills_message
from blocks.outcomes import payment_line
from bot.config import Settings
from bot.domain import PaymentOutcome
from bot.i18n import words
from bot.listing import BillFilter, Summary, page_count, page_of, parse_filter, summarise
from bot.payables.models import Bill
from bot.people import Person
from bot.store.models import CompanyLink
from bot.workflow import Workflow

log = logging.getLogger(__name__)
MAX_RENDERS = 5


def slack_client(settings: Settings) -> AsyncWebClient:
    """A Web API client that waits out Slack's rate limits (`Retry-After`) and retries
    connection and server errors, as Slack recommends."""
    assert settings.slack_bot_token is not None
    return AsyncWebClient(
        token=settings.slack_bot_token.get_secret_value(),
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
        workflow: Workflow,
        clock: Callable[[], datetime],
        clients: Callable[[str], AsyncWebClient],
    ) -> None:
        self.workflow = workflow
        self.clock = clock
        self.clients = clients

    def client(self, team_id: str) -> AsyncWebClient:
        return self.clients(team_id)

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
    ) -> str:
        """Post (or, with `ts`, replace) one page of the channel's bills; returns its ts."""
        today = person.today(self.clock())
        listed = await self.workflow.list_bills(link, bill_filter, today)
        summary = summarise(listed, today)
        bills, page = page_of(listed, page)
        facts = await self.workflow.invoices.facts(link, bills, today)
        cases = await self.workflow.sync_cases(link, bills, facts)
        message = bills_message(
            company_name=link.company_name,
            headline=words(person.locale)(bill_filter.headline(summary.count)),
            filter_text=bill_filter.source,
            summary=summary,
            cases=[cases[bill.id] for bill in bills],
            page=page,
            pages=page_count(len(listed)),
            locale=person.locale,
            today=today,
        )
        client = self.client(team_id)
        if ts is None:
            response = await client.chat_postMessage(channel=channel_id, **message)
            ts = str(response["ts"])
        else:
            await client.chat_update(channel=channel_id, ts=ts, **message)
        await self.workflow.record_message(
            link,
            channel_id,
            ts,
            bill_filter=bill_filter,
            page=page,
            bill_ids=[bill.id for bill in bills],
            summary=summary.to_json(),
            locale=person.locale,
            time_zone=person.time_zone,
            user_id=person.user_id,
        )
        return ts

    async def post_bill(
        self, team_id: str, person: Person, link: CompanyLink, bill: Bill, *, channel_id: str
    ) -> str:
        """A new bill's card, alone in its message, ready for approval; returns its ts. The
        message is recorded like a `/bills` page, so its buttons work the same."""
        today = person.today(self.clock())
        cases = await self.workflow.sync_cases(link, [bill])
        summary = summarise([bill], today)
        message = bills_message(
            company_name=link.company_name,
            headline=BillFilter().headline(1),
            summary=summary,
            cases=[cases[bill.id]],
            page=0,
            pages=1,
            locale=person.locale,
            today=today,
        )
        response = await self.client(team_id).chat_postMessage(channel=channel_id, **message)
        ts = str(response["ts"])
        await self.workflow.record_message(
            link,
            channel_id,
            ts,
            bill_filter=BillFilter(),
            page=0,
            bill_ids=[bill.id],
            summary=summary.to_json(),
            locale=person.locale,
            time_zone=person.time_zone,
            user_id=person.user_id,
        )
        return ts

    async def refresh_message(self, team_id: str, channel_id: str, ts: str | None) -> bool:
        """Re-render a `/bills` message from the cases as they are now. False when the message
        is not one of ours (nothing to update).

        Rendering takes the message's lock and bumps its version; the update is sent after the
        lock is released (Slack may make us wait). If another render happened meanwhile, its
        update and ours may have crossed, so render again until ours is the latest."""
        if not ts:
            return False
        for _ in range(MAX_RENDERS):
            async with self.workflow.locked_message(channel_id, ts) as found:
                if found is None:
                    return False
                message, link, cases = found
                person = Person(message.posted_by, message.locale, message.time_zone)
                summary = Summary.from_json(message.summary)
                headline = parse_filter(message.filter_text).headline(summary.count)
                rendered = bills_message(
                    company_name=link.company_name,
                    headline=words(message.locale)(headline),
                    filter_text=message.filter_text,
                    summary=summary,
                    cases=cases,
                    page=message.page,
                    pages=page_count(summary.count),
                    locale=message.locale,
                    today=person.today(self.clock()),
                )
            rendered_version = message.version
            await self.client(team_id).chat_update(channel=channel_id, ts=ts, **rendered)
            latest = await self.workflow.message(channel_id, ts)
            if latest is None or latest.version == rendered_version:
                break
        return True

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

    async def payment_shown(
        self,
        team_id: str,
        channel_id: str,
        ts: str | None,
        outcome: PaymentOutcome,
        locale: str,
        *,
        by: str | None = None,
    ) -> None:
        """A payment step on its card and in the card's thread. Both are sent after the change
        is committed, so a failure here is logged, never reported as the step failing."""
        await self.quietly(self.refresh_message(team_id, channel_id, ts), "update the card")
        line = payment_line(outcome, locale)
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
