"""Decisions on a bill: Approve, Reject… and Reopen… on its card, and the Reject and Reopen
forms that ask for the reason.

Authorisation is decided by the approvals service from the channel's policy at click time; a refused
click raises `Denied`, which the error boundary answers, and changes nothing. Each decision is
taken against the case version the card was drawn from: a card showing older figures is
refused and redrawn. A form's reason is checked at once: a mistake comes back on its field
(`response_action: errors`) and nothing is recorded.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from billpay.bills.cases import Outcome
from billpay.core.bounds import reason_problem
from billpay.core.domain import CaseRef, CaseView
from billpay.core.errors import CardOutOfDate, FieldErrors
from billpay.core.i18n import N_, words
from billpay.core.mrkdwn import escape
from billpay.services import Services
from billpay.slack.blocks.ids import Action, Callback, Input
from billpay.slack.blocks.metadata import BillAction, ModalMetadata, RejectMetadata, ReopenMetadata
from billpay.slack.blocks.modals import reject_modal, reopen_modal
from billpay.slack.blocks.text import bill_name
from billpay.slack.boundary import Ack, Listeners
from billpay.slack.budget import trigger_of
from billpay.slack.envelope import Click, Submission, field_value
from billpay.slack.handlers.cards import Cards, tell
from billpay.slack.people import LazyPerson
from billpay.slack.publisher import Publisher

Check = Callable[..., Awaitable[CaseView]]
Decide = Callable[..., Awaitable[Outcome]]


# The lines a decision with a reason posts in the card's thread: its mark, and its words.
REJECTED = (":no_entry: ", N_("<@{user}> rejected {bill}: {reason}"))
REOPENED = ("", N_("<@{user}> reopened {bill}: {reason}"))


def register(on: Listeners, services: Services) -> None:
    publisher = services.must_publish()
    cards = Cards(services)

    @on.action(Action.APPROVE, BillAction)
    async def approve(
        ack: Ack, click: Click, value: BillAction, respond: AsyncRespond, person: LazyPerson
    ) -> None:
        await ack()
        await cards.drawn_from(click, value.bill_id, value.version)
        async with cards.up_to_date(click, value.bill_id):
            outcome = await services.approvals.approve(
                click.case(value.bill_id), click.user_id, seen=value.version
            )
        await cards.changed(click, value.bill_id)
        if outcome.notice:
            await tell(respond, words((await person).locale)(outcome.notice))

    async def ask_reason(
        click: Click,
        value: BillAction,
        body: dict[str, Any],
        client: AsyncWebClient,
        person: LazyPerson,
        check: Check,
        form: type[RejectMetadata] | type[ReopenMetadata],
        modal: Callable[..., dict[str, Any]],
    ) -> None:
        """Reject… and Reopen…: may this person decide, on the figures the card showed? Then
        the form asking for the reason, carrying the version the decision is taken against."""
        await cards.drawn_from(click, value.bill_id, value.version)
        async with cards.up_to_date(click, value.bill_id):
            case = await check(click.case(value.bill_id), click.user_id, seen=value.version)
        reader = await person
        metadata = form(
            channel_id=click.channel_id,
            message_ts=click.message_ts,
            bill_id=value.bill_id,
            version=case.version,
        )
        view = modal(case, metadata, locale=reader.locale, today=reader.today(services.clock()))
        await client.views_open(trigger_id=trigger_of(body), view=view)

    @on.action(Action.REJECT, BillAction)
    async def reject(
        ack: Ack,
        click: Click,
        value: BillAction,
        body: dict[str, Any],
        client: AsyncWebClient,
        person: LazyPerson,
    ) -> None:
        await ack()
        check = services.approvals.check_may_reject
        await ask_reason(click, value, body, client, person, check, RejectMetadata, reject_modal)

    @on.action(Action.REOPEN, BillAction)
    async def reopen(
        ack: Ack,
        click: Click,
        value: BillAction,
        body: dict[str, Any],
        client: AsyncWebClient,
        person: LazyPerson,
    ) -> None:
        await ack()
        check = services.approvals.check_may_reopen
        await ask_reason(click, value, body, client, person, check, ReopenMetadata, reopen_modal)

    async def cards_changed(submission: Submission, metadata: ModalMetadata) -> None:
        """Every message showing the bill, after a change (or a refusal because its card was
        out of date: the cards then show the bill as it is)."""
        await Publisher.quietly(
            publisher.bill_changed_here(
                submission.team_id, metadata.channel_id, metadata.bill_id, metadata.message_ts
            ),
            "update the cards",
        )

    async def decide_with_reason(
        ack: Ack,
        body: dict[str, Any],
        submission: Submission,
        metadata: RejectMetadata | ReopenMetadata,
        reason_input: str,
        decide: Decide,
    ) -> tuple[str, Outcome]:
        """The Reject and Reopen forms: the reason checked on the field, then the decision
        taken against the card's version; the messages showing the bill are brought up to date
        whether it was taken or refused as out of date."""
        reason = (field_value(body, reason_input) or "").strip()
        problem = reason_problem(reason)
        if problem:
            raise FieldErrors({reason_input: problem})
        await ack()
        ref = CaseRef(submission.team_id, metadata.channel_id, metadata.bill_id)
        try:
            outcome = await decide(ref, submission.user_id, reason, seen=metadata.version)
        except CardOutOfDate:
            await cards_changed(submission, metadata)
            raise
        await cards_changed(submission, metadata)
        return reason, outcome

    async def decide_and_tell(
        ack: Ack,
        body: dict[str, Any],
        submission: Submission,
        metadata: RejectMetadata | ReopenMetadata,
        reason_input: str,
        decide: Decide,
        client: AsyncWebClient,
        person: LazyPerson,
        line: tuple[str, str],
    ) -> None:
        """`decide_with_reason`, then `line` in the card's thread, in the channel's language,
        naming the bill and the reason; a notice instead goes to the person alone."""
        reason, outcome = await decide_with_reason(
            ack, body, submission, metadata, reason_input, decide
        )
        if outcome.notice:
            _ = words((await person).locale)
            await client.chat_postEphemeral(
                channel=metadata.channel_id, user=submission.user_id, text=_(outcome.notice)
            )
            return
        told = words(await publisher.channel_language(submission.team_id, metadata.channel_id))
        mark, words_of_line = line
        text = mark + told(
            words_of_line,
            user=submission.user_id,
            bill=bill_name(outcome.case.supplier_name, outcome.case.reference),
            reason=escape(reason),
        )
        await Publisher.quietly(
            publisher.thread_line(
                submission.team_id, metadata.channel_id, metadata.message_ts, text
            ),
            "post the line",
        )

    @on.view(Callback.REJECT, RejectMetadata)
    async def reject_submitted(
        ack: Ack,
        body: dict[str, Any],
        submission: Submission,
        metadata: RejectMetadata,
        client: AsyncWebClient,
        person: LazyPerson,
    ) -> None:
        reject = services.approvals.reject
        await decide_and_tell(
            ack, body, submission, metadata, Input.REJECT_REASON, reject, client, person, REJECTED
        )

    @on.view(Callback.REOPEN, ReopenMetadata)
    async def reopen_submitted(
        ack: Ack,
        body: dict[str, Any],
        submission: Submission,
        metadata: ReopenMetadata,
        client: AsyncWebClient,
        person: LazyPerson,
    ) -> None:
        reopen = services.approvals.reopen
        await decide_and_tell(
            ack, body, submission, metadata, Input.REOPEN_REASON, reopen, client, person, REOPENED
        )
