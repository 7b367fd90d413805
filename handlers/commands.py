"""Slash commands: `/bills [overdue | due 7d | supplier]`, `/billpay connect | help` and
`/supplier <name>`. Each acks at once, then does its work and answers."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from blocks.suppliers import supplier_blocks
from bot.cases import Denied
from bot.listing import FilterError, parse_filter
from bot.mrkdwn import escape
from bot.payables.errors import PayablesError
from bot.services import Services
from handlers.cards import post_listing
from handlers.outcomes import said
from handlers.people import People

log = logging.getLogger(__name__)

BILLPAY_HELP = (
    "*Bill Pay*\n"
    "• `/billpay connect` links this channel to your company's bills "
    "(`/billpay connect <company name or id>` when there are several).\n"
    "• `/bills` lists outstanding bills here; `/bills overdue`, `/bills due 7d` or "
    "`/bills <supplier>` narrow it.\n"
    "• `/supplier <name>` looks a supplier up.\n"
    "On each bill: *Approve*, *Reject* (with a reason) and *Pay…*."
)


def register(app: AsyncApp, services: Services, people: People) -> None:
    @app.command("/bills")
    async def bills(
        ack: AsyncAck, command: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient
    ) -> None:
        await ack()
        team_id, channel_id = command["team_id"], command["channel_id"]
        try:
            bill_filter = parse_filter(command.get("text", ""))
        except FilterError as exc:
            await respond(text=str(exc), response_type="ephemeral")
            return
        try:
            link = await services.workflow.link_for(team_id, channel_id)
            person = await people.get(client, team_id, command["user_id"])
            await post_listing(services, client, person, link, bill_filter, channel_id=channel_id)
        except Denied as exc:
            await respond(text=str(exc), response_type="ephemeral")
        except PayablesError as exc:
            await respond(text=_payables_trouble(exc), response_type="ephemeral")
        except SlackApiError as exc:
            if exc.response.get("error") not in ("not_in_channel", "channel_not_found"):
                raise
            await respond(
                text="I can't post in this channel yet. Add me with `/invite @billpay`, then run "
                "`/bills` again.",
                response_type="ephemeral",
            )

    @app.command("/billpay")
    async def billpay(ack: AsyncAck, command: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        words = (command.get("text") or "").split(maxsplit=1)
        verb = words[0].lower() if words else "help"
        if verb != "connect":
            await respond(text=BILLPAY_HELP, response_type="ephemeral")
            return
        try:
            link, created = await services.workflow.connect(
                command["team_id"],
                command["channel_id"],
                command["user_id"],
                words[1] if len(words) > 1 else "",
            )
        except Denied as exc:
            await respond(text=str(exc), response_type="ephemeral")
            return
        except PayablesError as exc:
            await respond(text=_payables_trouble(exc), response_type="ephemeral")
            return
        policy = await services.workflow.policy_for(link)
        approvers = policy.who_may_approve() or "anyone in this channel"
        payers = policy.who_may_pay() or "anyone in this channel"
        threshold = (
            f" Bills above {policy.dual_approval_threshold} {link.base_currency} need two "
            "different approvers."
            if policy.dual_approval_threshold is not None
            else ""
        )
        await respond(
            text=f"<@{command['user_id']}> {'linked' if created else 're-linked'} this channel to "
            f"*{escape(link.company_name)}* (base currency {link.base_currency}). "
            f"Approvers: {approvers}. Payers: {payers}.{threshold} Run `/bills` to see what's due.",
            response_type="in_channel",
        )

    @app.command("/supplier")
    async def supplier(
        ack: AsyncAck, command: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient
    ) -> None:
        await ack()
        text = " ".join((command.get("text") or "").split())
        if not text:
            await respond(
                text="Which supplier? Try `/supplier northridge`.", response_type="ephemeral"
            )
            return
        try:
            link = await services.workflow.link_for(command["team_id"], command["channel_id"])
            person = await people.get(client, command["team_id"], command["user_id"])
            found = await services.workflow.find_suppliers(link, text)
        except Denied as exc:
            await respond(text=str(exc), response_type="ephemeral")
            return
        except PayablesError as exc:
            await respond(text=_payables_trouble(exc), response_type="ephemeral")
            return
        message = supplier_blocks(text, found, locale=person.locale)
        await respond(response_type="ephemeral", **message)


def _payables_trouble(exc: PayablesError) -> str:
    log.warning("payables API error: %s", exc)
    return (
        f"I couldn't reach the accounting platform: {said(exc)} Nothing was changed; "
        "try again in a minute."
    )
