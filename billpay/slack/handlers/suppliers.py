"""Suppliers and new bills: `/supplier <name>` and its buttons (Show bills, New bill, Edit
supplier, Create supplier), `/billpay bill`, the message shortcut "Create bill from this
invoice", the new bill modal (supplier type-ahead, Add line, totals recomputed on each change),
Retry upload, and `/billpay account new`.

Each listener parses the request, makes one service call, renders with `blocks/` and answers;
refusals and failures travel to the error boundary, worded in the person's language.
"""

from __future__ import annotations

import asyncio
import logging
import re
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncBoltContext, AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from billpay.bills.listing import MAX_FILTER_LENGTH, BillFilter
from billpay.core.domain import Duplicate
from billpay.core.errors import Denied, FieldErrors, OutOfDate
from billpay.core.i18n import N_, words
from billpay.invoices.files import NO_FILE, SlackFiles
from billpay.services import Services
from billpay.slack.blocks.ids import SupplierAction, SupplierCallback, SupplierInput, line_block
from billpay.slack.blocks.metadata import (
    BankAccountMetadata,
    CreateSupplierButton,
    NewBillMetadata,
    RetryUploadButton,
    SupplierButton,
    SupplierMetadata,
)
from billpay.slack.blocks.modals import done_modal, message_modal, waiting_modal
from billpay.slack.blocks.new_bill import (
    NOT_A_DUPLICATE,
    attached_text,
    bank_account_modal,
    new_bill_modal,
    supplier_options,
    upload_failed_message,
)
from billpay.slack.blocks.suppliers import supplier_blocks, supplier_modal, supplier_saved_text
from billpay.slack.blocks.text import escape, money
from billpay.slack.boundary import SHOWN_VIEW, Listeners
from billpay.slack.envelope import (
    Click,
    Command,
    Submission,
    action_value,
    as_dict,
    click_of,
    field_choices,
    field_value,
    submission_of,
    team_of,
    used_action,
)
from billpay.slack.people import People, Person
from billpay.slack.publisher import Publisher
from billpay.store.models import CompanyLink
from billpay.suppliers.rules import (
    MAX_LINES,
    BillForm,
    RawLine,
    estimate,
    read_bank_account_form,
    read_bill_form,
    read_supplier_form,
)
from billpay.suppliers.service import (
    CURRENCY_FIXED,
    FORM_GONE,
    SUPPLIER_ARCHIVED,
    address_text,
)

log = logging.getLogger(__name__)

OPEN_MODAL_BUDGET_SECONDS = 1.5
NEW_BILL_TITLE = N_("New bill")
EDIT_SUPPLIER_TITLE = N_("Edit supplier")
SUPPLIER_FIELDS = {
    "name": SupplierInput.NAME,
    "contact_name": SupplierInput.CONTACT,
    "email": SupplierInput.EMAIL,
    "phone": SupplierInput.PHONE,
    "address": SupplierInput.ADDRESS,
    "currency": SupplierInput.CURRENCY,
}
BILL_FIELDS = {
    "supplier": SupplierInput.BILL_SUPPLIER,
    "reference": SupplierInput.BILL_REFERENCE,
    "issue_date": SupplierInput.BILL_ISSUED,
    "due_date": SupplierInput.BILL_DUE,
    "currency": SupplierInput.BILL_CURRENCY,
}
LINE_FIELDS = {
    "description": SupplierInput.LINE_DESCRIPTION,
    "amount": SupplierInput.LINE_AMOUNT,
    "quantity": SupplierInput.LINE_QUANTITY,
    "account": SupplierInput.LINE_ACCOUNT,
    "tax": SupplierInput.LINE_TAX,
}
ACCOUNT_FIELDS = {
    "name": SupplierInput.ACCOUNT_NAME,
    "currency": SupplierInput.ACCOUNT_CURRENCY,
    "account_number": SupplierInput.ACCOUNT_NUMBER,
    "sort_code": SupplierInput.ACCOUNT_SORT_CODE,
    "nominal_code": SupplierInput.ACCOUNT_NOMINAL,
}
# Changing these in the new bill modal redraws it with new totals.
_RECOMPUTING = re.compile(
    rf"^({SupplierInput.BILL_SUPPLIER}|{SupplierInput.BILL_CURRENCY}|"
    rf"(?:{SupplierInput.LINE_AMOUNT}|{SupplierInput.LINE_QUANTITY}|{SupplierInput.LINE_TAX}):\d)$"
)
_FILE_ID = re.compile(r"^F[A-Z0-9]{2,24}$")


def _trigger(body: dict[str, Any]) -> str:
    """The request's trigger id, to open a modal with; a request without one is out of date."""
    trigger = body.get("trigger_id")
    if not isinstance(trigger, str) or not 0 < len(trigger) <= 200:
        raise OutOfDate()
    return trigger


def _bill_metadata(body: dict[str, Any]) -> NewBillMetadata:
    metadata = NewBillMetadata.load(as_dict(body.get("view")).get("private_metadata"))
    if metadata is None:
        raise OutOfDate(FORM_GONE)
    return metadata


def _form_values(body: dict[str, Any]) -> dict[str, str]:
    """Every input's value as the form holds it now, by block id."""
    state = as_dict(body.get("view")).get("state")
    values = state.get("values") if isinstance(state, dict) else None
    found: dict[str, str] = {}
    for block_id in values if isinstance(values, dict) else {}:
        value = field_value(body, block_id)
        if value is not None:
            found[block_id] = value
    return found


def _raw_lines(values: dict[str, str], count: int) -> list[RawLine]:
    def get(field: str, index: int) -> str | None:
        return values.get(line_block(field, index))

    return [
        RawLine(
            description=get(SupplierInput.LINE_DESCRIPTION, i),
            amount=get(SupplierInput.LINE_AMOUNT, i),
            quantity=get(SupplierInput.LINE_QUANTITY, i),
            account_id=get(SupplierInput.LINE_ACCOUNT, i),
            tax_rate_id=get(SupplierInput.LINE_TAX, i),
        )
        for i in range(count)
    ]


def _bill_field_errors(errors: dict[str, str]) -> FieldErrors:
    blocks: dict[str, str] = {}
    for name, text in errors.items():
        field, _, index = name.partition(":")
        block = line_block(LINE_FIELDS[field], int(index)) if index else BILL_FIELDS[field]
        blocks[block] = text
    return FieldErrors(blocks)


BillpayVerb = Callable[[Command, dict[str, Any], AsyncWebClient, AsyncBoltContext], Awaitable[None]]


def register(on: Listeners, services: Services, people: People) -> dict[str, BillpayVerb]:
    """Registers the listeners; returns the `/billpay` verbs this area serves (`bill`,
    `account new`), for the `/billpay` command to dispatch to."""
    suppliers = services.suppliers
    workflow = services.workflow
    publisher = services.must_publish()
    settings = services.settings
    files = SlackFiles(publisher.client, settings.slack_api_url)

    async def person_of(client: AsyncWebClient, team_id: str, user_id: str) -> Person:
        return await people.get(client, team_id, user_id, wait=1.0)

    async def open_modal(
        client: AsyncWebClient,
        trigger_id: str,
        context: AsyncBoltContext,
        title: str,
        work: Awaitable[dict[str, Any]],
        *,
        locale: str,
    ) -> None:
        """Open the modal `work` builds, or a placeholder while the trigger (3 seconds) is
        still valid, filled in once `work` is done; errors then show in the modal."""
        task = asyncio.ensure_future(work)
        await asyncio.wait({task}, timeout=OPEN_MODAL_BUDGET_SECONDS)
        if task.done():
            await client.views_open(trigger_id=trigger_id, view=task.result())
            return
        opened = await client.views_open(
            trigger_id=trigger_id, view=waiting_modal(title, "…", locale=locale)
        )
        context[SHOWN_VIEW] = opened["view"]["id"]
        await client.views_update(view_id=opened["view"]["id"], view=await task)

    async def bill_modal(
        link: CompanyLink,
        metadata: NewBillMetadata,
        person: Person,
        *,
        supplier_id: str | None = None,
        values: dict[str, str] | None = None,
        currency: str | None = None,
        duplicate: Duplicate | None = None,
    ) -> dict[str, Any]:
        options = await suppliers.bill_options(link)
        supplier = None
        if supplier_id:
            found = await suppliers.supplier(link, supplier_id)
            if found.status == "Archived":
                raise Denied(SUPPLIER_ARCHIVED)
            supplier = (found.id, found.supplier_name)
            currency = currency or found.default_currency
        currency = currency or link.base_currency
        context = options.context(metadata.locale, metadata.idempotency_key)
        totals = estimate(_raw_lines(values or {}, metadata.lines), currency, context)
        return new_bill_modal(
            metadata,
            options,
            today=person.today(services.clock()),
            supplier=supplier,
            currency=currency,
            totals=totals,
            values=values,
            duplicate=duplicate,
        )

    async def start_bill(
        client: AsyncWebClient,
        context: AsyncBoltContext,
        trigger_id: str,
        team_id: str,
        channel_id: str,
        user_id: str,
        *,
        supplier_id: str | None = None,
        file_id: str | None = None,
    ) -> None:
        link = await workflow.link_for(team_id, channel_id)
        person = await person_of(client, team_id, user_id)
        await suppliers.check_may_create(link, user_id)

        suppliers.warm(link)  # the type-ahead's list, read while the form opens

        async def build() -> dict[str, Any]:
            file_name = None
            if file_id:
                described = await files.describe(team_id, file_id, await suppliers.platform(link))
                file_name = described.name[:255]
            metadata = NewBillMetadata(
                channel_id=channel_id,
                idempotency_key=str(uuid.uuid4()),
                locale=person.locale,
                lines=1,
                file_id=file_id,
                file_name=file_name,
            )
            return await bill_modal(link, metadata, person, supplier_id=supplier_id)

        title = words(person.locale)(NEW_BILL_TITLE)
        await open_modal(client, trigger_id, context, title, build(), locale=person.locale)

    # ------------------------------------------------------------ /supplier and its buttons

    @on.command("/supplier")
    async def supplier_command(
        ack: AsyncAck, slash: Command, respond: AsyncRespond, client: AsyncWebClient
    ) -> None:
        await ack()
        person = await person_of(client, slash.team_id, slash.user_id)
        _ = words(person.locale)
        if not slash.text:
            await respond(
                text=_(
                    "Which supplier? Try `/supplier northridge`: up to ten suppliers whose name "
                    "contains the text."
                ),
                response_type="ephemeral",
            )
            return
        link = await workflow.link_for(slash.team_id, slash.channel_id)
        found = await suppliers.lookup(link, slash.text)
        message = supplier_blocks(
            slash.text,
            found.matches,
            locale=person.locale,
            total=found.total,
            can_edit=await suppliers.can_edit_suppliers(link),
        )
        await respond(response_type="ephemeral", **message)

    @on.action(SupplierAction.SHOW_BILLS, SupplierButton)
    async def show_bills(
        ack: AsyncAck, click: Click, value: SupplierButton, client: AsyncWebClient
    ) -> None:
        await ack()
        link = await workflow.link_for(click.team_id, click.channel_id)
        person = await person_of(client, click.team_id, click.user_id)
        supplier = await suppliers.supplier(link, value.supplier_id)
        # The name as a filter's text, never read as `overdue` or `due …` words.
        only = BillFilter(text=" ".join(supplier.supplier_name.split())[:MAX_FILTER_LENGTH])
        await publisher.post_listing(click.team_id, person, link, only, channel_id=click.channel_id)

    @on.action(SupplierAction.NEW_BILL, SupplierButton)
    async def new_bill_for_supplier(
        ack: AsyncAck, click: Click, value: SupplierButton, body: dict[str, Any],
        client: AsyncWebClient, context: AsyncBoltContext,
    ) -> None:  # fmt: skip
        await ack()
        await start_bill(
            client, context, _trigger(body), click.team_id, click.channel_id, click.user_id,
            supplier_id=value.supplier_id,
        )  # fmt: skip

    @on.action(SupplierAction.CREATE, CreateSupplierButton)
    async def create_supplier_clicked(
        ack: AsyncAck, click: Click, value: CreateSupplierButton, body: dict[str, Any],
        client: AsyncWebClient,
    ) -> None:  # fmt: skip
        await ack()
        link = await workflow.link_for(click.team_id, click.channel_id)
        person = await person_of(client, click.team_id, click.user_id)
        await suppliers.check_may_create(link, click.user_id)
        metadata = SupplierMetadata(
            channel_id=click.channel_id, idempotency_key=str(uuid.uuid4()), locale=person.locale
        )
        await client.views_open(
            trigger_id=_trigger(body), view=supplier_modal(metadata, name=value.name)
        )

    @on.action(SupplierAction.EDIT, SupplierButton)
    async def edit_supplier_clicked(
        ack: AsyncAck, click: Click, value: SupplierButton, body: dict[str, Any],
        client: AsyncWebClient, context: AsyncBoltContext,
    ) -> None:  # fmt: skip
        await ack()
        link = await workflow.link_for(click.team_id, click.channel_id)
        person = await person_of(client, click.team_id, click.user_id)

        async def build() -> dict[str, Any]:
            await suppliers.check_may_edit(link, click.user_id)
            supplier = await suppliers.supplier(link, value.supplier_id, fresh=True)
            metadata = SupplierMetadata(
                channel_id=click.channel_id,
                idempotency_key=str(uuid.uuid4()),
                locale=person.locale,
                supplier_id=supplier.id,
            )
            address = address_text(supplier.addresses[0]) if supplier.addresses else None
            return supplier_modal(metadata, supplier=supplier, address=address)

        title = words(person.locale)(EDIT_SUPPLIER_TITLE)
        await open_modal(client, _trigger(body), context, title, build(), locale=person.locale)

    @on.view(SupplierCallback.CREATE, SupplierMetadata)
    @on.view(SupplierCallback.EDIT, SupplierMetadata)
    async def supplier_submitted(
        ack: AsyncAck, body: dict[str, Any], submission: Submission, metadata: SupplierMetadata,
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
        link = await workflow.link_for(submission.team_id, metadata.channel_id)
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

    # ------------------------------------------------------------ new bills

    @on.shortcut(SupplierCallback.BILL_FROM_FILE)
    async def bill_from_file(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        await ack()
        click = click_of(body)
        found = as_dict(body.get("message")).get("files")
        file_ids = [
            f.get("id")
            for f in found or []
            if isinstance(f, dict) and _FILE_ID.match(str(f.get("id")))
        ]
        if not file_ids:
            raise Denied(NO_FILE)
        await start_bill(
            client, context, _trigger(body), click.team_id, click.channel_id, click.user_id,
            file_id=file_ids[0],
        )  # fmt: skip

    @on.options(SupplierInput.BILL_SUPPLIER)
    async def supplier_suggestions(ack: AsyncAck, body: dict[str, Any]) -> None:
        metadata = _bill_metadata(body)
        typed = body.get("value") if isinstance(body.get("value"), str) else ""
        link = await workflow.link_for(str(team_of(body)), metadata.channel_id)
        found = await suppliers.suggestions(link, str(typed)[:100])
        await ack(options=supplier_options([(s.id, s.supplier_name) for s in found]))

    async def redraw(body: dict[str, Any], client: AsyncWebClient, *, add_line: bool) -> None:
        metadata = _bill_metadata(body)
        view = as_dict(body.get("view"))
        who = submission_of(body)  # the form's team, user and view, checked like a submission
        link = await workflow.link_for(who.team_id, metadata.channel_id)
        person = await person_of(client, who.team_id, who.user_id)
        values = _form_values(body)
        if add_line and metadata.lines < MAX_LINES:
            metadata = metadata.model_copy(update={"lines": metadata.lines + 1})
        action = used_action(body)
        used = action_value(body) or action.get("value")
        if isinstance(used, str) and _RECOMPUTING.match(str(action.get("action_id"))):
            values[str(action["action_id"])] = used  # the change itself, whatever state says
        chose_supplier = action.get("action_id") == SupplierInput.BILL_SUPPLIER
        supplier_id = values.get(SupplierInput.BILL_SUPPLIER)
        currency = None if chose_supplier else values.get(SupplierInput.BILL_CURRENCY)
        rebuilt = await bill_modal(
            link, metadata, person, supplier_id=supplier_id, values=values, currency=currency
        )
        try:
            await client.views_update(view_id=who.view_id, hash=view.get("hash"), view=rebuilt)
        except SlackApiError as error:
            # Another change redrew the form first; it has the newer values, so it wins.
            if error.response.get("error") != "hash_conflict":
                raise

    @on.action(SupplierAction.ADD_LINE, None)
    async def add_line(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        await redraw(body, client, add_line=True)

    @on.action(_RECOMPUTING, None)
    async def recompute(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        await redraw(body, client, add_line=False)

    async def create_and_post(
        link: CompanyLink,
        submission: Submission,
        metadata: NewBillMetadata,
        form: BillForm,
        person: Person,
        platform: str,
        *,
        duplicate_of: str | None,
    ) -> tuple[str, str]:
        """Download the invoice, create the bill (once: a resubmitted form finds its card
        already posted), post its card, attach the invoice; the words for the modal."""
        _ = words(metadata.locale)
        client = publisher.client(submission.team_id)
        invoice = None
        if metadata.file_id:
            described = await files.describe(submission.team_id, metadata.file_id, platform)
            invoice = await files.download(submission.team_id, described, platform)
        bill = await suppliers.create_bill(
            link, submission.user_id, form, duplicate_of=duplicate_of
        )
        total = money(form.totals.total, form.currency, metadata.locale)
        name = escape(bill.supplier_ref.supplier_name or "")
        done = _(
            "Bill created: {supplier}, {total}. Its card is in <#{channel}>, ready for approval.",
            supplier=name, total=total, channel=metadata.channel_id,
        )  # fmt: skip
        if await suppliers.already_shown(link, bill.id):
            return done, ":white_check_mark:"
        ts = await publisher.post_bill(
            submission.team_id, person, link, bill, channel_id=metadata.channel_id
        )
        if invoice is None or not metadata.file_id:
            return done, ":white_check_mark:"
        try:
            await suppliers.attach(
                link, submission.user_id, bill.id, name=invoice.name,
                content=invoice.content, content_type=invoice.content_type,
            )  # fmt: skip
        except Exception:  # whatever failed, the bill exists without its invoice: say so
            # on its card (Retry upload there) and in its thread, where people are notified.
            log.warning("the invoice of new bill %s was not attached", bill.id, exc_info=True)
            await workflow.invoices.upload_failed(
                link, bill.id, submission.user_id, file_id=metadata.file_id, name=invoice.name
            )
            await Publisher.quietly(
                publisher.bill_changed(submission.team_id, link.id, bill.id),
                "show the failed upload on the card",
            )
            notice = upload_failed_message(
                bill.id, metadata.file_id, invoice.name, locale=metadata.locale
            )
            await Publisher.quietly(
                client.chat_postMessage(channel=metadata.channel_id, thread_ts=ts, **notice),
                "say the invoice upload failed",
            )
            return (
                done
                + " "
                + _("The invoice could not be attached: see the card’s thread to retry."),
                ":warning:",
            )
        return done + " " + _("The invoice is attached."), ":white_check_mark:"

    @on.view(SupplierCallback.NEW_BILL, NewBillMetadata)
    async def bill_submitted(
        ack: AsyncAck, body: dict[str, Any], submission: Submission, metadata: NewBillMetadata,
        client: AsyncWebClient,
    ) -> None:  # fmt: skip
        _ = words(metadata.locale)
        link = await workflow.link_for(submission.team_id, metadata.channel_id)
        options = await suppliers.bill_options(link)
        values = _form_values(body)
        form = read_bill_form(
            options.context(metadata.locale, metadata.idempotency_key),
            supplier_id=values.get(SupplierInput.BILL_SUPPLIER),
            reference=values.get(SupplierInput.BILL_REFERENCE),
            issue_date=values.get(SupplierInput.BILL_ISSUED),
            due_date=values.get(SupplierInput.BILL_DUE),
            currency=values.get(SupplierInput.BILL_CURRENCY),
            lines=_raw_lines(values, metadata.lines),
        )
        if isinstance(form, dict):
            raise _bill_field_errors(form)
        try:
            supplier = await suppliers.supplier(link, form.supplier_id)
        except Denied as refused:
            raise FieldErrors({SupplierInput.BILL_SUPPLIER: _(refused.phrase)}) from refused
        if supplier.status == "Archived":
            raise FieldErrors({SupplierInput.BILL_SUPPLIER: _(SUPPLIER_ARCHIVED)})
        confirmed = NOT_A_DUPLICATE in field_choices(body, SupplierInput.BILL_NOT_DUPLICATE)
        total = money(form.totals.total, form.currency, metadata.locale)
        # Acknowledged before the duplicate check: it reads every outstanding and recently
        # paid bill, which can take longer than Slack waits for an answer.
        await ack(
            response_action="update",
            view=waiting_modal(
                _("New bill"),
                _(
                    "Creating the bill from {supplier} for {total}…",
                    supplier=escape(supplier.supplier_name),
                    total=total,
                ),
                locale=metadata.locale,
            ),
        )
        if not (confirmed and metadata.duplicate_of):
            duplicate = await workflow.invoices.duplicate_of_new(
                link,
                supplier_id=supplier.id,
                currency=form.currency,
                total=form.totals.total,
                reference=form.reference,
                issue_date=form.issue_date,
                today=services.clock().date(),
            )
            if duplicate is not None:  # back to the form, which says so: creating needs the tick
                flagged = metadata.model_copy(update={"duplicate_of": duplicate.bill_id})
                person = await person_of(client, submission.team_id, submission.user_id)
                view = await bill_modal(
                    link, flagged, person, supplier_id=supplier.id, values=values,
                    currency=form.currency, duplicate=duplicate,
                )  # fmt: skip
                await client.views_update(view_id=submission.view_id, view=view)
                return
        person = await person_of(client, submission.team_id, submission.user_id)
        async with suppliers.one_at_a_time(form.idempotency_key):
            done, emoji = await create_and_post(
                link, submission, metadata, form, person, options.platform,
                duplicate_of=metadata.duplicate_of if confirmed else None,
            )  # fmt: skip
        await Publisher.quietly(
            client.views_update(
                view_id=submission.view_id,
                view=message_modal(_("New bill"), done, emoji=emoji, locale=metadata.locale),
            ),
            "show the new bill's result",
        )

    @on.action(SupplierAction.RETRY_UPLOAD, RetryUploadButton)
    async def retry_upload(
        ack: AsyncAck, click: Click, value: RetryUploadButton, respond: AsyncRespond,
        client: AsyncWebClient,
    ) -> None:  # fmt: skip
        """From the card or from the notice in its thread: the first click claims the retry,
        so the invoice is uploaded once; the card is redrawn either way."""
        await ack()
        link = await workflow.link_for(click.team_id, click.channel_id)
        person = await person_of(client, click.team_id, click.user_id)
        await suppliers.check_may_create(link, click.user_id)
        ref = click.case(value.bill_id)
        pending = await workflow.invoices.claim_retry(ref, click.user_id)
        changed = publisher.bill_changed(click.team_id, link.id, value.bill_id)
        await Publisher.quietly(changed, "show the upload under way")
        try:
            platform = await suppliers.platform(link)
            described = await files.describe(click.team_id, value.file_id, platform)
            invoice = await files.download(click.team_id, described, platform)
            uploaded = await workflow.invoices.retry(
                ref, click.user_id, name=invoice.name, content=invoice.content,
                content_type=invoice.content_type,
            )  # fmt: skip
        except BaseException as error:
            await workflow.invoices.retry_failed(ref, click.user_id, pending.name, error)
            raise
        finally:
            changed = publisher.bill_changed(click.team_id, link.id, value.bill_id)
            await Publisher.quietly(changed, "show the upload's result on the card")
        _ = words(person.locale)
        text = attached_text(invoice.name, locale=person.locale)
        if not uploaded:
            text = _("This bill's invoice is already attached.")
        if value.on_card:
            await respond(text=text, response_type="ephemeral", replace_original=False)
        else:
            await respond(text=text, replace_original=True)

    # ------------------------------------------------------------ bank accounts

    async def new_account(slash: Command, body: dict[str, Any], client: AsyncWebClient) -> None:
        link = await workflow.link_for(slash.team_id, slash.channel_id)
        person = await person_of(client, slash.team_id, slash.user_id)
        await suppliers.check_may_manage(link, slash.user_id)
        metadata = BankAccountMetadata(
            channel_id=slash.channel_id, idempotency_key=str(uuid.uuid4()), locale=person.locale
        )
        await client.views_open(
            trigger_id=_trigger(body),
            view=bank_account_modal(metadata, base_currency=link.base_currency),
        )

    async def new_bill_command(
        slash: Command, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        await start_bill(
            client, context, _trigger(body), slash.team_id, slash.channel_id, slash.user_id
        )

    async def account_command(
        slash: Command, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        await new_account(slash, body, client)

    @on.view(SupplierCallback.NEW_ACCOUNT, BankAccountMetadata)
    async def account_submitted(
        ack: AsyncAck, body: dict[str, Any], submission: Submission,
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
        link = await workflow.link_for(submission.team_id, metadata.channel_id)
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

    return {"bill": new_bill_command, "account new": account_command}
