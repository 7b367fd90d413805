"""Modal submissions: the reject and reopen reasons, the payment form and the digest settings.

A submission is checked at once: mistakes come back on their fields (`response_action:
errors`) and nothing is recorded. A valid payment turns the modal into a progress view, is
recorded, and the modal then shows the result while the card updates in place.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from billpay.bills.cases import Outcome
from billpay.core.bounds import reason_problem
from billpay.core.domain import CaseRef
from billpay.core.errors import FORM_OUT_OF_DATE, CardOutOfDate, FieldErrors, OutOfDate
from billpay.core.i18n import words
from billpay.core.mrkdwn import escape
from billpay.digest import store as digest_store
from billpay.digest.settings_form import read_digest_form
from billpay.payments.form import read_payment_form
from billpay.services import Services
from billpay.slack.blocks.ids import Callback, Input
from billpay.slack.blocks.metadata import (
    DigestMetadata,
    ModalMetadata,
    PayMetadata,
    RejectMetadata,
    ReopenMetadata,
)
from billpay.slack.blocks.modals import (
    WHEN_EMPTY,
    form_context,
    payment_result_modal,
    progress_view,
)
from billpay.slack.blocks.status import digest_line
from billpay.slack.blocks.text import money
from billpay.slack.boundary import NOTHING_PAID, Listeners
from billpay.slack.envelope import Submission, field_choices, field_value
from billpay.slack.people import People
from billpay.slack.publisher import Publisher

DIGEST_FIELDS = {
    "time": Input.DIGEST_TIME,
    "zone": Input.DIGEST_ZONE,
    "weekdays": Input.DIGEST_WEEKDAYS,
    "look_ahead": Input.DIGEST_LOOK_AHEAD,
}
FIELD_BLOCKS = {
    "account": Input.PAY_ACCOUNT,
    "amount": Input.PAY_AMOUNT,
    "date": Input.PAY_DATE,
    "reference": Input.PAY_REFERENCE,
    "rate": Input.PAY_RATE,
}
# How long a submission may wait on `users.info` (for the payer's today) before its ack.
PERSON_WAIT_SECONDS = 1.0


def register(on: Listeners, services: Services, people: People) -> None:
    workflow = services.workflow
    publisher = services.must_publish()

    @on.view(Callback.REJECT, RejectMetadata)
    async def reject_submitted(
        ack: AsyncAck,
        body: dict[str, Any],
        submission: Submission,
        metadata: RejectMetadata,
        client: AsyncWebClient,
    ) -> None:
        _reason, outcome = await decide_with_reason(
            ack, body, submission, metadata, Input.REJECT_REASON, workflow.reject
        )
        if outcome.notice:
            person = await people.get(client, submission.team_id, submission.user_id, wait=1.0)
            await client.chat_postEphemeral(
                channel=metadata.channel_id,
                user=submission.user_id,
                text=words(person.locale)(outcome.notice),
            )

    @on.view(Callback.REOPEN, ReopenMetadata)
    async def reopen_submitted(
        ack: AsyncAck,
        body: dict[str, Any],
        submission: Submission,
        metadata: ReopenMetadata,
        client: AsyncWebClient,
    ) -> None:
        reason, outcome = await decide_with_reason(
            ack, body, submission, metadata, Input.REOPEN_REASON, workflow.reopen
        )
        person = await people.get(
            client, submission.team_id, submission.user_id, wait=PERSON_WAIT_SECONDS
        )
        _ = words(person.locale)
        if outcome.notice:
            await client.chat_postEphemeral(
                channel=metadata.channel_id, user=submission.user_id, text=_(outcome.notice)
            )
            return
        await Publisher.quietly(
            publisher.thread_line(
                submission.team_id,
                metadata.channel_id,
                metadata.message_ts,
                _(
                    "<@{user}> reopened this bill: {reason}",
                    user=submission.user_id,
                    reason=escape(reason),
                ),
            ),
            "post the line",
        )

    async def decide_with_reason(
        ack: AsyncAck,
        body: dict[str, Any],
        submission: Submission,
        metadata: RejectMetadata | ReopenMetadata,
        reason_input: str,
        decide: Callable[..., Awaitable[Outcome]],
    ) -> tuple[str, Outcome]:
        """The Reject and Reopen forms: the reason checked on the field, then the decision
        taken against the card's version; the messages showing the bill are brought up to date
        whether it was taken or refused as out of date."""
        reason = (field_value(body, reason_input) or "").strip()
        problem = reason_problem(reason)
        if problem:
            raise FieldErrors({reason_input: problem})
        await ack()
        ref = CaseRef(submission.team_id, metadata.channel_id, metadata.bill_id)
        try:
            outcome = await decide(ref, submission.user_id, reason, seen=metadata.version)
        except CardOutOfDate:
            await cards_changed(submission, metadata)
            raise
        await cards_changed(submission, metadata)
        return reason, outcome

    async def cards_changed(submission: Submission, metadata: ModalMetadata) -> None:
        """Every message showing the bill, after a change (or a refusal because its card was
        out of date: the cards then show the bill as it is)."""
        await Publisher.quietly(
            publisher.bill_changed_here(
                submission.team_id, metadata.channel_id, metadata.bill_id, metadata.message_ts
            ),
            "update the cards",
        )

    @on.view(Callback.DIGEST, DigestMetadata)
    async def digest_submitted(
        ack: AsyncAck,
        body: dict[str, Any],
        submission: Submission,
        metadata: DigestMetadata,
        client: AsyncWebClient,
    ) -> None:
        form = read_digest_form(
            local_time=field_value(body, Input.DIGEST_TIME),
            time_zone=field_value(body, Input.DIGEST_ZONE),
            weekdays=field_choices(body, Input.DIGEST_WEEKDAYS),
            look_ahead=field_value(body, Input.DIGEST_LOOK_AHEAD),
            post_when_empty=WHEN_EMPTY in field_choices(body, Input.DIGEST_WHEN_EMPTY),
        )
        if isinstance(form, dict):
            raise FieldErrors({DIGEST_FIELDS[name]: text for name, text in form.items()})
        link = await workflow.link_for(submission.team_id, metadata.channel_id)
        current = await digest_store.subscription_for_link(services.db, link.id)
        if current is None or current.id != metadata.subscription_id:
            raise OutOfDate(FORM_OUT_OF_DATE)
        await ack()
        saved = await digest_store.update_subscription(
            services.db,
            current.id,
            local_time=form.local_time,
            time_zone=form.time_zone,
            weekdays=form.weekdays,
            look_ahead_days=form.look_ahead_days,
            post_when_empty=form.post_when_empty,
        )
        if saved.paused:
            saved = await digest_store.resume_subscription(services.db, saved.id)
        await workflow.record_digest_changed(link.id, submission.user_id)
        person = await people.get(
            client, submission.team_id, submission.user_id, wait=PERSON_WAIT_SECONDS
        )
        _ = words(person.locale)
        await client.chat_postEphemeral(
            channel=metadata.channel_id,
            user=submission.user_id,
            text=_("Saved.") + " " + digest_line(saved, locale=person.locale),
        )

    @on.view(Callback.PAY, PayMetadata, consequence=NOTHING_PAID)
    async def pay_submitted(
        ack: AsyncAck,
        body: dict[str, Any],
        submission: Submission,
        metadata: PayMetadata,
        client: AsyncWebClient,
    ) -> None:
        person = await people.get(
            client, submission.team_id, submission.user_id, wait=PERSON_WAIT_SECONDS
        )
        today = person.today(services.clock())
        # Only what the submission carries is checked before the ack (Slack waits 3 seconds);
        # the server checks everything again, against fresh data, before paying.
        form = read_payment_form(
            form_context(metadata, today),
            account_id=field_value(body, Input.PAY_ACCOUNT),
            amount=field_value(body, Input.PAY_AMOUNT),
            payment_date=field_value(body, Input.PAY_DATE),
            reference=field_value(body, Input.PAY_REFERENCE),
            rate=field_value(body, Input.PAY_RATE),
        )
        if isinstance(form, dict):
            raise FieldErrors({FIELD_BLOCKS[name]: text for name, text in form.items()})
        confirmed = frozenset(field_choices(body, Input.PAY_CONFIRM)) & set(metadata.confirm)
        if len(confirmed) < len(set(metadata.confirm)):
            _ = words(person.locale)
            raise FieldErrors({Input.PAY_CONFIRM: _("Tick each box to pay this bill.")})
        amount = money(form.amount, metadata.currency, metadata.locale)
        _ = words(metadata.locale)
        recording = _(
            "Recording {amount} from {account}…", amount=amount, account=escape(form.account.name)
        )
        await ack(response_action="update", view=progress_view(recording, locale=metadata.locale))
        outcome = await workflow.payments.submit_payment(
            CaseRef(submission.team_id, metadata.channel_id, metadata.bill_id),
            submission.user_id,
            form,
            today,
            view_id=submission.view_id,
            confirmed=confirmed,
        )
        held = outcome.payment
        if outcome.status == "held" and held and held.send_after and services.scheduler:
            services.scheduler.send_soon(held.id, held.send_after)
        # The card and its thread first: they are the record everyone sees, and the payer may
        # have closed the modal already.
        if outcome.status in ("recorded", "scheduled", "failed", "held"):
            await publisher.payment_shown(
                submission.team_id,
                metadata.channel_id,
                metadata.message_ts,
                outcome,
                person.locale,
            )
        # The payer may have closed the modal: the card says it all.
        await Publisher.quietly(
            client.views_update(
                view_id=submission.view_id,
                view=payment_result_modal(outcome, locale=person.locale),
            ),
            "show the payment's result",
        )
