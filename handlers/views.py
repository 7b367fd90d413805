"""Modal submissions: the reject reason and the payment form.

A submission is checked at once: mistakes come back on their fields (`response_action:
errors`) and nothing is recorded. A valid payment turns the modal into a progress view, is
recorded, and the modal then shows the result while the card updates in place.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from blocks.ids import Callback, Input
from blocks.metadata import PayMetadata, RejectMetadata
from blocks.modals import accounts_in, message_modal, progress_view
from blocks.text import money
from bot.cases import Denied, PaymentOutcome
from bot.mrkdwn import escape
from bot.payables.errors import PayablesError
from bot.payment_form import FormContext, read_payment_form
from bot.services import Services
from handlers.cards import refresh_message, thread_line
from handlers.outcomes import payment_line, result_text, said
from handlers.people import People

log = logging.getLogger(__name__)

FIELD_BLOCKS = {
    "account": Input.PAY_ACCOUNT,
    "amount": Input.PAY_AMOUNT,
    "date": Input.PAY_DATE,
    "reference": Input.PAY_REFERENCE,
    "rate": Input.PAY_RATE,
}


def _value(values: dict[str, Any], block_id: str) -> str | None:
    element = (values.get(block_id) or {}).get(block_id) or {}
    if "selected_option" in element:
        return (element["selected_option"] or {}).get("value")
    if "selected_date" in element:
        return element["selected_date"]
    return element.get("value")


def _team(body: dict[str, Any]) -> str:
    return (
        (body.get("team") or {}).get("id") or body["view"].get("team_id") or body["user"]["team_id"]
    )


def register(app: AsyncApp, services: Services, people: People) -> None:
    workflow = services.workflow

    @app.view(Callback.REJECT)
    async def reject_submitted(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        view = body["view"]
        reason = (_value(view["state"]["values"], Input.REJECT_REASON) or "").strip()
        if len(reason) < 3:
            await ack(
                response_action="errors",
                errors={Input.REJECT_REASON: "Say briefly why, so the team knows (3+ characters)."},
            )
            return
        await ack()
        metadata = RejectMetadata.load(view["private_metadata"])
        user_id = body["user"]["id"]
        try:
            outcome = await workflow.reject(
                _team(body), metadata.channel_id, metadata.bill_id, user_id, reason
            )
        except (Denied, PayablesError) as exc:
            text = str(exc) if isinstance(exc, Denied) else said(exc)
            await client.chat_postEphemeral(channel=metadata.channel_id, user=user_id, text=text)
            return
        await refresh_message(services, client, metadata.channel_id, metadata.message_ts)
        if outcome.notice:
            await client.chat_postEphemeral(
                channel=metadata.channel_id, user=user_id, text=outcome.notice
            )

    @app.view(Callback.PAY)
    async def pay_submitted(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        view = body["view"]
        values = view["state"]["values"]
        metadata = PayMetadata.load(view["private_metadata"])
        team_id, user_id = _team(body), body["user"]["id"]
        # Only what the submission carries is checked before the ack (Slack waits 3 seconds);
        # the server checks everything again, against fresh data, before paying.
        form = read_payment_form(
            FormContext(
                bill_currency=metadata.currency,
                base_currency=metadata.base_currency,
                amount_due=metadata.amount_due,
                accounts=accounts_in(view),
                locale=metadata.locale,
                idempotency_key=metadata.idempotency_key,
                today=date.fromisoformat(metadata.today),
            ),
            account_id=_value(values, Input.PAY_ACCOUNT),
            amount=_value(values, Input.PAY_AMOUNT),
            payment_date=_value(values, Input.PAY_DATE),
            reference=_value(values, Input.PAY_REFERENCE),
            rate=_value(values, Input.PAY_RATE),
        )
        if isinstance(form, dict):
            await ack(
                response_action="errors",
                errors={
                    FIELD_BLOCKS[name]: text for name, text in form.items() if name in FIELD_BLOCKS
                },
            )
            return
        amount = money(form.amount, metadata.currency, metadata.locale)
        await ack(
            response_action="update",
            view=progress_view(f"Recording {amount} from {escape(form.account.name)}…"),
        )
        person = await people.get(client, team_id, user_id)
        today = person.today(services.clock())
        try:
            outcome = await workflow.submit_payment(
                team_id, metadata.channel_id, metadata.bill_id, user_id, form, today
            )
        except (Denied, PayablesError) as exc:
            text = (
                str(exc)
                if isinstance(exc, Denied)
                else (f"I couldn't re-read the bill: {said(exc)} Nothing was paid.")
            )
            await client.views_update(
                view_id=view["id"], view=message_modal("Pay bill", text, emoji=":x:")
            )
            return
        await _show_outcome(client, services, view["id"], metadata, outcome, person.locale)


async def _show_outcome(
    client: AsyncWebClient,
    services: Services,
    view_id: str,
    metadata: PayMetadata,
    outcome: PaymentOutcome,
    locale: str,
) -> None:
    # The card and its thread first: they are the record everyone sees, and the payer may have
    # closed the modal already.
    if outcome.status in ("recorded", "scheduled", "failed"):
        try:
            await refresh_message(services, client, metadata.channel_id, metadata.message_ts)
        except SlackApiError as exc:
            log.warning("could not update the card: %s", exc.response.get("error"))
        line = payment_line(outcome, locale)
        if line:
            await thread_line(client, metadata.channel_id, metadata.message_ts, line)
    emoji, text = result_text(outcome, locale)
    try:
        await client.views_update(
            view_id=view_id, view=message_modal("Pay bill", text, emoji=emoji)
        )
    except SlackApiError as exc:  # closed by the payer: the card says it all
        log.info("could not show the payment's result: %s", exc.response.get("error"))
