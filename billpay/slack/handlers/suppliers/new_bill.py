"""The new bill form: opened by `/billpay bill`, by a supplier's New bill button (that supplier
chosen) and by the message shortcut "Create bill from this invoice" (the file attached); while
it is open, the supplier type-ahead, Add line, and totals recomputed on each change; and its
submission, which checks for a possible duplicate, creates the bill, posts its card and
attaches the invoice.

A form that fails its checks comes back with errors on its fields; a possible duplicate brings
it back flagged, and creating then needs a tick.
"""

from __future__ import annotations

import logging
import re
import uuid
from typing import Any

from slack_bolt.async_app import AsyncBoltContext
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from billpay.core.domain import Duplicate
from billpay.core.errors import Denied, FieldErrors, OutOfDate
from billpay.core.i18n import N_, words
from billpay.invoices.files import NO_FILE, ONE_FILE, Invoice, SlackFiles, check, check_on_field
from billpay.payables.models import Supplier
from billpay.services import Services
from billpay.slack.blocks.ids import SupplierAction, SupplierCallback, SupplierInput, line_block
from billpay.slack.blocks.metadata import NewBillMetadata, SupplierButton
from billpay.slack.blocks.modals import loading_modal, message_modal, waiting_modal
from billpay.slack.blocks.new_bill import (
    NOT_A_DUPLICATE,
    new_bill_modal,
    supplier_options,
    upload_failed_message,
)
from billpay.slack.blocks.text import escape, money
from billpay.slack.boundary import Ack, Listeners
from billpay.slack.budget import open_modal, reader_now, trigger_of
from billpay.slack.envelope import (
    Click,
    Command,
    Submission,
    action_value,
    as_dict,
    click_of,
    field_choices,
    field_element,
    field_value,
    submission_of,
    team_of,
    used_action,
)
from billpay.slack.people import LazyPerson, Person
from billpay.slack.publisher import Publisher
from billpay.store.models import CompanyLink
from billpay.suppliers.rules import (
    MAX_LINES,
    BillForm,
    BillOptions,
    RawLine,
    estimate,
    read_bill_form,
)
from billpay.suppliers.service import FORM_GONE, SUPPLIER_ARCHIVED

log = logging.getLogger(__name__)

NEW_BILL_TITLE = N_("New bill")
BILL_FIELDS = {
    "supplier": SupplierInput.BILL_SUPPLIER,
    "reference": SupplierInput.BILL_REFERENCE,
    "issue_date": SupplierInput.BILL_ISSUED,
    "due_date": SupplierInput.BILL_DUE,
    "currency": SupplierInput.BILL_CURRENCY,
    "requested_by": SupplierInput.BILL_REQUESTER,
}
LINE_FIELDS = {
    "description": SupplierInput.LINE_DESCRIPTION,
    "amount": SupplierInput.LINE_AMOUNT,
    "quantity": SupplierInput.LINE_QUANTITY,
    "account": SupplierInput.LINE_ACCOUNT,
    "tax": SupplierInput.LINE_TAX,
}
# Changing these in the new bill modal redraws it with new totals.
_RECOMPUTING = re.compile(
    rf"^({SupplierInput.BILL_SUPPLIER}|{SupplierInput.BILL_CURRENCY}|"
    rf"(?:{SupplierInput.LINE_AMOUNT}|{SupplierInput.LINE_QUANTITY}|{SupplierInput.LINE_TAX}):\d)$"
)
_FILE_ID = re.compile(r"^F[A-Z0-9]{2,24}$")


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


def _picked_invoice(
    body: dict[str, Any], metadata: NewBillMetadata, platform: str
) -> NewBillMetadata:
    """The form's metadata with the invoice file picked in its file field, if one was:
    checked against the platform's rules first (a mistake comes back on the field)."""
    files = field_element(body, SupplierInput.BILL_FILE).get("files")
    if metadata.file_id or not isinstance(files, list) or not files:
        return metadata
    _ = words(metadata.locale)
    picked = as_dict(files[0])
    name, size, file_id = picked.get("name"), picked.get("size"), picked.get("id")
    if not isinstance(file_id, str) or not isinstance(name, str) or len(files) != 1:
        raise FieldErrors({SupplierInput.BILL_FILE: _(ONE_FILE)})
    check_on_field(SupplierInput.BILL_FILE, name, size, platform, metadata.locale)
    return metadata.model_copy(update={"file_id": file_id, "file_name": name[:255]})


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


def _shared_file(body: dict[str, Any]) -> str:
    """The first file of the message a shortcut was used on; refused when it has none."""
    found = as_dict(body.get("message")).get("files")
    file_ids = [
        f.get("id")
        for f in (found if isinstance(found, list) else [])
        if isinstance(f, dict) and _FILE_ID.match(str(f.get("id")))
    ]
    if not file_ids:
        raise Denied(NO_FILE)
    return str(file_ids[0])


class BillForms:
    """What the new bill form's listeners share: the form built from the company's accounts,
    tax rates and suppliers, opened within the trigger's 3 seconds, redrawn as it changes, and
    the bill it describes created, its card posted and its invoice attached."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.suppliers = services.suppliers
        self.services = services
        self.publisher = services.must_publish()
        self.files = SlackFiles(self.publisher.client, services.settings.slack_api_url)

    async def form(
        self,
        link: CompanyLink,
        metadata: NewBillMetadata,
        person: Person,
        *,
        supplier_id: str | None = None,
        values: dict[str, str] | None = None,
        currency: str | None = None,
        duplicate: Duplicate | None = None,
    ) -> dict[str, Any]:
        """The form as `values` fill it, with the company's accounts and tax rates, the chosen
        supplier (its currency unless one was chosen) and the totals."""
        options = await self.suppliers.bill_options(link)
        supplier = None
        if supplier_id:
            found = await self.suppliers.supplier(link, supplier_id)
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
            today=person.today(self.services.clock()),
            supplier=supplier,
            currency=currency,
            totals=totals,
            values=values,
            duplicate=duplicate,
        )

    async def open(
        self,
        body: dict[str, Any],
        client: AsyncWebClient,
        context: AsyncBoltContext,
        person: LazyPerson,
        where: Click | Command,
        *,
        supplier_id: str | None = None,
        file_id: str | None = None,
    ) -> None:
        """Open the form for the channel `where` was used in, if its creator may add bills:
        with `supplier_id` chosen, or `file_id` as its invoice."""
        trigger_id = trigger_of(body)
        link = await self.services.links.link_for(where.team_id, where.channel_id)
        reader = await reader_now(person)
        await self.suppliers.check_may_create(link, where.user_id)
        # A file no platform takes is refused before anything opens (Slack describes it); the
        # limits of the company's own platform are checked once the payables API says which.
        described = await self.files.describe(where.team_id, file_id, "") if file_id else None

        self.suppliers.warm(link)  # the type-ahead's list, read while the form opens

        async def build() -> dict[str, Any]:
            creator = await person
            file_name = None
            if described is not None:
                check(described.name, described.size, await self.suppliers.platform(link))
                file_name = described.name[:255]
            metadata = NewBillMetadata(
                channel_id=where.channel_id,
                idempotency_key=str(uuid.uuid4()),
                locale=creator.locale,
                lines=1,
                file_id=file_id,
                file_name=file_name,
            )
            return await self.form(link, metadata, creator, supplier_id=supplier_id)

        loading = loading_modal(NEW_BILL_TITLE, locale=reader.locale)
        await open_modal(client, trigger_id, context, loading, build())

    async def redraw(
        self, body: dict[str, Any], client: AsyncWebClient, person: LazyPerson, *, add_line: bool
    ) -> None:
        """Redraw the open form with what it holds now (and one more line with `add_line`)."""
        metadata = _bill_metadata(body)
        view = as_dict(body.get("view"))
        who = submission_of(body)  # the form's team, user and view, checked like a submission
        link = await self.services.links.link_for(who.team_id, metadata.channel_id)
        creator = await person
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
        rebuilt = await self.form(
            link, metadata, creator, supplier_id=supplier_id, values=values, currency=currency
        )
        try:
            await client.views_update(view_id=who.view_id, hash=view.get("hash"), view=rebuilt)
        except SlackApiError as error:
            # Another change redrew the form first; it has the newer values, so it wins.
            if error.response.get("error") != "hash_conflict":
                raise

    async def attach_invoice(
        self,
        link: CompanyLink,
        submission: Submission,
        metadata: NewBillMetadata,
        bill_id: str,
        invoice: Invoice,
        ts: str,
    ) -> bool:
        """Attach the new bill's invoice; when that fails, whatever the cause, the bill exists
        without it: its card says so (Retry upload there) and so does its thread, where people
        are notified. Whether it was attached."""
        assert metadata.file_id is not None
        try:
            await self.suppliers.attach(
                link, submission.user_id, bill_id, name=invoice.name,
                content=invoice.content, content_type=invoice.content_type,
            )  # fmt: skip
            return True
        except Exception:
            log.warning("the invoice of new bill %s was not attached", bill_id, exc_info=True)
        await self.services.invoices.upload_failed(
            link, bill_id, submission.user_id, file_id=metadata.file_id, name=invoice.name
        )
        await Publisher.quietly(
            self.publisher.bill_changed(submission.team_id, link.id, bill_id),
            "show the failed upload on the card",
        )
        notice = upload_failed_message(
            bill_id, metadata.file_id, invoice.name, locale=metadata.locale
        )
        client = self.publisher.client(submission.team_id)
        await Publisher.quietly(
            client.chat_postMessage(channel=metadata.channel_id, thread_ts=ts, **notice),
            "say the invoice upload failed",
        )
        return False

    async def create_and_post(
        self,
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
        invoice = None
        if metadata.file_id:
            described = await self.files.describe(submission.team_id, metadata.file_id, platform)
            invoice = await self.files.download(submission.team_id, described, platform)
        bill = await self.suppliers.create_bill(
            link, submission.user_id, form, duplicate_of=duplicate_of
        )
        total = money(form.totals.total, form.currency, metadata.locale)
        name = escape(bill.supplier_ref.supplier_name or "")
        done = _(
            "Bill created: {supplier}, {total}. Its card is in <#{channel}>, ready for approval.",
            supplier=name, total=total, channel=metadata.channel_id,
        )  # fmt: skip
        if await self.suppliers.already_shown(link, bill.id):
            return done, ":white_check_mark:"
        # Its card offers Attach invoice at once, or View invoice once the file is attached.
        await self.services.invoices.new_bill_files(link, bill, 0)
        ts = await self.publisher.post_bill(
            submission.team_id, person, link, bill, channel_id=metadata.channel_id
        )
        if invoice is None or not metadata.file_id:
            return done, ":white_check_mark:"
        if not await self.attach_invoice(link, submission, metadata, bill.id, invoice, ts):
            retry = _("The invoice could not be attached: see the card’s thread to retry.")
            return done + " " + retry, ":warning:"
        await self.services.invoices.new_bill_files(link, bill, 1)
        await Publisher.quietly(
            self.publisher.bill_changed(submission.team_id, link.id, bill.id),
            "show the attached invoice on the card",
        )
        return done + " " + _("The invoice is attached."), ":white_check_mark:"

    async def checked(
        self, link: CompanyLink, metadata: NewBillMetadata, values: dict[str, str], creator: str
    ) -> tuple[BillForm, Supplier, BillOptions]:
        """The submitted form read against the company's options, its supplier still there
        and not archived; mistakes come back on their fields."""
        _ = words(metadata.locale)
        options = await self.suppliers.bill_options(link)
        form = read_bill_form(
            options.context(metadata.locale, metadata.idempotency_key),
            supplier_id=values.get(SupplierInput.BILL_SUPPLIER),
            reference=values.get(SupplierInput.BILL_REFERENCE),
            issue_date=values.get(SupplierInput.BILL_ISSUED),
            due_date=values.get(SupplierInput.BILL_DUE),
            currency=values.get(SupplierInput.BILL_CURRENCY),
            lines=_raw_lines(values, metadata.lines),
            requested_by=values.get(SupplierInput.BILL_REQUESTER),
            creator=creator,
        )
        if isinstance(form, dict):
            raise _bill_field_errors(form)
        try:
            supplier = await self.suppliers.supplier(link, form.supplier_id)
        except Denied as refused:
            raise FieldErrors({SupplierInput.BILL_SUPPLIER: _(refused.phrase)}) from refused
        if supplier.status == "Archived":
            raise FieldErrors({SupplierInput.BILL_SUPPLIER: _(SUPPLIER_ARCHIVED)})
        return form, supplier, options

    async def possible_duplicate(
        self, link: CompanyLink, form: BillForm, supplier: Supplier
    ) -> Duplicate | None:
        return await self.services.invoices.duplicate_of_new(
            link,
            supplier_id=supplier.id,
            currency=form.currency,
            total=form.totals.total,
            reference=form.reference,
            issue_date=form.issue_date,
            today=self.services.clock().date(),
        )


def register(on: Listeners, services: Services) -> None:
    suppliers = services.suppliers
    forms = BillForms(services)

    @on.command("/billpay", verb="bill")
    async def new_bill_command(
        ack: Ack, slash: Command, body: dict[str, Any], client: AsyncWebClient,
        context: AsyncBoltContext, person: LazyPerson,
    ) -> None:  # fmt: skip
        await ack()
        await forms.open(body, client, context, person, slash)

    @on.action(SupplierAction.NEW_BILL, SupplierButton)
    async def new_bill_for_supplier(
        ack: Ack, click: Click, value: SupplierButton, body: dict[str, Any],
        client: AsyncWebClient, context: AsyncBoltContext, person: LazyPerson,
    ) -> None:  # fmt: skip
        await ack()
        await forms.open(body, client, context, person, click, supplier_id=value.supplier_id)

    @on.shortcut(SupplierCallback.BILL_FROM_FILE)
    async def bill_from_file(
        ack: Ack, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext,
        person: LazyPerson,
    ) -> None:  # fmt: skip
        await ack()
        click = click_of(body)
        file_id = _shared_file(body)
        await forms.open(body, client, context, person, click, file_id=file_id)

    @on.options(SupplierInput.BILL_SUPPLIER)
    async def supplier_suggestions(ack: Ack, body: dict[str, Any]) -> None:
        metadata = _bill_metadata(body)
        typed = body.get("value") if isinstance(body.get("value"), str) else ""
        link = await services.links.link_for(str(team_of(body)), metadata.channel_id)
        found = await suppliers.suggestions(link, str(typed)[:100])
        await ack(options=supplier_options([(s.id, s.supplier_name) for s in found]))

    @on.action(SupplierAction.ADD_LINE, None)
    async def add_line(
        ack: Ack, body: dict[str, Any], client: AsyncWebClient, person: LazyPerson
    ) -> None:
        await ack()
        await forms.redraw(body, client, person, add_line=True)

    @on.action(_RECOMPUTING, None)
    async def recompute(
        ack: Ack, body: dict[str, Any], client: AsyncWebClient, person: LazyPerson
    ) -> None:
        await ack()
        await forms.redraw(body, client, person, add_line=False)

    @on.view(SupplierCallback.NEW_BILL, NewBillMetadata)
    async def bill_submitted(
        ack: Ack, body: dict[str, Any], submission: Submission, metadata: NewBillMetadata,
        client: AsyncWebClient, person: LazyPerson,
    ) -> None:  # fmt: skip
        _ = words(metadata.locale)
        link = await services.links.link_for(submission.team_id, metadata.channel_id)
        values = _form_values(body)
        form, supplier, options = await forms.checked(link, metadata, values, submission.user_id)
        metadata = _picked_invoice(body, metadata, options.platform)
        confirmed = NOT_A_DUPLICATE in field_choices(body, SupplierInput.BILL_NOT_DUPLICATE)
        total = money(form.totals.total, form.currency, metadata.locale)
        creating = _(
            "Creating the bill from {supplier} for {total}…",
            supplier=escape(supplier.supplier_name),
            total=total,
        )
        # Acknowledged before the duplicate check: it reads every outstanding and recently
        # paid bill, which can take longer than Slack waits for an answer.
        await ack(
            response_action="update",
            view=waiting_modal(_("New bill"), creating, locale=metadata.locale),
        )
        if not (confirmed and metadata.duplicate_of):
            duplicate = await forms.possible_duplicate(link, form, supplier)
            if duplicate is not None:  # back to the form, which says so: creating needs the tick
                flagged = metadata.model_copy(update={"duplicate_of": duplicate.bill_id})
                view = await forms.form(
                    link, flagged, await person, supplier_id=supplier.id, values=values,
                    currency=form.currency, duplicate=duplicate,
                )  # fmt: skip
                await client.views_update(view_id=submission.view_id, view=view)
                return
        creator = await person
        async with suppliers.one_at_a_time(form.idempotency_key):
            done, emoji = await forms.create_and_post(
                link, submission, metadata, form, creator, options.platform,
                duplicate_of=metadata.duplicate_of if confirmed else None,
            )  # fmt: skip
        await Publisher.quietly(
            client.views_update(
                view_id=submission.view_id,
                view=message_modal(_("New bill"), done, emoji=emoji, locale=metadata.locale),
            ),
            "show the new bill's result",
        )
