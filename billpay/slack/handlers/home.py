"""The App Home tab: a person's queue, drawn when they open it and refreshed after changes
(`billpay.slack.homes`); the bills they tick approved together; a scheduled payment cancelled.

Events come with whatever fields Slack chose to send: the listener reads them with `.get` and
ignores an event it can't place. A click on the Home carries no channel: the bill's channel
travels in its value, and every decision is taken by the service a card's button uses
(`Approvals.approve`, `ScheduledPayments.cancel_scheduled`), checked there against the policy and
the bill's state, one bill at a time."""

from __future__ import annotations

import logging
import re
from decimal import Decimal
from typing import Any

from slack_bolt.async_app import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from billpay.core.domain import CaseRef, CaseState
from billpay.core.errors import OutOfDate
from billpay.core.i18n import N_, words
from billpay.core.queue import QueuedBill
from billpay.services import Services
from billpay.slack.blocks.home import home_view
from billpay.slack.blocks.home.bulk import (
    BulkOutcome,
    bulk_modal,
    bulk_result,
    nothing_selected,
    told,
)
from billpay.slack.blocks.home.values import (
    MAX_BULK,
    BulkApproval,
    HomeAction,
    HomeBill,
    HomeCallback,
)
from billpay.slack.blocks.modals import loading_modal, waiting_modal
from billpay.slack.blocks.outcomes import step_answer
from billpay.slack.boundary import NOTHING_CHANGED, SHOWN_VIEW, Ack, Listeners
from billpay.slack.budget import trigger_of
from billpay.slack.envelope import Submission, action_value, as_dict, slack_id, team_of
from billpay.slack.explain import explain
from billpay.slack.homes import HomeTabs
from billpay.slack.people import LazyPerson, Person
from billpay.slack.publisher import Publisher

log = logging.getLogger(__name__)

APPROVE_TITLE = N_("Approve bills")
APPROVING = N_("Approving the bills, one by one…")


def _home_click(body: dict[str, Any]) -> tuple[str, str]:
    """The team and person of a click on the Home tab."""
    team_id = slack_id(team_of(body))
    user_id = slack_id(as_dict(body.get("user")).get("id"))
    if team_id is None or user_id is None:
        raise OutOfDate()
    return team_id, user_id


def ticked(body: dict[str, Any]) -> list[HomeBill]:
    """The bills ticked on the Home, in its order; a value that does not parse is left out."""
    values = as_dict(as_dict(body.get("view")).get("state")).get("values")
    found: list[HomeBill] = []
    for block in as_dict(values).values():
        for action_id, state in as_dict(block).items():
            if not str(action_id).startswith(HomeAction.PICK):
                continue
            for option in as_dict(state).get("selected_options") or []:
                bill = HomeBill.load(as_dict(option).get("value"))
                if bill is not None and bill not in found:
                    found.append(bill)
    return found


def register(on: Listeners, services: Services) -> None:
    publisher = services.must_publish()
    homes = publisher.homes

    async def render(homes: HomeTabs, team_id: str, person: Person) -> dict[str, Any]:
        today = person.today(services.clock())
        queue = await services.queues.queue_of(team_id, person.user_id, today)
        return home_view(
            queue.channels,
            locale=person.locale,
            queue=queue,
            today=today,
            time_zone=person.time_zone,
            permalinks=await homes.permalinks(team_id, queue.cards),
        )

    homes.render = render

    @on.event("app_home_opened")
    async def home_opened(event: dict[str, Any], body: dict[str, Any], person: LazyPerson) -> None:
        team_id, user_id = slack_id(body.get("team_id")), slack_id(event.get("user"))
        if event.get("tab", "home") != "home" or team_id is None or user_id is None:
            return
        await homes.publish(team_id, await person)

    @on.action(re.compile(rf"^{HomeAction.PICK}_[0-9]+$"), None)
    async def picked(ack: Ack) -> None:
        """A checkbox ticked or not: Slack keeps it in the Home's state until Approve."""
        await ack()

    @on.action(HomeAction.APPROVE_SELECTED, None)
    async def approve_selected(
        ack: Ack, body: dict[str, Any], client: AsyncWebClient, person: LazyPerson
    ) -> None:
        await ack()
        team_id, _user_id = _home_click(body)
        reader = await person
        chosen = ticked(body)[:MAX_BULK]
        bills = await services.queues.bills(team_id, [(b.channel_id, b.bill_id) for b in chosen])
        if not bills:
            view = nothing_selected(locale=reader.locale)
        else:
            versions = {(b.channel_id, b.bill_id): b.version for b in chosen}
            metadata = BulkApproval(
                bills=[
                    HomeBill(
                        channel_id=b.channel_id,
                        bill_id=b.bill_id,
                        version=versions.get((b.channel_id, b.bill_id)),
                    )
                    for b in bills
                ]
            )
            today = reader.today(services.clock())
            view = bulk_modal(bills, metadata, locale=reader.locale, today=today)
        await client.views_open(trigger_id=trigger_of(body), view=view)

    @on.view(HomeCallback.BULK_APPROVE, BulkApproval)
    async def bulk_submitted(
        ack: Ack,
        submission: Submission,
        metadata: BulkApproval,
        client: AsyncWebClient,
        context: AsyncBoltContext,
        person: LazyPerson,
    ) -> None:
        reader = await person
        _ = words(reader.locale)
        await ack(
            response_action="update",
            view=waiting_modal(APPROVE_TITLE, _(APPROVING), locale=reader.locale),
        )
        context[SHOWN_VIEW] = submission.view_id
        keys = [(b.channel_id, b.bill_id) for b in metadata.bills]
        shown = {
            (b.channel_id, b.bill_id): b
            for b in await services.queues.bills(submission.team_id, keys)
        }
        outcomes = []
        for chosen in metadata.bills:
            ref = CaseRef(submission.team_id, chosen.channel_id, chosen.bill_id)
            bill = shown.get((chosen.channel_id, chosen.bill_id)) or QueuedBill(
                channel_id=chosen.channel_id,
                company_name="",
                bill_id=chosen.bill_id,
                supplier_name=chosen.bill_id,
                reference=None,
                currency="",
                amount_due=Decimal(0),
                due_date=None,
            )
            outcomes.append(await approve_one(ref, submission.user_id, chosen, bill, reader))
        await client.views_update(
            view_id=submission.view_id, view=bulk_result(outcomes, locale=reader.locale)
        )

    async def approve_one(
        ref: CaseRef, user_id: str, chosen: HomeBill, bill: QueuedBill, reader: Person
    ) -> BulkOutcome:
        """One bill, as its card's Approve would take it; its cards are brought up to date
        whether it was approved or refused (a refusal may have found it changed)."""
        _ = words(reader.locale)
        try:
            outcome = await services.approvals.approve(ref, user_id, seen=chosen.version)
        except Exception as error:  # each bill on its own: one refused never stops the rest
            explanation = explain(error, NOTHING_CHANGED, reader.locale)
            if explanation.ours:
                reference = explanation.reference
                log.error("bulk approval failed, reference %s", reference, exc_info=error)
            result = BulkOutcome(bill, False, explanation.text)
        else:
            if outcome.notice:
                result = BulkOutcome(bill, False, _(outcome.notice))
            elif outcome.case.state == CaseState.APPROVED:
                result = BulkOutcome(bill, True, _("Approved."))
            else:
                result = BulkOutcome(
                    bill, True, _("Your approval is recorded; it needs another approver.")
                )
        await Publisher.quietly(
            publisher.bill_changed_here(ref.team_id, ref.channel_id, ref.bill_id, None),
            "update the cards",
        )
        return result

    @on.action(HomeAction.CANCEL_PAYMENT, None)
    async def cancel_payment(
        ack: Ack,
        body: dict[str, Any],
        client: AsyncWebClient,
        context: AsyncBoltContext,
        person: LazyPerson,
    ) -> None:
        """The card's Cancel payment, from the Home: the same service, the same card update and
        thread line; the answer shows in a modal (the Home has nowhere else to say it)."""
        await ack()
        team_id, user_id = _home_click(body)
        value = HomeBill.load(action_value(body))
        if value is None:
            raise OutOfDate()
        reader = await person
        opened = await client.views_open(
            trigger_id=trigger_of(body),
            view=loading_modal(N_("Cancel payment"), locale=reader.locale),
        )
        context[SHOWN_VIEW] = view_id = str(as_dict(opened.get("view")).get("id"))
        ref = CaseRef(team_id, value.channel_id, value.bill_id)
        outcome = await services.scheduled.cancel_scheduled(ref, user_id)
        link = await services.links.link_for(team_id, value.channel_id)
        showing = await services.messages.showing(link.id, value.bill_id)
        ts = showing[0].ts if showing else None
        await publisher.payment_shown(team_id, value.channel_id, ts, outcome, by=user_id)
        text = step_answer(outcome, reader.locale, reader.time_zone, services.clock())
        await client.views_update(view_id=view_id, view=told(text, locale=reader.locale))
