"""The App Home tab: a person's queue (waiting for their approval, ready for them to pay, scheduled
payments, overdue per company, recent activity), the channels linked, and how to start.

Whatever the queue's size the tab stays within Slack's 100 blocks: each section shows its first
bills (`billpay.bills.queue` says how many) and counts the rest, which `/bills` lists. Every
line of a bill names its supplier, what is due and when, and links to its card when the bot has
posted one (`permalinks`, by the card's channel and ts)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from billpay.core.i18n import N_, words
from billpay.core.queue import Activity, CompanyOverdue, Queue, QueuedBill, ScheduledLine
from billpay.slack.blocks.home.values import HomeAction, HomeBill, HomeBlock, pick_action
from billpay.slack.blocks.text import day, due_phrase, escape, mention, moment, money, plain

# 30 lines of at most ~100 characters stay well inside a section's 3000.
MAX_LINKS = 30
MAX_BLOCKS = 100
SECTION_LIMIT = 3000
HEADER_LIMIT = 150
OPTION_LIMIT = 75
# Companies listed in the overdue section (one line each, inside one section's 3000).
MAX_COMPANIES = 15

# What each audit event says in the recent activity: `who` did it to `bill`.
ACTIVITY_WORDS = {
    "bill_approved": N_("{who} approved {bill}"),
    "bill_rejected": N_("{who} rejected {bill}"),
    "bill_reopened": N_("{who} reopened {bill}"),
    "bill_created": N_("{who} created {bill}"),
    "payment_recorded": N_("{who} paid {bill}"),
    "payment_scheduled": N_("{who} scheduled a payment of {bill}"),
    "payment_cancelled": N_("{who} cancelled the scheduled payment of {bill}"),
    "payment_undone": N_("{who} stopped the payment of {bill}"),
    "payment_refused": N_("The accounting platform refused a payment of {bill}"),
    "case_closed": N_("{bill} is no longer outstanding (paid or voided elsewhere)"),
}


def home_view(
    links: list[tuple[str, str, str]],
    *,
    locale: str,
    queue: Queue | None = None,
    today: date | None = None,
    time_zone: str = "UTC",
    permalinks: Mapping[tuple[str, str], str] | None = None,
) -> dict[str, Any]:
    """`links`: (channel id, company name, base currency) of this workspace's linked channels;
    `queue`, the person's, as of `today`; `permalinks`, the links to the cards it shows."""
    _ = words(locale)
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": "Bill Pay"}},
        _context(
            _(
                "See your outstanding supplier bills in a channel, approve or reject "
                "them, and pay them from the right bank account; each payment is recorded "
                "in your accounting platform."
            )
        ),
        {"type": "divider"},
    ]
    if not links:
        blocks.append(
            _section(
                _(
                    "*No channel is linked yet.* In your finance channel, run "
                    "`/invite @billpay`, then `/billpay connect`."
                )
            )
        )
    elif queue is not None and today is not None:
        lines = _Lines(locale, today, permalinks or {}, several=len(links) > 1)
        blocks += _waiting(queue, lines)
        blocks += _ready(queue, lines)
        blocks += _scheduled(queue, lines)
        blocks += _overdue(queue.overdue, locale)
        blocks += _activity(queue.activity, locale, time_zone)
    blocks.append(_linked(links, locale) if links else {"type": "divider"})
    blocks.append(
        _context(
            _(
                "`/bills` lists what's due · `/bills overdue` · `/bills due 7d` · "
                "`/supplier <name>` · `/billpay help`"
            )
        )
    )
    assert len(blocks) <= MAX_BLOCKS, len(blocks)
    return {"type": "home", "blocks": blocks}


class _Lines:
    """One bill as a line: supplier (linked to its card), reference, amount, due date."""

    def __init__(
        self,
        locale: str,
        today: date,
        permalinks: Mapping[tuple[str, str], str],
        *,
        several: bool,
    ) -> None:
        self.locale = locale
        self.today = today
        self.permalinks = permalinks
        self.several = several

    def __call__(self, bill: QueuedBill, amount: str | None = None) -> str:
        _ = words(self.locale)
        # A `|` or `>` would end a link's label early: neither can reach it.
        name = escape(plain(bill.supplier_name, 60)).replace("|", "¦")
        url = self.permalinks.get(bill.card) if bill.card else None
        label = f"<{url}|*{name}*>" if url else f"*{name}*"
        if bill.reference:
            label += f" · {escape(plain(bill.reference, 40))}"
        figure = amount or money(bill.amount_due, bill.currency, self.locale)
        line = f"{label} · {figure}"
        if bill.due_date is not None:
            line += " · " + _(
                "due {date} ({when})",
                date=day(bill.due_date, self.locale),
                when=due_phrase(bill.due_date, self.today, self.locale),
            )
        if bill.approvals_required > 1:
            line += " · " + _(
                "{count} of {required}", count=bill.approvals, required=bill.approvals_required
            )
        if self.several:
            line += f" · <#{bill.channel_id}>"
        return line


def _waiting(queue: Queue, line: _Lines) -> list[dict[str, Any]]:
    _ = words(line.locale)
    blocks = [_header(_("Waiting for your approval ({count})", count=queue.waiting_count))]
    if not queue.waiting:
        return [*blocks, _context(_("Nothing is waiting for your approval."))]
    for n, bill in enumerate(queue.waiting):
        value = HomeBill(channel_id=bill.channel_id, bill_id=bill.bill_id, version=bill.version)
        option = {"text": {"type": "plain_text", "text": _("Select")}, "value": value.dump()}
        blocks.append(
            {
                **_section(line(bill)),
                "block_id": f"{HomeBlock.WAITING}:{n}",
                "accessory": {
                    "type": "checkboxes",
                    "action_id": pick_action(n),
                    "options": [option],
                },
            }
        )
    blocks += _more(queue.waiting_count - len(queue.waiting), line.locale)
    approve = {
        "type": "button",
        "action_id": HomeAction.APPROVE_SELECTED,
        "text": {"type": "plain_text", "text": plain(_("Approve selected…"), 75)},
        "style": "primary",
    }
    blocks.append({"type": "actions", "block_id": HomeBlock.APPROVE, "elements": [approve]})
    return blocks


def _ready(queue: Queue, line: _Lines) -> list[dict[str, Any]]:
    _ = words(line.locale)
    blocks = [_header(_("Ready for you to pay ({count})", count=queue.ready_count))]
    if not queue.ready:
        return [*blocks, _context(_("Nothing is ready for you to pay."))]
    blocks.append(_section("\n".join(f"• {line(bill)}" for bill in queue.ready)))
    return blocks + _more(queue.ready_count - len(queue.ready), line.locale)


def _scheduled(queue: Queue, line: _Lines) -> list[dict[str, Any]]:
    _ = words(line.locale)
    blocks = [_header(_("Scheduled payments ({count})", count=queue.scheduled_count))]
    if not queue.scheduled:
        return [*blocks, _context(_("No payment is scheduled."))]
    for n, scheduled in enumerate(queue.scheduled):
        blocks.append(
            {
                **_section(_scheduled_line(scheduled, line)),
                "block_id": f"{HomeBlock.SCHEDULED}:{n}",
                "accessory": _cancel_button(scheduled.bill, line.locale),
            }
        )
    return blocks + _more(queue.scheduled_count - len(queue.scheduled), line.locale)


def _scheduled_line(scheduled: ScheduledLine, line: _Lines) -> str:
    _ = words(line.locale)
    amount = _(
        "{amount} on {date}",
        amount=money(scheduled.amount, scheduled.currency, line.locale),
        date=day(scheduled.payment_date, line.locale),
    )
    return line(scheduled.bill, amount)


def _cancel_button(bill: QueuedBill, locale: str) -> dict[str, Any]:
    """The card's Cancel payment, with the card's confirmation."""
    _ = words(locale)
    value = HomeBill(channel_id=bill.channel_id, bill_id=bill.bill_id, version=bill.version)
    return {
        "type": "button",
        "action_id": HomeAction.CANCEL_PAYMENT,
        "text": {"type": "plain_text", "text": plain(_("Cancel payment"), 75)},
        "value": value.dump(),
        "style": "danger",
        "confirm": {
            "title": {"type": "plain_text", "text": plain(_("Cancel this payment?"), 100)},
            "text": {"type": "mrkdwn", "text": _("The bill goes back to approved, unpaid.")},
            "confirm": {"type": "plain_text", "text": plain(_("Cancel payment"), 30)},
            "deny": {"type": "plain_text", "text": plain(_("Keep it"), 30)},
            "style": "danger",
        },
    }


def _overdue(overdue: list[CompanyOverdue], locale: str) -> list[dict[str, Any]]:
    _ = words(locale)
    blocks = [_header(_("Overdue per company"))]
    if not overdue:
        return [*blocks, _context(_("Nothing is overdue."))]
    lines = []
    for company in overdue[:MAX_COMPANIES]:
        lines.append(
            "• "
            + _.ngettext(
                "<#{channel}> *{company}*: {n} overdue bill, {totals}",
                "<#{channel}> *{company}*: {n} overdue bills, {totals}",
                company.count,
                channel=company.channel_id,
                company=escape(plain(company.company_name, 60)),
                totals=_totals(company.totals, locale),
            )
        )
    blocks.append(_section("\n".join(lines)))
    return blocks + _more(len(overdue) - MAX_COMPANIES, locale)


def _totals(totals: Mapping[str, Decimal], locale: str) -> str:
    return " · ".join(money(amount, currency, locale) for currency, amount in totals.items())


def _activity(activity: list[Activity], locale: str, time_zone: str) -> list[dict[str, Any]]:
    _ = words(locale)
    blocks = [_header(_("Recent activity"))]
    if not activity:
        return [*blocks, _context(_("Nothing has happened in your channels yet."))]
    lines = []
    for event in activity:
        bill = escape(plain(event.supplier_name or _("a bill"), 60))
        if event.reference:
            bill += f" ({escape(plain(event.reference, 40))})"
        said = _(ACTIVITY_WORDS[event.action], who=mention(event.actor), bill=bill)
        where = f" · <#{event.channel_id}>" if event.channel_id else ""
        lines.append(f"• {said}{where} · {moment(event.at, time_zone, locale)}")
    return [*blocks, _section("\n".join(lines))]


def _more(count: int, locale: str) -> list[dict[str, Any]]:
    if count <= 0:
        return []
    _ = words(locale)
    text = _.ngettext("…and {n} more: use `/bills`", "…and {n} more: use `/bills`", count)
    return [_context(text)]


def _linked(links: list[tuple[str, str, str]], locale: str) -> dict[str, Any]:
    _ = words(locale)
    lines = [
        f"• <#{channel}>: {escape(plain(company, 60))} ({escape(currency)})"
        for channel, company, currency in links[:MAX_LINKS]
    ]
    if len(links) > MAX_LINKS:
        lines.append(_("…and {count} more", count=len(links) - MAX_LINKS))
    return _section(_("*Linked channels*") + "\n" + "\n".join(lines))


def _header(text: str) -> dict[str, Any]:
    return {"type": "header", "text": {"type": "plain_text", "text": plain(text, HEADER_LIMIT)}}


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": _fit(text)}}


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": _fit(text)}]}


def _fit(text: str) -> str:
    """Within a text object's 3000 characters, whole lines kept."""
    if len(text) <= SECTION_LIMIT:
        return text
    kept = text[: SECTION_LIMIT - 1].rsplit("\n", 1)[0]
    return kept + "\n…"
