"""The bot acting on its own: APScheduler jobs inside the bot process.

- Due payments: every few seconds (`BILLPAY_SCHEDULER_TICK_SECONDS`), payments held for their
  undo window and scheduled payments on their date are sent. A payment held in this process also
  gets a one-off job at the end of its window, so it goes out on time; the tick catches the rest
  (other replicas' payments, a restart).
- Reminders: every few minutes, approvers of bills waiting too long are reminded, bills due
  tomorrow or overdue with no decision are escalated in their card's thread
  (`billpay.approvals.reminders`).
- Daily digests: every minute, each channel whose digest time has come in its own time zone
  (within the grace window, `billpay.digest.schedule`) gets it. One job reading the subscriptions
  table, rather than one job per subscription, so a change needs no job kept in step, and a
  restart inside the grace window catches up a missed digest by itself; after the window the
  day is skipped and logged. Daylight saving needs nothing special: the local time is read
  in the zone each minute.

Exactly once however many replicas run: a job never trusts that it is alone. Sending a payment
starts with claiming it in the database (scheduled → requested, under a row lock); a replica
that loses the claim does nothing. A failure with one payment never stops the others.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger
from slack_sdk.errors import SlackApiError

from billpay.approvals.reminders import Reminders
from billpay.core.domain import Nudge
from billpay.core.i18n import N_, words
from billpay.digest import store as digest_store
from billpay.digest.schedule import DEFAULT_GRACE as DIGEST_GRACE
from billpay.digest.schedule import Subscription
from billpay.digest.service import ChannelDigest, compute_digests
from billpay.payments.service import SentByScheduler
from billpay.services import Services
from billpay.slack.blocks.digest import digest_empty_message, digest_message
from billpay.slack.blocks.modals import payment_result_modal
from billpay.slack.blocks.reminders import nudge_text
from billpay.slack.blocks.text import escape, money
from billpay.slack.people import People

log = logging.getLogger(__name__)
DIGEST_TICK_SECONDS = 60
REMINDER_TICK_SECONDS = 300
# Slack's pace for chat.postMessage is about one message a second per channel; digests go to
# different channels, but a pause keeps a burst of hundreds from meeting the workspace limit.
DIGEST_PACE_SECONDS = 0.2
# Answers of chat.postMessage after which a channel's digest is paused, not retried daily.
CHANNEL_GONE = {"channel_not_found", "not_in_channel", "is_archived"}


class Scheduler:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.workflow = services.workflow
        self.publisher = services.must_publish()
        self.people = People(default_locale=services.settings.default_locale)
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
        self.aps.add_job(
            self._job(self.send_due_digests),
            IntervalTrigger(seconds=DIGEST_TICK_SECONDS),
            id="digests",
            max_instances=1,
            coalesce=True,
        )
        self.aps.add_job(
            self._job(self.send_reminders),
            IntervalTrigger(seconds=REMINDER_TICK_SECONDS),
            id="reminders",
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
        for payment_id in await self.workflow.payments.due_payments(self.services.clock()):
            await self.send_payment(payment_id)

    async def send_payment(self, payment_id: int) -> None:
        try:
            sent = await self.workflow.payments.send_scheduled(payment_id)
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
        shown = await self.publisher.bill_changed(team_id, sent.link.id, sent.bill_id)
        if shown:
            newest = shown[0]
            await self.publisher.payment_note(
                team_id, newest.channel_id, newest.ts, sent.outcome, locale
            )
        payer = await self._locale_of(team_id, sent.payer)
        _ = words(payer)
        if sent.view_id:
            await self.publisher.quietly(
                self.publisher.client(team_id).views_update(
                    view_id=sent.view_id, view=payment_result_modal(sent.outcome, locale=payer)
                ),
                "show the payment's result",
            )
        payment = sent.outcome.payment
        if sent.outcome.status == "not_sent" and payment is not None:
            told = _(
                N_(
                    "Your scheduled payment of {amount} to *{supplier}* was not sent: {reason} "
                    "Nothing was paid; the bill can be paid again."
                ),
                amount=money(payment.amount, payment.currency, payer),
                supplier=escape(sent.outcome.case.supplier_name),
                reason=_(sent.outcome.message),
            )
            await self.publisher.quietly(
                self.publisher.direct_message(team_id, sent.payer, f":warning: {told}"),
                "tell the payer",
            )

    async def _locale_of(self, team_id: str, user_id: str) -> str:
        """A person's locale for what is sent to them alone (the team's default if unknown)."""
        client = self.publisher.client(team_id)
        return (await self.people.get(client, team_id, user_id, wait=5.0)).locale

    # ------------------------------------------------------------ reminders

    async def send_reminders(self) -> None:
        for nudge in await Reminders(self.workflow).due_nudges(self.services.clock()):
            try:
                await self.nudge(nudge)
            except Exception:
                log.exception("could not send a %s about %s", nudge.kind, nudge.case.bill_id)

    async def nudge(self, nudge: Nudge) -> None:
        team_id = nudge.team_id
        locale = self.services.settings.default_locale
        shown = await self.workflow.messages.showing(nudge.link_id, nudge.case.bill_id)
        if nudge.kind == "approved_by_policy":
            shown = await self.publisher.bill_changed(team_id, nudge.link_id, nudge.case.bill_id)
        today = self.services.clock().date()
        text = nudge_text(nudge, locale=locale, today=today)
        if nudge.kind == "remind" and nudge.who:
            permalink = None
            if shown:
                channel_id, ts = shown[0].channel_id, shown[0].ts
                found = await self.publisher.client(team_id).chat_getPermalink(
                    channel=channel_id, message_ts=ts
                )
                permalink = str(found["permalink"])
            for user_id in nudge.who:
                # A reminder goes to each approver alone: in their own language.
                reader = await self._locale_of(team_id, user_id)
                _ = words(reader)
                text = nudge_text(nudge, locale=reader, today=today)
                if permalink:
                    label = _("Open the card")
                    text += f" <{permalink}|{label}>"
                await self.publisher.quietly(
                    self.publisher.direct_message(team_id, user_id, text),
                    "remind an approver",
                )
            return
        if shown:
            channel_id, ts = shown[0].channel_id, shown[0].ts
            await self.publisher.quietly(
                self.publisher.thread_line(team_id, channel_id, ts, text), "post in the thread"
            )

    # ------------------------------------------------------------ digests

    async def send_due_digests(self) -> None:
        now = self.services.clock()
        due: list[tuple[Subscription, date]] = []
        for sub in await digest_store.active_subscriptions(self.services.db):
            today = sub.local_date(now)
            if sub.is_due(now):
                if await digest_store.claim_run(self.services.db, sub.id, today, now=now):
                    due.append((sub, today))
            elif self._missed(sub, now):
                log.warning(
                    "the digest of %s for %s was missed (past grace)", sub.channel_id, today
                )
        if not due:
            return
        results = await compute_digests(
            self.services.db,
            self.workflow.reads,
            due,
            default_approvers=self.services.settings.approvers,
        )
        sender = DigestSender(self.services)
        for result in results:
            await sender.post(result)
            await asyncio.sleep(DIGEST_PACE_SECONDS)

    def _missed(self, sub: Subscription, now: datetime) -> bool:
        day = sub.local_date(now)
        return (
            not sub.paused
            and day.isoweekday() in sub.weekdays
            and sub.run_at(day) <= now - DIGEST_GRACE
            and sub.run_at(day) > now - DIGEST_GRACE - timedelta(seconds=DIGEST_TICK_SECONDS)
        )


class DigestSender:
    """Posts a channel's digest through the publisher, and pauses the digest of a channel the
    bot can no longer post in (with a note in the audit trail and a word to who set it up)."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.workflow = services.workflow
        self.publisher = services.must_publish()

    async def now(self, subscription: Subscription) -> str | None:
        """Post the channel's digest at once, as a preview (the day's own still goes out)."""
        today = subscription.local_date(self.services.clock())
        (result,) = await compute_digests(
            self.services.db,
            self.workflow.reads,
            [(subscription, today)],
            default_approvers=self.services.settings.approvers,
        )
        return await self.post(result, claimed=False)

    async def post(self, result: ChannelDigest, *, claimed: bool = True) -> str | None:
        """Post one channel's digest; a failure here never stops the others. A claimed run (the
        scheduled digest) records how it ended; `/billpay digest now` posts one unclaimed."""
        sub = result.subscription
        locale = self.services.settings.default_locale
        db = self.services.db
        if result.digest is None:
            _ = words(locale)
            failed = _(
                N_(
                    "I couldn't read today's bills from the accounting platform for {company}, "
                    "so there is no digest today. `/bills` shows them when it answers again."
                ),
                company=escape(sub.company_name),
            )
            message: dict[str, Any] = {"text": f":warning: {failed}"}
            status = "failed"
        elif result.digest.is_empty and not sub.post_when_empty:
            if claimed:
                await digest_store.record_run(db, sub.id, result.today, "empty")
            return None
        elif result.digest.is_empty:
            message = digest_empty_message(
                company_name=sub.company_name,
                locale=locale,
                today=result.today,
                look_ahead_days=sub.look_ahead_days,
            )
            status = "posted"
        else:
            message = digest_message(
                result.digest, company_name=sub.company_name, locale=locale, today=result.today
            )
            status = "posted"
        try:
            ts = await self.publisher.post(sub.team_id, sub.channel_id, message)
        except SlackApiError as exc:
            code = str(exc.response.get("error", "")) if exc.response else ""
            if claimed:
                await digest_store.record_run(db, sub.id, result.today, "failed", error=code)
            if code in CHANNEL_GONE:
                await self._pause(sub, code)
            else:
                log.warning("the digest for %s was not posted: %s", sub.channel_id, code)
            return None
        except Exception as exc:
            log.exception("the digest for %s was not posted", sub.channel_id)
            if claimed:
                await digest_store.record_run(db, sub.id, result.today, "failed", error=repr(exc))
            return None
        if not claimed:
            return ts
        error = repr(result.error) if result.error else None
        await digest_store.record_run(
            db,
            sub.id,
            result.today,
            status,  # type: ignore[arg-type]
            message_ts=ts,
            blocks=len(message.get("blocks", [])),
            error=error,
        )
        return ts

    async def _pause(self, sub: Subscription, code: str) -> None:
        # Kept as a message id, so that it is shown in the reader's language.
        reason = {
            "is_archived": N_("the channel is archived"),
            "not_in_channel": N_("the bot is no longer in the channel"),
        }.get(code, N_("the channel can't be found"))
        await digest_store.pause_subscription(self.services.db, sub.id, reason)
        await self.workflow.record_digest_paused(sub.link_id, reason)
        if sub.created_by:
            client = self.publisher.client(sub.team_id)
            person = await People(self.services.settings.default_locale).get(
                client, sub.team_id, sub.created_by, wait=5.0
            )
            _ = words(person.locale)
            told = _(
                N_(
                    "I paused the daily digest of <#{channel}>: {reason}. Run `/billpay digest` "
                    "there to set it up again."
                ),
                channel=sub.channel_id,
                reason=_(reason),
            )
            await self.publisher.quietly(
                self.publisher.direct_message(sub.team_id, sub.created_by, told),
                "tell who set up the digest",
            )
