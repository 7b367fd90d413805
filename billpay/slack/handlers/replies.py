"""Replies in a bill card's thread that read as an approval ("approved", "ok to pay"): the
person who wrote one is offered an Approve button, in a message only they see, and its
Dismiss. A reply never decides anything by itself.
"""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncRespond

from billpay.bills.questions import reads_as_approval
from billpay.core.i18n import words
from billpay.services import Services
from billpay.slack.blocks.ids import Action
from billpay.slack.blocks.metadata import ReplyApproval
from billpay.slack.blocks.questions import approve_prompt
from billpay.slack.boundary import Ack, Listeners
from billpay.slack.envelope import Click, message_ts, slack_id
from billpay.slack.people import LazyPerson
from billpay.slack.publisher import Publisher


def register(on: Listeners, services: Services) -> None:
    publisher = services.must_publish()

    @on.event("message")
    async def replied(event: dict[str, Any], body: dict[str, Any], person: LazyPerson) -> None:
        # Only people's plain replies in a thread: not the bot's own posts, not edits.
        if event.get("subtype") or event.get("bot_id") or event.get("app_id"):
            return
        team_id = slack_id(body.get("team_id"))
        channel_id = slack_id(event.get("channel"))
        user_id = slack_id(event.get("user"))
        thread_ts = message_ts(event.get("thread_ts"))
        text = event.get("text")
        if None in (team_id, channel_id, user_id, thread_ts) or not isinstance(text, str):
            return
        assert team_id and channel_id and user_id and thread_ts
        if not reads_as_approval(text):
            return
        # Only threads of the bot's own `/bills` messages are read (an unknown thread: nothing).
        if await services.messages.get(channel_id, thread_ts) is None:
            return
        cases = await services.questions.reply_candidates(team_id, channel_id, thread_ts, user_id)
        if not cases:
            return
        reader = await person
        prompt = approve_prompt(
            cases, thread_ts, locale=reader.locale, today=reader.today(services.clock())
        )
        await publisher.ephemeral(team_id, channel_id, user_id, prompt, thread_ts=thread_ts)

    @on.action(Action.REPLY_APPROVE, ReplyApproval)
    async def approve_from_reply(
        ack: Ack, click: Click, value: ReplyApproval, respond: AsyncRespond, person: LazyPerson
    ) -> None:
        await ack()
        outcome = await services.approvals.approve(click.case(value.bill_id), click.user_id)
        await Publisher.quietly(
            publisher.bill_changed_here(
                click.team_id, click.channel_id, value.bill_id, value.message_ts
            ),
            "update the cards",
        )
        _ = words((await person).locale)
        await respond(
            text=_(outcome.notice) if outcome.notice else _("Approved."),
            response_type="ephemeral",
            replace_original=True,
        )

    @on.action(Action.REPLY_DISMISS, None)
    async def dismiss(ack: Ack, respond: AsyncRespond) -> None:
        await ack()
        await respond(delete_original=True)
