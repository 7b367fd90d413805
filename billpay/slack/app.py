"""Wiring: `create_app(services)` builds the Bolt `AsyncApp` and registers every listener area.

This is the one module of `billpay/slack` that imports `handlers/`.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import BoltResponse
from slack_bolt.async_app import AsyncApp
from slack_bolt.error import BoltUnhandledRequestError

from billpay.services import Services
from billpay.slack.boundary import Listeners, settled
from billpay.slack.budget import PATIENCE_SECONDS
from billpay.slack.directory import SlackDirectory
from billpay.slack.envelope import slack_hosts
from billpay.slack.explain import new_reference
from billpay.slack.handlers import (
    approvals,
    bills,
    delegation,
    digest,
    home,
    invoices,
    links,
    pay_form,
    payments,
    questions,
    replies,
    settings,
    stale,
    uninstall,
)
from billpay.slack.handlers.suppliers import bank_account, lookup, new_bill, supplier_form
from billpay.slack.people import People

log = logging.getLogger(__name__)

# In the order they are registered: the stale catch-alls come last, so they only get what no
# other listener matched.
AREAS = (
    lookup,
    supplier_form,
    new_bill,
    bank_account,
    settings,
    delegation,
    links,
    digest,
    bills,
    approvals,
    payments,
    pay_form,
    invoices,
    questions,
    replies,
    home,
    uninstall,
    stale,
)


def create_app(services: Services) -> AsyncApp:
    config = services.settings
    if config.slack_bot_token is None or config.slack_signing_secret is None:
        raise ValueError("SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET are needed to serve Slack")
    assert services.slack is not None
    app = AsyncApp(
        # The name Bolt would find for itself (this file's), given: it finds it with
        # `inspect.stack()`, which reads the source of every frame on the stack.
        name="app.py",
        client=services.slack,
        signing_secret=config.slack_signing_secret.get_secret_value(),
        # Requests no listener matches reach `on_error`, which answers them instead of a 404.
        raise_error_for_unhandled_request=True,
    )
    # Who is in a user group of approvers, who is a workspace admin, who is away: asked of
    # Slack when a decision needs it.
    directory = SlackDirectory(services.must_publish().client)
    services.links.directory = directory
    services.admins.directory = directory
    people = People(default_locale=config.default_locale)
    on = Listeners(
        app,
        slack_hosts=slack_hosts(config.slack_api_url),
        people=people,
        patience=lambda: services.clock.sleep(PATIENCE_SECONDS),
    )
    for area in AREAS:
        area.register(on, services)

    @app.error
    async def on_error(error: Exception, body: dict[str, Any]) -> BoltResponse | None:
        kind = body.get("type") or body.get("command") or "request"
        if isinstance(error, BoltUnhandledRequestError):
            # Nothing we know how to route (unknown buttons and forms have their own listeners):
            # acknowledged, so Slack doesn't retry or show an error for it.
            log.info("acknowledged a request no listener handles (%s)", kind)
            return BoltResponse(status=200, body="")
        # Listeners are behind the boundary (boundary.py); only Bolt's own middleware can fail
        # here, before any listener ran: on a payload whose shape it didn't expect (a malformed
        # request the gate, gate.py, let through: answered 400), or by a fault of ours (500,
        # with a reference).
        if isinstance(error, AttributeError | LookupError | TypeError | ValueError):
            log.warning("refused a malformed Slack request (%s): %r", kind, error)
            return BoltResponse(status=400, body="malformed request")
        log.error("unhandled error %s in Bolt (%s)", new_reference(), kind, exc_info=error)
        return None

    return app


async def listeners_settled() -> None:
    """Wait for every listener run started so far (Bolt runs them after the ack)."""
    await settled()
