"""End to end over HTTP: a card's invoice. `/bills` reads no files, so a card first offers
Invoice…, which lists the bill's files when chosen: View invoice's sharing when there are some,
Attach invoice's form when there are none, and the card offers one of those from then on.
View invoice shares the bill's file in the card's thread once (through `files_upload_v2`'s
three steps), Details lists the files and line items, and Attach invoice uploads a file picked
in Slack to a bill that has none."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import update

from billpay.slack.blocks.ids import Action, Callback, Input, MoreOption
from billpay.slack.blocks.metadata import MoreAction
from billpay.store.models import AuditEvent
from payables_sandbox import store as sandbox_store
from testkit.bot import Bot, bill_ids
from testkit.world import ANA, BEN, CHANNEL

PDF = b"%PDF-1.4\n" + bytes(range(256)) * 40 + b"\n%%EOF\n"


def overflow_values(message: dict[str, Any], bill_id: str) -> list[str]:
    for block in message["blocks"]:
        if block.get("block_id") == f"card_actions:{bill_id}":
            for element in block["elements"]:
                if element["type"] == "overflow":
                    return [json.loads(o["value"])["c"] for o in element["options"]]
    return []


async def use_more(bot: Bot, message: dict[str, Any], bill_id: str, choice: MoreOption, user: str):
    value = MoreAction(choice=choice, bill_id=bill_id).dump()
    request = bot.requests.click(
        message,
        Action.MORE,
        user_id=user,
        block_id_prefix=f"card_actions:{bill_id}",
        option_value=value,
    )
    response = await bot.send(request)
    assert response.status_code == 200, response.text


async def attach_in_sandbox(bot: Bot, bill_id: str, name: str = "INV-1042.pdf") -> None:
    demo = bot.sandbox.demo
    await bot.services.payables.upload_bill_attachment(
        demo.company_id,
        demo.connection_id,
        bill_id,
        filename=name,
        content=PDF,
        content_type="application/pdf",
    )
    # The platform tells of the change (a webhook, or the bill's next change): the mirror lists
    # the bill's files again on the next look.
    link = await bot.services.links.link_for("T0001", "C0FIN")
    await bot.services.mirror.attachments_changed(link, bill_id)


async def audit_actions(bot: Bot, bill_id: str) -> list[str]:
    from sqlalchemy import select

    async with bot.services.db.read() as s:
        rows = await s.scalars(
            select(AuditEvent.action).where(AuditEvent.bill_id == bill_id).order_by(AuditEvent.id)
        )
        return list(rows)


def file_reads(bot: Bot, since: int) -> list[str]:
    """The paths of the bill-file listings the bot asked the payables API for."""
    requests = bot.payables_transport.requests[since:]
    return [r.url.path for r in requests if r.url.path.endswith("/attachments")]


async def test_invoice_shares_the_file_of_a_bill_that_has_one_and_the_card_then_knows(
    linked_bot: Bot,
) -> None:
    bot = linked_bot
    first = await bot.bills(user=ANA)
    with_file, without = bill_ids(first)[:2]
    await attach_in_sandbox(bot, with_file)
    message = await bot.bills(user=ANA)
    for bill_id in (with_file, without):  # nothing said of files the bot has not read
        assert MoreOption.INVOICE in overflow_values(message, bill_id)
        assert MoreOption.VIEW_INVOICE not in overflow_values(message, bill_id)
        assert MoreOption.ATTACH_INVOICE not in overflow_values(message, bill_id)

    before = len(bot.payables_transport.requests)
    opened = len(bot.slack.calls_to("views.open"))
    await use_more(bot, message, with_file, MoreOption.INVOICE, ANA)
    view = await bot.modal(opened)
    assert "Shared the invoice in the card's thread." in json.dumps(view)
    assert [with_file in path for path in file_reads(bot, before)] == [True]  # listed once
    (shared,) = bot.slack.uploads.shared_in(CHANNEL, message["ts"])
    assert bot.slack.uploads.content(shared["id"]) == PDF

    card = await bot.wait_for_card(message["ts"], with_file, "View invoice")
    assert MoreOption.VIEW_INVOICE in overflow_values(card, with_file)
    assert MoreOption.INVOICE in overflow_values(card, without)
    bot.slack.assert_no_problems()


async def test_invoice_opens_the_attach_form_for_a_bill_without_files(linked_bot: Bot) -> None:
    bot = linked_bot
    message = await bot.bills(user=ANA)
    bill_id = bill_ids(message)[0]

    view = await _open_attach(bot, message, bill_id, MoreOption.INVOICE)

    assert view["title"]["text"] == "Attach invoice"
    card = await bot.wait_for_card(message["ts"], bill_id, "Attach invoice")
    assert MoreOption.ATTACH_INVOICE in overflow_values(card, bill_id)
    assert MoreOption.INVOICE not in overflow_values(card, bill_id)
    # Attach invoice itself opens the same form.
    view = await _open_attach(bot, card, bill_id, MoreOption.ATTACH_INVOICE)
    assert view["title"]["text"] == "Attach invoice"


async def test_view_invoice_shares_the_file_in_the_thread_once(linked_bot: Bot) -> None:
    bot = linked_bot
    first = await bot.bills(user=ANA)
    with_file, without = bill_ids(first)[:2]
    await attach_in_sandbox(bot, with_file)
    await learn_files(bot, first, with_file, without)
    message = await bot.bills(user=ANA)

    assert MoreOption.VIEW_INVOICE in overflow_values(message, with_file)
    assert MoreOption.ATTACH_INVOICE not in overflow_values(message, with_file)
    assert MoreOption.ATTACH_INVOICE in overflow_values(message, without)
    assert MoreOption.VIEW_INVOICE not in overflow_values(message, without)

    await use_more(bot, message, with_file, MoreOption.VIEW_INVOICE, ANA)
    (complete,) = await bot.slack.wait_for("files.completeUploadExternal")
    assert complete.ok, complete.response
    assert complete.args["thread_ts"] == message["ts"]
    assert [c.method for c in bot.slack.calls if c.method.startswith("files.")] == [
        "files.getUploadURLExternal",
        "files.completeUploadExternal",
    ]
    (shared,) = bot.slack.uploads.shared_in(CHANNEL, message["ts"])
    assert shared["name"] == "INV-1042.pdf"
    assert bot.slack.uploads.content(shared["id"]) == PDF  # byte for byte
    (post,) = [m for m in bot.slack.thread(CHANNEL, message["ts"]) if m.get("files")]
    assert "Invoice of" in post["text"] and "<@U0ANA>" in post["text"]

    # A second click, by someone else: no second upload, a link to the thread instead.
    for _ in range(100):
        if "invoice_shared" in await audit_actions(bot, with_file):
            break
        await bot.slack.notify()
    await use_more(bot, message, with_file, MoreOption.VIEW_INVOICE, BEN)
    (answer,) = await bot.slack.wait_for_responses(
        where=lambda r: "already in this card" in r.get("text", "")
    )
    assert "slack.com/archives/C0FIN/p" in answer["text"]
    assert len(bot.slack.calls_to("files.getUploadURLExternal")) == 1
    assert await audit_actions(bot, with_file) == ["invoice_shared"]
    bot.slack.assert_no_problems()


async def test_details_list_the_files_and_line_items(linked_bot: Bot) -> None:
    bot = linked_bot
    message = await bot.bills(user=ANA)
    bill_id = bill_ids(message)[0]
    await attach_in_sandbox(bot, bill_id, "facture été.pdf")
    await use_more(bot, message, bill_id, MoreOption.DETAILS, ANA)
    (answer,) = await bot.slack.wait_for_responses(where=lambda r: bool(r.get("blocks")))
    text = json.dumps(answer["blocks"], ensure_ascii=False)
    assert "Invoice files" in text and "facture été.pdf · 10 KB" in text
    assert "*Line items*\\n1. 1 × £2,500.00 + £500.00 tax = £3,000.00" in text  # noqa: RUF001


async def learn_files(bot: Bot, message: dict[str, Any], *bill_ids: str) -> None:
    """Have the bot read these bills' files the way a person does: the bills' details."""
    for bill_id in bill_ids:
        await use_more(bot, message, bill_id, MoreOption.DETAILS, ANA)
    await bot.slack.wait_for_responses(
        where=lambda r: "Invoice files" in json.dumps(r.get("blocks")), count=len(bill_ids)
    )


async def _open_attach(
    bot: Bot,
    message: dict[str, Any],
    bill_id: str,
    choice: MoreOption = MoreOption.INVOICE,
) -> dict[str, Any]:
    opened = len(bot.slack.calls_to("views.open"))
    await use_more(bot, message, bill_id, choice, ANA)
    view = await bot.modal(opened)
    assert view["callback_id"] == Callback.ATTACH
    return view


async def test_attach_invoice_uploads_the_picked_file_to_the_bill(linked_bot: Bot) -> None:
    bot = linked_bot
    message = await bot.bills(user=ANA)
    bill_id = bill_ids(message)[0]
    view = await _open_attach(bot, message, bill_id)
    picked = bot.slack.add_file("invoice.pdf", PDF)

    ack = await bot.submit(view, {Input.ATTACH_FILE: [picked]}, user=ANA)
    assert ack["response_action"] == "update"
    message = await bot.wait_for_card(message["ts"], bill_id, "View invoice")
    demo = bot.sandbox.demo
    (stored,) = await bot.services.payables.list_bill_attachments(
        demo.company_id, demo.connection_id, bill_id
    )
    assert stored.name == "invoice.pdf" and stored.file_size == len(PDF)
    content = await bot.services.payables.download_bill_attachment(
        demo.company_id, demo.connection_id, bill_id, stored.id
    )
    assert content == PDF
    assert [d.file_id for d in bot.slack.downloads if d.ok] == [picked["id"]]
    await bot.slack.wait_for(
        "chat.postMessage", where=lambda c: "attached the invoice" in c.args.get("text", "")
    )
    assert "invoice_attached" in await audit_actions(bot, bill_id)
    bot.slack.assert_no_problems()


async def test_a_file_of_the_wrong_kind_gets_a_field_error_and_nothing_is_attached(
    linked_bot: Bot,
) -> None:
    bot = linked_bot
    message = await bot.bills(user=ANA)
    bill_id = bill_ids(message)[0]
    view = await _open_attach(bot, message, bill_id)
    demo = bot.sandbox.demo
    for picked, words in (
        (bot.slack.add_file("setup.exe", b"MZ\x90\x00"), "takes CSV, JPEG, JPG, PDF, PNG"),
        (bot.slack.add_file("empty.pdf", b""), "empty"),
        ({**bot.slack.add_file("huge.pdf", b"x"), "size": 101 * 1024 * 1024}, "up to 100 MB"),
    ):
        ack = await bot.submit(view, {Input.ATTACH_FILE: [picked]}, user=ANA)
        assert ack["response_action"] == "errors"
        assert words in ack["errors"][Input.ATTACH_FILE]
    assert bot.slack.downloads == []
    assert (
        await bot.services.payables.list_bill_attachments(
            demo.company_id, demo.connection_id, bill_id
        )
        == []
    )


async def test_a_share_that_slack_refuses_can_be_tried_again(linked_bot: Bot) -> None:
    bot = linked_bot
    bill_id = bill_ids(await bot.bills(user=ANA))[0]
    await attach_in_sandbox(bot, bill_id)
    message = await bot.bills(user=ANA)
    await learn_files(bot, message, bill_id)
    message = await bot.bills(user=ANA)
    bot.slack.fail_next("files.completeUploadExternal", "internal_error")
    await use_more(bot, message, bill_id, MoreOption.VIEW_INVOICE, ANA)
    await bot.slack.wait_for_responses(where=lambda r: "Nothing was changed" in r.get("text", ""))
    assert bot.slack.uploads.shared_in(CHANNEL, message["ts"]) == []

    await use_more(bot, message, bill_id, MoreOption.VIEW_INVOICE, ANA)
    await bot.slack.wait_for("files.completeUploadExternal", where=lambda c: c.ok)
    assert len(bot.slack.uploads.shared_in(CHANNEL, message["ts"])) == 1
    bot.slack.take_problems()  # the upload URL of the refused completion was never completed


async def test_a_file_slack_does_not_hand_over_as_described_is_not_attached(
    linked_bot: Bot,
) -> None:
    """Without files:read Slack answers a download with its sign-in page: never an invoice."""
    bot = linked_bot
    message = await bot.bills(user=ANA)
    bill_id = bill_ids(message)[0]
    view = await _open_attach(bot, message, bill_id)
    picked = bot.slack.add_file("invoice.pdf", PDF)
    picked["size"] += 1  # Slack describes one file and hands over another
    ack = await bot.submit(view, {Input.ATTACH_FILE: [picked]}, user=ANA)
    assert ack["response_action"] == "update"
    await bot.slack.wait_for(
        "views.update", where=lambda c: "didn't hand that file over" in json.dumps(c.args)
    )
    demo = bot.sandbox.demo
    assert (
        await bot.services.payables.list_bill_attachments(
            demo.company_id, demo.connection_id, bill_id
        )
        == []
    )


async def test_attach_invoice_keeps_the_companys_platform_rules(linked_bot: Bot) -> None:
    """The same rules as a new bill's invoice: Xero takes files of up to 4 MB, so the form
    says 4 MB and a 5 MB PDF is refused on its field; nothing is attached."""
    bot = linked_bot
    demo = bot.sandbox.demo
    async with bot.sandbox.db.write() as s:
        await s.execute(
            update(sandbox_store.Connection)
            .where(sandbox_store.Connection.id == demo.connection_id)
            .values(platform_key="gbol", platform_name="Xero")
        )
    message = await bot.bills(user=ANA)
    bill_id = bill_ids(message)[0]
    view = await _open_attach(bot, message, bill_id)
    assert "up to 4 MB" in json.dumps(view)  # the hint says Xero's limit
    big = b"%PDF-1.7\n" + b"0" * (5 * 1024 * 1024)
    ack = await bot.submit(
        view, {Input.ATTACH_FILE: [bot.slack.add_file("big.pdf", big)]}, user=ANA
    )
    assert ack["response_action"] == "errors"  # refused on the field, as the hint said
    assert "up to 4 MB" in ack["errors"][Input.ATTACH_FILE]
    attached = await bot.services.payables.list_bill_attachments(
        demo.company_id, demo.connection_id, bill_id
    )
    assert attached == []
    assert "invoice_attached" not in await audit_actions(bot, bill_id)


async def test_bills_reads_no_files_and_keeps_what_was_read_while_the_bill_is_unchanged(
    linked_bot: Bot,
) -> None:
    """A page of cards costs no file listing: a card knows its bill's files once someone has
    had them read (Invoice…, Details), and keeps knowing while the bill is unchanged."""
    bot = linked_bot
    requests = bot.payables_transport.requests
    before = len(requests)
    shown = bill_ids(await bot.bills(user=ANA))
    assert file_reads(bot, before) == []
    with_file, without = shown[:2]
    await attach_in_sandbox(bot, with_file)
    message = await bot.bills(user=ANA)
    await learn_files(bot, message, with_file, without)

    before = len(requests)
    message = await bot.bills(user=ANA)
    assert file_reads(bot, before) == []
    assert MoreOption.VIEW_INVOICE in overflow_values(message, with_file)
    assert MoreOption.ATTACH_INVOICE in overflow_values(message, without)
    assert MoreOption.INVOICE in overflow_values(message, shown[2])

    # A file added elsewhere, and the bill changed: what was read no longer holds.
    await attach_in_sandbox(bot, without)
    message = await bot.bills(user=ANA)
    assert MoreOption.ATTACH_INVOICE not in overflow_values(message, without)
    assert MoreOption.INVOICE in overflow_values(message, without)


async def test_one_invoice_size_limit_said_the_same_by_the_hint_and_the_check(
    linked_bot: Bot,
) -> None:
    """The platform's limit (100 MB where its rules name none smaller) is what the form's hint
    says and what a file is checked against: a 21 MB PDF is attached."""
    bot = linked_bot
    message = await bot.bills(user=ANA)
    bill_id = bill_ids(message)[0]
    view = await _open_attach(bot, message, bill_id)
    assert "up to 100 MB" in json.dumps(view)
    big = b"%PDF-1.7\n" + b"0" * (21 * 1024 * 1024)
    ack = await bot.submit(
        view, {Input.ATTACH_FILE: [bot.slack.add_file("big.pdf", big)]}, user=ANA
    )
    assert ack["response_action"] == "update", ack
    await bot.wait_for_card(message["ts"], bill_id, "View invoice")
    demo = bot.sandbox.demo
    (stored,) = await bot.services.payables.list_bill_attachments(
        demo.company_id, demo.connection_id, bill_id
    )
    assert stored.file_size == len(big)
