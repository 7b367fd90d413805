"""The one error boundary: every listener is registered through `Listeners`, which parses the
request's typed parts before the listener runs, hands it the person behind the request, and
answers whatever the listener raises.

Bolt acks an HTTP request when the listener calls `ack()` and runs the rest of it afterwards; an
exception escaping a listener is only logged by Bolt (and, raised just after `ack()`, can even
make Bolt drop the answer it had, so Slack shows "didn't respond"). So no exception escapes:
each is worded by `billpay.slack.explain.explain` in the person's language (their Slack locale) and
answered on the surface the person is looking at:

- a modal submission not yet acked: field errors, or the modal turns into the message;
- a modal already showing progress (or a placeholder the listener opened): the message there;
- a slash command whose placeholder shows (`billpay.slack.budget`): the message in its place;
- a button on a message or a slash command: an ephemeral message (`respond`);

A button on a message whose listener is still at work after about a second (reading the
payables API) tells the person so, once (`_noted`): Slack shows nothing of a click until the
bot answers.
- anything else (events, App Home): the log only.

A fault that is ours is logged with its traceback under the reference the person is given.

Bolt is used through its documented surface only: the listener Bolt calls names the arguments
Bolt documents (`ack`, `body`, `client`, `context`, `respond`); the boundary then calls the
area's listener with the arguments it names, and `ack` is wrapped (`Ack`) so the boundary
knows whether and how the request was answered. Listeners that share one Bolt route (the card's
overflow menu, the `/billpay` verbs) are told apart by Bolt listener matchers.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from billpay.core.errors import FORM_OUT_OF_DATE, FieldErrors, OutOfDate
from billpay.core.i18n import N_, words
from billpay.slack.blocks.metadata import Payload
from billpay.slack.blocks.modals import error_modal
from billpay.slack.envelope import (
    action_value,
    as_dict,
    click_of,
    command_of,
    response_url_ok,
    submission_of,
    team_of,
)
from billpay.slack.explain import explain
from billpay.slack.people import LazyPerson, People

log = logging.getLogger(__name__)

NOTHING_CHANGED = N_("Nothing was changed.")
NOTHING_PAID = N_("Nothing was paid.")
STILL_WORKING = N_(
    "Waiting for the accounting platform to answer; this can take a few seconds. Nothing needs "
    "clicking again."
)
HOURGLASS = ":hourglass_flowing_sand:"
# How long an answer may wait to learn the reader's language (usually cached by the listener).
LOCALE_WAIT_SECONDS = 1.0
_SLACK_ID = re.compile(r"^[A-Z0-9]{2,24}$")
# The context key a listener sets to the id of a modal it opened, so errors show there.
SHOWN_VIEW = "billpay_shown_view"
# The context key set while a slash command's placeholder shows, so errors replace it.
SHOWN_PLACEHOLDER = "billpay_shown_placeholder"

# Listener runs not finished yet (Bolt runs them after the ack), for a clean shutdown.
in_flight: set[asyncio.Task[Any]] = set()

Listener = Callable[..., Awaitable[None]]
L = TypeVar("L", bound=Listener)
P = TypeVar("P", bound=Payload)
Parse = Callable[[dict[str, Any]], dict[str, Any]]
# What every listener may name besides the typed parts its registration parses.
COMMON_ARGUMENTS = frozenset({"ack", "body", "client", "context", "respond", "event", "person"})


class Ack:
    """Bolt's `ack`, noting whether and how it was called: the boundary's answer to a failure
    depends on it (a modal submission not yet acked is answered in the ack itself)."""

    def __init__(self, ack: AsyncAck, *, acked: bool = False) -> None:
        self._ack = ack
        self.acked = acked
        self.answer: dict[str, Any] = {}

    async def __call__(self, **answer: Any) -> None:
        await self._ack(**answer)
        self.acked = True
        self.answer = answer

    @property
    def closed_modal(self) -> bool:
        """Did this ack of a modal submission close the modal (no `response_action`)?"""
        return self.acked and "response_action" not in self.answer


@dataclass(frozen=True)
class Request:
    """One request as the boundary answers it."""

    ack: Ack
    body: dict[str, Any]
    client: AsyncWebClient
    context: AsyncBoltContext
    respond: AsyncRespond | None


class Listeners:
    """Registers Bolt listeners behind the boundary.

    A listener names what it needs, as with Bolt (`ack`, `client`, `respond`, `body`,
    `context`, `event`), plus `person` (the `LazyPerson` behind the request) and the typed
    parts its registration parses: `click` (buttons), `value` (the button's typed value),
    `submission` and `metadata` (modals), `slash` (slash commands)."""

    def __init__(
        self,
        app: AsyncApp,
        *,
        slack_hosts: frozenset[str],
        people: People,
        patience: Callable[[], Awaitable[object]] | None = None,
    ) -> None:
        self.app = app
        self.slack_hosts = slack_hosts
        self.people = people
        # A wait (about a second, on the services' clock) after which a button on a message
        # whose listener is still at work tells the person so (`_noted`); None: never.
        self.patience = patience
        # The verbs each command's listeners serve; its listener without one serves the rest.
        self._verbs: dict[str, list[str]] = {}

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
        value: type[P] | None,
        *,
        when: Callable[[P], bool] | None = None,
        consequence: str = NOTHING_CHANGED,
    ) -> Callable[[L], L]:
        """A button or menu; `value` is the model of its value (None: the listener reads
        nothing from the request). With `when`, the listener serves only the values it
        accepts (the options of one menu, say), and others go to the listener that does."""

        def parse(body: dict[str, Any]) -> dict[str, Any]:
            # Slack sends a response_url with every click on a message; the listeners answer
            # through it, so a click on a message without one has nowhere to be answered.
            on_message = as_dict(body.get("container")).get("type") == "message"
            self._answerable(body, required=on_message)
            if value is None:
                return {}
            parsed = value.load(action_value(body))
            if parsed is None:
                raise OutOfDate()
            return {"click": click_of(body), "value": parsed}

        matchers: list[Callable[..., Awaitable[bool]]] = []
        if value is not None and when is not None:
            model, accepts = value, when

            async def chosen(body: dict[str, Any]) -> bool:
                parsed = model.load(action_value(body))
                return parsed is not None and accepts(parsed)

            matchers.append(chosen)
        return self._register(
            self.app.action(action_id, matchers=matchers), parse, consequence, noted=True
        )

    def view_action(
        self, action_id: str, metadata: type[Payload], *, consequence: str = NOTHING_CHANGED
    ) -> Callable[[L], L]:
        """An input of an open modal that tells the bot when it changes (`dispatch_action`);
        `metadata` is the model of the modal's `private_metadata`."""
        return self._register(self.app.action(action_id), _form(metadata), consequence)

    def view(
        self,
        callback_id: str | re.Pattern[str],
        metadata: type[Payload] | None,
        *,
        consequence: str = NOTHING_CHANGED,
    ) -> Callable[[L], L]:
        parse = _form(metadata) if metadata is not None else _nothing
        return self._register(self.app.view(callback_id), parse, consequence)

    def command(
        self, name: str, *, verb: str | None = None, consequence: str = NOTHING_CHANGED
    ) -> Callable[[L], L]:
        """A slash command. With `verb` (`digest`, `account new`), the listener serves only the
        command's text that says it (the whole text, or its first word); a listener of the
        same command without one serves every text no verb claims."""
        verbs = self._verbs.setdefault(name, [])
        if verb is not None:
            verbs.append(verb)

        async def says_it(body: dict[str, Any]) -> bool:
            return _says(body, verb) if verb is not None else not any(_says(body, v) for v in verbs)

        return self._register(
            self.app.command(name, matchers=[says_it]),
            lambda body: self._answerable(body, required=True) | {"slash": command_of(body)},
            consequence,
        )

    def options(self, action_id: str | re.Pattern[str]) -> Callable[[L], L]:
        """An external select's type-ahead (`block_suggestion`); a failure answers no options."""
        return self._register(self.app.options(action_id), _nothing, NOTHING_CHANGED)

    def shortcut(self, callback_id: str, *, consequence: str = NOTHING_CHANGED) -> Callable[[L], L]:
        """A global or message shortcut; its answers go to its `response_url` when it has one."""
        return self._register(
            self.app.shortcut(callback_id), lambda body: self._answerable(body), consequence
        )

    def event(self, name: str) -> Callable[[L], L]:
        # Bolt acks an event itself before any listener runs.
        return self._register(self.app.event(name), _nothing, NOTHING_CHANGED, acked=True)

    def _register(
        self,
        bolt_decorator: Callable[[Callable[..., Any]], Any],
        parse: Parse,
        consequence: str,
        *,
        acked: bool = False,
        noted: bool = False,
    ) -> Callable[[L], L]:
        def decorate(listener: L) -> L:
            names = _argument_names(listener)

            async def guarded(
                ack: AsyncAck,
                body: dict[str, Any],
                client: AsyncWebClient,
                context: AsyncBoltContext,
                respond: AsyncRespond | None,
            ) -> None:
                _track(asyncio.current_task())
                request = Request(Ack(ack, acked=acked), body, client, context, respond)
                try:
                    parts = parse(body)
                    context.update(parts)
                    person = LazyPerson(self.people, client, *_asker(body, parts))
                    run = listener(**_arguments(names, request, parts, person))
                    if noted and self.patience is not None and _on_a_message(body, respond):
                        await _noted(run, self.patience(), respond, person)
                    else:
                        await run
                except Exception as error:  # the boundary: every error gets its answer here
                    await answer(error, request, consequence, self.slack_hosts, self.people)

            guarded.__name__ = guarded.__qualname__ = listener.__name__
            bolt_decorator(guarded)
            return listener

        return decorate


def _on_a_message(body: dict[str, Any], respond: AsyncRespond | None) -> bool:
    """A click on a message (not in a modal), with a response_url to tell the person by."""
    return respond is not None and as_dict(body.get("container")).get("type") == "message"


async def _noted(
    run: Awaitable[None],
    patience: Awaitable[object],
    respond: AsyncRespond | None,
    person: LazyPerson,
) -> None:
    """Run a button's listener; if it is still at work when `patience` ends (it is waiting on
    the payables API), the person is told so in words only they see. A button's response_url
    replaces the message clicked, so the note cannot be taken back: it says only what stays
    true, and the card or the answer that follows says the rest."""
    task = asyncio.ensure_future(run)
    waiting = asyncio.ensure_future(patience)
    try:
        await asyncio.wait({task, waiting}, return_when=asyncio.FIRST_COMPLETED)
        if not task.done() and respond is not None:
            try:
                reader = await person
                text = f"{HOURGLASS} {words(reader.locale)(STILL_WORKING)}"
                await respond(text=text, response_type="ephemeral", replace_original=False)
            except Exception as exc:  # the answer itself may still get through
                log.warning("could not say a click is still at work: %r", exc)
        await task
    except asyncio.CancelledError:
        task.cancel()
        raise
    finally:
        waiting.cancel()


def _nothing(body: dict[str, Any]) -> dict[str, Any]:
    return {}


def _form(metadata: type[Payload]) -> Parse:
    """A modal's submission or change: who and which view, and its `private_metadata`."""

    def parse(body: dict[str, Any]) -> dict[str, Any]:
        text = as_dict(body.get("view")).get("private_metadata")
        parsed = metadata.load(text if isinstance(text, str) else None)
        if parsed is None:
            raise OutOfDate(FORM_OUT_OF_DATE)
        return {"submission": submission_of(body), "metadata": parsed}

    return parse


def _says(body: dict[str, Any], verb: str) -> bool:
    """Does a slash command's text say `verb` (all of it, or its first word)?"""
    text = body.get("text")
    folded = " ".join(text.split()).lower() if isinstance(text, str) else ""
    return folded == verb or folded.partition(" ")[0] == verb


def _argument_names(listener: Listener) -> tuple[str, ...]:
    names = tuple(inspect.signature(listener).parameters)
    known = COMMON_ARGUMENTS | {"click", "value", "submission", "metadata", "slash"}
    unknown = [name for name in names if name not in known]
    if unknown:
        raise TypeError(f"{listener.__name__} asks for {unknown}, which no request carries")
    return names


def _arguments(
    names: tuple[str, ...], request: Request, parts: dict[str, Any], person: LazyPerson
) -> dict[str, Any]:
    available: dict[str, Any] = {
        "ack": request.ack,
        "body": request.body,
        "client": request.client,
        "context": request.context,
        "respond": request.respond,
        "event": as_dict(request.body.get("event")),
        "person": person,
        **parts,
    }
    return {name: available.get(name) for name in names}


def _asker(body: dict[str, Any], parts: dict[str, Any]) -> tuple[Any, Any]:
    """The team and user a request comes from: as its typed parts read them, else as Slack
    puts them in an event or interaction payload."""
    for name in ("click", "submission", "slash"):
        if name in parts:
            return parts[name].team_id, parts[name].user_id
    event = body.get("event")
    if isinstance(event, dict):
        return body.get("team_id"), event.get("user")
    return team_of(body), as_dict(body.get("user")).get("id") or body.get("user_id")


def _track(task: asyncio.Task[Any] | None) -> None:
    if task is not None:
        in_flight.add(task)
        task.add_done_callback(in_flight.discard)


async def answer(
    error: Exception,
    request: Request,
    consequence: str,
    slack_hosts: frozenset[str],
    people: People,
) -> None:
    """Tell the person what happened, in their language, on the surface they are looking at."""
    body = request.body if isinstance(request.body, dict) else {}
    kind = str(body.get("type") or ("slash_command" if "command" in body else "request"))
    locale = await _locale_of(body, request.client, people)
    explanation = explain(error, consequence, locale)
    if explanation.ours:
        log.error("%s failed, reference %s", kind, explanation.reference, exc_info=error)
    else:
        log.info("%s answered: %r", kind, error)
    try:
        await _tell(error, request, body, kind, explanation.text, locale, slack_hosts)
    except Exception as exc:  # e.g. a tampered response_url or view id: nowhere to answer
        log.warning("could not tell the person about %s: %r", explanation.reference, exc)


async def _locale_of(body: dict[str, Any], client: AsyncWebClient, people: People) -> str:
    """The reader's locale: from Slack (cached), else the default; never worth failing for."""
    user = body.get("user")
    user_id = user.get("id") if isinstance(user, dict) else body.get("user_id")
    team_id = team_of(body)
    if not all(isinstance(i, str) and _SLACK_ID.match(i) for i in (user_id, team_id)):
        return people.default_locale  # a request we refuse anyway asks Slack nothing
    assert isinstance(user_id, str) and isinstance(team_id, str)
    try:
        person = await people.get(client, team_id, user_id, wait=LOCALE_WAIT_SECONDS)
    except Exception as exc:  # a malformed id, say: the default language will do
        log.warning("could not learn the locale of %s: %r", user_id, exc)
        return people.default_locale
    return person.locale


async def _tell(
    error: Exception,
    request: Request,
    body: dict[str, Any],
    kind: str,
    text: str,
    locale: str,
    slack_hosts: frozenset[str],
) -> None:
    ack = request.ack
    view = body.get("view")
    title = view.get("title") if isinstance(view, dict) else None
    title_text = title.get("text") if isinstance(title, dict) else None
    shown_title = title_text if isinstance(title_text, str) else "Bill Pay"
    if kind == "view_submission" and not ack.acked:
        if isinstance(error, FieldErrors):
            _ = words(locale)
            errors = {block: _(message) for block, message in error.errors.items()}
            await ack(response_action="errors", errors=errors)
        else:
            await ack(response_action="update", view=error_modal(shown_title, text, locale=locale))
        return
    if not ack.acked:
        await (ack(options=[]) if kind == "block_suggestion" else ack())
    shown = request.context.get(SHOWN_VIEW)
    metadata = request.context.get("metadata")
    if shown is None and kind == "view_submission":
        channel_id = getattr(metadata, "channel_id", None)
        if ack.closed_modal and isinstance(channel_id, str):
            # The listener closed the modal: the person is back in the card's channel.
            user_id = submission_of(body).user_id
            await request.client.chat_postEphemeral(channel=channel_id, user=user_id, text=text)
            return
        shown = submission_of(body).view_id  # OutOfDate if it isn't a view id: nothing to update
    if shown:
        await request.client.views_update(
            view_id=shown, view=error_modal(shown_title, text, locale=locale)
        )
    elif (
        kind in ("block_actions", "slash_command", "message_action")
        and request.respond is not None
        and response_url_ok(body.get("response_url"), slack_hosts)
    ):
        # A placeholder the command's response_url posted is the message it replaces.
        placeholder = kind == "slash_command" and bool(request.context.get(SHOWN_PLACEHOLDER))
        await request.respond(text=text, response_type="ephemeral", replace_original=placeholder)


async def settled() -> None:
    """Wait until every listener run started so far has finished."""
    pending = {task for task in in_flight if task is not asyncio.current_task()}
    if pending:
        await asyncio.wait(pending)
