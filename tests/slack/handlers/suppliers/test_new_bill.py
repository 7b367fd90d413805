"""The new bill form end to end over HTTP: from `/billpay bill` (type-ahead, totals, Add line) and
from a file through the message shortcut, the invoice uploaded byte for byte (or Retry upload
when it fails), possible duplicates, who may create, the person's language; with the bad
inputs a person can send."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal

import pytest

from billpay.slack.blocks.ids import SupplierAction, SupplierCallback, SupplierInput
from payables_sandbox import store as sandbox_store
from testkit.bot import Bot, bill_ids, card_actions, card_text
from testkit.world import ANA, BEN, CHANNEL, EVE, SAM
from tests.mirror.conftest import told_of_changes
from tests.slack.handlers.suppliers.steps import (
    PDF,
    _audit,
    _bill_options,
    _choose_supplier,
    _new_bill_form,
    _opened_view,
    _shortcut_on_file,
    _submit_bill_from,
    _text,
    _updated_view,
    _updates,
)


async def test_a_new_bill_from_the_command_with_totals_and_its_card(linked_bot: Bot) -> None:
    bot = linked_bot
    account, vat = await _bill_options(bot)
    view = await _new_bill_form(bot)
    view = await _choose_supplier(bot, view, "NÖRTH", "Northridge Office Supplies")

    # Enter in the amount redraws the form with the totals, tax from the chosen rate.
    updates = _updates(bot, view["id"])
    typed = {"line_amount:0": "100.00", "line_tax:0": vat, "line_account:0": account}
    click = bot.requests.click(
        view, "line_amount:0", user_id=ANA, option_value="100.00", inputs=typed
    )
    assert (await bot.send(click)).status_code == 200
    view = await _updated_view(bot, view["id"], updates)
    assert "Total £120.00" in _text(view)

    updates = _updates(bot, view["id"])
    assert (
        await bot.send(bot.requests.click(view, SupplierAction.ADD_LINE, user_id=ANA))
    ).status_code == 200
    view = await _updated_view(bot, view["id"], updates)
    assert "line_amount:1" in _text(view)
    assert "Total £120.00" in _text(view)  # what was typed is kept

    today = bot.services.clock().date()
    bad = await bot.submit(
        view,
        {
            SupplierInput.BILL_ISSUED: today.isoformat(),
            SupplierInput.BILL_DUE: today.replace(day=1).isoformat()
            if today.day > 1
            else "2000-01-01",
            "line_amount:1": "-5",
        },
        user=ANA,
    )
    assert bad["response_action"] == "errors"
    assert "before the issue date" in bad["errors"][SupplierInput.BILL_DUE]
    assert "more than zero" in bad["errors"]["line_amount:1"]

    posted = len(bot.slack.calls_to("chat.postMessage"))
    ack = await bot.submit(
        view,
        {
            SupplierInput.BILL_REFERENCE: "NR-7781",
            SupplierInput.BILL_DUE: "2099-01-31",
            "line_description:1": "Toner",
            "line_amount:1": "25.50",
            "line_quantity:1": "2",
            "line_account:1": account,
        },
        user=ANA,
    )
    assert ack["response_action"] == "update"
    (call,) = (await bot.slack.wait_for("chat.postMessage", count=posted + 1))[posted:]
    card = bot.slack.message(CHANNEL, call.response["ts"])
    (bill_id,) = bill_ids(card)
    assert card_actions(card, bill_id)[0] == "bill_approve"  # ready for approval
    demo = bot.sandbox.demo
    bill = await bot.services.payables.get_bill(demo.company_id, demo.connection_id, bill_id)
    assert bill.reference == "NR-7781" and bill.status == "Open"
    assert str(bill.total_amount) in ("171.00", "171.0", "171")  # 100 + 20 VAT + 2 x 25.50
    assert [line.description for line in bill.line_items or []] == [None, "Toner"]
    (event,) = await _audit(bot, "bill_created")
    assert event.bill_id == bill_id and event.actor == ANA
    # The form's last update, its result, comes after the card is posted: wait for it.
    await bot.slack.wait_for(
        "views.update",
        where=lambda c: (
            c.args.get("view_id") == view["id"] and "ready for approval" in json.dumps(c.args)
        ),
    )
    assert "ready for approval" in _text(bot.slack.views[view["id"]])


async def test_a_bill_from_an_invoice_file_carries_it_byte_for_byte(linked_bot: Bot) -> None:
    bot = linked_bot
    account, _vat = await _bill_options(bot)
    bot.slack.reset_calls()
    payables_before = len(bot.payables_transport.requests)
    before = len(bot.slack.calls_to("views.open"))
    record = await _shortcut_on_file(bot, "INV 9001.pdf", PDF)
    view = await _opened_view(bot, before)
    assert "INV 9001.pdf will be attached" in _text(view)
    posted = len(bot.slack.calls_to("chat.postMessage"))
    ack = await _submit_bill_from(bot, view, account)
    assert ack["response_action"] == "update"
    (call,) = (await bot.slack.wait_for("chat.postMessage", count=posted + 1))[posted:]
    (bill_id,) = bill_ids(bot.slack.message(CHANNEL, call.response["ts"]))
    result = await bot.slack.wait_for(
        "views.update", where=lambda c: "The invoice is attached" in json.dumps(c.args)
    )
    assert result

    payables_after = len(bot.payables_transport.requests)
    demo = bot.sandbox.demo
    (attachment,) = await bot.services.payables.list_bill_attachments(
        demo.company_id, demo.connection_id, bill_id
    )
    assert attachment.name == "INV 9001.pdf" and attachment.file_size == len(PDF)
    stored = await bot.services.payables.download_bill_attachment(
        demo.company_id, demo.connection_id, bill_id, attachment.id
    )
    assert stored == PDF
    (download,) = bot.slack.downloads
    assert download.ok and download.file_id == record["id"]
    assert len(await _audit(bot, "invoice_attached")) == 1

    # The figures for one bill with its invoice, from the shortcut to the result.
    slack_calls = [c.method for c in bot.slack.calls]
    payables = [
        (r.method, r.url.path.rsplit("/", 1)[-1])
        for r in bot.payables_transport.requests[payables_before:payables_after]
    ]
    print(f"\nslack calls ({len(slack_calls)} + {len(bot.slack.downloads)} download):", slack_calls)
    print(f"payables calls ({len(payables)}):", payables)
    # files.info to open the form and again on submit; views.open (loading) and views.update
    # (the form); views.update for the supplier picked; chat.postMessage (the card);
    # chat.update (the card offers View invoice); views.update (the result).
    assert sorted(slack_calls) == sorted(
        [
            "files.info",
            "views.open",
            "views.update",
            "views.update",
            "files.info",
            "chat.postMessage",
            "chat.update",
            "views.update",
        ]
    )
    # The connection's platform (for the form), the bill, its attachment: the mapping options,
    # the suppliers (type-ahead) and the bills a new one may duplicate are the mirror's.
    assert [method for method, _ in payables] == ["GET", "POST", "POST"]


async def test_a_line_added_by_mistake_and_left_blank_is_left_out(linked_bot: Bot) -> None:
    bot = linked_bot
    account, vat = await _bill_options(bot)
    view = await _new_bill_form(bot)
    view = await _choose_supplier(bot, view, "north", "Northridge Office Supplies")
    updates = _updates(bot, view["id"])
    assert (
        await bot.send(bot.requests.click(view, SupplierAction.ADD_LINE, user_id=ANA))
    ).status_code == 200
    view = await _updated_view(bot, view["id"], updates)
    assert "left blank is left out" in _text(view)

    posted = len(bot.slack.calls_to("chat.postMessage"))
    ack = await bot.submit(
        view,
        {
            SupplierInput.BILL_REFERENCE: "NR-7790",
            SupplierInput.BILL_DUE: "2099-01-31",
            "line_amount:0": "40.00",
            "line_account:0": account,
            "line_tax:1": vat,  # the second line: only a tax rate picked, nothing else
        },
        user=ANA,
    )
    assert ack["response_action"] == "update", ack
    (call,) = (await bot.slack.wait_for("chat.postMessage", count=posted + 1))[posted:]
    (bill_id,) = bill_ids(bot.slack.message(CHANNEL, call.response["ts"]))
    demo = bot.sandbox.demo
    bill = await bot.services.payables.get_bill(demo.company_id, demo.connection_id, bill_id)
    assert len(bill.line_items or []) == 1 and bill.total_amount == Decimal("40.00")


async def test_a_failed_upload_shows_on_the_card_and_retry_attaches_it_once(
    linked_bot: Bot,
) -> None:
    bot = linked_bot
    account, _vat = await _bill_options(bot)
    before = len(bot.slack.calls_to("views.open"))
    await _shortcut_on_file(
        bot, "scan.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 500, mimetype="image/png"
    )
    view = await _opened_view(bot, before)
    bot.sandbox.faults.fail_operation("upload-bill-attachment", 403)
    await _submit_bill_from(bot, view, account)
    (notice,) = await bot.slack.wait_for(
        "chat.postMessage", where=lambda c: "could not be attached" in json.dumps(c.args)
    )
    card_ts = notice.args["thread_ts"]
    (bill_id,) = bill_ids(bot.slack.message(CHANNEL, card_ts))
    demo = bot.sandbox.demo
    listed = await bot.services.payables.list_bill_attachments(
        demo.company_id, demo.connection_id, bill_id
    )
    assert listed == []
    assert len(await _audit(bot, "invoice_upload_failed")) == 1

    # The card itself says so, with Retry upload beside its buttons.
    card = await bot.wait_for_card(card_ts, bill_id, "“scan.png” is not attached")
    assert SupplierAction.RETRY_UPLOAD in card_actions(card, bill_id)

    # Two clicks at once (a double click, two people): the invoice is uploaded once.
    clicks = [
        bot.requests.click(card, SupplierAction.RETRY_UPLOAD, user_id=user) for user in (SAM, ANA)
    ]
    answers = await asyncio.gather(*(bot.send(click) for click in clicks))
    assert [a.status_code for a in answers] == [200, 200]
    done = await bot.wait_for_card(card_ts, bill_id, "View invoice")
    assert "not attached" not in card_text(done, bill_id)
    assert SupplierAction.RETRY_UPLOAD not in card_actions(done, bill_id)
    (attachment,) = await bot.services.payables.list_bill_attachments(
        demo.company_id, demo.connection_id, bill_id
    )
    assert attachment.name == "scan.png"
    assert len(await _audit(bot, "invoice_attached")) == 1
    # The click that came second is told why nothing more happened; neither replaced the card.
    (attached,) = await bot.slack.wait_for_responses(
        where=lambda r: "“scan.png” attached" in str(r)
    )
    (refused,) = await bot.slack.wait_for_responses(
        where=lambda r: "already attached" in str(r) or "being uploaded" in str(r)
    )
    for response in (attached, refused):
        assert response.get("replace_original") in (None, False, "false")
        assert response.get("response_type") == "ephemeral"

    # The notice in the thread still has its button: it says the invoice is there.
    (reply,) = bot.slack.thread(CHANNEL, card_ts)
    click = bot.requests.click(reply, SupplierAction.RETRY_UPLOAD, user_id=SAM)
    said = len([r for r in bot.slack.responses if "already attached" in str(r)])
    assert (await bot.send(click)).status_code == 200
    await bot.slack.wait_for_responses(count=said + 1, where=lambda r: "already attached" in str(r))
    assert len(await bot.services.payables.list_bill_attachments(
        demo.company_id, demo.connection_id, bill_id
    )) == 1  # fmt: skip


async def test_a_retry_that_fails_again_leaves_retry_upload_on_the_card(linked_bot: Bot) -> None:
    bot = linked_bot
    account, _vat = await _bill_options(bot)
    before = len(bot.slack.calls_to("views.open"))
    await _shortcut_on_file(bot, "bill.pdf", PDF)
    view = await _opened_view(bot, before)
    bot.sandbox.faults.fail_operation("upload-bill-attachment", 403, count=2)
    await _submit_bill_from(bot, view, account)
    (notice,) = await bot.slack.wait_for(
        "chat.postMessage", where=lambda c: "could not be attached" in json.dumps(c.args)
    )
    card_ts = notice.args["thread_ts"]
    (bill_id,) = bill_ids(bot.slack.message(CHANNEL, card_ts))
    card = await bot.wait_for_card(card_ts, bill_id, "“bill.pdf” is not attached")

    click = bot.requests.click(card, SupplierAction.RETRY_UPLOAD, user_id=SAM)
    assert (await bot.send(click)).status_code == 200
    (answer,) = await bot.slack.wait_for_responses(
        where=lambda r: r.get("response_type") == "ephemeral"
    )
    assert "isn't allowed to do that in the accounting platform. Nothing was changed" in str(answer)
    assert len(await _audit(bot, "invoice_upload_failed")) == 2
    # Released: the card offers the retry again, and the next one attaches it.
    again = await bot.wait_for_card(card_ts, bill_id, "“bill.pdf” is not attached")
    assert SupplierAction.RETRY_UPLOAD in card_actions(again, bill_id)
    click = bot.requests.click(again, SupplierAction.RETRY_UPLOAD, user_id=SAM)
    assert (await bot.send(click)).status_code == 200
    await bot.wait_for_card(card_ts, bill_id, "View invoice")
    demo = bot.sandbox.demo
    (attachment,) = await bot.services.payables.list_bill_attachments(
        demo.company_id, demo.connection_id, bill_id
    )
    assert attachment.name == "bill.pdf"


async def test_files_that_cannot_be_an_invoice_create_nothing(linked_bot: Bot) -> None:
    bot = linked_bot
    demo = bot.sandbox.demo

    async def bills_now() -> int:
        found = bot.services.payables.iter_bills(demo.company_id, demo.connection_id)
        return len([b async for b in found])

    count = await bills_now()
    message = {"ts": "1763800100.000200", "channel": CHANNEL, "text": "see attached"}
    request = bot.requests.message_action(
        message, SupplierCallback.BILL_FROM_FILE, user_id=ANA, channel_id=CHANNEL
    )
    assert (await bot.send(request)).status_code == 200
    await bot.slack.wait_for_responses(where=lambda r: "has no file" in str(r))

    await _shortcut_on_file(
        bot, "setup.exe", b"MZ" + b"\x00" * 100, mimetype="application/x-msdownload"
    )
    await bot.slack.wait_for_responses(
        where=lambda r: "the accounting platform takes CSV, JPEG, JPG, PDF, PNG" in str(r)
    )
    await _shortcut_on_file(bot, "empty.pdf", b"")
    await bot.slack.wait_for_responses(where=lambda r: "“empty.pdf” is empty" in str(r))
    # Slack describes a file of 101 MB: over the limit of any platform, refused at once.
    huge = bot.slack.add_file("huge.pdf", b"%PDF")
    bot.slack.files[huge["id"]][0]["size"] = 101 * 1024 * 1024
    message = {"ts": "1763800100.000300", "channel": CHANNEL, "text": "", "files": [huge]}
    request = bot.requests.message_action(
        message, SupplierCallback.BILL_FROM_FILE, user_id=ANA, channel_id=CHANNEL
    )
    assert (await bot.send(request)).status_code == 200
    await bot.slack.wait_for_responses(where=lambda r: "takes files of up to 100 MB" in str(r))
    assert bot.slack.calls_to("views.open") == []
    assert await bills_now() == count
    assert bot.slack.downloads == []


async def test_a_tampered_submission_creates_nothing(linked_bot: Bot) -> None:
    bot = linked_bot
    account, _vat = await _bill_options(bot)
    view = await _new_bill_form(bot)
    view = await _choose_supplier(bot, view, "north", "Northridge Office Supplies")
    forged = {"text": {"type": "plain_text", "text": "Nobody"}, "value": "no-such-supplier"}
    ack = await bot.submit(
        view,
        {
            SupplierInput.BILL_SUPPLIER: forged,
            "line_amount:0": "10",
            "line_account:0": account,
        },
        user=ANA,
    )
    assert ack["response_action"] == "errors"
    assert "no longer in the accounting platform" in ack["errors"][SupplierInput.BILL_SUPPLIER]
    assert await _audit(bot, "bill_created") == []


@pytest.mark.bot(approvers=[ANA], payers=[SAM])
async def test_the_policy_decides_who_may_create(linked_bot: Bot) -> None:
    bot = linked_bot
    await bot.command("/billpay", "bill", user=EVE)
    await bot.slack.wait_for_responses(
        where=lambda r: "Only the channel’s approvers and payers can add bills" in str(r)
    )
    await bot.command("/billpay", "account new", user=ANA)
    await bot.slack.wait_for_responses(
        where=lambda r: "Only the channel’s payers can add bank accounts" in str(r)
    )
    assert bot.slack.calls_to("views.open") == []
    await bot.command("/billpay", "bill", user=SAM)  # a payer may
    await _opened_view(bot, 0)


async def test_the_forms_speak_the_persons_language(linked_bot: Bot) -> None:
    bot = linked_bot
    bot.slack.users[BEN] = {"locale": "fr-FR"}
    await bot.command("/billpay", "bill", user=BEN)
    view = await _opened_view(bot, 0)
    assert view["title"]["text"] == "Nouvelle facture"
    assert "Ajouter une ligne" in _text(view)
    account, _vat = await _bill_options(bot)
    forged = {"text": {"type": "plain_text", "text": "Personne"}, "value": "no-such-supplier"}
    inputs = {"bill_supplier": forged, "line_amount:0": "abc", "line_account:0": account}
    ack = await bot.submit(view, inputs, user=BEN)
    assert "n’est pas un montant" in ack["errors"]["line_amount:0"]
    ack = await bot.submit(view, {**inputs, "line_amount:0": "12,50"}, user=BEN)
    assert "n’existe plus dans la plateforme comptable" in ack["errors"]["bill_supplier"]
    message = {"ts": "1763800100.000400", "channel": CHANNEL, "text": "voir pièce jointe"}
    request = bot.requests.message_action(
        message, SupplierCallback.BILL_FROM_FILE, user_id=BEN, channel_id=CHANNEL
    )
    assert (await bot.send(request)).status_code == 200
    await bot.slack.wait_for_responses(where=lambda r: "Ce message n’a pas de fichier" in str(r))


async def test_an_unknown_supplier_is_answered_after_one_fresh_read_of_the_list(
    linked_bot: Bot,
) -> None:
    """A stale or tampered supplier id is looked for in the supplier list read afresh, with
    no query: list suppliers can't be queried by id (only on status and sourceModifiedDate).
    The demo's ten suppliers are one page: one read."""
    bot = linked_bot
    account, _vat = await _bill_options(bot)
    view = await _new_bill_form(bot)
    forged = {"text": {"type": "plain_text", "text": "Nobody"}, "value": "no-such-supplier"}
    link = await bot.services.links.link_for("T0001", CHANNEL)
    await bot.services.suppliers.suppliers(link)  # the read the form started, done
    before = len(bot.payables_transport.requests)
    ack = await bot.submit(
        view,
        {"bill_supplier": forged, "line_amount:0": "12.50", "line_account:0": account},
        user=ANA,
    )
    assert "no longer in the accounting platform" in ack["errors"]["bill_supplier"]
    reads = [
        r for r in bot.payables_transport.requests[before:] if r.url.path.endswith("/suppliers")
    ]
    assert len(reads) == 1
    assert reads[0].url.params.get("query") is None


async def test_a_new_bills_card_takes_approvals_like_any_other(linked_bot: Bot) -> None:
    bot = linked_bot
    account, _vat = await _bill_options(bot)
    view = await _new_bill_form(bot)
    posted = len(bot.slack.calls_to("chat.postMessage"))
    await _submit_bill_from(bot, view, account)
    (call,) = (await bot.slack.wait_for("chat.postMessage", count=posted + 1))[posted:]
    card = bot.slack.message(CHANNEL, call.response["ts"])
    (bill_id,) = bill_ids(card)
    await bot.click(card, "bill_approve", bill_id, user=BEN)  # Ana created it
    card = await bot.wait_for_card(card["ts"], bill_id, "Approved by <@U0BEN>")
    assert card_actions(card, bill_id)[0] == "bill_pay"


async def test_a_form_submitted_twice_makes_one_bill_and_one_card(linked_bot: Bot) -> None:
    bot = linked_bot
    account, _vat = await _bill_options(bot)
    view = await _new_bill_form(bot)
    view = await _choose_supplier(bot, view, "north", "Northridge Office Supplies")
    inputs = {"line_amount:0": "75.00", "line_account:0": account}
    request = bot.requests.view_submission(view, inputs, user_id=ANA)  # Slack retries it as is
    posted = len(bot.slack.calls_to("chat.postMessage"))
    first, second = await asyncio.gather(bot.send(request), bot.send(request))
    assert first.status_code == second.status_code == 200
    await bot.slack.wait_for(
        "views.update", where=lambda c: "ready for approval" in json.dumps(c.args), count=2
    )
    cards = bot.slack.calls_to("chat.postMessage")[posted:]
    assert len(cards) == 1
    assert len(await _audit(bot, "bill_created")) == 1
    demo = bot.sandbox.demo
    found = bot.services.payables.iter_bills(demo.company_id, demo.connection_id)
    assert len([b async for b in found if b.total_amount == Decimal("75.00")]) == 1


async def test_the_bot_token_goes_to_slack_only(linked_bot: Bot) -> None:
    bot = linked_bot
    record = bot.slack.add_file("invoice.pdf", PDF)
    stored, content = bot.slack.files[record["id"]]
    stored["url_private"] = stored["url_private_download"] = "https://collector.example/i.pdf"
    message = {"ts": "1763800100.000300", "channel": CHANNEL, "text": "", "files": [record]}
    request = bot.requests.message_action(
        message, SupplierCallback.BILL_FROM_FILE, user_id=ANA, channel_id=CHANNEL
    )
    assert (await bot.send(request)).status_code == 200
    await bot.slack.wait_for_responses(where=lambda r: "didn't hand that file over" in str(r))
    assert bot.slack.downloads == [] and content == PDF


@pytest.mark.slow
async def test_the_type_ahead_serves_five_thousand_suppliers_from_one_read(
    linked_bot: Bot,
) -> None:
    bot = linked_bot
    demo = bot.sandbox.demo
    async with bot.sandbox.db.write() as s:
        s.add_all(
            sandbox_store.Supplier(
                connection_id=demo.connection_id,
                supplier_name=f"Vendor {n:04d} Ltd",
                status="Active",
                default_currency="GBP",
            )
            for n in range(5000)
        )
    requests = bot.payables_transport.requests
    before = len(requests)
    await told_of_changes(bot)  # suppliers made in the platform: the mirror reads them
    view = await _new_bill_form(bot)  # starts reading the suppliers for the type-ahead
    # Join the read the form started. Waiting here keeps the test about what is read, not about
    # how fast this machine is: the in-process sandbox shares the bot's event loop, which a real
    # payables API never does (`bench/` has the timings).
    link = await bot.services.links.link_for("T0001", CHANNEL)
    everyone = len(await bot.services.suppliers.suppliers(link))
    assert everyone > 5000
    read_once = len([r for r in requests[before:] if "/suppliers" in r.url.path])
    answers = []
    for typed in ("ven", "vendor 4", "vendor 42", "vendor 4242"):
        request = bot.requests.block_suggestion(
            view, SupplierInput.BILL_SUPPLIER, typed, user_id=ANA
        )
        response = await bot.send(request)
        assert response.status_code == 200
        answers.append(response.json()["options"])
    reads = [r for r in requests[before:] if "/suppliers" in r.url.path]
    assert [len(options) for options in answers] == [100, 100, 100, 1]
    assert answers[-1][0]["text"]["text"] == "Vendor 4242 Ltd"
    # The mirror read the changed suppliers once (pages twice over, to be sure of them), then
    # serves the form and every keystroke without another call to the platform.
    assert 0 < read_once <= 2 * -(-everyone // 100)  # pages of 100, read twice over at most
    assert len(reads) == read_once


async def test_a_new_bill_that_may_duplicate_another_needs_a_tick_first(linked_bot: Bot) -> None:
    """The same supplier, amount and reference as a bill already outstanding: the form says
    so and creates nothing until the person ticks that it is another bill; the tick is
    audited."""
    bot = linked_bot
    account, _vat = await _bill_options(bot)
    posted = len(bot.slack.calls_to("chat.postMessage"))
    await _submit_bill_from(bot, await _new_bill_form(bot), account)
    await bot.slack.wait_for("chat.postMessage", count=posted + 1)
    (first,) = await _audit(bot, "bill_created")
    posted += 1

    view = await _new_bill_form(bot)
    ack = await _submit_bill_from(bot, view, account)
    # Answered at once (the check may read many bills), then the form comes back flagged.
    assert ack["response_action"] == "update" and "Creating the bill" in _text(ack["view"])
    await bot.slack.wait_for(
        "views.update",
        where=lambda c: c.args.get("view_id") == view["id"] and "duplicate" in json.dumps(c.args),
    )
    flagged = bot.slack.views[view["id"]]
    assert flagged["callback_id"] == SupplierCallback.NEW_BILL
    assert "Possible duplicate of NR-9001, also outstanding" in _text(flagged)
    assert any(b.get("block_id") == SupplierInput.BILL_NOT_DUPLICATE for b in flagged["blocks"])
    assert len(await _audit(bot, "bill_created")) == 1  # nothing created yet
    assert len(bot.slack.calls_to("chat.postMessage")) == posted

    ack = await bot.submit(
        flagged,
        {
            SupplierInput.BILL_REFERENCE: "NR-9001",
            "line_amount:0": "480.00",
            "line_account:0": account,
            SupplierInput.BILL_NOT_DUPLICATE: ["yes"],
        },
        user=ANA,
    )
    assert ack["response_action"] == "update"
    await bot.slack.wait_for("chat.postMessage", count=posted + 1)
    events = await _audit(bot, "bill_created")
    (second,) = [e for e in events if e.id != first.id]
    assert second.details["confirmed"] == ["duplicate"]
    assert second.details["duplicate_of"] == first.bill_id


async def test_an_upload_whose_answer_was_lost_is_retried_into_one_attachment(
    linked_bot: Bot,
) -> None:
    """The file reached the platform but its answer was a 500: the card offers Retry upload,
    which replays the stored key (or finds the file on the bill) and never attaches it twice."""
    bot = linked_bot
    account, _vat = await _bill_options(bot)
    before = len(bot.slack.calls_to("views.open"))
    await _shortcut_on_file(bot, "lost.pdf", PDF)
    view = await _opened_view(bot, before)
    bot.sandbox.faults.fail_next_upload(after_write=True)
    await _submit_bill_from(bot, view, account)
    (notice,) = await bot.slack.wait_for(
        "chat.postMessage", where=lambda c: "could not be attached" in json.dumps(c.args)
    )
    card_ts = notice.args["thread_ts"]
    (bill_id,) = bill_ids(bot.slack.message(CHANNEL, card_ts))
    card = await bot.wait_for_card(card_ts, bill_id, "“lost.pdf” is not attached")

    click = bot.requests.click(card, SupplierAction.RETRY_UPLOAD, user_id=SAM)
    assert (await bot.send(click)).status_code == 200
    await bot.wait_for_card(card_ts, bill_id, "View invoice")
    demo = bot.sandbox.demo
    (attachment,) = await bot.services.payables.list_bill_attachments(
        demo.company_id, demo.connection_id, bill_id
    )
    assert (attachment.name, attachment.file_size) == ("lost.pdf", len(PDF))
    keys = {
        r.headers["Idempotency-Key"]
        for r in bot.payables_transport.requests
        if r.method == "POST" and r.url.path.endswith(f"/bills/{bill_id}/attachments")
    }
    assert len(keys) == 1  # the retry sent the first attempt's key again


async def test_a_new_bills_card_is_headed_as_one_new_bill_not_as_the_companys_position(
    linked_bot: Bot,
) -> None:
    bot = linked_bot
    account, _vat = await _bill_options(bot)
    view = await _new_bill_form(bot)
    posted = len(bot.slack.calls_to("chat.postMessage"))
    ack = await _submit_bill_from(bot, view, account)
    assert ack["response_action"] == "update"
    (call,) = (await bot.slack.wait_for("chat.postMessage", count=posted + 1))[posted:]
    ts = call.response["ts"]

    def heading(message: dict) -> str:
        (summary,) = [b for b in message["blocks"] if b.get("block_id") == "bills_summary"]
        return str(summary["text"]["text"])

    message = bot.slack.message(CHANNEL, ts)
    # The company has 26 bills outstanding now: a count of one would read as its whole position.
    assert heading(message) == "*Larkspur Design Studio Ltd*: new bill added by <@U0ANA>"
    assert "outstanding" not in message["text"] and "Page 1 of 1" not in json.dumps(message)

    # Redrawn after a change, it is still headed as the one new bill.
    (bill_id,) = bill_ids(message)
    await bot.click(message, "bill_approve", bill_id, user=BEN)
    message = await bot.wait_for_card(ts, bill_id, "Approved by")
    assert heading(message) == "*Larkspur Design Studio Ltd*: new bill added by <@U0ANA>"


async def test_a_new_bills_card_offers_its_invoice_without_a_fresh_listing(
    linked_bot: Bot,
) -> None:
    """A bill the bot has just created has no files, or the one it attached: its card offers
    Attach invoice, or View invoice once the file is attached, not Invoice… (files unknown)."""
    bot = linked_bot
    account, _vat = await _bill_options(bot)
    before = len(bot.slack.calls_to("views.open"))
    await _shortcut_on_file(bot, "INV 9002.pdf", PDF)
    view = await _opened_view(bot, before)
    posted = len(bot.slack.calls_to("chat.postMessage"))
    await _submit_bill_from(bot, view, account)
    (call,) = (await bot.slack.wait_for("chat.postMessage", count=posted + 1))[posted:]
    ts = call.response["ts"]
    (bill_id,) = bill_ids(bot.slack.message(CHANNEL, ts))
    card = await bot.wait_for_card(ts, bill_id, "View invoice")
    assert "Invoice…" not in card_text(card, bill_id)

    # Without a file: Attach invoice at once.
    view = await _new_bill_form(bot)
    view = await _choose_supplier(bot, view, "NÖRTH", "Northridge Office Supplies")
    posted = len(bot.slack.calls_to("chat.postMessage"))
    ack = await bot.submit(
        view,
        {
            SupplierInput.BILL_REFERENCE: "NR-7790",
            SupplierInput.BILL_DUE: "2099-01-31",
            "line_amount:0": "40.00",
            "line_account:0": account,
        },
        user=ANA,
    )
    assert ack["response_action"] == "update", ack
    (call,) = (await bot.slack.wait_for("chat.postMessage", count=posted + 1))[posted:]
    card = bot.slack.message(CHANNEL, call.response["ts"])
    (bill_id,) = bill_ids(card)
    assert "Attach invoice" in card_text(card, bill_id)
    assert "Invoice…" not in card_text(card, bill_id)


async def test_the_new_bill_form_takes_the_invoice_file_itself(linked_bot: Bot) -> None:
    """`/billpay bill` has a file field: the picked invoice is checked on it (the platform's
    limit, as its hint says), then attached to the new bill, whose card offers View invoice."""
    bot = linked_bot
    account, _vat = await _bill_options(bot)
    view = await _new_bill_form(bot)
    assert "up to 100 MB" in _text(view)
    view = await _choose_supplier(bot, view, "NÖRTH", "Northridge Office Supplies")
    typed = {
        SupplierInput.BILL_REFERENCE: "NR-7795",
        SupplierInput.BILL_DUE: "2099-01-31",
        "line_amount:0": "40.00",
        "line_account:0": account,
    }
    huge = {**bot.slack.add_file("huge.pdf", b"%PDF"), "size": 101 * 1024 * 1024}
    refused = await bot.submit(view, {**typed, SupplierInput.BILL_FILE: [huge]}, user=ANA)
    assert refused["response_action"] == "errors"
    assert "up to 100 MB" in refused["errors"][SupplierInput.BILL_FILE]

    picked = bot.slack.add_file("NR-7795.pdf", PDF)
    posted = len(bot.slack.calls_to("chat.postMessage"))
    ack = await bot.submit(view, {**typed, SupplierInput.BILL_FILE: [picked]}, user=ANA)
    assert ack["response_action"] == "update", ack
    (call,) = (await bot.slack.wait_for("chat.postMessage", count=posted + 1))[posted:]
    ts = call.response["ts"]
    (bill_id,) = bill_ids(bot.slack.message(CHANNEL, ts))
    await bot.wait_for_card(ts, bill_id, "View invoice")
    demo = bot.sandbox.demo
    (attached,) = await bot.services.payables.list_bill_attachments(
        demo.company_id, demo.connection_id, bill_id
    )
    assert attached.name == "NR-7795.pdf" and attached.file_size == len(PDF)
