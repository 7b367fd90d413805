"""The Pay form while it is open: when the payer changes the account, the amount, the
exchange rate or the date, the modal is redrawn with its preview (the rate as nobody can
invert it, what the payment comes to in the company's currency, the later date it is
scheduled for, or what is wrong with what was typed). Nothing is decided here: the
submission is checked in full (`handlers/payments.py`).
"""

from __future__ import annotations

import itertools
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from billpay.core.errors import FORM_OUT_OF_DATE, OutOfDate
from billpay.services import Services
from billpay.slack.blocks.ids import Callback, Input
from billpay.slack.blocks.metadata import PayMetadata
from billpay.slack.blocks.modals import PayEntry, pay_modal
from billpay.slack.boundary import Ack, Listeners
from billpay.slack.envelope import Submission, as_dict, field_value, used_action
from billpay.slack.people import LazyPerson

log = logging.getLogger(__name__)


# What a Pay modal holds of the fields its preview reads: account, amount, rate, date.
Entered = tuple[str | None, str | None, str | None, str | None]


def entered_in(body: dict[str, Any]) -> Entered:
    return (
        field_value(body, Input.PAY_ACCOUNT),
        field_value(body, Input.PAY_AMOUNT),
        field_value(body, Input.PAY_RATE),
        field_value(body, Input.PAY_DATE),
    )


class Redraws:
    """The newest change wins. Each redraw names the hash of the view it was computed from, so
    Slack refuses it if the view changed since (`hash_conflict`): another redraw, or the
    submission's progress view. When the change was this process's own redraw of an older
    entry, this newer entry is drawn over it with the hash that redraw left; otherwise it is
    dropped (with several replicas, a later keystroke redraws it).

    A change that reached the bot before the modal was submitted, or that holds what was
    submitted (its block action may arrive after the submission), is not drawn afterwards: the
    submission's answer (its field errors, say) must not be wiped by a preview."""

    LIMIT = 1000

    def __init__(self) -> None:
        # view id -> (the hash our last redraw left, the time of the change it showed)
        self._drawn: OrderedDict[str, tuple[str, float]] = OrderedDict()
        # Arrivals in this process, in order: changes and submissions of the Pay modal.
        self._arrivals = itertools.count()
        self._submitted: OrderedDict[str, tuple[int, Entered]] = OrderedDict()

    def arrived(self) -> int:
        """Note a change as it reaches the bot; pass the number to `draw`."""
        return next(self._arrivals)

    def submitted(self, view_id: str, entered: Entered) -> None:
        self._submitted[view_id] = (next(self._arrivals), entered)
        self._submitted.move_to_end(view_id)
        while len(self._submitted) > self.LIMIT:
            self._submitted.popitem(last=False)

    async def draw(
        self,
        client: AsyncWebClient,
        view_id: str,
        seen_hash: str | None,
        changed_at: float,
        view: dict[str, Any],
        *,
        arrival: int,
        entered: Entered,
    ) -> None:
        submitted = self._submitted.get(view_id)
        if submitted is not None and (submitted[0] > arrival or submitted[1] == entered):
            return  # the submission's answer stands
        try:
            response = await client.views_update(view_id=view_id, hash=seen_hash, view=view)
        except SlackApiError as error:
            if error.response.get("error") == "not_found":
                return  # the payer closed the modal meanwhile
            if error.response.get("error") != "hash_conflict":
                raise
            ours = self._drawn.get(view_id)
            if ours is None or ours[1] > changed_at:
                log.debug("pay modal %s changed since; a newer redraw shows", view_id)
                return
            try:
                response = await client.views_update(view_id=view_id, hash=ours[0], view=view)
            except SlackApiError as again:
                if again.response.get("error") != "hash_conflict":
                    raise
                return  # submitted or redrawn elsewhere meanwhile: that view stays
        self._drawn[view_id] = (str(response["view"]["hash"]), changed_at)
        self._drawn.move_to_end(view_id)
        while len(self._drawn) > self.LIMIT:
            self._drawn.popitem(last=False)


def _changed_at(body: dict[str, Any]) -> float:
    try:
        return float(used_action(body).get("action_ts") or 0)
    except ValueError:
        return 0.0


def register(on: Listeners, services: Services) -> None:
    redraws = Redraws()

    async def changed(
        ack: Ack,
        body: dict[str, Any],
        submission: Submission,
        metadata: PayMetadata,
        client: AsyncWebClient,
        person: LazyPerson,
    ) -> None:
        await ack()
        arrival = redraws.arrived()
        payer = await person
        link = await services.links.link_for(submission.team_id, metadata.channel_id)
        case = await services.cases.case_view(link, metadata.bill_id)
        if case is None:
            raise OutOfDate(FORM_OUT_OF_DATE)
        entry = PayEntry(
            account_id=field_value(body, Input.PAY_ACCOUNT),
            amount=field_value(body, Input.PAY_AMOUNT) or "",
            rate=field_value(body, Input.PAY_RATE) or "",
            payment_date=field_value(body, Input.PAY_DATE),
            reference=field_value(body, Input.PAY_REFERENCE),
        )
        today = payer.today(services.clock())
        view = pay_modal(case, metadata, locale=metadata.locale, today=today, entry=entry)
        seen = body["view"].get("hash") if isinstance(body.get("view"), dict) else None
        await redraws.draw(
            client,
            submission.view_id,
            seen,
            _changed_at(body),
            view,
            arrival=arrival,
            entered=entered_in(body),
        )

    for action_id in (Input.PAY_ACCOUNT, Input.PAY_AMOUNT, Input.PAY_RATE, Input.PAY_DATE):
        on.view_action(action_id, PayMetadata)(changed)

    @on.app.middleware
    async def note_pay_submissions(body: dict[str, Any], next: Callable[[], Awaitable[Any]]) -> Any:
        """Bolt middleware: a Pay modal's submission is noted before its listener runs. The
        payload is read leniently: Bolt hands a middleware whatever passed the gate
        (`billpay.slack.gate`)."""
        view = as_dict(body.get("view"))
        if (
            body.get("type") == "view_submission"
            and view.get("callback_id") == Callback.PAY
            and isinstance(view.get("id"), str)
        ):
            redraws.submitted(view["id"], entered_in(body))
        return await next()
