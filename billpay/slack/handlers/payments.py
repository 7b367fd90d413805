"""Paying a bill: Pay… on an approved card (opens the Pay form), the form's submission, and a
payment's buttons on its card: Retry payment, Cancel (or Undo while it is held), and "it was
recorded" / "it was not" for a payment in doubt.

Pay… checks at once, from the bot's own records, that the person may pay (a refusal is an
answer only they see); then a loading modal opens while the trigger id is valid, before the
payables API is read, and the form (or why it can't open) takes its place
(`billpay.slack.budget`). The submission is checked on its fields before the ack; a valid one
turns the modal into a progress view, is recorded, and the modal then shows the result while
the card updates in place. The form's live preview while it is open is `handlers/pay_form.py`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

from slack_bolt.async_app import AsyncBoltContext, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from billpay.core.domain import CaseRef, PaymentOutcome
from billpay.core.errors import Denied, FieldErrors
from billpay.core.i18n import N_, Escaped, words
from billpay.core.mrkdwn import escape
from billpay.payments.form import PaymentForm, PaymentRequest, read_payment_form
from billpay.services import Services
from billpay.slack.blocks.card_extras import confirmations_needed
from billpay.slack.blocks.connection import pause_message, pause_text
from billpay.slack.blocks.ids import Action, Callback, Input
from billpay.slack.blocks.metadata import BillAction, PayMetadata
from billpay.slack.blocks.modals import (
    FETCHING_BILL,
    PAY_TITLE,
    form_context,
    loading_modal,
    offered,
    pay_modal,
    payment_result_modal,
    progress_view,
)
from billpay.slack.blocks.outcomes import step_answer
from billpay.slack.blocks.text import day, money
from billpay.slack.boundary import NOTHING_PAID, Ack, Listeners
from billpay.slack.budget import open_modal, reader_now, trigger_of
from billpay.slack.envelope import Click, Submission, field_choices, field_value
from billpay.slack.handlers.cards import Cards, tell
from billpay.slack.people import LazyPerson, Person
from billpay.slack.publisher import Publisher

FIELD_BLOCKS = {
    "account": Input.PAY_ACCOUNT,
    "amount": Input.PAY_AMOUNT,
    "date": Input.PAY_DATE,
    "reference": Input.PAY_REFERENCE,
    "rate": Input.PAY_RATE,
}
Step = Callable[[CaseRef, str], Awaitable[PaymentOutcome]]


def _pay_form(
    click: Click, bill_id: str, form: PaymentForm, payer: Person, today: date
) -> dict[str, Any]:
    """The Pay form, its metadata carrying what the submission is checked against."""
    metadata = PayMetadata(
        channel_id=click.channel_id,
        message_ts=click.message_ts,
        bill_id=bill_id,
        idempotency_key=form.idempotency_key,
        currency=form.case.currency,
        base_currency=form.base_currency,
        amount_due=form.case.payable_amount,
        locale=payer.locale,
        accounts=offered(form.accounts),
        confirm=confirmations_needed(form.case),
    )
    return pay_modal(form.case, metadata, locale=payer.locale, today=today)


def _submitted_form(
    body: dict[str, Any], metadata: PayMetadata, payer: Person, today: date
) -> tuple[PaymentRequest, frozenset[str]]:
    """What the submission carries, checked against the form's metadata only (Slack waits 3
    seconds for the answer); the server checks everything again, against fresh data, before
    paying. Mistakes come back on their fields; with them, the boxes the payer ticked."""
    form = read_payment_form(
        form_context(metadata, today),
        account_id=field_value(body, Input.PAY_ACCOUNT),
        amount=field_value(body, Input.PAY_AMOUNT),
        payment_date=field_value(body, Input.PAY_DATE),
        reference=field_value(body, Input.PAY_REFERENCE),
        rate=field_value(body, Input.PAY_RATE),
    )
    if isinstance(form, dict):
        raise FieldErrors({FIELD_BLOCKS[name]: text for name, text in form.items()})
    confirmed = frozenset(field_choices(body, Input.PAY_CONFIRM)) & set(metadata.confirm)
    if len(confirmed) < len(set(metadata.confirm)):
        _ = words(payer.locale)
        raise FieldErrors({Input.PAY_CONFIRM: _("Tick each box to pay this bill.")})
    return form, confirmed


def register(on: Listeners, services: Services) -> None:
    publisher = services.must_publish()
    cards = Cards(services)

    @on.action(Action.PAY, BillAction)
    async def pay(
        ack: Ack,
        click: Click,
        value: BillAction,
        body: dict[str, Any],
        client: AsyncWebClient,
        context: AsyncBoltContext,
        respond: AsyncRespond,
        person: LazyPerson,
    ) -> None:
        await ack()
        trigger_id = trigger_of(body)
        await cards.current(click, value.bill_id)
        # A card drawn before the connection stopped being Linked: why it can't be paid now,
        # with the way to reconnect it, only to the person who clicked.
        link = await services.links.link_for(click.team_id, click.channel_id)
        pause = await services.health.pause_for(link)
        if pause is not None:
            reader = await person
            refusal = pause_message(pause, locale=reader.locale, time_zone=reader.time_zone)
            await respond(**refusal, response_type="ephemeral", replace_original=False)
            await publisher.quietly(
                publisher.refresh_message(click.team_id, click.channel_id, click.message_ts),
                "redraw the card",
            )
            return
        # Who may not pay is told now, in words only they see, not in a modal that fails later.
        await services.payments.check_may_pay(click.case(value.bill_id), click.user_id)
        reader = await reader_now(person)

        async def form() -> dict[str, Any]:
            prepared = await services.payments.prepare_payment(
                click.case(value.bill_id), click.user_id
            )
            payer = await person
            return _pay_form(click, value.bill_id, prepared, payer, payer.today(services.clock()))

        loading = loading_modal(PAY_TITLE, locale=reader.locale, text=FETCHING_BILL)
        await open_modal(client, trigger_id, context, loading, form())

    @on.view(Callback.PAY, PayMetadata, consequence=NOTHING_PAID)
    async def pay_submitted(
        ack: Ack,
        body: dict[str, Any],
        submission: Submission,
        metadata: PayMetadata,
        client: AsyncWebClient,
        person: LazyPerson,
    ) -> None:
        payer = await person
        today = payer.today(services.clock())
        form, confirmed = _submitted_form(body, metadata, payer, today)
        amount = money(form.amount, metadata.currency, metadata.locale)
        _ = words(metadata.locale)
        account = escape(form.account.name)
        if form.payment_date > today:
            recording = _(
                "Scheduling {amount} from {account} for {day}…",
                amount=amount,
                account=account,
                day=day(form.payment_date, metadata.locale),
            )
        else:
            recording = _("Recording {amount} from {account}…", amount=amount, account=account)
        await ack(response_action="update", view=progress_view(recording, locale=metadata.locale))
        link = await services.links.link_for(submission.team_id, metadata.channel_id)
        pause = await services.health.pause_for(link)
        if pause is not None:
            # The form was opened before the connection stopped being Linked.
            raise Denied(
                N_("{why} Nothing was paid."),
                why=Escaped(pause_text(pause, locale=payer.locale, time_zone=payer.time_zone)),
            )
        outcome = await services.payments.submit_payment(
            CaseRef(submission.team_id, metadata.channel_id, metadata.bill_id),
            submission.user_id,
            form,
            today,
            view_id=submission.view_id,
            confirmed=confirmed,
        )
        held = outcome.payment
        if outcome.status == "held" and held and held.send_after and services.scheduler:
            services.scheduler.send_soon(held.id, held.send_after)
        # The card and its thread first: they are the record everyone sees, and the payer may
        # have closed the modal already.
        if outcome.status in ("recorded", "scheduled", "failed", "in_doubt", "held"):
            await publisher.payment_shown(
                submission.team_id,
                metadata.channel_id,
                metadata.message_ts,
                outcome,
            )
        if outcome.status == "held" and held and await services.payments.sent_meanwhile(held.id):
            return  # "press Undo now" would be untrue: the sending shows its own result
        # The payer may have closed the modal: the card says it all.
        await Publisher.quietly(
            client.views_update(
                view_id=submission.view_id,
                view=payment_result_modal(outcome, locale=payer.locale),
            ),
            "show the payment's result",
        )

    async def payment_step(
        click: Click, bill_id: str, respond: AsyncRespond, person: LazyPerson, step: Step
    ) -> None:
        """Cancel, retry or settle a payment from its card: update the card, note it in the
        thread, and tell the person who clicked how it went."""
        await cards.current(click, bill_id)
        outcome = await step(click.case(bill_id), click.user_id)
        reader = await person
        await publisher.payment_shown(
            click.team_id,
            click.channel_id,
            click.message_ts,
            outcome,
            by=click.user_id,
        )
        now = services.clock()
        await tell(respond, step_answer(outcome, reader.locale, reader.time_zone, now))

    @on.action(Action.RECONNECT, None)
    async def reconnect(ack: Ack) -> None:
        """A link button: Slack opens the company's linkUrl; the click only needs its ack."""
        await ack()

    @on.action(Action.CANCEL_PAYMENT, BillAction)
    async def cancel_payment(
        ack: Ack, click: Click, value: BillAction, respond: AsyncRespond, person: LazyPerson
    ) -> None:
        await ack()
        await payment_step(
            click, value.bill_id, respond, person, services.scheduled.cancel_scheduled
        )

    @on.action(Action.CHECK_PAYMENT, BillAction)
    @on.action(Action.RETRY_PAYMENT, BillAction)
    async def check_payment(
        ack: Ack, click: Click, value: BillAction, respond: AsyncRespond, person: LazyPerson
    ) -> None:
        """One more look at a payment in doubt, now: never a new key."""
        await ack()
        await payment_step(click, value.bill_id, respond, person, services.recovery.check_now)

    @on.action(Action.PAYMENT_IS_IN_PLATFORM, BillAction)
    async def payment_is_in_platform(
        ack: Ack, click: Click, value: BillAction, respond: AsyncRespond, person: LazyPerson
    ) -> None:
        """A payment in doubt the payer found in the accounting platform."""
        await ack()
        step = services.recovery.confirm_in_platform
        await payment_step(click, value.bill_id, respond, person, step)

    @on.action(Action.SEND_PAYMENT_AGAIN, BillAction, consequence=NOTHING_PAID)
    async def send_payment_again(
        ack: Ack, click: Click, value: BillAction, respond: AsyncRespond, person: LazyPerson
    ) -> None:
        """A payment in doubt the payer did not find in the accounting platform, sent again with
        a new key after the confirm dialog named the risk."""
        await ack()
        await payment_step(click, value.bill_id, respond, person, services.recovery.send_again)
