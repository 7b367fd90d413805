"""The local Slack stand-in: the playground of `billpay run --playground`, and the tests' Slack.

- `slack_playground.slack`: `FakeSlack`, the Web API (`/api/<method>`), response_url posts and the
  state Slack keeps (messages, threads, views, Home tabs, trigger ids); every `blocks` and
  `view` sent is validated. It is composed of the Web API's families in `slack_playground.webapi`
  (the state and record, dispatch, chat, response URLs, views, workspace, files, uploads).
- `slack_playground.blockkit`: `validate_message_blocks()`, `validate_view()` and `validate_ack()`
  (an app's reply to a command or interaction), usable on their own (an empty list means
  Slack would accept the payload).
- `slack_playground.inbound`: `SlackRequests`, the payloads Slack sends to the app (slash
  commands, block actions, view submissions, events), plain or signed (`SignedRequest`, in
  `slack_playground.signing`).
- `slack_playground.socket_mode`: `SocketModeFake`, the Socket Mode websocket.
- `slack_playground.render`: Block Kit as HTML, for the page.
- `slack_playground.page`: `Playground`, the page's server: a channel a person uses in a
  browser, which sends what they do to the bot as Slack would; `markup` and `assets` are the
  page's HTML frame, style sheet and script; `reading` writes dates, times and the client's
  own words in the reader's locale and time zone; `history` keeps the channels across
  restarts.

Both the playground and the test suite use this one stand-in, so they cannot disagree about
what Slack accepts.
"""

from __future__ import annotations

from slack_playground.blockkit import validate_ack, validate_message_blocks, validate_view
from slack_playground.inbound import SlackRequests
from slack_playground.signing import SignedRequest
from slack_playground.slack import Call, FakeSlack, SlackError
from slack_playground.socket_mode import SocketModeFake

__all__ = [
    "Call",
    "FakeSlack",
    "SignedRequest",
    "SlackError",
    "SlackRequests",
    "SocketModeFake",
    "validate_ack",
    "validate_message_blocks",
    "validate_view",
]
