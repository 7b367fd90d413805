"""`/billpay status`: the channel's company, who may approve and pay, and its daily digest, in a
few lines for the person who asked."""

from __future__ import annotations

from billpay.core.i18n import words
from billpay.digest.schedule import Subscription
from billpay.slack.blocks.text import escape, weekday


def status_text(
    company_name: str,
    base_currency: str,
    approvers: str,
    payers: str,
    subscription: Subscription | None,
    *,
    locale: str,
) -> str:
    """`approvers` and `payers` as the policy words them (empty: anyone in the channel)."""
    _ = words(locale)
    anyone = _("anyone in this channel")
    lines = [
        _(
            "*{company}* (base currency {currency}) is linked to this channel.",
            company=escape(company_name),
            currency=escape(base_currency),
        ),
        _(
            "Approvers: {approvers}. Payers: {payers}.",
            approvers=approvers or anyone,
            payers=payers or anyone,
        ),
    ]
    lines.append(digest_line(subscription, locale=locale))
    return "\n".join(lines)


def digest_line(subscription: Subscription | None, *, locale: str) -> str:
    """When the daily digest comes, or why it doesn't."""
    _ = words(locale)
    if subscription is None:
        return _("No daily digest yet: `/billpay digest` sets one up.")
    if subscription.paused:
        return _(
            "The daily digest is paused: {reason}. `/billpay digest now` posts one and resumes it.",
            # The bot's own reasons are kept as message ids: translated here.
            reason=escape(_(subscription.paused_reason or "paused")),
        )
    days = ", ".join(weekday(d, locale) for d in subscription.weekdays)
    values = {
        "time": subscription.local_time.strftime("%H:%M"),
        "zone": escape(subscription.time_zone),
        "days": days,
    }
    if subscription.post_when_empty:
        return _.ngettext(
            "Daily digest: {time} {zone} on {days}, bills due within {n} day, posted even when "
            "nothing is due.",
            "Daily digest: {time} {zone} on {days}, bills due within {n} days, posted even when "
            "nothing is due.",
            subscription.look_ahead_days,
            **values,
        )
    return _.ngettext(
        "Daily digest: {time} {zone} on {days}, bills due within {n} day.",
        "Daily digest: {time} {zone} on {days}, bills due within {n} days.",
        subscription.look_ahead_days,
        **values,
    )
