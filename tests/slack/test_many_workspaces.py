"""Many workspaces (OAuth): a workspace installs the app through `/slack/install`, Slack's
consent screen and `/slack/oauth_redirect`, and its installation (bot token, installer) is
stored; a callback with a bad, expired, reused or other browser's state gets a page saying so
and stores nothing; two workspaces linked to two companies never see each other's bills, links,
settings or tokens; uninstalling deletes a workspace's tokens and stops its digest while the
other's goes on.

The bot runs whole (`testkit.bot.oauth_bot`), Slack is the fake (which keeps each workspace's
token and channels apart, as Slack does), the payables API is the sandbox."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import httpx
import pytest
from slack_sdk.errors import SlackApiError
from sqlalchemy import func, select, update

from billpay.core.domain import CaseRef
from billpay.digest import store as digest_store
from billpay.invoices.files import SlackFiles
from billpay.payables.models import (
    BillLineItem,
    BillPrototype,
    Ref,
    SupplierPrototype,
    SupplierRef,
)
from billpay.runtime.scheduler import Scheduler
from billpay.slack.app import listeners_settled
from billpay.slack.blocks.ids import Input
from billpay.slack.installations import BOT_SCOPES
from billpay.store.db import Database
from billpay.store.models import (
    SLACK_INSTALLATIONS,
    SLACK_OAUTH_STATES,
    AuditEvent,
    Payment,
    PaymentStatus,
    Policy,
)
from payables_sandbox.app import Sandbox
from slack_playground import Call, FakeSlack, SlackRequests
from testkit.bot import BOT_TOKEN, CLIENT_ID, SIGNING_SECRET, Bot, bill_ids, oauth_bot
from testkit.cases import gbp_account, open_gbp_bill, payment_request
from testkit.installs import install, state_cookie
from testkit.linked import settle_listeners
from testkit.payables import TODAY, complete_link
from testkit.slack import fake_slack_session
from testkit.webhooks import WEBHOOK_SECRET, connection_event, delivery
from testkit.world import ANA, CHANNEL, CONNECT_DEMO, NOW, SAM, TEAM, sandbox_payments

BIRCH = "T0BIRCH"
BIRCH_CHANNEL = "C0BIRCH"
BIRCH_TOKEN = "xoxb-29876543210-29876543211-birchbirchbirchbirch"
BEA = "U0BEA"
# A Monday, 09:01 in London: the digests (09:00 there) are due.
DIGEST_TIME = datetime(2026, 11, 23, 9, 1, tzinfo=ZoneInfo("Europe/London"))


@pytest.fixture
async def bot(sandbox: Sandbox, bot_db: Database) -> AsyncIterator[Bot]:
    async with (
        fake_slack_session(bot_token=BOT_TOKEN) as slack,
        oauth_bot(sandbox, bot_db, slack, codat_webhook_secret=WEBHOOK_SECRET) as running,
    ):
        slack.add_team(BIRCH, "Birch Ltd", bot_token=BIRCH_TOKEN, channels=(BIRCH_CHANNEL,))
        yield running


def birch_requests(slack: FakeSlack) -> SlackRequests:
    return SlackRequests(SIGNING_SECRET, slack, team_id=BIRCH, team_domain="birch")


async def installations_of(bot: Bot, team_id: str) -> int:
    async with bot.services.db.read() as s:
        count = await s.scalar(
            select(func.count())
            .select_from(SLACK_INSTALLATIONS)
            .where(SLACK_INSTALLATIONS.c.team_id == team_id)
        )
    return int(count or 0)


async def test_installing_stores_the_workspace_its_token_and_its_installer(bot: Bot) -> None:
    installations = bot.services.installations
    assert installations is not None
    assert not await installations.installed(TEAM)

    visit = await install(bot, TEAM, ANA)

    # Slack's consent screen was asked for exactly the manifest's scopes, for this app.
    consent = parse_qs(urlsplit(visit.consent_url).query)
    assert consent["client_id"] == [CLIENT_ID]
    assert consent["scope"][0].split(",") == list(BOT_SCOPES)
    assert visit.page.status_code == 200
    assert "Bill Pay is installed in <strong>Acme Ltd</strong>" in visit.page.text
    assert await installations.bot_token(TEAM) == BOT_TOKEN
    assert await installations.installer_of(TEAM) == ANA
    assert await installations.installer_of(BIRCH) is None
    async with bot.services.db.read() as s:
        installed = (
            await s.execute(select(AuditEvent.actor).where(AuditEvent.action == "app_installed"))
        ).all()
    assert installed == [(ANA,)]
    (exchange,) = bot.slack.calls_to("oauth.v2.access")
    assert exchange.ok and exchange.token is None  # the app's credentials, not a token

    # The workspace now answers: Bolt found its installation.
    await bot.command("/billpay", "help", user=ANA)
    (answer,) = await bot.slack.wait_for_responses(count=1)
    assert "/billpay connect" in json.dumps(answer)

    # Whoever installed the app may change its settings there, as the workspace's admins may.
    await bot.command("/billpay", "admins", user=ANA)
    (_, named) = await bot.slack.wait_for_responses(count=2)
    assert f"<@{ANA}>" in named["text"]


async def test_a_bad_expired_reused_or_other_browsers_state_gets_a_page_and_stores_nothing(
    bot: Bot,
) -> None:
    done = await install(bot, TEAM, ANA)
    assert done.page.status_code == 200

    # Reused: the same callback again (the browser's back button, or a copied link).
    again = await bot.http.get(done.callback_url, headers={"Cookie": done.cookie})
    assert again.status_code == 401
    assert "expired or was already used" in again.text
    assert "<h1>Bill Pay was not installed</h1>" in again.text

    # Birch's installation, with its state tampered with, expired, or from another browser.
    bot.slack.authorize_as(BIRCH, BEA)
    start = await bot.http.get(f"{bot.url}/slack/install")
    cookie = state_cookie(start)
    async with httpx.AsyncClient() as browser:
        consent = await browser.get(start.headers["location"])
    callback = consent.headers["location"]
    state = parse_qs(urlsplit(callback).query)["state"][0]
    forged = callback.replace(state, state[:-1] + ("0" if state[-1] != "0" else "1"))

    refused = [
        await bot.http.get(forged, headers={"Cookie": cookie.replace(state, forged_state(forged))}),
        await bot.http.get(callback),  # no cookie: another browser
    ]
    async with bot.services.db.write() as s:
        await s.execute(update(SLACK_OAUTH_STATES).values(expire_at=datetime(2026, 1, 1)))
    refused.append(await bot.http.get(callback, headers={"Cookie": cookie}))  # expired

    assert [r.status_code for r in refused] == [401, 400, 401]
    for page in refused:
        assert "Nothing was installed. Start again from the install link." in page.text
        assert "<h1>Bill Pay was not installed</h1>" in page.text
    assert await installations_of(bot, BIRCH) == 0
    assert await installations_of(bot, TEAM) == 1
    assert len(bot.slack.calls_to("oauth.v2.access")) == 1  # no code exchanged for them

    # In the browser's language.
    french = await bot.http.get(callback, headers={"Accept-Language": "fr-FR,fr;q=0.9"})
    assert "Bill Pay n’a pas été installé" in french.text


def forged_state(url: str) -> str:
    return parse_qs(urlsplit(url).query)["state"][0]


async def test_a_person_who_cancels_on_slacks_screen_gets_a_page_and_nothing_is_stored(
    bot: Bot,
) -> None:
    bot.slack.deny_next()
    start = await bot.http.get(f"{bot.url}/slack/install")
    async with httpx.AsyncClient() as browser:
        consent = await browser.get(start.headers["location"])
    page = await bot.http.get(consent.headers["location"], headers={"Cookie": state_cookie(start)})
    assert "The installation was cancelled in Slack. Nothing was installed." in page.text
    assert await installations_of(bot, TEAM) == 0


async def birch_company(bot: Bot) -> tuple[str, str, str]:
    """A second company in the payables sandbox, linked, with one open bill: its company id,
    connection id and bill id."""
    payables = bot.services.payables
    company = await payables.create_company("Birch Ltd")
    pending = await payables.create_connection(company.id, platform_key="mqjo")
    assert pending.link_url is not None
    await complete_link(httpx.ASGITransport(app=bot.sandbox.app), pending.link_url)
    supplier = await payables.create_supplier(
        company.id,
        pending.id,
        SupplierPrototype(supplier_name="Oakwood Timber", default_currency="GBP"),
    )
    options = await payables.get_bill_mapping_options(company.id, pending.id)
    account = Ref(id=options.accounts[0].id)
    bill = await payables.create_bill(
        company.id,
        pending.id,
        BillPrototype(
            supplier_ref=SupplierRef(id=supplier.id),
            issue_date="2026-11-02",
            due_date="2026-11-30T00:00:00",
            currency="GBP",
            reference="OAK-7",
            line_items=[BillLineItem(unit_amount=Decimal("640.00"), account_ref=account)],
        ),
    )
    return company.id, pending.id, bill.id


async def two_workspaces(bot: Bot) -> tuple[SlackRequests, str]:
    """Acme (T0001, #finance linked to the demo company) and Birch (its own channel linked to
    Birch Ltd), both installed through OAuth; Birch's requests and its bill's id."""
    await install(bot, TEAM, ANA)
    await install(bot, BIRCH, BEA)
    await bot.command("/billpay", CONNECT_DEMO, user=ANA)
    await bot.slack.wait_for_responses(count=1)
    await bot.services.mirror.settled()
    _company, _connection, birch_bill = await birch_company(bot)
    birch = birch_requests(bot.slack)
    response = await bot.send(
        birch.command("/billpay", "connect Birch Ltd", user_id=BEA, channel_id=BIRCH_CHANNEL)
    )
    assert response.status_code == 200
    await bot.slack.wait_for_responses(count=2)
    await bot.services.mirror.settled()
    await settle_listeners()
    return birch, birch_bill


def posted_in(slack: FakeSlack, channel: str) -> list[Call]:
    return [c for c in slack.calls_to("chat.postMessage") if c.args.get("channel") == channel]


async def test_two_workspaces_never_see_each_others_bills_links_or_settings(bot: Bot) -> None:
    birch, birch_bill = await two_workspaces(bot)
    links = bot.services.links
    acme_link = await links.link_for(TEAM, CHANNEL)
    birch_link = await links.link_for(BIRCH, BIRCH_CHANNEL)
    assert birch_link.company_name == "Birch Ltd" != acme_link.company_name

    before = len(bot.slack.calls_to("chat.postMessage"))
    response = await bot.send(birch.command("/bills", user_id=BEA, channel_id=BIRCH_CHANNEL))
    assert response.status_code == 200
    (listing,) = (
        await bot.slack.wait_for(
            "chat.postMessage",
            count=before + 1,
        )
    )[before:]
    assert listing.ok and listing.args["channel"] == BIRCH_CHANNEL
    assert listing.token == BIRCH_TOKEN
    shown = json.dumps(listing.args)
    assert "Oakwood Timber" in shown and "Birch Ltd" in shown
    acme_bills = await bot.services.cases.case_views(acme_link.id, [birch_bill])
    assert acme_bills == []
    acme_listing = await bot.bills(user=ANA)
    assert "Oakwood Timber" not in json.dumps(acme_listing)
    assert birch_bill not in json.dumps(acme_listing)

    # Birch's settings are its own: its /billpay status speaks of Birch Ltd only.
    await bot.send(birch.command("/billpay", "status", user_id=BEA, channel_id=BIRCH_CHANNEL))
    (*_, status) = await bot.slack.wait_for_responses(
        count=1, where=lambda r: "Birch Ltd" in json.dumps(r)
    )
    assert acme_link.company_name not in json.dumps(status)

    # Every call for a workspace carried its own token; none reached the other's channel.
    for call in bot.slack.calls:
        channel = call.args.get("channel")
        if channel in (CHANNEL, BIRCH_CHANNEL):
            assert call.token == (BIRCH_TOKEN if channel == BIRCH_CHANNEL else BOT_TOKEN)
            assert call.ok, call.response


async def test_slack_is_asked_who_a_workspace_is_once_not_before_every_ack(bot: Bot) -> None:
    birch, _ = await two_workspaces(bot)
    asked = len(bot.slack.calls_to("auth.test"))
    for _ in range(3):
        await bot.send(birch.command("/billpay", "status", user_id=BEA, channel_id=BIRCH_CHANNEL))
        await bot.bills(user=ANA)
    await listeners_settled()
    tokens = [c.token for c in bot.slack.calls_to("auth.test")[asked:]]
    assert tokens.count(BIRCH_TOKEN) <= 1 and tokens.count(BOT_TOKEN) <= 1

    # Uninstalled, the workspace's requests are served no more, though its answer was kept.
    assert bot.services.installations is not None
    await bot.services.installations.uninstalled(BIRCH)
    responses, calls = len(bot.slack.responses), len(bot.slack.calls)
    await bot.send(birch.command("/billpay", "status", user_id=BEA, channel_id=BIRCH_CHANNEL))
    await listeners_settled()
    assert not any("Birch Ltd" in json.dumps(r) for r in bot.slack.responses[responses:])
    assert not any(c.token == BIRCH_TOKEN for c in bot.slack.calls[calls:])


async def test_a_digest_for_one_workspace_posts_with_its_token_only(bot: Bot) -> None:
    await two_workspaces(bot)
    for link_team, channel in ((TEAM, CHANNEL), (BIRCH, BIRCH_CHANNEL)):
        link = await bot.services.links.link_for(link_team, channel)
        sub = await digest_store.subscription_for_link(bot.services.db, link.id)
        assert sub is not None
        await digest_store.update_subscription(
            bot.services.db, sub.id, time_zone="Europe/London", post_when_empty=True
        )
    bot.services.clock.set(lambda: DIGEST_TIME)

    await Scheduler(bot.services).send_due_digests()

    (acme,) = digests_in(bot.slack, CHANNEL)
    (birch,) = digests_in(bot.slack, BIRCH_CHANNEL)
    assert acme.token == BOT_TOKEN and birch.token == BIRCH_TOKEN
    assert "Oakwood Timber" in json.dumps(birch.args)
    assert "Oakwood Timber" not in json.dumps(acme.args)


async def handled(bot: Bot, team_id: str, actions: set[str]) -> None:
    """Wait until the events were handled (after Slack had its ack): audited, and done."""
    for _ in range(500):
        async with bot.services.db.read() as s:
            seen = set(
                await s.scalars(select(AuditEvent.action).where(AuditEvent.team_id == team_id))
            )
        if actions <= seen:
            break
        await asyncio.sleep(0.01)
    await settle_listeners()


def digests_in(slack: FakeSlack, channel: str) -> list[Call]:
    return [c for c in posted_in(slack, channel) if c.ok and "Bills due" in json.dumps(c.args)]


async def test_uninstalling_deletes_the_tokens_and_stops_that_workspaces_digest_only(
    bot: Bot,
) -> None:
    birch, _ = await two_workspaces(bot)
    installations = bot.services.installations
    assert installations is not None
    for link_team, channel in ((TEAM, CHANNEL), (BIRCH, BIRCH_CHANNEL)):
        link = await bot.services.links.link_for(link_team, channel)
        sub = await digest_store.subscription_for_link(bot.services.db, link.id)
        assert sub is not None
        await digest_store.update_subscription(
            bot.services.db, sub.id, time_zone="Europe/London", post_when_empty=True
        )

    bot.slack.uninstall(BIRCH)
    for event in (
        {"type": "app_uninstalled"},
        {"type": "tokens_revoked", "tokens": {"bot": ["UBOTIRCH"]}},
    ):
        response = await bot.send(birch.event(event))
        assert response.status_code == 200
    await handled(bot, BIRCH, {"app_uninstalled", "tokens_revoked"})

    assert await installations_of(bot, BIRCH) == 0
    assert not await installations.installed(BIRCH)
    assert await installations.installer_of(BIRCH) is None
    assert await installations.installed(TEAM)
    bot.services.clock.set(lambda: DIGEST_TIME)
    await Scheduler(bot.services).send_due_digests()

    assert len(digests_in(bot.slack, CHANNEL)) == 1
    assert digests_in(bot.slack, BIRCH_CHANNEL) == []
    assert [c for c in bot.slack.calls if c.token == BIRCH_TOKEN and not c.ok] == []
    async with bot.services.db.read() as s:
        actions = list(
            await s.scalars(select(AuditEvent.action).where(AuditEvent.team_id == BIRCH))
        )
    assert "app_uninstalled" in actions and "tokens_revoked" in actions
    # History stays: Birch's link is still there, to resume when it installs again.
    assert (await bot.services.links.link_for(BIRCH, BIRCH_CHANNEL)).company_name == "Birch Ltd"


async def test_a_scheduled_payment_waits_while_its_workspace_is_away_and_is_not_sent_late(
    bot: Bot,
) -> None:
    await install(bot, TEAM, ANA)
    await bot.command("/billpay", CONNECT_DEMO, user=ANA)
    await bot.slack.wait_for_responses(count=1)
    await bot.services.mirror.settled()
    bill = await open_gbp_bill(bot.services.payables, bot.sandbox.demo)
    ref = CaseRef(TEAM, CHANNEL, bill.id)
    await bot.services.approvals.approve(ref, ANA)
    account = await gbp_account(bot.services)
    on = TODAY + timedelta(days=2)
    scheduled = await bot.services.payments.submit_payment(
        ref, SAM, payment_request(account, Decimal("100.00"), payment_date=on), TODAY
    )
    assert scheduled.status == "scheduled", scheduled.message

    bot.slack.uninstall(TEAM)
    for event in (
        {"type": "app_uninstalled"},
        {"type": "tokens_revoked", "tokens": {"bot": ["UBOT"]}},
    ):
        await bot.send(bot.requests.event(event))
    await handled(bot, TEAM, {"app_uninstalled", "tokens_revoked"})
    assert (await audit_actions(bot, TEAM)).count("payment_waiting") == 1

    # Its date comes while the workspace is away: nothing goes out, nobody could see it.
    bot.services.clock.set(lambda: datetime(on.year, on.month, on.day, 10, 0, tzinfo=UTC))
    await Scheduler(bot.services).send_due_payments()
    assert await sandbox_payments(bot.sandbox, bill.id) == 0

    # The workspace installs the app again: the payment is not sent late; the payer is told.
    page = await install(bot, TEAM, ANA)
    assert page.page.status_code == 200
    await Scheduler(bot.services).send_due_payments()
    assert await sandbox_payments(bot.sandbox, bill.id) == 0
    async with bot.services.db.read() as s:
        (status,) = (await s.scalars(select(Payment.status))).all()
    assert status == PaymentStatus.REFUSED
    assert "payment_not_sent" in await audit_actions(bot, TEAM)
    (told,) = await bot.slack.wait_for(
        "chat.postMessage", where=lambda c: c.args.get("channel") == SAM
    )
    assert "was not sent" in told.args["text"] and "uninstalled" in told.args["text"]
    assert told.token == BOT_TOKEN


async def audit_actions(bot: Bot, team_id: str) -> list[str]:
    async with bot.services.db.read() as s:
        return list(await s.scalars(select(AuditEvent.action).where(AuditEvent.team_id == team_id)))


async def test_a_webhook_for_one_workspaces_company_touches_only_its_channel(bot: Bot) -> None:
    await two_workspaces(bot)
    demo = bot.sandbox.demo
    before = len(bot.slack.calls)
    await bot.sandbox.deauthorize(demo.company_id, demo.connection_id)
    sent = delivery(connection_event(demo.company_id, demo.connection_id, status="Deauthorized"))

    answer = await bot.http.post(
        f"{bot.url}/webhooks/codat", content=sent.body, headers=sent.headers
    )
    assert answer.status_code == 200
    assert bot.services.webhooks is not None
    await bot.services.webhooks.settled()
    await settle_listeners()

    after = bot.slack.calls[before:]
    told = [c for c in after if c.method == "chat.postMessage" and c.args["channel"] == CHANNEL]
    assert told and all(c.ok and c.token == BOT_TOKEN for c in told)
    assert "no longer lets Bill Pay record payments" in json.dumps(told[0].args)
    assert [c for c in after if c.token == BIRCH_TOKEN] == []
    assert [c for c in after if c.args.get("channel") == BIRCH_CHANNEL] == []


async def test_a_workspaces_invoice_is_read_with_its_own_token_and_no_other(bot: Bot) -> None:
    await install(bot, TEAM, ANA)
    await install(bot, BIRCH, BEA)
    content = b"%PDF-1.4 Oakwood Timber OAK-7"
    shared = bot.slack.add_file(
        "oak-7.pdf", content, user_id=BEA, channel_id=BIRCH_CHANNEL, team_id=BIRCH
    )
    files = SlackFiles(bot.services.must_publish().client, bot.services.settings.slack_api_url)

    # As the Attach invoice form reads the file it was given (no Web API call before).
    read = await files.read(
        BIRCH, shared["url_private_download"], size=len(content), max_bytes=10**6
    )
    described = await files.describe(BIRCH, shared["id"], "")
    invoice = await files.download(BIRCH, described, "")

    assert read == invoice.content == content
    assert [(d.token, d.ok) for d in bot.slack.downloads] == [(BIRCH_TOKEN, True)] * 2
    with pytest.raises(SlackApiError, match="file_not_found"):
        await files.describe(TEAM, shared["id"], "")  # Acme's token: not Acme's file


async def birch_waits_for_xero(bot: Bot, birch: SlackRequests, name: str) -> tuple[str, str, str]:
    """Birch's `/billpay connect` form creates company `name` with a Xero connection that
    waits: its company id, connection id and the waiting message's ts."""
    opened = len(bot.slack.calls_to("views.open"))
    await bot.send(birch.command("/billpay", "connect", user_id=BEA, channel_id=BIRCH_CHANNEL))
    view = await bot.modal(opened)
    response = await bot.send(
        birch.view_submission(
            view, {Input.CONNECT_NEW: name, Input.CONNECT_PLATFORM: "gbol"}, user_id=BEA
        )
    )
    assert response.status_code == 200
    (private,) = await bot.slack.wait_for(
        "chat.postEphemeral", where=lambda c: "authorise Xero" in str(c.args.get("text"))
    )
    assert private.token == BIRCH_TOKEN
    (waiting,) = await bot.slack.wait_for(
        "chat.postMessage", where=lambda c: "Waiting for Xero" in str(c.args.get("text"))
    )
    assert waiting.token == BIRCH_TOKEN and waiting.args["channel"] == BIRCH_CHANNEL
    await complete_link(
        httpx.ASGITransport(app=bot.sandbox.app), private.args["blocks"][1]["elements"][0]["url"]
    )
    (company,) = [c async for c in bot.services.payables.iter_companies() if c.name == name]
    (connection,) = company.data_connections
    return company.id, connection.id, waiting.response["ts"]


async def test_a_connection_authorised_for_a_workspace_is_told_there_with_its_token(
    bot: Bot,
) -> None:
    await install(bot, TEAM, ANA)
    await install(bot, BIRCH, BEA)
    birch = birch_requests(bot.slack)
    company_id, connection_id, ts = await birch_waits_for_xero(bot, birch, "Birch Tools Ltd")
    before = len(bot.slack.calls)

    sent = delivery(
        connection_event(company_id, connection_id, "connection.connected", status="Linked")
    )
    answer = await bot.http.post(
        f"{bot.url}/webhooks/codat", content=sent.body, headers=sent.headers
    )
    assert answer.status_code == 200
    assert bot.services.webhooks is not None
    await bot.services.webhooks.settled()
    await bot.services.mirror.settled()
    await settle_listeners()

    link = await bot.services.links.link_for(BIRCH, BIRCH_CHANNEL)
    assert link.company_name == "Birch Tools Ltd"
    assert (
        "linked this channel to *Birch Tools Ltd*" in bot.slack.message(BIRCH_CHANNEL, ts)["text"]
    )
    after = bot.slack.calls[before:]
    assert after and all(c.ok and c.token == BIRCH_TOKEN for c in after), after


async def test_a_connection_authorised_after_its_workspace_uninstalled_calls_no_slack(
    bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    """The channel is linked all the same (ready when the workspace installs the app again);
    nothing is attempted in Slack, and the scheduler's look does not fail."""
    await install(bot, TEAM, ANA)
    await install(bot, BIRCH, BEA)
    birch = birch_requests(bot.slack)
    await birch_waits_for_xero(bot, birch, "Birch Tools Ltd")
    bot.slack.uninstall(BIRCH)
    await bot.send(birch.event({"type": "app_uninstalled"}))
    await handled(bot, BIRCH, {"app_uninstalled"})
    before = len(bot.slack.calls)

    bot.services.clock.set(lambda: NOW + timedelta(minutes=10))
    await Scheduler(bot.services).poll_connections()
    await bot.services.mirror.settled()
    await settle_listeners()

    assert bot.slack.calls[before:] == []
    link = await bot.services.links.link_for(BIRCH, BIRCH_CHANNEL)
    assert link.company_name == "Birch Tools Ltd"
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == [
        "Slack sent app_uninstalled for team T0BIRCH",
        "workspace T0BIRCH is gone: 0 scheduled payments wait",
    ]


async def test_a_workspace_that_uninstalled_gets_no_home_refresh(
    bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    birch, birch_bill = await two_workspaces(bot)
    acme_bill = bill_ids(await bot.bills(user=ANA))[0]
    for requests, user in ((bot.requests, ANA), (birch, BEA)):
        opened = requests.event({"type": "app_home_opened", "user": user, "tab": "home"})
        assert (await bot.send(opened)).status_code == 200
    await bot.slack.wait_for("views.publish", count=2)
    publisher = bot.services.must_publish()
    publisher.homes.delay = 0.05

    bot.slack.uninstall(BIRCH)
    await bot.send(birch.event({"type": "app_uninstalled"}))
    await handled(bot, BIRCH, {"app_uninstalled"})
    before = len(bot.slack.calls)
    # A bill of each workspace changes (a webhook, a sync): each asks for its Homes' refresh.
    acme_link = await bot.services.links.link_for(TEAM, CHANNEL)
    birch_link = await bot.services.links.link_for(BIRCH, BIRCH_CHANNEL)
    await publisher.bill_changed(TEAM, acme_link.id, acme_bill)
    await publisher.bill_changed(BIRCH, birch_link.id, birch_bill)
    await bot.slack.wait_for("views.publish", count=3)
    await asyncio.sleep(0.1)
    await listeners_settled()  # every refresh asked for has run

    after = bot.slack.calls[before:]
    assert [(c.method, c.args["user_id"]) for c in after if c.method == "views.publish"] == [
        ("views.publish", ANA)
    ]
    assert [c for c in after if c.token == BIRCH_TOKEN] == []
    # Not even tried: no Home was drawn for Birch only to find it cannot be sent.
    assert [r for r in caplog.records if "could not refresh the Home" in r.getMessage()] == []


async def test_reminders_go_on_while_a_workspace_with_a_group_of_approvers_is_away(
    bot: Bot,
) -> None:
    """Birch's approvers are a user group, which cannot be read once Birch uninstalled the
    app: Acme's approvers are still reminded."""
    birch, _ = await two_workspaces(bot)
    await bot.bills("pinecrest", user=ANA)  # a few of Acme's bills wait, so a few reminders
    before = len(posted_in(bot.slack, BIRCH_CHANNEL))
    await bot.send(birch.command("/bills", user_id=BEA, channel_id=BIRCH_CHANNEL))
    await bot.slack.wait_for(
        "chat.postMessage",
        count=before + 1,
        where=lambda c: c.args.get("channel") == BIRCH_CHANNEL,
    )
    await settle_listeners()
    bot.slack.usergroups["S0BIRCH"] = {"handle": "birch-approvers", "users": [BEA]}
    async with bot.services.db.write() as s:
        for team, channel, approvers, group in (
            (TEAM, CHANNEL, [ANA], None),
            (BIRCH, BIRCH_CHANNEL, [], "S0BIRCH"),
        ):
            link = await bot.services.links.link_for(team, channel)
            await s.execute(
                update(Policy)
                .where(Policy.link_id == link.id)
                .values(approvers=approvers, approver_group=group)
            )
    bot.slack.uninstall(BIRCH)
    await bot.send(birch.event({"type": "app_uninstalled"}))
    await handled(bot, BIRCH, {"app_uninstalled"})

    bot.services.clock.set(lambda: NOW + timedelta(hours=25))
    await Scheduler(bot.services).send_reminders()

    reminded = [c for c in bot.slack.calls_to("chat.postMessage") if c.args["channel"] == ANA]
    assert reminded and "has waited 25 hours for your approval" in reminded[0].args["text"]
    assert reminded[0].token == BOT_TOKEN
    assert [c for c in bot.slack.calls if c.token == BIRCH_TOKEN and not c.ok] == []
