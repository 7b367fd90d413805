"""`/billpay connect`, `status`, `language` and `help`: the channel's company, who may approve
and pay, its daily digest, its language and today's calls to the payables API, in a few lines
(for the channel when it is linked, else for who asked)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from babel.numbers import format_decimal

from billpay.core.domain import PolicyCount
from billpay.core.i18n import N_, language_name, words
from billpay.digest.schedule import Subscription
from billpay.slack.blocks.ids import Action
from billpay.slack.blocks.text import escape, money, plain, weekday

BILLPAY_HELP = N_(
    "*Bill Pay*\n"
    "• `/billpay connect` links this channel to your company's bills: choose the company (or "
    "create it) and connect its accounting platform; `/billpay connect <company name or id>` "
    "links a company whose platform is connected.\n"
    "• `/billpay disconnect` unlinks this channel (asks first; the history stays).\n"
    "• `/bills` lists outstanding bills here; `/bills overdue`, `/bills due 7d` or "
    "`/bills <supplier>` narrow it.\n"
    "• `/supplier <name>` looks a supplier up; `/billpay bill` adds a new bill; "
    "`/billpay account new` adds a bank account.\n"
    "• `/billpay digest` sets when the daily digest comes; `/billpay digest now` posts it now.\n"
    "• `/billpay status` shows this channel's company, its connection, policy and digest.\n"
    "• `/billpay policy` (admins) sets who approves and pays here; `/billpay admins` names "
    "who else may change settings; `/billpay grant <company id>` (admins) gives this workspace "
    "a company already in Codat.\n"
    "• `/billpay away @ben until 2026-12-24` lets Ben decide for you while you are away; "
    "`/billpay away off` ends it.\n"
    "• `/billpay language fr` (or `en`) sets the language of what the bot says to this "
    "channel; modals and answers to you stay in your own Slack language.\n"
    "On each bill: *Approve*, *Reject* (with a reason) and, once approved, *Pay…*"
)


def linked_text(
    user_id: str,
    company_name: str,
    base_currency: str,
    approvers: str,
    payers: str,
    policy_words: str,
    subscription: Subscription | None,
    *,
    created: bool,
    locale: str,
) -> str:
    """What the channel reads once `/billpay connect` linked (or re-linked) it: the company,
    who may approve and pay, how many people paying a bill takes (`policy_words`, from
    `policy_line`), and what comes next: the digest as it is set, a re-linked channel's
    own settings included."""
    _ = words(locale)
    anyone = _("anyone in this channel")
    who = {
        "person": f"<@{user_id}>",
        "company": escape(company_name),
        "currency": base_currency,
    }
    linked = (
        _("{person} linked this channel to *{company}* (base currency {currency}).", **who)
        if created
        else _("{person} re-linked this channel to *{company}* (base currency {currency}).", **who)
    )
    return (
        linked
        + " "
        + _(
            "Approvers: {approvers}. Payers: {payers}.",
            approvers=approvers or anyone,
            payers=payers or anyone,
        )
        + " "
        + policy_words
        + " "
        + _("Run `/bills` to see what's due.")
        + " "
        + digest_line(subscription, locale=locale)
        + (
            " " + _("`/billpay digest` changes it.")
            if subscription is not None and not subscription.paused
            else ""
        )
    )


def policy_line(count: PolicyCount, base_currency: str, *, locale: str) -> str:
    """The policy in force in one line: how many different people paying a bill takes, and
    what lets fewer do it (an approver who may pay, small bills approved by policy)."""
    _ = words(locale)
    if count.approver_may_pay:
        line = _(":warning: One person can approve and pay a bill alone here")
    else:
        line = _.ngettext(
            "{n} person needed to pay any bill: one approves, another pays",
            "{n} people needed to pay any bill: one approves, another pays",
            count.people,
        )
    if count.people_above is not None and count.threshold is not None:
        line += _.ngettext(
            "; {n} above {amount}",
            "; {n} above {amount}",
            count.people_above,
            amount=money(count.threshold, base_currency, locale),
        )
    line += ". " + _("Whoever creates a bill here, or asks for it, never approves it.")
    if count.auto_approve is not None:
        below, hours = count.auto_approve
        line += " " + _.ngettext(
            "Bills under {amount} still waiting after {n} hour are approved by policy; one "
            "payer can then pay them, never whoever created them.",
            "Bills under {amount} still waiting after {n} hours are approved by policy; one "
            "payer can then pay them, never whoever created them.",
            hours,
            amount=money(below, base_currency, locale),
        )
    return line


def status_text(
    company_name: str,
    base_currency: str,
    approvers: str,
    payers: str,
    policy_words: str,
    subscription: Subscription | None,
    *,
    locale: str,
) -> str:
    """`approvers` and `payers` as the policy words them (empty: anyone in the channel);
    `policy_words` from `policy_line`."""
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
        policy_words,
    ]
    lines.append(digest_line(subscription, locale=locale))
    return "\n".join(lines)


def status_message(text: str, *, locale: str) -> dict[str, Any]:
    """`/billpay status`'s answer: its text, and a button to the channel's policy form (which
    refuses whoever may not change settings, in the usual words)."""
    _ = words(locale)
    button = {
        "type": "button",
        "action_id": Action.OPEN_POLICY,
        "text": {"type": "plain_text", "text": plain(_("Change the policy…"), 75)},
    }
    blocks = [
        {"type": "section", "text": {"type": "mrkdwn", "text": plain(text, 3000)}},
        {"type": "actions", "elements": [button]},
    ]
    return {"text": text, "blocks": blocks}


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


def calls_line(
    calls: int,
    left: int,
    reset_at: datetime,
    synced_at: datetime | None,
    *,
    exhausted: bool,
    locale: str,
) -> str:
    """Today's calls to the payables API for this company, what is left of the allowance for
    all companies, and when the bills were last synced (None: not yet)."""
    _ = words(locale)
    line = _(
        N_(
            "Calls to the accounting platform today: {calls}; {left} left today for all "
            "companies (resets at {time} UTC)."
        ),
        calls=format_decimal(calls, locale=locale),
        left=format_decimal(left, locale=locale),
        time=f"{reset_at.astimezone(UTC):%H:%M}",
    )
    if exhausted:
        line += " " + _(
            N_("Today's allowance is used up: payments still go through, other reads wait.")
        )
    if synced_at is None:
        synced = _(N_("Bills last synced: not yet."))
    else:
        synced = _(
            N_("Bills last synced: {when} UTC."),
            when=f"{synced_at.astimezone(UTC):%Y-%m-%d %H:%M}",
        )
    return f"{line}\n{synced}"


def connection_line(
    platform: str | None, status: str | None, seen_at: datetime | None, *, locale: str
) -> str:
    """The link's accounting platform and its connection's health as last seen (`status`
    None: not seen since linking, when it was Linked)."""
    _ = words(locale)
    name = escape(platform) if platform else _("the accounting platform")
    if status is None or status == "Linked":
        line = _("Accounting platform: {platform}, connected.", platform=name)
        if seen_at is not None:
            line += " " + _("Last checked {when} UTC.", when=_utc_minute(seen_at))
        return line
    return ":warning: " + _(
        "Accounting platform: {platform}, not connected ({status}) since {when} UTC: payments "
        "wait until the company reconnects it.",
        platform=name,
        status=escape(status),
        when=_utc_minute(seen_at) if seen_at else "?",
    )


def waiting_line(company_name: str, platform: str, since: datetime, *, locale: str) -> str:
    """`/billpay status` in a channel not linked yet whose connection waits to be authorised."""
    _ = words(locale)
    return _(
        "This channel isn't linked yet: waiting since {when} UTC for {platform} to be "
        "authorised for *{company}*. `/billpay connect` starts again.",
        when=_utc_minute(since),
        platform=escape(platform),
        company=escape(company_name),
    )


def language_line(language: str, *, locale: str) -> str:
    """The channel's language as `/billpay status` and `/billpay language` say it."""
    _ = words(locale)
    return _(
        "This channel's language: {language} (thread lines, announcements, the digest). "
        "`/billpay language fr` or `/billpay language en` changes it.",
        language=language_name(language, in_locale=locale),
    )


def language_set_text(user_id: str, language: str) -> str:
    """What the channel reads, in its new language, once someone changed it."""
    _ = words(language)
    return _(
        "<@{user}> changed this channel's language: {language}. Thread lines, announcements "
        "and the digest use it from now on; modals and answers to each person stay in their "
        "own Slack language.",
        user=user_id,
        language=language_name(language, in_locale=language),
    )


def _utc_minute(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M")
