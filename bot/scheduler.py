"""The bot acting on its own: APScheduler jobs inside the bot process.

- Due payments: every few seconds (`BILLPAY_SCHEDULER_TICK_SECONDS`), payments held for their
  undo window and scheduled payments on their date are sent. A payment held in this process also
  gets a one-off job at the end of its window, so it goes out on time; the tick catches the rest
  (other replicas' payments, a restart).

Exactly once however many replicas run: a job never trusts that it is alone. Sending a payment
starts with claiming it in the database (scheduled → requested, under a row lock); a replica
that loses the claim does nothing. A failure with one payment never stops the others.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from blocks.modals import message_modal
from blocks.outcomes import result_text
from blocks.text import escape, money
from bot.payments import SentByScheduler
from bot.services import Services

log = logging.getLogger(__name__)


class Scheduler:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.workflow = services.workflow
        self.publisher = services.must_publish()
        self.aps = AsyncIOScheduler(timezone="UTC")
        self.running: set[asyncio.Task[Any]] = set()
        self.stopped = False

    async def start(self) -> None:
        self.aps.add_job(
            self._job(self.send_due_payments),
            IntervalTrigger(seconds=self.services.settings.scheduler_tick_seconds),
            id="due-payments",
            max_instances=1,
            coalesce=True,
        )
        self.aps.start()
        self.services.scheduler = self

    async def shutdown(self) -> None:
        """Take no new jobs, and wait for the running ones (a payment being sent) to end."""
        self.stopped = True
        if self.aps.running:
            self.aps.shutdown(wait=False)
        if self.running:
            await asyncio.wait(set(self.running))
        self.services.scheduler = None

    def send_soon(self, payment_id: int, at: datetime) -> None:
        """Send a held payment as soon as its undo window ends (if this process still runs)."""
        if self.stopped:
            return
        self.aps.add_job(
            self._job(lambda: self.send_payment(payment_id)),
            DateTrigger(run_date=at),
            id=f"payment-{payment_id}",
            replace_existing=True,
            misfire_grace_time=None,
        )

    def _job(self, work: Callable[[], Awaitable[None]]) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            if self.stopped:
                return
            task = asyncio.current_task()
            if task is not None:
                self.running.add(task)
                task.add_done_callback(self.running.discard)
            await work()

        return run

    async def send_due_payments(self) -> None:
        for payment_id in await self.workflow.due_payments(self.services.clock()):
            await self.send_payment(payment_id)

    async def send_payment(self, payment_id: int) -> None:
        try:
            sent = await self.workflow.send_scheduled(payment_id)
        except Exception:
            log.exception("scheduled payment %s could not be sent; it is tried again", payment_id)
            return
        if sent is not None:
            await self.show(sent)

    async def show(self, sent: SentByScheduler) -> None:
        """The result where people look: every card showing the bill (the audit line in the
        newest one's thread), the payer's modal if still open, and a direct message to the
        payer when the payment was not sent."""
        team_id = sent.link.team_id
        locale = self.services.settings.default_locale
        shown = await self.workflow.messages_showing(sent.link.id, sent.bill_id)
        for index, (channel_id, ts) in enumerate(shown):
            if index == 0:
                await self.publisher.payment_shown(team_id, channel_id, ts, sent.outcome, locale)
            else:
                await self.publisher.quietly(
                    self.publisher.refresh_message(team_id, channel_id, ts), "update a card"
                )
        if sent.view_id:
            emoji, text = result_text(sent.outcome, locale)
            await self.publisher.quietly(
                self.publisher.client(team_id).views_update(
                    view_id=sent.view_id, view=message_modal("Pay bill", text, emoji=emoji)
                ),
                "show the payment's result",
            )
        payment = sent.outcome.payment
        if sent.outcome.status == "not_sent" and payment is not None:
            amount = money(payment.amount, payment.currency, locale)
            await self.publisher.quietly(
                self.publisher.direct_message(
                    team_id,
                    sent.payer,
                    f":warning: Your scheduled payment of {amount} to "
                    f"*{escape(sent.outcome.case.supplier_name)}* was not sent: "
                    f"{sent.outcome.message} Nothing was paid; the bill can be paid again.",
                ),
                "tell the payer",
            )
