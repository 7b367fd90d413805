"""Questions about a bill: the card's overflow choice Ask a question, its form (the question is
posted in the card's thread, and the card shows it open), and Mark resolved on the question.
"""

from __future__ import annotations

from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from billpay.bills.questions import question_problem
from billpay.core.domain import CaseRef
from billpay.core.errors import FieldErrors
from billpay.core.i18n import words
from billpay.services import Services
from billpay.slack.blocks.ids import Action, Callback, Input, MoreOption
from billpay.slack.blocks.metadata import AskMetadata, MoreAction, QuestionAction
from billpay.slack.blocks.questions import ask_modal, question_message, resolved_line
from billpay.slack.boundary import Ack, Listeners
from billpay.slack.budget import trigger_of
from billpay.slack.envelope import (
    Click,
    Submission,
    as_dict,
    field_element,
    field_value,
    message_ts,
    slack_id,
)
from billpay.slack.handlers.cards import Cards, overflow
from billpay.slack.people import LazyPerson
from billpay.slack.publisher import Publisher


def register(on: Listeners, services: Services) -> None:
    publisher = services.must_publish()
    cards = Cards(services)

    @overflow(on, MoreOption.ASK)
    async def ask(
        ack: Ack,
        click: Click,
        value: MoreAction,
        body: dict[str, Any],
        client: AsyncWebClient,
        person: LazyPerson,
    ) -> None:
        await ack()
        await cards.current(click, value.bill_id)
        case, default = await services.questions.check_may_ask(click.case(value.bill_id))
        reader = await person
        metadata = AskMetadata(
            channel_id=click.channel_id, message_ts=click.message_ts, bill_id=value.bill_id
        )
        view = ask_modal(
            case,
            metadata,
            default_person=default,
            locale=reader.locale,
            today=reader.today(services.clock()),
        )
        await client.views_open(trigger_id=trigger_of(body), view=view)

    @on.view(Callback.ASK, AskMetadata)
    async def ask_submitted(
        ack: Ack,
        body: dict[str, Any],
        submission: Submission,
        metadata: AskMetadata,
        person: LazyPerson,
    ) -> None:
        locale = (await person).locale
        _ = words(locale)
        text = (field_value(body, Input.ASK_TEXT) or "").strip()
        asked_of = slack_id(field_element(body, Input.ASK_WHO).get("selected_user"))
        errors: dict[str, str] = {}
        if problem := question_problem(text):
            errors[Input.ASK_TEXT] = _(problem)
        if asked_of is None:
            errors[Input.ASK_WHO] = _("Choose whom to ask.")
        if errors:
            raise FieldErrors(errors)
        assert asked_of is not None
        await ack()
        ref = CaseRef(submission.team_id, metadata.channel_id, metadata.bill_id)
        case, question = await services.questions.ask(
            ref, submission.user_id, asked_of, text, metadata.message_ts
        )
        if metadata.message_ts:
            await Publisher.quietly(
                publisher.thread_message(
                    submission.team_id,
                    metadata.channel_id,
                    metadata.message_ts,
                    question_message(
                        case,
                        question,
                        locale=await publisher.channel_language(
                            submission.team_id, metadata.channel_id
                        ),
                    ),
                ),
                "post the question",
            )
        await Publisher.quietly(
            publisher.bill_changed_here(
                submission.team_id, metadata.channel_id, metadata.bill_id, metadata.message_ts
            ),
            "update the cards",
        )

    @on.action(Action.RESOLVE_QUESTION, QuestionAction)
    async def resolve(
        ack: Ack, click: Click, value: QuestionAction, body: dict[str, Any], person: LazyPerson
    ) -> None:
        await ack()
        case = await services.questions.resolve(
            click.case(value.bill_id), click.user_id, value.question_id
        )
        thread_ts = message_ts(as_dict(body.get("message")).get("thread_ts"))
        locale = await publisher.channel_language(click.team_id, click.channel_id)
        line = resolved_line(case, click.user_id, locale)
        await Publisher.quietly(
            publisher.thread_line(click.team_id, click.channel_id, thread_ts, line),
            "post the line",
        )
        await Publisher.quietly(
            publisher.bill_changed_here(click.team_id, click.channel_id, value.bill_id, thread_ts),
            "update the cards",
        )
