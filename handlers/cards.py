"""Sending bill cards to Slack: posting a page of `/bills`, re-rendering a message in place after
a click, and the audit line in a card's thread."""

from __future__ import annotations

import logging

from slack_sdk.web.async_client import AsyncWebClient

from blocks.bills import bills_message
from bot.listing import BillFilter, Summary, page_count, page_of, parse_filter, summarise
from bot.people import Person
from bot.services import Services
from bot.store.models import CompanyLink

log = logging.getLogger(__name__)
MAX_RENDERS = 5


async def post_listing(
    services: Services,
    client: AsyncWebClient,
    person: Person,
    link: CompanyLink,
    bill_filter: BillFilter,
    *,
    page: int = 0,
    channel_id: str,
    ts: str | None = None,
) -> str:
    """Post (or, with `ts`, replace) one page of the channel's bills; returns the message ts."""
    today = person.today(services.clock())
    listed = await services.workflow.list_bills(link, bill_filter, today)
    summary = summarise(listed, today)
    bills, page = page_of(listed, page)
    cases = await services.workflow.sync_cases(link, bills)
    message = bills_message(
        company_name=link.company_name,
        filter_description=bill_filter.describe(),
        filter_text=bill_filter.source,
        summary=summary,
        cases=[cases[bill.id] for bill in bills],
        page=page,
        pages=page_count(len(listed)),
        locale=person.locale,
        today=today,
    )
    if ts is None:
        response = await client.chat_postMessage(channel=channel_id, **message)
        ts = str(response["ts"])
    else:
        await client.chat_update(channel=channel_id, ts=ts, **message)
    await services.workflow.record_message(
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


async def refresh_message(
    services: Services, client: AsyncWebClient, channel_id: str, ts: str | None
) -> bool:
    """Re-render a `/bills` message from the cases as they are now. False when the message is
    not one of ours (nothing to update).

    Rendering takes the message's lock and bumps its version; the update is sent after the
    lock is released (Slack may make us wait). If another render happened meanwhile, its
    update and ours may have crossed, so render again until ours is the latest."""
    if not ts:
        return False
    for _ in range(MAX_RENDERS):
        async with services.workflow.locked_message(channel_id, ts) as found:
            if found is None:
                return False
            message, link, cases = found
            person = Person(message.posted_by, message.locale, message.time_zone)
            summary = Summary.from_json(message.summary)
            rendered = bills_message(
                company_name=link.company_name,
                filter_description=parse_filter(message.filter_text).describe(),
                filter_text=message.filter_text,
                summary=summary,
                cases=cases,
                page=message.page,
                pages=page_count(summary.count),
                locale=message.locale,
                today=person.today(services.clock()),
            )
        rendered_version = message.version
        await client.chat_update(channel=channel_id, ts=ts, **rendered)
        latest = await services.workflow.message(channel_id, ts)
        if latest is None or latest.version == rendered_version:
            break
    return True


async def thread_line(client: AsyncWebClient, channel_id: str, ts: str | None, text: str) -> None:
    """The audit line under a card (callers send it `best_effort`: the change it reports is
    already made)."""
    if ts:
        await client.chat_postMessage(channel=channel_id, thread_ts=ts, text=text)
