"""`/billpay status`: the channel's company, who may approve and pay, and its daily digest, in a
few lines for the person who asked."""

from __future__ import annotations

from blocks.text import escape
from bot.digest.schedule import Subscription

DAY_NAMES = {1: "Mon", 2: "Tue", 3: "Wed", 4: "Thu", 5: "Fri", 6: "Sat", 7: "Sun"}


def status_text(
    company_name: str,
    base_currency: str,
    approvers: str,
    payers: str,
    subscription: Subscription | None,
) -> str:
    """`approvers` and `payers` as the policy words them (empty: anyone in the channel)."""
    lines = [
        f"*{escape(company_name)}* (base currency {escape(base_currency)}) is linked to this "
        "channel.",
        f"Approvers: {approvers or 'anyone in this channel'}. "
        f"Payers: {payers or 'anyone in this channel'}.",
    ]
    if subscription is None:
        lines.append("No daily digest yet: `/billpay digest` sets one up.")
    elif subscription.paused:
        lines.append(
            f"The daily digest is paused: {escape(subscription.paused_reason or 'paused')}. "
            "`/billpay digest now` posts one and resumes it."
        )
    else:
        days = ", ".join(DAY_NAMES[d] for d in subscription.weekdays)
        lines.append(
            f"Daily digest: {subscription.local_time.strftime('%H:%M')} "
            f"{escape(subscription.time_zone)} on {days}, bills due within "
            f"{subscription.look_ahead_days} days"
            + (", posted even when nothing is due." if subscription.post_when_empty else ".")
        )
    return "\n".join(lines)
