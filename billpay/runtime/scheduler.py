"""The bot acting on its own: APScheduler jobs inside the bot process.

- Due payments: every few seconds (`BILLPAY_SCHEDULER_TICK_SECONDS`), payments held for their
  undo window and scheduled payments on their date are sent. A payment held in this process also
  gets a one-off job at the end of its window, so it goes out on time; the tick catches the rest
  (other replicas' payments, a restart).
- Reminders: every few minutes (`BILLPAY_REMINDER_TICK_SECONDS`), approvers of bills waiting
  too long are reminded, bills due tomorrow or overdue with no decision are escalated in their
  card's thread (`billpay.approvals.reminders`).
- Daily digests: every minute (`BILLPAY_DIGEST_TICK_SECONDS`), each channel whose digest time
  has come in its own time zone (within the grace window, `billpay.digest.schedule`) gets it.
  One job reading the subscriptions table, rather than one job per subscription, so a change
  needs no job kept in step, and a restart inside the grace window catches up a missed digest
  by itself; after the window the day is skipped and logged. Daylight saving needs nothing
  special: the local time is read in the zone each minute.

- Connections waiting to be authorised (`/billpay connect`): every tick, each whose next look
  has come is read (claimed, backing off from seconds to minutes), linked once Linked, given
  up after `BILLPAY_CONNECT_WAIT_MINUTES` (`billpay.bills.connecting`); with webhooks the
  first look comes later, `connection.connected` usually being first.

- App Homes: every tick, a Home a change marked due a redraw and that no replica drew (the one
  that handled the change stopped first) is drawn, once across replicas
  (`billpay.slack.homes`).

- The mirror: every minute, each linked company whose mirror was last synced longer ago than
  `BILLPAY_MIRROR_SYNC_SECONDS` (15 minutes) has its changed bills and suppliers read, and once
  a day (`BILLPAY_MIRROR_FULL_SYNC_HOURS`) its outstanding bills read whole
  (`Mirror.sync_due`); each sync is claimed, so one replica runs it, and a sync a dead replica
  left is taken over.

A workspace that uninstalled the app gets none of this: its digests and reminders are skipped and
its scheduled payments wait (`installed_teams`), with many workspaces (OAuth) as with one.

Exactly once however many replicas run: a job never trusts that it is alone. Sending a payment
starts with claiming it in the database (scheduled → requested, under a row lock); a replica
that loses the claim does nothing. A failure with one payment never stops the others.

Digests, reminders, escalations and approvals by policy are claimed with a lease
(`billpay.store.claims`): each is renewed just before the message goes out and done once it
is recorded, and each tick first takes over what a replica that died left claimed past its
lease, so a crash delays that work by a lease at most instead of losing it. So are the
announcements that a company's connection paused or resumed (`ConnectionHealth.announce_left`,
on the reminders' tick).

The scheduler only decides when: what each job shows in Slack, and to whom, is the Slack edge's
(`billpay.slack.notices`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from billpay.core.domain import Nudge
from billpay.digest import store as digest_store
from billpay.digest.schedule import DEFAULT_GRACE as DIGEST_GRACE
from billpay.digest.schedule import Subscription
from billpay.runtime.calls import flush_calls
from billpay.services import Services
from billpay.slack.notices.digests import DigestSender
from billpay.slack.notices.linking import LinkNotices
from billpay.slack.notices.payments import PaymentResults
from billpay.slack.notices.quota import QuotaNotices
from billpay.slack.notices.reminders import NudgeSender
from billpay.slack.people import People

log = logging.getLogger(__name__)
# How often the mirror's tick looks for companies due a sync.
MIRROR_TICK_SECONDS = 60.0


# How often the scheduler looks for connections to check (each has its own next check time).
CONNECTION_TICK_SECONDS = 300


class Scheduler:
    def __init__(self, services: Services) -> None:
        self.services = services
        # One cache of people for everything this scheduler sends to someone alone.
        people = People(default_locale=services.settings.default_locale)
        self.payment_results = PaymentResults(services, people)
        self.nudges = NudgeSender(services, people)
        self.digests = DigestSender(services)
        self.quota_notices = QuotaNotices(services)
        if services.publisher is not None and services.budget.on_exhausted is None:
            services.budget.on_exhausted = self.quota_notices.exhausted
        if services.connecting.on_done is None:
            services.connecting.on_done = LinkNotices(services).done
        self.aps = AsyncIOScheduler(timezone="UTC")
        self.running: set[asyncio.Task[Any]] = set()
        self.interruptible: set[asyncio.Task[Any]] = set()
        self.stopped = False

    async def start(self) -> None:
        settings = self.services.settings
        self.aps.add_job(
            self._job(self.send_due_payments),
            IntervalTrigger(seconds=self.services.settings.scheduler_tick_seconds),
            id="due-payments",
            max_instances=1,
            coalesce=True,
        )
        self.aps.add_job(
            self._job(self.settle_payments),
            IntervalTrigger(seconds=self.services.settings.scheduler_tick_seconds),
            id="payments-in-doubt",
            max_instances=1,
            coalesce=True,
        )
        self.aps.add_job(
            self._job(self.send_due_digests),
            IntervalTrigger(seconds=self.services.settings.digest_tick_seconds),
            id="digests",
            max_instances=1,
            coalesce=True,
        )
        self.aps.add_job(
            self._job(self.send_reminders),
            IntervalTrigger(seconds=self.services.settings.reminder_tick_seconds),
            id="reminders",
            max_instances=1,
            coalesce=True,
        )
        self.aps.add_job(
            self._job(self.check_connections, reads_only=True),
            IntervalTrigger(seconds=CONNECTION_TICK_SECONDS),
            id="connections",
            max_instances=1,
            coalesce=True,
        )
        self.aps.add_job(
            self._job(self.poll_connections, reads_only=True),
            IntervalTrigger(seconds=self.services.settings.scheduler_tick_seconds),
            id="connections-waiting",
            max_instances=1,
            coalesce=True,
        )
        self.aps.add_job(
            self._job(self.announce_connections),
            IntervalTrigger(seconds=self.services.settings.reminder_tick_seconds),
            id="connection-notices",
            max_instances=1,
            coalesce=True,
        )
        self.aps.add_job(
            self._job(self.flush_calls),
            IntervalTrigger(seconds=self.services.settings.call_count_flush_seconds),
            id="call-counts",
            max_instances=1,
            coalesce=True,
        )
        if self.services.webhooks is not None:
            self.aps.add_job(
                self._job(self.recover_webhooks),
                IntervalTrigger(seconds=self.services.settings.scheduler_tick_seconds),
                id="webhooks",
                max_instances=1,
                coalesce=True,
            )
        if self.services.publisher is not None:
            self.aps.add_job(
                self._job(self.redraw_homes),
                IntervalTrigger(seconds=self.services.settings.scheduler_tick_seconds),
                id="homes",
                max_instances=1,
                coalesce=True,
            )
        self.aps.add_job(
            self._job(self.sync_mirror, reads_only=True),
            IntervalTrigger(seconds=min(MIRROR_TICK_SECONDS, settings.mirror_sync_seconds)),
            id="mirror",
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
        for task in list(self.interruptible):
            task.cancel()
        if self.running:
            await asyncio.wait(set(self.running))
        try:
            await flush_calls(self.services)
        except Exception:
            log.exception("the calls counted since the last write could not be written")
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

    def _job(
        self, work: Callable[[], Awaitable[None]], *, reads_only: bool = False
    ) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            if self.stopped:
                return
            # The work runs in a task of its own, shielded: APScheduler cancels the jobs still
            # running when it shuts down, and a payment being sent must finish, not be cut off.
            task = asyncio.ensure_future(work())
            self.running.add(task)
            task.add_done_callback(self.running.discard)
            if reads_only:
                # Reads (the mirror's syncs, connection checks) are cut off at shutdown: a
                # whole read of a big company takes minutes, and another replica, or the next
                # start, reads again (a cut-off sync lets its claim go).
                self.interruptible.add(task)
                task.add_done_callback(self.interruptible.discard)
            await asyncio.shield(task)

        return run

    async def check_connections(self) -> None:
        """Read live the connections whose check has come (hourly, backing off on failure),
        so a company that revoked access is noticed before a payment fails."""
        await self.services.health.check_due()

    async def poll_connections(self) -> None:
        """Look at the connections `/billpay connect` created that wait to be authorised."""
        try:
            await self.services.connecting.poll_due()
        except Exception:
            log.exception("the tick of waiting connections failed; the next one tries again")

    async def announce_connections(self) -> None:
        """Say the changes of connection a replica that died left claimed and unsaid."""
        await self.services.health.announce_left()

    async def flush_calls(self) -> None:
        await flush_calls(self.services)

    async def recover_webhooks(self) -> None:
        """Work the webhooks a replica that died left received, and forget old ones."""
        webhooks = self.services.webhooks
        if webhooks is None:
            return
        await webhooks.recover()
        await webhooks.prune()

    async def installed_teams(self) -> set[str] | None:
        """The workspaces the app is installed in: one that uninstalled it gets nothing the bot
        does on its own (its payments wait); None when that is every workspace (one workspace,
        not marked gone: `billpay.slack.departures`)."""
        installations = self.services.installations
        if installations is not None:
            return await installations.installed_teams()
        departures = self.services.departures
        return None if departures is None else await departures.installed_teams()

    async def send_due_payments(self) -> None:
        teams = await self.installed_teams()
        for payment_id in await self.services.scheduled.due_payments(self.services.clock(), teams):
            await self.send_payment(payment_id)

    async def send_payment(self, payment_id: int) -> None:
        try:
            sent = await self.services.scheduled.send_scheduled(payment_id)
        except Exception:
            log.exception("scheduled payment %s could not be sent; it is tried again", payment_id)
            return
        if sent is not None:
            await self.payment_results.show(sent)

    async def settle_payments(self) -> None:
        """Look again at payments in doubt whose next look is due, and at any left `requested`
        by a process that died; show each that settled, or that now needs a person."""
        teams = await self.installed_teams()
        for settled in await self.services.settler.settle_due():
            if teams is not None and settled.link.team_id not in teams:
                # Settled all the same (the payment's fate is the books'); nobody to show.
                log.info("a payment of %s settled in a workspace that left", settled.bill_id)
                continue
            try:
                await self.payment_results.show_settled(settled)
            except Exception:
                log.exception("could not show what became of a payment of %s", settled.bill_id)

    async def sync_mirror(self) -> None:
        try:
            await self.services.mirror.sync_due()
        except Exception:
            log.exception("the mirror's tick failed; the next one tries again")

    async def redraw_homes(self) -> None:
        """Draw the App Homes a replica that stopped left due a redraw (`HomeTabs.drain`)."""
        try:
            await self.services.must_publish().homes.drain()
        except Exception:
            log.exception("the Homes' tick failed; the next one tries again")

    # ------------------------------------------------------------ reminders

    async def send_reminders(self) -> None:
        teams = await self.installed_teams()
        for nudge in await self.services.reminders.due_nudges(self.services.clock()):
            if teams is not None and nudge.team_id not in teams:
                await self.services.reminders.sent(nudge, self.services.clock())
                continue  # uninstalled: nobody to remind there
            try:
                await self._send_nudge(nudge)
            except Exception:
                log.exception("the claim of a %s about %s failed", nudge.kind, nudge.case.bill_id)

    async def _send_nudge(self, nudge: Nudge) -> None:
        """Send a claimed nudge unless another replica took it over; its claim is done once
        sent, or once sending failed (a failure is logged, not tried again)."""
        reminders = self.services.reminders
        if not await reminders.keep(nudge, self.services.clock()):
            log.warning(
                "a %s about %s was taken over by another replica", nudge.kind, nudge.case.bill_id
            )
            return
        try:
            await self.nudges.send(nudge)
        except Exception:
            log.exception("could not send a %s about %s", nudge.kind, nudge.case.bill_id)
        await reminders.sent(nudge, self.services.clock())

    # ------------------------------------------------------------ digests

    async def send_due_digests(self) -> None:
        now = self.services.clock()
        db, claimant = self.services.db, self.services.claimant
        teams = await self.installed_teams()
        due = await digest_store.take_over_runs(db, claimant, now)
        for sub in await digest_store.active_subscriptions(db):
            if teams is not None and sub.team_id not in teams:
                continue  # uninstalled: no digest, none recorded; it resumes with the app
            today = sub.local_date(now)
            if sub.is_due(now):
                if await digest_store.claim_run(db, sub.id, today, now=now, claimant=claimant):
                    due.append((sub, today))
            elif self._missed(sub, now):
                log.warning(
                    "the digest of %s for %s was missed (past grace)", sub.channel_id, today
                )
        if due:
            await self.digests.send(due)

    def _missed(self, sub: Subscription, now: datetime) -> bool:
        day = sub.local_date(now)
        tick = timedelta(seconds=self.services.settings.digest_tick_seconds)
        return (
            not sub.paused
            and day.isoweekday() in sub.weekdays
            and sub.run_at(day) <= now - DIGEST_GRACE
            and sub.run_at(day) > now - DIGEST_GRACE - tick
        )
