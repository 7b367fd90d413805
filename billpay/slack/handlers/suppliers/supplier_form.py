"""The supplier form: Create supplier (offered when `/supplier` finds none) and Edit supplier
(every field filled in as the record is now, since saving replaces it), and the form's
submission, which creates or updates the supplier in the accounting platform."""

from __future__ import annotations

import uuid
from typing import Any

from slack_bolt.async_app import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from billpay.core.errors import FieldErrors
from billpay.core.i18n import N_, words
from billpay.services import Services
from billpay.slack.blocks.ids import SupplierAction, SupplierCallback, SupplierInput
from billpay.slack.blocks.metadata import CreateSupplierButton, SupplierButton, SupplierMetadata
from billpay.slack.blocks.modals import done_modal, loading_modal, waiting_modal
from billpay.slack.blocks.suppliers import supplier_modal, supplier_saved_text
from billpay.slack.boundary import Ack, Listeners
from billpay.slack.budget import open_modal, reader_now, trigger_of
from billpay.slack.envelope import Click, Submission, field_value
from billpay.slack.people import LazyPerson
from billpay.suppliers.rules import read_supplier_form
from billpay.suppliers.service import CURRENCY_FIXED, address_text

EDIT_SUPPLIER_TITLE = N_("Edit supplier")
SUPPLIER_FIELDS = {
    "name": SupplierInput.NAME,
    "contact_name": SupplierInput.CONTACT,
    "email": SupplierInput.EMAIL,
    "phone": SupplierInput.PHONE,
    "address": SupplierInput.ADDRESS,
    "currency": SupplierInput.CURRENCY,
}


def register(on: Listeners, services: Services) -> None:
    suppliers = services.suppliers

    @on.action(SupplierAction.CREATE, CreateSupplierButton)
    async def create_supplier_clicked(
        ack: Ack, click: Click, value: CreateSupplierButton, body: dict[str, Any],
        client: AsyncWebClient, person: LazyPerson,
    ) -> None:  # fmt: skip
        await ack()
        link = await services.links.link_for(click.team_id, click.channel_id)
        locale = (await person).locale
        await suppliers.check_may_create(link, click.user_id)
        metadata = SupplierMetadata(
            channel_id=click.channel_id, idempotency_key=str(uuid.uuid4()), locale=locale
        )
        await client.views_open(
            trigger_id=trigger_of(body), view=supplier_modal(metadata, name=value.name)
        )

    @on.action(SupplierAction.EDIT, SupplierButton)
    async def edit_supplier_clicked(
        ack: Ack, click: Click, value: SupplierButton, body: dict[str, Any],
        client: AsyncWebClient, context: AsyncBoltContext, person: LazyPerson,
    ) -> None:  # fmt: skip
        await ack()
        trigger_id = trigger_of(body)
        link = await services.links.link_for(click.team_id, click.channel_id)
        await suppliers.check_may_create(link, click.user_id)
        reader = await reader_now(person)

        async def build() -> dict[str, Any]:
            await suppliers.check_may_edit(link, click.user_id)  # the platform's, read
            supplier = await suppliers.supplier(link, value.supplier_id, fresh=True)
            metadata = SupplierMetadata(
                channel_id=click.channel_id,
                idempotency_key=str(uuid.uuid4()),
                locale=(await person).locale,
                supplier_id=supplier.id,
            )
            address = address_text(supplier.addresses[0]) if supplier.addresses else None
            return supplier_modal(metadata, supplier=supplier, address=address)

        loading = loading_modal(EDIT_SUPPLIER_TITLE, locale=reader.locale)
        await open_modal(client, trigger_id, context, loading, build())

    @on.view(SupplierCallback.CREATE, SupplierMetadata)
    @on.view(SupplierCallback.EDIT, SupplierMetadata)
    async def supplier_submitted(
        ack: Ack, body: dict[str, Any], submission: Submission, metadata: SupplierMetadata,
        client: AsyncWebClient,
    ) -> None:  # fmt: skip
        form = read_supplier_form(
            name=field_value(body, SupplierInput.NAME),
            contact_name=field_value(body, SupplierInput.CONTACT),
            email=field_value(body, SupplierInput.EMAIL),
            phone=field_value(body, SupplierInput.PHONE),
            address=field_value(body, SupplierInput.ADDRESS),
            currency=field_value(body, SupplierInput.CURRENCY),
            locale=metadata.locale,
        )
        if isinstance(form, dict):
            raise FieldErrors({SUPPLIER_FIELDS[k]: v for k, v in form.items()})
        _ = words(metadata.locale)
        link = await services.links.link_for(submission.team_id, metadata.channel_id)
        if metadata.supplier_id is not None:
            kept = await suppliers.fixed_currency(link, metadata.supplier_id, form)
            if kept is not None:
                raise FieldErrors({SupplierInput.CURRENCY: _(CURRENCY_FIXED, currency=kept)})
        await ack(
            response_action="update",
            view=waiting_modal(_("Supplier"), _("Saving…"), locale=metadata.locale),
        )
        if metadata.supplier_id is None:
            saved = await suppliers.create_supplier(
                link, submission.user_id, form, metadata.idempotency_key
            )
        else:
            saved = await suppliers.update_supplier(
                link, submission.user_id, metadata.supplier_id, form
            )
        text = supplier_saved_text(
            saved, created=metadata.supplier_id is None, user_id=submission.user_id,
            locale=metadata.locale,
        )  # fmt: skip
        await client.views_update(
            view_id=submission.view_id,
            view=done_modal(_("Supplier"), text, locale=metadata.locale),
        )
