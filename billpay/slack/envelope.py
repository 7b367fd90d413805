"""Who did what, where: the parts of a Slack request every listener needs (team, channel, user,
message, view), read once from the body into small typed models.

Requests are signed, but their contents are still what a client sent: each id must look like a
Slack id, and a request missing one is answered as out of date rather than failing later.
"""

from __future__ import annotations

from typing import Any, TypeVar
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError

from billpay.core.domain import CaseRef
from billpay.core.errors import FORM_OUT_OF_DATE, Denied, OutOfDate
from billpay.core.i18n import N_
from billpay.slack.blocks.metadata import MessageTs, SlackId

MAX_COMMAND_TEXT = 500
_SLACK_ID: TypeAdapter[str] = TypeAdapter(SlackId)
_MESSAGE_TS: TypeAdapter[str] = TypeAdapter(MessageTs)


class Click(BaseModel):
    """A button or menu used on a message."""

    model_config = ConfigDict(frozen=True)
    team_id: SlackId
    channel_id: SlackId
    user_id: SlackId
    message_ts: MessageTs | None = None

    def case(self, bill_id: str) -> CaseRef:
        """The bill this click is about, in the channel it was clicked in."""
        return CaseRef(self.team_id, self.channel_id, bill_id)


class Submission(BaseModel):
    """A modal submitted (or closed)."""

    model_config = ConfigDict(frozen=True)
    team_id: SlackId
    user_id: SlackId
    view_id: SlackId


class Command(BaseModel):
    """A slash command, its text with white space folded."""

    model_config = ConfigDict(frozen=True)
    team_id: SlackId
    channel_id: SlackId
    user_id: SlackId
    text: str

    @property
    def rest(self) -> str:
        """What follows the text's first word, its verb (`connect Acme Ltd`: `Acme Ltd`)."""
        return self.text.partition(" ")[2]


def as_dict(value: Any) -> dict[str, Any]:
    """`value` when it is an object, else an empty one: for parts of a payload read leniently."""
    return value if isinstance(value, dict) else {}


def slack_id(value: Any) -> str | None:
    """`value` when it looks like a Slack id (team, channel, user), else None."""
    try:
        return _SLACK_ID.validate_python(value)
    except ValidationError:
        return None


def message_ts(value: Any) -> str | None:
    """`value` when it looks like a message's ts, else None."""
    try:
        return _MESSAGE_TS.validate_python(value)
    except ValidationError:
        return None


def team_of(body: dict[str, Any]) -> Any:
    return (
        as_dict(body.get("team")).get("id")
        or as_dict(body.get("view")).get("team_id")
        or as_dict(body.get("user")).get("team_id")
        or body.get("team_id")
    )


M = TypeVar("M", bound=BaseModel)


def _parse(model: type[M], fields: dict[str, Any], refusal: Exception) -> M:
    try:
        return model.model_validate(fields)
    except ValidationError:
        raise refusal from None


def click_of(body: dict[str, Any]) -> Click:
    container = as_dict(body.get("container"))
    fields = {
        "team_id": team_of(body),
        "channel_id": as_dict(body.get("channel")).get("id") or container.get("channel_id"),
        "user_id": as_dict(body.get("user")).get("id"),
        "message_ts": container.get("message_ts") or as_dict(body.get("message")).get("ts"),
    }
    return _parse(Click, fields, OutOfDate())


def submission_of(body: dict[str, Any]) -> Submission:
    fields = {
        "team_id": team_of(body),
        "user_id": as_dict(body.get("user")).get("id"),
        "view_id": as_dict(body.get("view")).get("id"),
    }
    return _parse(Submission, fields, OutOfDate(FORM_OUT_OF_DATE))


def command_of(body: dict[str, Any]) -> Command:
    text = body.get("text")
    text = " ".join(text.split()) if isinstance(text, str) else ""
    if len(text) > MAX_COMMAND_TEXT or any(ord(c) < 32 or ord(c) == 127 for c in text):
        raise Denied(
            N_(
                "Keep what follows the command under {limit} characters, without special "
                "characters."
            ),
            limit=MAX_COMMAND_TEXT,
        )
    fields = {
        "team_id": body.get("team_id"),
        "channel_id": body.get("channel_id"),
        "user_id": body.get("user_id"),
        "text": text,
    }
    return _parse(Command, fields, OutOfDate(N_("I couldn't read that command; try it again.")))


SLACK_RESPONSE_HOST = "hooks.slack.com"


def response_url_ok(url: Any, hosts: frozenset[str]) -> bool:
    """Is `url` somewhere Slack would send us to answer? Only Slack's hosts: the bot never
    posts to an address a request names otherwise."""
    if not isinstance(url, str) or len(url) > 500:
        return False
    parts = urlsplit(url)
    return parts.scheme in ("https", "http") and parts.hostname in hosts and not parts.username


def slack_hosts(api_url: str) -> frozenset[str]:
    """Slack's own host for response URLs, and the Web API's (a stand-in Slack's, if so)."""
    return frozenset({SLACK_RESPONSE_HOST, urlsplit(api_url).hostname or SLACK_RESPONSE_HOST})


def used_action(body: dict[str, Any]) -> dict[str, Any]:
    """The element a `block_actions` payload reports as used (empty when there is none)."""
    actions = body.get("actions")
    return as_dict(actions[0]) if isinstance(actions, list) and actions else {}


def action_value(body: dict[str, Any]) -> str | None:
    """The used element's value: a button's `value` or a menu's selected option's."""
    action = used_action(body)
    value = action.get("value")
    if value is None:
        value = as_dict(action.get("selected_option")).get("value")
    return value if isinstance(value, str) else None


def field_element(body: dict[str, Any], block_id: str) -> dict[str, Any]:
    """A modal input's state (its element's action_id is its block_id), whatever was sent:
    empty when the form has no such input or it isn't an object."""
    state = as_dict(as_dict(body.get("view")).get("state"))
    return as_dict(as_dict(as_dict(state.get("values")).get(block_id)).get(block_id))


def field_value(body: dict[str, Any], block_id: str) -> str | None:
    """What a modal input (whose element's action_id equals its block_id) holds, as text."""
    element = field_element(body, block_id)
    if "selected_option" in element:
        value = as_dict(element["selected_option"]).get("value")
    elif "selected_date" in element:
        value = element["selected_date"]
    elif "selected_user" in element:
        value = element["selected_user"]
    else:
        value = element.get("value")
    return value if isinstance(value, str) else None


def field_choices(body: dict[str, Any], block_id: str) -> list[str]:
    """The values ticked in a checkboxes input."""
    chosen = field_element(body, block_id).get("selected_options")
    if not isinstance(chosen, list):
        return []
    values = [as_dict(option).get("value") for option in chosen[:10]]
    return [value for value in values if isinstance(value, str)]
