"""A bill's invoice file: the card's overflow choices View invoice (shared once into the card's
thread), Attach invoice with its form, and Invoice… (the card does not know yet whether the
bill has files: they are listed, then shared or the form opens), and Retry upload, on the card
or in its thread, when a new bill's invoice did not reach the accounting platform.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from slack_bolt.async_app import AsyncBoltContext, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from billpay.core.bounds import invoice_max_bytes
from billpay.core.domain import CaseRef, CaseView
from billpay.core.errors import FieldErrors, OutOfDate
from billpay.core.i18n import N_, words
from billpay.invoices.files import ONE_FILE, SlackFiles, check_on_field
from billpay.payables.models import Attachment
from billpay.services import Services
from billpay.slack.blocks.ids import Callback, Input, MoreOption, SupplierAction
from billpay.slack.blocks.invoices import (
    already_shared,
    attach_modal,
    attached_line,
    shared_comment,
)
from billpay.slack.blocks.metadata import AttachMetadata, MoreAction, RetryUploadButton
from billpay.slack.blocks.modals import done_modal, loading_modal, waiting_modal
from billpay.slack.blocks.new_bill import attached_text
from billpay.slack.blocks.text import plain
from billpay.slack.boundary import Ack, Listeners
from billpay.slack.budget import open_modal, reader_now, trigger_of
from billpay.slack.envelope import Click, Submission, field_element
from billpay.slack.handlers.cards import Cards, overflow, tell
from billpay.slack.people import LazyPerson
from billpay.slack.publisher import Publisher

ATTACH_TITLE = N_("Attach invoice")
INVOICE_TITLE = N_("Invoice")


def picked_file(body: dict[str, Any]) -> dict[str, Any] | None:
    """The one file of the Attach invoice modal's file input, as Slack describes it."""
    files = field_element(body, Input.ATTACH_FILE).get("files")
    if not isinstance(files, list) or len(files) != 1 or not isinstance(files[0], dict):
        return None
    return files[0]


def register(on: Listeners, services: Services) -> None:
    suppliers = services.suppliers
    publisher = services.must_publish()
    files = SlackFiles(publisher.client, services.settings.slack_api_url)

    async def platform_of(click: Click) -> str:
        """The company's accounting platform, whose rules on files the Attach form states."""
        link = await services.links.link_for(click.team_id, click.channel_id)
        return await suppliers.platform(link)

    cards = Cards(services)

    async def share(
        click: Click, ref: CaseRef, locale: str, files: list[Attachment] | None = None
    ) -> str | None:
        """Share the bill's files in the card's thread, once: the thread's link when they
        were shared already, else None once shared."""
        if not click.message_ts:
            raise OutOfDate()
        claim = await services.invoices.claim_share(ref, click.user_id, files)
        if claim.permalink is not None:
            return claim.permalink
        try:
            ids, link = await publisher.share_files(
                click.team_id,
                click.channel_id,
                click.message_ts,
                [(f.name, f.content) for f in claim.files],
                shared_comment(
                    claim.case,
                    click.user_id,
                    await publisher.channel_language(click.team_id, click.channel_id),
                ),
            )
        except BaseException:
            await services.invoices.share_failed(ref)
            raise
        await services.invoices.shared(ref, click.user_id, ids, link)
        return None

    @overflow(on, MoreOption.VIEW_INVOICE)
    async def view_invoice(
        ack: Ack, click: Click, value: MoreAction, respond: AsyncRespond, person: LazyPerson
    ) -> None:
        await ack()
        await cards.current(click, value.bill_id)
        reader = await person
        permalink = await share(click, click.case(value.bill_id), reader.locale)
        if permalink is not None:
            await tell(respond, already_shared(permalink, reader.locale))

    @overflow(on, MoreOption.INVOICE)
    async def look_for_invoice(
        ack: Ack,
        click: Click,
        value: MoreAction,
        body: dict[str, Any],
        client: AsyncWebClient,
        context: AsyncBoltContext,
        person: LazyPerson,
    ) -> None:
        """The bill's files are listed now (one call): with files, they are shared as View
        invoice shares them, and the modal says so; with none, Attach invoice's form opens.
        Either way the card then offers View invoice or Attach invoice."""
        await ack()
        trigger_id = trigger_of(body)
        await cards.current(click, value.bill_id)
        reader = await reader_now(person)
        ref = click.case(value.bill_id)

        async def build() -> dict[str, Any]:
            found = await services.invoices.look_up(ref)
            someone = await person
            if not found.attachments:
                today = someone.today(services.clock())
                return await _attach_form(found.case, someone.locale, today)
            permalink = await share(click, ref, someone.locale, found.attachments)
            _ = words(someone.locale)
            if permalink is not None:
                text = already_shared(permalink, someone.locale)
            else:
                text = _("Shared the invoice in the card's thread.")
            return done_modal(INVOICE_TITLE, text, locale=someone.locale)

        async def _attach_form(case: CaseView, locale: str, today: date) -> dict[str, Any]:
            metadata = AttachMetadata(
                channel_id=click.channel_id,
                message_ts=click.message_ts,
                bill_id=value.bill_id,
                platform=await platform_of(click),
            )
            return attach_modal(case, metadata, locale=locale, today=today)

        try:
            loading = loading_modal(INVOICE_TITLE, locale=reader.locale)
            await open_modal(client, trigger_id, context, loading, build())
        finally:
            await Publisher.quietly(
                publisher.bill_changed_here(
                    click.team_id, click.channel_id, value.bill_id, click.message_ts
                ),
                "show what the card now knows of the files",
            )

    @overflow(on, MoreOption.ATTACH_INVOICE)
    async def attach_invoice(
        ack: Ack,
        click: Click,
        value: MoreAction,
        body: dict[str, Any],
        client: AsyncWebClient,
        context: AsyncBoltContext,
        person: LazyPerson,
    ) -> None:
        await ack()
        trigger_id = trigger_of(body)
        await cards.current(click, value.bill_id)
        reader = await reader_now(person)

        async def build() -> dict[str, Any]:
            # The bill and its files, read: whether it still has no invoice.
            case = await services.invoices.check_may_attach(click.case(value.bill_id))
            attacher = await person
            metadata = AttachMetadata(
                channel_id=click.channel_id,
                message_ts=click.message_ts,
                bill_id=value.bill_id,
                platform=await platform_of(click),
            )
            today = attacher.today(services.clock())
            return attach_modal(case, metadata, locale=attacher.locale, today=today)

        loading = loading_modal(ATTACH_TITLE, locale=reader.locale)
        await open_modal(client, trigger_id, context, loading, build())

    @on.view(Callback.ATTACH, AttachMetadata)
    async def attach_submitted(
        ack: Ack,
        body: dict[str, Any],
        submission: Submission,
        metadata: AttachMetadata,
        client: AsyncWebClient,
        person: LazyPerson,
    ) -> None:
        locale = (await person).locale
        _ = words(locale)
        file = picked_file(body)
        if file is None:
            raise FieldErrors({Input.ATTACH_FILE: _(ONE_FILE)})
        name = file.get("name") or file.get("title")
        name = name if isinstance(name, str) else ""
        size = file.get("size")
        check_on_field(Input.ATTACH_FILE, name, size, metadata.platform, locale)
        url = file.get("url_private_download") or file.get("url_private")
        if not files.readable(url):
            problem_text = _("Slack didn't give that file to Bill Pay; choose it again.")
            raise FieldErrors({Input.ATTACH_FILE: problem_text})
        attaching = _("Attaching {name}…", name=plain(name, 100))
        await ack(
            response_action="update", view=waiting_modal(ATTACH_TITLE, attaching, locale=locale)
        )
        assert isinstance(url, str)
        assert isinstance(size, int)
        limit = invoice_max_bytes(metadata.platform)
        content = await files.read(submission.team_id, url, size=size, max_bytes=limit)
        ref = CaseRef(submission.team_id, metadata.channel_id, metadata.bill_id)
        await services.invoices.attach(ref, submission.user_id, name=name, content=content)
        await Publisher.quietly(
            publisher.bill_changed_here(
                submission.team_id, metadata.channel_id, metadata.bill_id, metadata.message_ts
            ),
            "update the cards",
        )
        channel_language = await publisher.channel_language(submission.team_id, metadata.channel_id)
        line = attached_line(submission.user_id, name, len(content), channel_language)
        await Publisher.quietly(
            publisher.thread_line(
                submission.team_id, metadata.channel_id, metadata.message_ts, line
            ),
            "post the line",
        )
        attached = _("Attached {name} to the bill.", name=plain(name, 100))
        await Publisher.quietly(
            client.views_update(
                view_id=submission.view_id, view=done_modal(ATTACH_TITLE, attached, locale=locale)
            ),
            "show the result",
        )

    @on.action(SupplierAction.RETRY_UPLOAD, RetryUploadButton)
    async def retry_upload(
        ack: Ack,
        click: Click,
        value: RetryUploadButton,
        respond: AsyncRespond,
        person: LazyPerson,
    ) -> None:
        """From the card or from the notice in its thread: the first click claims the retry,
        so the invoice is uploaded once; the card is redrawn either way."""
        await ack()
        link = await services.links.link_for(click.team_id, click.channel_id)
        reader = await person
        await suppliers.check_may_create(link, click.user_id)
        ref = click.case(value.bill_id)
        pending = await services.invoices.claim_retry(ref, click.user_id)
        changed = publisher.bill_changed(click.team_id, link.id, value.bill_id)
        await Publisher.quietly(changed, "show the upload under way")
        try:
            platform = await suppliers.platform(link)
            described = await files.describe(click.team_id, value.file_id, platform)
            invoice = await files.download(click.team_id, described, platform)
            uploaded = await services.invoices.retry(
                ref, click.user_id, name=invoice.name, content=invoice.content,
                content_type=invoice.content_type,
            )  # fmt: skip
        except BaseException as error:
            await services.invoices.retry_failed(ref, click.user_id, pending.name, error)
            raise
        finally:
            changed = publisher.bill_changed(click.team_id, link.id, value.bill_id)
            await Publisher.quietly(changed, "show the upload's result on the card")
        _ = words(reader.locale)
        text = attached_text(invoice.name, locale=reader.locale)
        if not uploaded:
            text = _("This bill's invoice is already attached.")
        if value.on_card:
            await tell(respond, text)
        else:
            await respond(text=text, replace_original=True)
