"""A digest printed in a terminal, for `billpay digest --dry-run`: the same groups, people,
payments, bars and bills the Slack message shows, laid out with Rich within 80 columns.

Every piece of text from the accounting platform goes into a `rich.text.Text`, never into
markup, so a supplier called `[bold]` or `<!channel>` is printed as it is.
"""

from __future__ import annotations

from rich import box
from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from billpay.core.money import format_money
from billpay.digest.compute import Digest, DueBill, add_totals
from billpay.digest.schedule import Subscription
from billpay.digest.words import cash_chart, group_title, heading_day, plural, totals_text

WIDTH = 80
MAX_LISTED_BILLS = 15
MAX_SCHEDULED = 8


def digest_panel(
    digest: Digest, subscription: Subscription, *, locale: str, note: str = ""
) -> RenderableType:
    """The digest of one channel in a panel titled with the channel and the company."""
    parts: list[RenderableType] = [
        Text.assemble(
            (f"Bills due · {heading_day(digest.today, locale)}", "bold"),
            f"  ({subscription.describe()})",
        )
    ]
    if note:
        parts.append(Text(note, style="yellow"))
    summary = Table(box=None, show_header=False, pad_edge=False)
    summary.add_column(no_wrap=True)
    summary.add_column(justify="right", no_wrap=True)
    summary.add_column()
    for group in digest.groups:
        style = "red" if group.kind == "overdue" and group.count else ""
        summary.add_row(
            Text(group_title(group.kind, digest.look_ahead_days), style=style),
            Text(plural(group.count, "bill")),
            Text(totals_text(group.totals, locale) if group.count else "-"),
        )
    parts.extend([Text(), summary])
    approvals = digest.approvals
    if approvals.count:
        who = (
            "anyone in the channel may approve"
            if approvals.anyone
            else "waiting on " + ", ".join(f"{user} ({n})" for user, n in approvals.waiting_on)
        )
        parts.extend(
            [
                Text(),
                Text.assemble(
                    ("Awaiting approval: ", "bold"),
                    f"{plural(approvals.count, 'bill')} · {totals_text(approvals.totals, locale)}"
                    f"; {who}",
                ),
            ]
        )
    if digest.scheduled:
        parts.extend([Text(), Text("Scheduled payments", style="bold")])
        for payment in digest.scheduled[:MAX_SCHEDULED]:
            parts.append(
                Text(
                    f"  {heading_day(payment.payment_date, locale)}  "
                    f"{format_money(payment.amount, payment.currency, locale)}  "
                    f"{payment.supplier_name} · from {payment.account_name}",
                    no_wrap=True,
                    overflow="ellipsis",
                )
            )
        if len(digest.scheduled) > MAX_SCHEDULED:
            parts.append(Text(f"  and {len(digest.scheduled) - MAX_SCHEDULED} more"))
    for currency in digest.cash.currencies:
        parts.extend(
            [
                Text(),
                Text(f"Cash going out ({currency}), per day then per week", style="bold"),
                Text("\n".join(cash_chart(digest.cash, currency, locale))),
            ]
        )
    if digest.bills:
        parts.extend([Text(), Text("Most urgent", style="bold"), _bills_table(digest, locale)])
    return Panel(
        Group(*parts),
        title=Text(f"#{subscription.channel_id} · {subscription.company_name}"),
        title_align="left",
        box=box.ROUNDED,
        width=WIDTH,
    )


def _bills_table(digest: Digest, locale: str) -> RenderableType:
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, expand=True)
    table.add_column("Supplier", ratio=3, overflow="ellipsis", no_wrap=True)
    table.add_column("Amount due", justify="right", no_wrap=True)
    table.add_column("When", no_wrap=True)
    table.add_column("State", ratio=2, overflow="ellipsis", no_wrap=True)
    listed = digest.bills[:MAX_LISTED_BILLS]
    for bill in listed:
        table.add_row(
            Text(bill.supplier_name),
            Text(format_money(bill.amount_due, bill.currency, locale)),
            Text(_when(bill, digest)),
            Text(bill.state.value),
        )
    rest = digest.bills[len(listed) :]
    if not rest:
        return table
    totals = add_totals(({b.currency: b.amount_due} for b in rest), digest.base_currency)
    return Group(table, Text(f"and {len(rest)} more ({totals_text(totals, locale)})"))


def _when(bill: DueBill, digest: Digest) -> str:
    days = (bill.due_date - digest.today).days
    if days < 0:
        return f"{-days}d overdue"
    return "today" if days == 0 else f"in {days}d"
