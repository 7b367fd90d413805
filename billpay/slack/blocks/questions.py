"""Questions on a bill and replies that read as approvals: the Ask a question modal, the
question posted in the card's thread with its Mark resolved button, and the "Approve this
bill?" message offered to an approver. Pure functions."""

from __future__ import annotations

from datetime import date
from typing import Any

from billpay.core.bounds import MAX_QUESTION_LENGTH
from billpay.core.domain import CaseView, OpenQuestion
from billpay.core.i18n import words
from billpay.slack.blocks import fields
from billpay.slack.blocks.bills.card import bill_text
from billpay.slack.blocks.frame import bill_summary, modal
from billpay.slack.blocks.ids import Action, Callback, Input
from billpay.slack.blocks.metadata import AskMetadata, QuestionAction, ReplyApproval
from billpay.slack.blocks.text import bill_name, escape, mention, money, plain


def ask_modal(
    case: CaseView,
    metadata: AskMetadata,
    *,
    default_person: str | None,
    locale: str,
    today: date,
) -> dict[str, Any]:
    _ = words(locale)
    who: dict[str, Any] = {
        "type": "input",
        "block_id": Input.ASK_WHO,
        "label": {"type": "plain_text", "text": _("Whom to ask")},
        "element": {"type": "users_select", "action_id": Input.ASK_WHO},
    }
    if default_person:
        who["element"]["initial_user"] = default_person
    return modal(
        _("Ask a question"),
        [
            bill_summary(case, locale=locale, today=today),
            fields.text_input(
                Input.ASK_TEXT,
                _("Your question"),
                placeholder=_("e.g. Did we receive these goods?"),
                hint=_(
                    "Posted in the card's thread, mentioning the person. Until it is resolved, "
                    "paying the bill needs an explicit override."
                ),
                multiline=True,
                max_length=MAX_QUESTION_LENGTH,
            ),
            who,
        ],
        callback_id=Callback.ASK,
        submit=_("Ask"),
        close=_("Cancel"),
        metadata=metadata.dump(),
        locale=locale,
    )


def question_message(case: CaseView, question: OpenQuestion, *, locale: str) -> dict[str, Any]:
    """The question in the card's thread, with Mark resolved."""
    _ = words(locale)
    reference = f" · {escape(case.reference)}" if case.reference else ""
    head = _(
        "{asker} asks {asked} about {supplier}{reference} ({amount}):",
        asker=mention(question.asked_by),
        asked=mention(question.asked_of),
        supplier=escape(case.supplier_name),
        reference=reference,
        amount=money(case.amount_due, case.currency, locale),
    )
    quoted = "\n".join(f"> {line}" for line in escape(question.text).splitlines() or [""])
    text = f":question: {head}\n{quoted}"
    return {
        # The fallback text notifies too: the question is escaped there as well.
        "text": f"{head} {escape(plain(question.text, 2000))}",
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}},
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "action_id": Action.RESOLVE_QUESTION,
                        "text": {"type": "plain_text", "text": _("Mark resolved")},
                        "value": QuestionAction(
                            bill_id=case.bill_id, question_id=question.id
                        ).dump(),
                    }
                ],
            },
        ],
    }


def resolved_line(case: CaseView, user_id: str, locale: str) -> str:
    _ = words(locale)
    return ":white_check_mark: " + _(
        "Question on {bill} resolved by {who}.",
        bill=bill_name(case.supplier_name, case.reference),
        who=mention(user_id),
    )


def approve_prompt(
    cases: list[CaseView], message_ts: str, *, locale: str, today: date
) -> dict[str, Any]:
    """The message only the approver sees: "Approve this bill?" with a button per bill."""
    _ = words(locale)
    title = _.ngettext("Approve this bill?", "Approve one of these bills?", len(cases))
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*{title}*"}}
    ]
    for case in cases:
        blocks.append(
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": bill_text(case, locale=locale, today=today)},
                "accessory": {
                    "type": "button",
                    "action_id": Action.REPLY_APPROVE,
                    "style": "primary",
                    "text": {"type": "plain_text", "text": _("Approve")},
                    "value": ReplyApproval(bill_id=case.bill_id, message_ts=message_ts).dump(),
                },
            }
        )
    blocks.append(
        {
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "action_id": Action.REPLY_DISMISS,
                    "text": {"type": "plain_text", "text": _("Not now")},
                    "value": "dismiss",
                }
            ],
        }
    )
    blocks.append(
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": _(
                        "Your reply read like an approval; nothing is decided until you "
                        "press Approve."
                    ),
                }
            ],
        }
    )
    return {"text": title, "blocks": blocks}
