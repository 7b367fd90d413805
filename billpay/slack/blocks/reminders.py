"""The words of a reminder, an escalation and an approval by policy: one line each, about one
bill, with the approvers to act mentioned (an approver away as "@ben for @ana", their
delegate deciding in their place). A reminder to a delegate who is also an approver of the bill
is one line saying both ("…for your approval, as yourself and standing in for @ana")."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from babel.lists import format_list

from billpay.core.domain import Nudge
from billpay.core.i18n import words
from billpay.slack.blocks.text import due_phrase, escape, mention, money


def nudge_text(
    nudge: Nudge,
    *,
    locale: str,
    today: date,
    for_whom: Sequence[str] = (),
    own: bool = True,
) -> str:
    """The nudge's line; a reminder to the delegate of the approvers `for_whom`, away, says it
    is for them, and also for the reader when `own` (the reader approves the bill too)."""
    _ = words(locale)
    case = nudge.case
    bill = f"*{escape(case.supplier_name)}*" + (
        f" · {escape(case.reference)}" if case.reference else ""
    )
    amount = money(case.amount_due, case.currency, locale)
    hours = int(nudge.waited.total_seconds() // 3600)
    due = due_phrase(case.due_date, today, locale)
    away = format_list([mention(person) for person in for_whom], locale=locale)
    match nudge.kind:
        case "remind" if for_whom and own:
            return ":bell: " + _.ngettext(
                "{bill} ({amount}, {due}) has waited {n} hour for your approval, as yourself "
                "and standing in for {person}.",
                "{bill} ({amount}, {due}) has waited {n} hours for your approval, as yourself "
                "and standing in for {person}.",
                hours,
                bill=bill,
                amount=amount,
                due=due,
                person=away,
            )
        case "remind" if for_whom:
            return ":bell: " + _.ngettext(
                "{bill} ({amount}, {due}) has waited {n} hour for your approval, standing in "
                "for {person}.",
                "{bill} ({amount}, {due}) has waited {n} hours for your approval, standing in "
                "for {person}.",
                hours,
                bill=bill,
                amount=amount,
                due=due,
                person=away,
            )
        case "remind":
            return ":bell: " + _.ngettext(
                "{bill} ({amount}, {due}) has waited {n} hour for your approval.",
                "{bill} ({amount}, {due}) has waited {n} hours for your approval.",
                hours,
                bill=bill,
                amount=amount,
                due=due,
            )
        case "escalate":
            who = " ".join(_mention_for(nudge, user, locale) for user in nudge.who) or _(
                "Approvers"
            )
            return ":rotating_light: " + _(
                "{bill} ({amount}) is {due} and has no decision yet. {who}",
                bill=bill,
                amount=amount,
                due=due,
                who=who,
            )
        case _:
            return ":robot_face: " + _.ngettext(
                "{bill} ({amount}) was approved by policy: under the automatic approval amount "
                "and waiting {n} hour.",
                "{bill} ({amount}) was approved by policy: under the automatic approval amount "
                "and waiting {n} hours.",
                hours,
                bill=bill,
                amount=amount,
            )


def _mention_for(nudge: Nudge, user_id: str, locale: str) -> str:
    delegate = nudge.delegate_of(user_id)
    if delegate is None:
        return mention(user_id)
    _ = words(locale)
    pair = _("{delegate} for {person}", delegate=mention(delegate), person=mention(user_id))
    return f"({pair})"
