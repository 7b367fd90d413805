"""What each `/bills` message shows, kept with the message: its filter and page, the bills on
its cards, and whether it has been retired as out of date. Nothing kept grows with the company:
the summary line is counted again by the database from the filter (`billpay.bills.listing_sql`)
whenever the message is redrawn. A change of one bill finds the messages to update through
`bill_message_cards`, indexed by bill. No Slack calls: the publisher sends.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select, update

from billpay.bills import listing_sql
from billpay.bills.cases import stamp, views_of
from billpay.bills.listing import BillFilter, Listed, Summary, parse_filter, summarise_cases
from billpay.core.domain import CaseView
from billpay.core.errors import MessageOutOfDate
from billpay.store.db import Database
from billpay.store.models import BillCase, BillMessage, BillMessageCard, CompanyLink


@dataclass(frozen=True)
class Shown:
    """A message held for re-rendering: its row, its link, the cases on its cards (in order),
    its filter, the day it is drawn on (in its poster's time zone) and its summary as of now."""

    message: BillMessage
    link: CompanyLink
    cases: list[CaseView]
    bill_filter: BillFilter
    today: date
    summary: Summary


@dataclass(frozen=True)
class MessageRef:
    channel_id: str
    ts: str


class MessageStore:
    def __init__(self, db: Database, clock: Callable[[], datetime]) -> None:
        self.db = db
        self.clock = clock

    async def record(
        self,
        link: CompanyLink,
        channel_id: str,
        ts: str,
        *,
        bill_filter: BillFilter,
        page: int,
        bill_ids: list[str],
        cards_only: bool = False,
        locale: str,
        time_zone: str,
        user_id: str,
        new_bill: bool = False,
    ) -> None:
        """Remember what message `ts` now shows (a new post, or a page turned in place). With
        `cards_only`, its summary counts the bills on its cards only; `new_bill`: a new post for
        one bill just created, headed as that bill."""
        async with self.db.write() as s:
            now = self.clock()
            message = await s.scalar(
                select(BillMessage)
                .where(BillMessage.channel_id == channel_id, BillMessage.ts == ts)
                .with_for_update()
            )
            if message is None:
                message = BillMessage(
                    link_id=link.id, channel_id=channel_id, ts=ts, new_bill=new_bill
                )
                s.add(message)
            message.filter_text = bill_filter.source
            message.page = page
            message.bill_ids = bill_ids
            message.cards_only = cards_only
            message.out_of_date = False
            message.locale = locale
            message.time_zone = time_zone
            message.posted_by = user_id
            if s.is_modified(message):
                stamp(message, now)
            await s.flush()
            await s.execute(delete(BillMessageCard).where(BillMessageCard.message_id == message.id))
            s.add_all(
                BillMessageCard(message_id=message.id, link_id=link.id, bill_id=bill_id)
                for bill_id in dict.fromkeys(bill_ids)
            )

    async def get(self, channel_id: str, ts: str) -> BillMessage | None:
        async with self.db.read() as s:
            return await s.scalar(
                select(BillMessage).where(
                    BillMessage.channel_id == channel_id, BillMessage.ts == ts
                )
            )

    @asynccontextmanager
    async def locked(self, channel_id: str, ts: str) -> AsyncIterator[Shown | None]:
        """Hold a `/bills` message while it is re-rendered and sent, so two updates of cards on
        the same message (two replicas, two clicks) go out one after the other, each showing
        everything committed before it."""
        async with self.db.write() as s:
            message = await s.scalar(
                select(BillMessage)
                .where(BillMessage.channel_id == channel_id, BillMessage.ts == ts)
                .with_for_update()
            )
            if message is None:
                yield None
                return
            link = await s.get(CompanyLink, message.link_id)
            assert link is not None
            rows = (
                await s.scalars(
                    select(BillCase).where(
                        BillCase.link_id == link.id, BillCase.bill_id.in_(message.bill_ids)
                    )
                )
            ).all()
            views = {v.bill_id: v for v in await views_of(s, list(rows))}
            cases = [views[b] for b in message.bill_ids if b in views]
            bill_filter = parse_filter(message.filter_text)
            today = self.clock().astimezone(ZoneInfo(message.time_zone)).date()
            on_cards = {case.bill_id for case in cases}
            if message.cards_only:
                listed = [Listed.of_case(case) for case in cases]
                summary = summarise_cases(listed, bill_filter, today, link.base_currency, on_cards)
            else:
                summary = await listing_sql.summary(s, link, bill_filter, today, on_cards)
            yield Shown(message, link, cases, bill_filter, today, summary)
            stamp(message, self.clock())

    async def showing(self, link_id: int, bill_id: str) -> list[MessageRef]:
        """The messages not out of date whose cards include this bill, newest first."""
        async with self.db.read() as s:
            rows = await s.execute(
                select(BillMessage.channel_id, BillMessage.ts)
                .join(BillMessageCard, BillMessageCard.message_id == BillMessage.id)
                .where(
                    BillMessageCard.link_id == link_id,
                    BillMessageCard.bill_id == bill_id,
                    BillMessage.out_of_date.is_(False),
                )
                .order_by(BillMessage.id.desc())
            )
            return [MessageRef(channel, ts) for channel, ts in rows]

    async def newest(self, link_id: int, limit: int) -> list[MessageRef]:
        """A channel's messages not out of date, newest first, `limit` at most: those redrawn
        when something every card shows changes (the company's connection paused)."""
        async with self.db.read() as s:
            rows = await s.execute(
                select(BillMessage.channel_id, BillMessage.ts)
                .where(BillMessage.link_id == link_id, BillMessage.out_of_date.is_(False))
                .order_by(BillMessage.id.desc())
                .limit(limit)
            )
            return [MessageRef(channel, ts) for channel, ts in rows]

    async def retire(self, messages: Sequence[MessageRef]) -> None:
        """Mark messages out of date: their buttons do nothing from now on, and no change of
        a bill updates them again."""
        if not messages:
            return
        async with self.db.write() as s:
            for ref in messages:
                message_id = await s.scalar(
                    update(BillMessage)
                    .where(BillMessage.channel_id == ref.channel_id, BillMessage.ts == ref.ts)
                    .values(
                        out_of_date=True,
                        updated_at=self.clock(),
                        version=BillMessage.version + 1,
                    )
                    .returning(BillMessage.id)
                )
                if message_id is not None:
                    await s.execute(
                        delete(BillMessageCard).where(BillMessageCard.message_id == message_id)
                    )

    async def ensure_current(self, channel_id: str, message_ts: str | None) -> None:
        """Refuse a click from a `/bills` message retired as out of date."""
        if await self.is_out_of_date(channel_id, message_ts):
            raise MessageOutOfDate()

    async def is_out_of_date(self, channel_id: str, ts: str | None) -> bool:
        if not ts:
            return False
        message = await self.get(channel_id, ts)
        return message is not None and message.out_of_date
