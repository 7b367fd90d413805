"""Buttons on the bill cards: Approve, Reject (opens the reason modal), Pay… (opens the payment
modal), Retry payment, the overflow's Details and Refresh, and paging.

Every click is acked first. Authorisation is decided by the workflow from the channel's policy
at click time; a refused click gets an ephemeral answer and changes nothing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from blocks.bills import details_blocks
from blocks.ids import Action, MoreOption
from blocks.metadata import PayMetadata, RejectMetadata
from blocks.modals import loading_modal, message_modal, pay_modal, reject_modal
from bot.cases import Denied, PaymentForm, PaymentOutcome
from bot.listing import FilterError, parse_filter
from bot.payables.errors import PayablesError
from bot.services import Services
from handlers.cards import post_listing, refresh_message, thread_line
from handlers.outcomes import payment_line, said
from handlers.people import DEFAULT_TIME_ZONE, People, Person

log = logging.getLogger(__name__)

# How long Pay… waits for the bill and accounts before opening a "loading" modal instead
# (the trigger id is only valid for 3 seconds).
OPEN_MODAL_BUDGET_SECONDS = 1.5


def _click(body: dict[str, Any]) -> tuple[str, str, str, str | None, str]:
    """team, channel, user, message ts and the clicked element's value."""
    action = body["actions"][0]
    value = action.get("value") or (action.get("selected_option") or {}).get("value", "")
    container = body.get("container") or {}
    return (
        body["team"]["id"] if body.get("team") else body["user"]["team_id"],
        body["channel"]["id"],
        body["user"]["id"],
        container.get("message_ts") or (body.get("message") or {}).get("ts"),
        value,
    )


def register(app: AsyncApp, services: Services, people: People) -> None:
    workflow = services.workflow

    async def tell(respond: AsyncRespond, text: str) -> None:
        await respond(text=text, response_type="ephemeral", replace_original=False)

    @app.action(Action.APPROVE)
    async def approve(
        ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient
    ) -> None:
        await ack()
        team_id, channel_id, user_id, ts, bill_id = _click(body)
        try:
            outcome = await workflow.approve(team_id, channel_id, bill_id, user_id)
        except Denied as exc:
            await tell(respond, str(exc))
            return
        except PayablesError as exc:
            await tell(
                respond,
                f"I couldn't re-read the bill: {said(exc)} Nothing was changed.",
            )
            return
        await refresh_message(services, client, channel_id, ts)
        if outcome.notice:
            await tell(respond, outcome.notice)

    @app.action(Action.REJECT)
    async def reject(
        ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient
    ) -> None:
        await ack()
        team_id, channel_id, user_id, ts, bill_id = _click(body)
        try:
            case = await workflow.check_may_reject(team_id, channel_id, bill_id, user_id)
            person = await people.get(client, team_id, user_id)
        except Denied as exc:
            await tell(respond, str(exc))
            return
        metadata = RejectMetadata(channel_id=channel_id, message_ts=ts, bill_id=bill_id)
        view = reject_modal(
            case, metadata, locale=person.locale, today=person.today(services.clock())
        )
        await client.views_open(trigger_id=body["trigger_id"], view=view)

    @app.action(Action.PAY)
    async def pay(
        ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient
    ) -> None:
        await ack()
        team_id, channel_id, user_id, ts, bill_id = _click(body)
        person_task = asyncio.ensure_future(people.get(client, team_id, user_id))
        form_task = asyncio.ensure_future(
            workflow.prepare_payment(team_id, channel_id, bill_id, user_id)
        )
        await asyncio.wait({form_task, person_task}, timeout=OPEN_MODAL_BUDGET_SECONDS)
        # The trigger expires in 3 seconds: a slow users.info must not hold the modal back.
        person = (
            person_task.result()
            if person_task.done()
            else Person(user_id, people.default_locale, DEFAULT_TIME_ZONE)
        )
        today = person.today(services.clock())
        done = form_task.done()

        def view_for(form: PaymentForm) -> dict[str, Any]:
            metadata = PayMetadata(
                channel_id=channel_id,
                message_ts=ts,
                bill_id=bill_id,
                idempotency_key=form.idempotency_key,
                currency=form.case.currency,
                base_currency=form.base_currency,
                amount_due=form.case.amount_due,
                locale=person.locale,
                today=today.isoformat(),
            )
            return pay_modal(form.case, form.accounts, metadata, locale=person.locale, today=today)

        if done:
            try:
                form = form_task.result()
            except Denied as exc:
                await tell(respond, str(exc))
                return
            except PayablesError as exc:
                await tell(respond, f"I couldn't read the bill: {said(exc)} Try again.")
                return
            await client.views_open(trigger_id=body["trigger_id"], view=view_for(form))
            return
        # Slow payables API: open a placeholder now, while the trigger is valid, then fill it.
        opened = await client.views_open(
            trigger_id=body["trigger_id"], view=loading_modal("Pay bill")
        )
        view_id = opened["view"]["id"]
        try:
            form = await form_task
        except Denied as exc:
            await client.views_update(view_id=view_id, view=message_modal("Pay bill", str(exc)))
            return
        except PayablesError as exc:
            text = f"I couldn't read the bill: {said(exc)} Close this and try again."
            await client.views_update(view_id=view_id, view=message_modal("Pay bill", text))
            return
        await client.views_update(view_id=view_id, view=view_for(form))

    async def payment_step(
        body: dict[str, Any],
        respond: AsyncRespond,
        client: AsyncWebClient,
        step: Callable[[str, str, str, str], Awaitable[PaymentOutcome]],
    ) -> None:
        """Cancel or retry a payment from its card: update the card, note it in the thread,
        and tell the person who clicked how it went."""
        team_id, channel_id, user_id, ts, bill_id = _click(body)
        try:
            outcome = await step(team_id, channel_id, bill_id, user_id)
        except Denied as exc:
            await tell(respond, str(exc))
            return
        await refresh_message(services, client, channel_id, ts)
        person = await people.get(client, team_id, user_id)
        line = payment_line(outcome, person.locale)
        if line:
            await thread_line(client, channel_id, ts, f"{line} (<@{user_id}>)")
        await tell(respond, outcome.message)

    @app.action(Action.CANCEL_PAYMENT)
    async def cancel_payment(
        ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient
    ) -> None:
        await ack()
        await payment_step(body, respond, client, workflow.cancel_scheduled)

    @app.action(Action.RETRY_PAYMENT)
    async def retry_payment(
        ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient
    ) -> None:
        await ack()
        await payment_step(body, respond, client, workflow.retry_payment)

    @app.action(Action.MORE)
    async def more(
        ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient
    ) -> None:
        await ack()
        team_id, channel_id, user_id, ts, value = _click(body)
        choice, _, bill_id = value.partition(":")
        try:
            case = await workflow.refresh(team_id, channel_id, bill_id)
        except Denied as exc:
            await tell(respond, str(exc))
            return
        except PayablesError as exc:
            await tell(respond, f"I couldn't re-read the bill: {said(exc)}")
            return
        if choice == MoreOption.REFRESH:
            await refresh_message(services, client, channel_id, ts)
            return
        person = await people.get(client, team_id, user_id)
        blocks = details_blocks(case, locale=person.locale, today=person.today(services.clock()))
        await respond(
            text=f"Details of the bill from {case.supplier_name}",
            blocks=blocks,
            response_type="ephemeral",
            replace_original=False,
        )

    @app.action(Action.PAGE_PREVIOUS)
    @app.action(Action.PAGE_NEXT)
    async def page(
        ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient
    ) -> None:
        await ack()
        team_id, channel_id, user_id, ts, value = _click(body)
        page, _, filter_text = value.partition(":")
        try:
            link = await workflow.link_for(team_id, channel_id)
            person = await people.get(client, team_id, user_id)
            await post_listing(
                services,
                client,
                person,
                link,
                parse_filter(filter_text),
                page=int(page) if page.isdigit() else 0,
                channel_id=channel_id,
                ts=ts,
            )
        except (Denied, FilterError) as exc:
            await tell(respond, str(exc))
        except PayablesError as exc:
            await tell(respond, f"I couldn't read the bills: {said(exc)}")
