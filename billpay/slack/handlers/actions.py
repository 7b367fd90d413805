"""Buttons on the bill cards: Approve, Reject (opens the reason modal), Reopen… (opens its
reason modal), Pay… (opens the payment modal), Retry payment, Cancel payment, the overflow's
Details and Refresh, and paging.

Every click is acked first. Authorisation is decided by the workflow from the channel's policy
at click time; a refused click raises `Denied`, which the error boundary answers, and changes
nothing. A click from a message retired as out of date, or (Approve, Reject, Reopen) from a
card drawn before the bill's last change, is refused the same way, and the message is brought
up to date first.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from functools import partial
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncBoltContext, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from billpay.bills.listing import parse_filter
from billpay.core.domain import CaseRef, CaseView, PaymentOutcome
from billpay.core.errors import CardOutOfDate, MessageOutOfDate, OutOfDate
from billpay.core.i18n import words
from billpay.payments.form import PaymentForm
from billpay.services import Services
from billpay.slack.blocks.bills import details_blocks
from billpay.slack.blocks.card_extras import confirmations_needed
from billpay.slack.blocks.ids import Action, DigestAction, MoreOption
from billpay.slack.blocks.invoices import details_extra
from billpay.slack.blocks.metadata import (
    BillAction,
    DigestListAction,
    MoreAction,
    PageAction,
    PayMetadata,
    RejectMetadata,
    ReopenMetadata,
)
from billpay.slack.blocks.modals import (
    PAY_TITLE,
    loading_modal,
    offered,
    pay_modal,
    reject_modal,
    reopen_modal,
)
from billpay.slack.blocks.outcomes import step_answer
from billpay.slack.blocks.text import escape
from billpay.slack.boundary import SHOWN_VIEW, Listeners
from billpay.slack.envelope import Click
from billpay.slack.handlers.conversations import MoreChoice
from billpay.slack.people import People, Person
from billpay.slack.publisher import Publisher

# How long Pay… waits for the bill and accounts before opening a "loading" modal instead
# (the trigger id is only valid for 3 seconds).
OPEN_MODAL_BUDGET_SECONDS = 1.5


def register(
    on: Listeners,
    services: Services,
    people: People,
    more_choices: Mapping[MoreOption, MoreChoice] | None = None,
) -> None:
    workflow = services.workflow
    publisher = services.must_publish()

    async def tell(respond: AsyncRespond, text: str) -> None:
        await respond(text=text, response_type="ephemeral", replace_original=False)

    @asynccontextmanager
    async def up_to_date(click: Click, bill_id: str) -> AsyncIterator[None]:
        """Refusals because the click came from an older message or card: before the refusal
        is answered, the message is brought up to date (or shown out of date)."""
        try:
            yield
        except MessageOutOfDate:
            await Publisher.quietly(
                publisher.refresh_message(click.team_id, click.channel_id, click.message_ts),
                "show the message out of date",
            )
            raise
        except CardOutOfDate:
            await Publisher.quietly(
                publisher.bill_changed_here(
                    click.team_id, click.channel_id, bill_id, click.message_ts
                ),
                "update the cards",
            )
            raise

    async def current(click: Click, value: BillAction, *, figures: bool = False) -> None:
        """A click acts only from a message that is not out of date. With `figures` (Approve,
        Reject, Reopen) its button must carry the case version the card was drawn from:
        the workflow acts only if the case is still at that version."""
        if figures and value.version is None:
            raise OutOfDate()
        async with up_to_date(click, value.bill_id):
            await workflow.ensure_current(click.channel_id, click.message_ts)

    async def changed(click: Click, bill_id: str) -> None:
        await Publisher.quietly(
            publisher.bill_changed_here(click.team_id, click.channel_id, bill_id, click.message_ts),
            "update the cards",
        )

    @on.action(Action.APPROVE, BillAction)
    async def approve(
        ack: AsyncAck,
        click: Click,
        value: BillAction,
        respond: AsyncRespond,
        client: AsyncWebClient,
    ) -> None:
        await ack()
        await current(click, value, figures=True)
        async with up_to_date(click, value.bill_id):
            outcome = await workflow.approve(
                click.case(value.bill_id), click.user_id, seen=value.version
            )
        await changed(click, value.bill_id)
        if outcome.notice:
            person = await people.get(client, click.team_id, click.user_id, wait=1.0)
            await tell(respond, words(person.locale)(outcome.notice))

    @on.action(Action.REJECT, BillAction)
    async def reject(
        ack: AsyncAck, click: Click, value: BillAction, body: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await ack()
        await ask_reason(
            click, value, body, client, workflow.check_may_reject, RejectMetadata, reject_modal
        )

    @on.action(Action.REOPEN, BillAction)
    async def reopen(
        ack: AsyncAck, click: Click, value: BillAction, body: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await ack()
        await ask_reason(
            click, value, body, client, workflow.check_may_reopen, ReopenMetadata, reopen_modal
        )

    async def ask_reason(
        click: Click,
        value: BillAction,
        body: dict[str, Any],
        client: AsyncWebClient,
        check: Callable[..., Awaitable[CaseView]],
        metadata_type: type[RejectMetadata] | type[ReopenMetadata],
        modal: Callable[..., dict[str, Any]],
    ) -> None:
        """Reject… and Reopen…: may this person decide, on the figures the card showed? Then
        the form asking for the reason, carrying the version the decision is taken against."""
        await current(click, value, figures=True)
        async with up_to_date(click, value.bill_id):
            case = await check(click.case(value.bill_id), click.user_id, seen=value.version)
        person = await people.get(client, click.team_id, click.user_id, wait=1.0)
        metadata = metadata_type(
            channel_id=click.channel_id,
            message_ts=click.message_ts,
            bill_id=value.bill_id,
            version=case.version,
        )
        view = modal(case, metadata, locale=person.locale, today=person.today(services.clock()))
        await client.views_open(trigger_id=body["trigger_id"], view=view)

    @on.action(Action.PAY, BillAction)
    async def pay(
        ack: AsyncAck,
        click: Click,
        value: BillAction,
        body: dict[str, Any],
        client: AsyncWebClient,
        context: AsyncBoltContext,
    ) -> None:
        await ack()
        await current(click, value)
        # Who may not pay is told now, in words only they see, not in a modal that fails later.
        await workflow.payments.check_may_pay(click.case(value.bill_id), click.user_id)
        person_task = asyncio.ensure_future(people.get(client, click.team_id, click.user_id))
        form_task = asyncio.ensure_future(
            workflow.payments.prepare_payment(click.case(value.bill_id), click.user_id)
        )
        await asyncio.wait({form_task, person_task}, timeout=OPEN_MODAL_BUDGET_SECONDS)
        # The trigger expires in 3 seconds: a slow users.info must not hold the modal back.
        person = person_task.result() if person_task.done() else people.fallback(click.user_id)
        today = person.today(services.clock())

        def view_for(form: PaymentForm) -> dict[str, Any]:
            metadata = PayMetadata(
                channel_id=click.channel_id,
                message_ts=click.message_ts,
                bill_id=value.bill_id,
                idempotency_key=form.idempotency_key,
                currency=form.case.currency,
                base_currency=form.base_currency,
                amount_due=form.case.payable_amount,
                locale=person.locale,
                accounts=offered(form.accounts),
                confirm=confirmations_needed(form.case),
            )
            return pay_modal(form.case, metadata, locale=person.locale, today=today)

        if form_task.done():
            form = form_task.result()  # a refusal is raised here, before any modal opens
            await client.views_open(trigger_id=body["trigger_id"], view=view_for(form))
            return
        # Slow payables API: open a placeholder now, while the trigger is valid, then fill it.
        opened = await client.views_open(
            trigger_id=body["trigger_id"], view=loading_modal(PAY_TITLE, locale=person.locale)
        )
        context[SHOWN_VIEW] = opened["view"]["id"]  # errors from here on show in the modal
        form = await form_task
        await client.views_update(view_id=opened["view"]["id"], view=view_for(form))

    async def payment_step(
        click: Click,
        bill_id: str,
        respond: AsyncRespond,
        client: AsyncWebClient,
        step: Callable[[CaseRef, str], Awaitable[PaymentOutcome]],
    ) -> None:
        """Cancel or retry a payment from its card: update the card, note it in the thread,
        and tell the person who clicked how it went."""
        await current(click, BillAction(bill_id=bill_id))
        outcome = await step(click.case(bill_id), click.user_id)
        person = await people.get(client, click.team_id, click.user_id, wait=1.0)
        await publisher.payment_shown(
            click.team_id,
            click.channel_id,
            click.message_ts,
            outcome,
            person.locale,
            by=click.user_id,
        )
        now = services.clock()
        await tell(respond, step_answer(outcome, person.locale, person.time_zone, now))

    @on.action(Action.CANCEL_PAYMENT, BillAction)
    async def cancel_payment(
        ack: AsyncAck,
        click: Click,
        value: BillAction,
        respond: AsyncRespond,
        client: AsyncWebClient,
    ) -> None:
        await ack()
        await payment_step(
            click, value.bill_id, respond, client, workflow.payments.cancel_scheduled
        )

    @on.action(Action.RETRY_PAYMENT, BillAction)
    async def retry_payment(
        ack: AsyncAck,
        click: Click,
        value: BillAction,
        respond: AsyncRespond,
        client: AsyncWebClient,
    ) -> None:
        await ack()
        await payment_step(click, value.bill_id, respond, client, workflow.payments.retry_payment)

    @on.action(Action.PAYMENT_WAS_RECORDED, BillAction)
    @on.action(Action.PAYMENT_WAS_NOT_RECORDED, BillAction)
    async def payment_was_or_was_not_recorded(
        ack: AsyncAck,
        click: Click,
        value: BillAction,
        action: dict[str, Any],
        respond: AsyncRespond,
        client: AsyncWebClient,
    ) -> None:
        await ack()
        landed = action.get("action_id") == Action.PAYMENT_WAS_RECORDED
        step = partial(workflow.payments.confirm_payment, landed=landed)
        await payment_step(click, value.bill_id, respond, client, step)

    @on.action(Action.MORE, MoreAction)
    async def more(
        ack: AsyncAck,
        click: Click,
        value: MoreAction,
        body: dict[str, Any],
        respond: AsyncRespond,
        client: AsyncWebClient,
    ) -> None:
        await ack()
        await current(click, BillAction(bill_id=value.bill_id))
        if more_choices and value.choice in more_choices:
            await more_choices[value.choice](click, value, body, respond, client)
            return
        if value.choice == MoreOption.REFRESH:
            await workflow.refresh(click.case(value.bill_id))
            await publisher.bill_changed_here(
                click.team_id, click.channel_id, value.bill_id, click.message_ts
            )
            return
        details = await workflow.invoices.details(click.case(value.bill_id))
        case = details.case
        person = await people.get(client, click.team_id, click.user_id, wait=1.0)
        blocks = details_blocks(case, locale=person.locale, today=person.today(services.clock()))
        blocks += details_extra(case, details.attachments, details.lines, locale=person.locale)
        _ = words(person.locale)
        await respond(
            text=_("Details of the bill from {supplier}", supplier=escape(case.supplier_name)),
            blocks=blocks,
            response_type="ephemeral",
            replace_original=False,
        )

    async def page(click: Click, value: PageAction, client: AsyncWebClient) -> None:
        link = await workflow.link_for(click.team_id, click.channel_id)
        person: Person = await people.get(client, click.team_id, click.user_id, wait=1.0)
        await publisher.post_listing(
            click.team_id,
            person,
            link,
            parse_filter(value.filter_text),
            page=value.page,
            channel_id=click.channel_id,
            ts=click.message_ts,
        )

    @on.action(DigestAction.OPEN_OVERDUE, DigestListAction)
    @on.action(DigestAction.OPEN_DUE, DigestListAction)
    async def open_from_digest(
        ack: AsyncAck, click: Click, value: DigestListAction, client: AsyncWebClient
    ) -> None:
        await ack()
        await page(
            click.model_copy(update={"message_ts": None}),
            PageAction(page=0, filter_text=value.filter_text),
            client,
        )

    @on.action(Action.PAGE_PREVIOUS, PageAction)
    async def page_previous(
        ack: AsyncAck, click: Click, value: PageAction, client: AsyncWebClient
    ) -> None:
        await ack()
        await page(click, value, client)

    @on.action(Action.PAGE_NEXT, PageAction)
    async def page_next(
        ack: AsyncAck, click: Click, value: PageAction, client: AsyncWebClient
    ) -> None:
        await ack()
        await page(click, value, client)
