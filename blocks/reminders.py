"""The words of a reminder, an escalation and an approval by policy: one line each, about one
bill, with the approvers to act mentioned."""

from __future__ import annotations

from datetime import date

from blocks.text import due_phrase, escape, mention, money
from bot.domain import Nudge


def nudge_text(nudge: Nudge, *, locale: str, today: date) -> str:
    case = nudge.case
    bill = f"*{escape(case.supplier_name)}*" + (
        f" · {escape(case.reference)}" if case.reference else ""
    )
    amount = money(case.amount_due, case.currency, locale)
    hours = int(nudge.waited.total_seconds() // 3600)
    due = due_phrase(case.due_date, today, locale)
    match nudge.kind:
        case "remind":
            return f":bell: {bill} ({amount}, {due}) has waited {hours} hours for your approval."
        case "escalate":
            who = " ".join(mention(user) for user in nudge.who) or "Approvers"
            return f":rotating_light: {bill} ({amount}) is {due} and has no decision yet. {who}"
        case _:
            return (
                f":robot_face: {bill} ({amount}) was approved by policy: under the automatic "
                f"approval amount and waiting {hours} hours."
            )
