"""The one error boundary: every listener is registered through `Listeners`, which parses the
request's typed parts before the listener runs and answers whatever the listener raises.

Bolt acks an HTTP request when the listener calls `ack()` and runs the rest of it afterwards; an
exception escaping a listener is only logged by Bolt (and, raised just after `ack()`, can even
make Bolt drop the answer it had, so Slack shows "didn't respond"). So no exception escapes:
each is worded by `billpay.slack.explain.explain` in the person's language (their Slack locale) and
answered on the surface the person is looking at:

- a modal submission not yet acked: field errors, or the modal turns into the message;
- a modal already showing progress (or a placeholder the listener opened): the message there;
- a button on a message or a slash command: an ephemeral message (`respond`);
- anything else (events, App Home): the log only.

A fault that is ours is logged with its traceback under the reference the person is given.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from slack_bolt.async_app import AsyncApp
from slack_bolt.kwargs_injection.async_args import AsyncArgs
from slack_bolt.kwargs_injection.async_utils import build_async_required_kwargs
from slack_bolt.response import BoltResponse
from slack_bolt.util.utils import get_arg_names_of_callable

from billpay.core.errors import FORM_OUT_OF_DATE, FieldErrors, OutOfDate
from billpay.core.i18n import N_, words
from billpay.slack.blocks.metadata import Payload
from billpay.slack.blocks.modals import error_modal
from billpay.slack.envelope import (
    action_value,
    click_of,
    command_of,
    response_url_ok,
    submission_of,
    team_of,
)
from billpay.slack.explain import explain
from billpay.slack.people import People

log = logging.getLogger(__name__)

NOTHING_CHANGED = N_("Nothing was changed.")
NOTHING_PAID = N_("Nothing was paid.")
# How long an answer may wait to learn the reader's language (usually cached by the listener).
LOCALE_WAIT_SECONDS = 1.0
_SLACK_ID = re.compile(r"^[A-Z0-9]{2,24}$")
# The context key a listener sets to the id of a modal it opened, so errors show there.
SHOWN_VIEW = "billpay_shown_view"

# Listener runs not finished yet (Bolt runs them after the ack), for a clean shutdown.
in_flight: set[asyncio.Task[Any]] = set()

Listener = Callable[..., Awaitable[None]]
L = TypeVar("L", bound=Listener)


class Listeners:
    """Registers Bolt listeners behind the boundary.

    A listener names what it needs, as with Bolt (`ack`, `client`, `respond`, `body`...), plus
    the typed parts this class puts in Bolt's context: `click` (buttons), `value` (the button's
    typed value), `submission` and `metadata` (modals), `slash` (slash commands; Bolt's
    own `command` is the raw body)."""

    def __init__(self, app: AsyncApp, *, slack_hosts: frozenset[str], people: People) -> None:
        self.app = app
        self.slack_hosts = slack_hosts
        self.people = people

    def _answerable(self, body: dict[str, Any], *, required: bool = False) -> dict[str, Any]:
        """Refuse a request whose answer would go somewhere other than Slack."""
        if (required or "response_url" in body) and not response_url_ok(
            body.get("response_url"), self.slack_hosts
        ):
            raise OutOfDate()
        return {}

    def action(
        self,
        action_id: str | re.Pattern[str],
        value: type[Payload] | None,
        *,
        consequence: str = NOTHING_CHANGED,
    ) -> Callable[[L], L]:
        """A button or menu; `value` is the model of its value (None: the listener reads
        nothing from the request)."""

        def parse(body: dict[str, Any]) -> dict[str, Any]:
            self._answerable(body)
            if value is None:
                return {}
            parsed = value.load(action_value(body))
            if parsed is None:
                raise OutOfDate()
            return {"click": click_of(body), "value": parsed}

        return self._register(self.app.action(action_id), parse, consequence)

    def view_action(
        self, action_id: str, metadata: type[Payload], *, consequence: str = NOTHING_CHANGED
    ) -> Callable[[L], L]:
        """An input of an open modal that tells the bot when it changes (`dispatch_action`);
        `metadata` is the model of the modal's `private_metadata`."""

        def parse(body: dict[str, Any]) -> dict[str, Any]:
            view = body.get("view")
            text = view.get("private_metadata") if isinstance(view, dict) else None
            parsed = metadata.load(text if isinstance(text, str) else None)
            if parsed is None:
                raise OutOfDate(FORM_OUT_OF_DATE)
            return {"submission": submission_of(body), "metadata": parsed}

        return self._register(self.app.action(action_id), parse, consequence)

    def view(
        self,
        callback_id: str | re.Pattern[str],
        metadata: type[Payload] | None,
        *,
        consequence: str = NOTHING_CHANGED,
    ) -> Callable[[L], L]:
        def parse(body: dict[str, Any]) -> dict[str, Any]:
            if metadata is None:
                return {}
            view = body.get("view")
            text = view.get("private_metadata") if isinstance(view, dict) else None
            parsed = metadata.load(text if isinstance(text, str) else None)
            if parsed is None:
                raise OutOfDate(FORM_OUT_OF_DATE)
            return {"submission": submission_of(body), "metadata": parsed}

        return self._register(self.app.view(callback_id), parse, consequence)

    def command(self, name: str, *, consequence: str = NOTHING_CHANGED) -> Callable[[L], L]:
        return self._register(
            self.app.command(name),
            lambda body: self._answerable(body, required=True) | {"slash": command_of(body)},
            consequence,
        )

    def options(self, action_id: str | re.Pattern[str]) -> Callable[[L], L]:
        """An external select's type-ahead (`block_suggestion`); a failure answers no options."""
        return self._register(self.app.options(action_id), lambda body: {}, NOTHING_CHANGED)

    def shortcut(self, callback_id: str, *, consequence: str = NOTHING_CHANGED) -> Callable[[L], L]:
        """A global or message shortcut; its answers go to its `response_url` when it has one."""
        return self._register(
            self.app.shortcut(callback_id), lambda body: self._answerable(body), consequence
        )

    def event(self, name: str) -> Callable[[L], L]:
        return self._register(self.app.event(name), lambda body: {}, NOTHING_CHANGED)

    def _register(
        self,
        bolt_decorator: Callable[[Callable[..., Any]], Any],
        parse: Callable[[dict[str, Any]], dict[str, Any]],
        consequence: str,
    ) -> Callable[[L], L]:
        def decorate(listener: L) -> L:
            names = get_arg_names_of_callable(listener)

            # Bolt passes everything as `args` to a function whose only parameter is named so.
            async def guarded(args: AsyncArgs) -> None:
                task = asyncio.current_task()
                if task is not None:
                    in_flight.add(task)
                    task.add_done_callback(in_flight.discard)
                try:
                    args.context.update(parse(args.body))
                    kwargs = build_async_required_kwargs(
                        logger=log,
                        required_arg_names=list(names),
                        request=args.request,
                        response=None,
                        next_keys_required=False,
                    )
                    await listener(**kwargs)
                except Exception as error:  # the boundary: every error gets its answer here
                    await answer(error, args, consequence, self.slack_hosts, self.people)

            guarded.__name__ = guarded.__qualname__ = listener.__name__
            bolt_decorator(guarded)
            return listener

        return decorate


async def answer(
    error: Exception,
    args: AsyncArgs,
    consequence: str,
    slack_hosts: frozenset[str],
    people: People,
) -> None:
    """Tell the person what happened, in their language, on the surface they are looking at."""
    body = args.body if isinstance(args.body, dict) else {}
    kind = str(body.get("type") or ("slash_command" if "command" in body else "request"))
    locale = await _locale_of(body, args, people)
    explanation = explain(error, consequence, locale)
    if explanation.ours:
        log.error("%s failed, reference %s", kind, explanation.reference, exc_info=error)
    else:
        log.info("%s answered: %r", kind, error)
    try:
        await _tell(error, args, body, kind, explanation.text, locale, slack_hosts)
    except Exception as exc:  # e.g. a tampered response_url or view id: nowhere to answer
        log.warning("could not tell the person about %s: %r", explanation.reference, exc)


async def _locale_of(body: dict[str, Any], args: AsyncArgs, people: People) -> str:
    """The reader's locale: from Slack (cached), else the default; never worth failing for."""
    user = body.get("user")
    user_id = user.get("id") if isinstance(user, dict) else body.get("user_id")
    team_id = team_of(body)
    if not all(isinstance(i, str) and _SLACK_ID.match(i) for i in (user_id, team_id)):
        return people.default_locale  # a request we refuse anyway asks Slack nothing
    assert isinstance(user_id, str) and isinstance(team_id, str)
    try:
        person = await people.get(args.client, team_id, user_id, wait=LOCALE_WAIT_SECONDS)
    except Exception as exc:  # a malformed id, say: the default language will do
        log.warning("could not learn the locale of %s: %r", user_id, exc)
        return people.default_locale
    return person.locale


async def _tell(
    error: Exception,
    args: AsyncArgs,
    body: dict[str, Any],
    kind: str,
    text: str,
    locale: str,
    slack_hosts: frozenset[str],
) -> None:
    ack = args.ack
    acked = ack.response is not None
    view = body.get("view")
    title = view.get("title") if isinstance(view, dict) else None
    title_text = title.get("text") if isinstance(title, dict) else None
    shown_title = title_text if isinstance(title_text, str) else "Bill Pay"
    if kind == "view_submission" and not acked:
        if isinstance(error, FieldErrors):
            _ = words(locale)
            errors = {block: _(message) for block, message in error.errors.items()}
            await ack(response_action="errors", errors=errors)
        else:
            await ack(response_action="update", view=error_modal(shown_title, text))
        return
    if not acked:
        await (ack(options=[]) if kind == "block_suggestion" else ack())
    shown = args.context.get(SHOWN_VIEW)
    metadata = args.context.get("metadata")
    if shown is None and kind == "view_submission":
        channel_id = getattr(metadata, "channel_id", None)
        if _closed(ack.response) and isinstance(channel_id, str):
            # The listener closed the modal: the person is back in the card's channel.
            user_id = submission_of(body).user_id
            await args.client.chat_postEphemeral(channel=channel_id, user=user_id, text=text)
            return
        shown = submission_of(body).view_id  # OutOfDate if it isn't a view id: nothing to update
    if shown:
        await args.client.views_update(view_id=shown, view=error_modal(shown_title, text))
    elif kind in ("block_actions", "slash_command", "message_action") and response_url_ok(
        body.get("response_url"), slack_hosts
    ):
        await args.respond(text=text, response_type="ephemeral", replace_original=False)


def _closed(response: BoltResponse | None) -> bool:
    """Did this ack of a modal submission close the modal (no `response_action`)?"""
    return response is not None and "response_action" not in str(response.body or "")


async def settled() -> None:
    """Wait until every listener run started so far has finished."""
    pending = {task for task in in_flight if task is not asyncio.current_task()}
    if pending:
        await asyncio.wait(pending)
