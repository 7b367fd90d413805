"""Requests as Slack sends them to an app: slash commands, interactions and events.

`SlackRequests` (in `requests`) owns the shapes of Slack's inbound payloads. Each kind comes
twice: `*_payload(...)` returns the plain dict (what Socket Mode carries in an envelope's
`payload`) and the unsuffixed method returns a `slack_playground.signing.SignedRequest`: the
exact HTTP body (form-encoded or JSON) with `X-Slack-Request-Timestamp` and `X-Slack-Signature`
computed with Slack's v0 scheme.

Interactions are built from what `FakeSlack` stored: `click()` finds the element in the current
version of a message or view (and fails clearly if it is gone), `view_submission()` builds
`view.state.values` from the view's own input elements, the way Slack's client would
(`element_state`). The kinds are grouped by module: `commands` (slash commands, message
shortcuts), `actions` (block actions), `views` (type-ahead, view submissions and closings) and
`events` (the Events API), on the common parts in `builder`.
"""

from __future__ import annotations

from slack_playground.inbound.requests import SlackRequests

__all__ = ["SlackRequests"]
