"""Invoices and conversations on a card: the overflow's View invoice, Attach invoice and Ask a
question, their modals, a question's Mark resolved, and replies in a card's thread that read
as an approval (the `message` event), which only ever offer an Approve button.

`register` returns the overflow choices it serves, so the card's overflow listener
(`handlers/actions.py`) hands them over.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from pydantic import TypeAdapter, ValidationError
from slack_bolt.async_app import AsyncAck, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from billpay.bills.questions import question_problem, reads_as_approval
from billpay.core.bounds import INVOICE_MAX_BYTES
from billpay.core.domain import CaseRef
from billpay.core.errors import FieldErrors, OutOfDate
from billpay.core.i18n import N_, words
from billpay.invoices.files import InvoiceProblem, SlackFiles, check
from billpay.services import Services
from billpay.slack.blocks.ids import Action, Callback, Input, MoreOption
from billpay.slack.blocks.invoices import (
    already_shared,
    attach_modal,
    attached_line,
    shared_comment,
)
from billpay.slack.blocks.metadata import (
    AskMetadata,
    AttachMetadata,
    MessageTs,
    MoreAction,
    QuestionAction,
    ReplyApproval,
    SlackId,
)
from billpay.slack.blocks.modals import done_modal, waiting_modal
from billpay.slack.blocks.questions import (
    approve_prompt,
    ask_modal,
    question_message,
    resolved_line,
)
from billpay.slack.blocks.text import plain
from billpay.slack.boundary import Listeners
from billpay.slack.envelope import Click, Submission, as_dict, field_element, field_value
from billpay.slack.people import People
from billpay.slack.publisher import Publisher

log = logging.getLogger(__name__)
_SLACK_ID: TypeAdapter[str] = TypeAdapter(SlackId)
_TS: TypeAdapter[str] = TypeAdapter(MessageTs)
ATTACH_TITLE = N_("Attach invoice")

MoreChoice = Callable[
    [Click, MoreAction, dict[str, Any], AsyncRespond, AsyncWebClient], Awaitable[None]
]


def _valid(adapter: TypeAdapter[str], value: Any) -> str | None:
    try:
        return adapter.validate_python(value)
    except ValidationError:
        return None


def picked_file(body: dict[str, Any]) -> dict[str, Any] | None:
    """The one file of the Attach invoice modal's file input, as Slack describes it."""
    files = field_element(body, Input.ATTACH_FILE).get("files")
    if not isinstance(files, list) or len(files) != 1 or not isinstance(files[0], dict):
        return None
    return files[0]


def register(on: Listeners, services: Services, people: People) -> dict[MoreOption, MoreChoice]:
    workflow = services.workflow
    publisher = services.must_publish()
    files = SlackFiles(publisher.client, services.settings.slack_api_url)

    async def tell(respond: AsyncRespond, text: str) -> None:
        await respond(text=text, response_type="ephemeral", replace_original=False)

    # ------------------------------------------------------------ the overflow's choices

    async def view_invoice(
        click: Click,
        value: MoreAction,
        body: dict[str, Any],
        respond: AsyncRespond,
        client: AsyncWebClient,
    ) -> None:
        ref = click.case(value.bill_id)
        if not click.message_ts:
            raise OutOfDate()
        person = await people.get(client, click.team_id, click.user_id, wait=1.0)
        claim = await workflow.invoices.claim_share(ref, click.user_id)
        if claim.permalink is not None:
            await tell(respond, already_shared(claim.permalink, person.locale))
            return
        try:
            ids, link = await publisher.share_files(
                click.team_id,
                click.channel_id,
                click.message_ts,
                [(f.name, f.content) for f in claim.files],
                shared_comment(claim.case, click.user_id, person.locale),
            )
        except BaseException:
            await workflow.invoices.share_failed(ref)
            raise
        await workflow.invoices.shared(ref, click.user_id, ids, link)

    async def attach_invoice(
        click: Click,
        value: MoreAction,
        body: dict[str, Any],
        respond: AsyncRespond,
        client: AsyncWebClient,
    ) -> None:
        case = await workflow.invoices.check_may_attach(click.case(value.bill_id))
        person = await people.get(client, click.team_id, click.user_id, wait=1.0)
        metadata = AttachMetadata(
            channel_id=click.channel_id, message_ts=click.message_ts, bill_id=value.bill_id
        )
        view = attach_modal(
            case, metadata, locale=person.locale, today=person.today(services.clock())
        )
        await client.views_open(trigger_id=body["trigger_id"], view=view)

    async def ask(
        click: Click,
        value: MoreAction,
        body: dict[str, Any],
        respond: AsyncRespond,
        client: AsyncWebClient,
    ) -> None:
        case, default = await workflow.questions.check_may_ask(click.case(value.bill_id))
        person = await people.get(client, click.team_id, click.user_id, wait=1.0)
        metadata = AskMetadata(
            channel_id=click.channel_id, message_ts=click.message_ts, bill_id=value.bill_id
        )
        view = ask_modal(
            case,
            metadata,
            default_person=default,
            locale=person.locale,
            today=person.today(services.clock()),
        )
        await client.views_open(trigger_id=body["trigger_id"], view=view)

    # ------------------------------------------------------------ the modals

    @on.view(Callback.ATTACH, AttachMetadata)
    async def attach_submitted(
        ack: AsyncAck,
        body: dict[str, Any],
        submission: Submission,
        metadata: AttachMetadata,
        client: AsyncWebClient,
    ) -> None:
        person = await people.get(client, submission.team_id, submission.user_id, wait=1.0)
        _ = words(person.locale)
        file = picked_file(body)
        if file is None:
            raise FieldErrors({Input.ATTACH_FILE: _("Choose one file: the bill's invoice.")})
        name = file.get("name") or file.get("title")
        name = name if isinstance(name, str) else ""
        size = file.get("size")
        try:
            check(name, size if isinstance(size, int) else 0)  # again on upload, per platform
        except InvoiceProblem as problem:
            raise FieldErrors({Input.ATTACH_FILE: _(problem.phrase)}) from None
        url = file.get("url_private_download") or file.get("url_private")
        if not files.readable(url):
            problem_text = _("Slack didn't give that file to Bill Pay; choose it again.")
            raise FieldErrors({Input.ATTACH_FILE: problem_text})
        await ack(
            response_action="update",
            view=waiting_modal(
                ATTACH_TITLE, _("Attaching {name}…", name=plain(name, 100)), locale=person.locale
            ),
        )
        assert isinstance(url, str)
        assert isinstance(size, int)
        content = await files.read(submission.team_id, url, size=size, max_bytes=INVOICE_MAX_BYTES)
        ref = CaseRef(submission.team_id, metadata.channel_id, metadata.bill_id)
        await workflow.invoices.attach(ref, submission.user_id, name=name, content=content)
        await Publisher.quietly(
            publisher.bill_changed_here(
                submission.team_id, metadata.channel_id, metadata.bill_id, metadata.message_ts
            ),
            "update the cards",
        )
        await Publisher.quietly(
            publisher.thread_line(
                submission.team_id,
                metadata.channel_id,
                metadata.message_ts,
                attached_line(submission.user_id, name, len(content), person.locale),
            ),
            "post the line",
        )
        await Publisher.quietly(
            client.views_update(
                view_id=submission.view_id,
                view=done_modal(
                    ATTACH_TITLE,
                    _("Attached {name} to the bill.", name=plain(name, 100)),
                    locale=person.locale,
                ),
            ),
            "show the result",
        )

    @on.view(Callback.ASK, AskMetadata)
    async def ask_submitted(
        ack: AsyncAck,
        body: dict[str, Any],
        submission: Submission,
        metadata: AskMetadata,
        client: AsyncWebClient,
    ) -> None:
        person = await people.get(client, submission.team_id, submission.user_id, wait=1.0)
        _ = words(person.locale)
        text = (field_value(body, Input.ASK_TEXT) or "").strip()
        asked_of = _valid(_SLACK_ID, field_element(body, Input.ASK_WHO).get("selected_user"))
        errors: dict[str, str] = {}
        if problem := question_problem(text):
            errors[Input.ASK_TEXT] = _(problem)
        if asked_of is None:
            errors[Input.ASK_WHO] = _("Choose whom to ask.")
        if errors:
            raise FieldErrors(errors)
        assert asked_of is not None
        await ack()
        ref = CaseRef(submission.team_id, metadata.channel_id, metadata.bill_id)
        case, question = await workflow.questions.ask(
            ref, submission.user_id, asked_of, text, metadata.message_ts
        )
        if metadata.message_ts:
            await Publisher.quietly(
                publisher.thread_message(
                    submission.team_id,
                    metadata.channel_id,
                    metadata.message_ts,
                    question_message(case, question, locale=person.locale),
                ),
                "post the question",
            )
        await Publisher.quietly(
            publisher.bill_changed_here(
                submission.team_id, metadata.channel_id, metadata.bill_id, metadata.message_ts
            ),
            "update the cards",
        )

    # ------------------------------------------------------------ buttons in the thread

    @on.action(Action.RESOLVE_QUESTION, QuestionAction)
    async def resolve(
        ack: AsyncAck,
        click: Click,
        value: QuestionAction,
        respond: AsyncRespond,
        body: dict[str, Any],
        client: AsyncWebClient,
    ) -> None:
        await ack()
        await workflow.questions.resolve(
            click.case(value.bill_id), click.user_id, value.question_id
        )
        person = await people.get(client, click.team_id, click.user_id, wait=1.0)
        thread_ts = _valid(_TS, as_dict(body.get("message")).get("thread_ts"))
        await Publisher.quietly(
            publisher.thread_line(
                click.team_id,
                click.channel_id,
                thread_ts,
                resolved_line(click.user_id, person.locale),
            ),
            "post the line",
        )
        await Publisher.quietly(
            publisher.bill_changed_here(click.team_id, click.channel_id, value.bill_id, thread_ts),
            "update the cards",
        )

    @on.action(Action.REPLY_APPROVE, ReplyApproval)
    async def approve_from_reply(
        ack: AsyncAck,
        click: Click,
        value: ReplyApproval,
        respond: AsyncRespond,
        client: AsyncWebClient,
    ) -> None:
        await ack()
        outcome = await workflow.approve(click.case(value.bill_id), click.user_id)
        await Publisher.quietly(
            publisher.bill_changed_here(
                click.team_id, click.channel_id, value.bill_id, value.message_ts
            ),
            "update the cards",
        )
        person = await people.get(client, click.team_id, click.user_id, wait=1.0)
        _ = words(person.locale)
        await respond(
            text=_(outcome.notice) if outcome.notice else _("Approved."),
            response_type="ephemeral",
            replace_original=True,
        )

    @on.action(Action.REPLY_DISMISS, None)
    async def dismiss(ack: AsyncAck, respond: AsyncRespond) -> None:
        await ack()
        await respond(delete_original=True)

    # ------------------------------------------------------------ replies in a card's thread

    @on.event("message")
    async def replied(event: dict[str, Any], body: dict[str, Any], client: AsyncWebClient) -> None:
        # Only people's plain replies in a thread: not the bot's own posts, not edits.
        if event.get("subtype") or event.get("bot_id") or event.get("app_id"):
            return
        team_id = _valid(_SLACK_ID, body.get("team_id"))
        channel_id = _valid(_SLACK_ID, event.get("channel"))
        user_id = _valid(_SLACK_ID, event.get("user"))
        thread_ts = _valid(_TS, event.get("thread_ts"))
        text = event.get("text")
        if None in (team_id, channel_id, user_id, thread_ts) or not isinstance(text, str):
            return
        assert team_id and channel_id and user_id and thread_ts
        if not reads_as_approval(text):
            return
        # Only threads of the bot's own `/bills` messages are read (an unknown thread: nothing).
        if await workflow.message(channel_id, thread_ts) is None:
            return
        cases = await workflow.questions.reply_candidates(team_id, channel_id, thread_ts, user_id)
        if not cases:
            return
        person = await people.get(client, team_id, user_id, wait=1.0)
        await publisher.ephemeral(
            team_id,
            channel_id,
            user_id,
            approve_prompt(
                cases, thread_ts, locale=person.locale, today=person.today(services.clock())
            ),
            thread_ts=thread_ts,
        )

    return {
        MoreOption.VIEW_INVOICE: view_invoice,
        MoreOption.ATTACH_INVOICE: attach_invoice,
        MoreOption.ASK: ask,
    }
