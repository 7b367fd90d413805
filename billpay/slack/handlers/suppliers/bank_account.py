"""`/billpay account new`: the bank account form, and its submission, which creates the account
in the accounting platform; from then on the Pay form offers it."""

from __future__ import annotations

import uuid
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from billpay.core.errors import FieldErrors
from billpay.core.i18n import words
from billpay.services import Services
from billpay.slack.blocks.ids import SupplierCallback, SupplierInput
from billpay.slack.blocks.metadata import BankAccountMetadata
from billpay.slack.blocks.modals import done_modal, waiting_modal
from billpay.slack.blocks.new_bill import bank_account_modal
from billpay.slack.blocks.text import escape
from billpay.slack.boundary import Ack, Listeners
from billpay.slack.budget import trigger_of
from billpay.slack.envelope import Command, Submission, field_value
from billpay.slack.people import LazyPerson
from billpay.suppliers.rules import read_bank_account_form

ACCOUNT_FIELDS = {
    "name": SupplierInput.ACCOUNT_NAME,
    "currency": SupplierInput.ACCOUNT_CURRENCY,
    "account_number": SupplierInput.ACCOUNT_NUMBER,
    "sort_code": SupplierInput.ACCOUNT_SORT_CODE,
    "nominal_code": SupplierInput.ACCOUNT_NOMINAL,
}


def register(on: Listeners, services: Services) -> None:
    suppliers = services.suppliers

    @on.command("/billpay", verb="account new")
    async def new_account(
        ack: Ack, slash: Command, body: dict[str, Any], client: AsyncWebClient, person: LazyPerson
    ) -> None:
        await ack()
        link = await services.links.link_for(slash.team_id, slash.channel_id)
        locale = (await person).locale
        await suppliers.check_may_manage(link, slash.user_id)
        metadata = BankAccountMetadata(
            channel_id=slash.channel_id, idempotency_key=str(uuid.uuid4()), locale=locale
        )
        await client.views_open(
            trigger_id=trigger_of(body),
            view=bank_account_modal(metadata, base_currency=link.base_currency),
        )

    @on.view(SupplierCallback.NEW_ACCOUNT, BankAccountMetadata)
    async def account_submitted(
        ack: Ack, body: dict[str, Any], submission: Submission,
        metadata: BankAccountMetadata, client: AsyncWebClient,
    ) -> None:  # fmt: skip
        form = read_bank_account_form(
            name=field_value(body, SupplierInput.ACCOUNT_NAME),
            currency=field_value(body, SupplierInput.ACCOUNT_CURRENCY),
            account_number=field_value(body, SupplierInput.ACCOUNT_NUMBER),
            sort_code=field_value(body, SupplierInput.ACCOUNT_SORT_CODE),
            nominal_code=field_value(body, SupplierInput.ACCOUNT_NOMINAL),
            locale=metadata.locale,
        )
        if isinstance(form, dict):
            raise FieldErrors({ACCOUNT_FIELDS[k]: v for k, v in form.items()})
        _ = words(metadata.locale)
        await ack(
            response_action="update",
            view=waiting_modal(_("New bank account"), _("Saving…"), locale=metadata.locale),
        )
        link = await services.links.link_for(submission.team_id, metadata.channel_id)
        account = await suppliers.create_bank_account(
            link, submission.user_id, form, metadata.idempotency_key
        )
        text = _(
            "Bank account *{name}* ({currency}) created. It is offered in the Pay form from "
            "now on.",
            name=escape(account.name or form.name), currency=account.currency or form.currency,
        )  # fmt: skip
        await client.views_update(
            view_id=submission.view_id,
            view=done_modal(_("New bank account"), text, locale=metadata.locale),
        )
