"""Wiring: `create_app(services)` builds the Bolt `AsyncApp` and registers every listener area.

This is the one module of `billpay/slack` that imports `handlers/`.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import BoltResponse
from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization.async_authorize import (
    AsyncAuthorize,
    AsyncInstallationStoreAuthorize,
)
from slack_bolt.error import BoltUnhandledRequestError
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings

from billpay.payments.scheduled import SentByScheduler
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
from billpay.slack.installations import Installations
from billpay.slack.notices.payments import PaymentResults
from billpay.slack.oauth import oauth_settings
from billpay.slack.people import People
from billpay.slack.publisher import Publisher

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
    """One workspace (SLACK_BOT_TOKEN): Bolt's client carries its token. Many (OAuth): Bolt
    finds each request's workspace installation and gives its listeners a client with that
    workspace's token, and serves `/slack/install` and `/slack/oauth_redirect`."""
    settings = services.settings
    if not settings.serves_slack or settings.slack_signing_secret is None:
        raise ValueError(
            "SLACK_SIGNING_SECRET and SLACK_BOT_TOKEN (or SLACK_CLIENT_ID, SLACK_CLIENT_SECRET "
            "and SLACK_STATE_SECRET) are needed to serve Slack"
        )
    assert services.slack is not None
    people = People(default_locale=settings.default_locale)
    oauth = None
    authorize = None
    if services.installations is not None:
        oauth = _installing(services, services.installations, people)
        authorize = _authorizing(services, oauth)
    app = AsyncApp(
        # The name Bolt would find for itself (this file's), given: it finds it with
        # `inspect.stack()`, which reads the source of every frame on the stack.
        name="app.py",
        client=services.slack,
        signing_secret=settings.slack_signing_secret.get_secret_value(),
        oauth_settings=oauth,
        # Bolt takes an `AsyncAuthorize` here too (its own is one); its annotation says only
        # the plain function it also takes.
        authorize=authorize,  # type: ignore[arg-type]
        # Requests no listener matches reach `on_error`, which answers them instead of a 404.
        raise_error_for_unhandled_request=True,
    )
    # Who is in a user group of approvers, who is a workspace admin, who is away: asked of
    # Slack, with the workspace's client, when a decision needs it.
    directory = SlackDirectory(services.must_publish().client)
    services.links.directory = directory
    services.admins.directory = directory
    on = Listeners(
        app,
        slack_hosts=slack_hosts(settings.slack_api_url),
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


def _installing(
    services: Services, installations: Installations, people: People
) -> AsyncOAuthSettings:
    """OAuth's settings, and what an installation sets going: a workspace installing the app
    again has the scheduled payments that came due while it was away called off (before its
    installation is stored, so no tick sends them late), then shown where they were asked for;
    the installer is its first admin (`Installations.installer_of`), in the audit trail."""
    results = PaymentResults(services, people)
    missed: dict[str, list[SentByScheduler]] = {}

    async def arriving(team_id: str) -> None:
        missed[team_id] = await services.scheduled.call_off_missed(team_id)

    async def installed(team_id: str, installer: str) -> None:
        installations.forget(team_id)
        await installations.record(team_id, installer, "app_installed")
        for sent in missed.pop(team_id, []):
            await Publisher.quietly(results.show(sent), "show a payment not sent")

    installations.store.arriving = arriving
    return oauth_settings(services.settings, installations, installed)


def _authorizing(services: Services, oauth: AsyncOAuthSettings) -> AsyncAuthorize:
    """Bolt's own authorize for installations, with its answers kept: each request still finds
    its workspace's installation in the store (an uninstalled workspace has none), but
    `auth.test` is asked once per token, not before every ack."""
    return AsyncInstallationStoreAuthorize(
        installation_store=oauth.installation_store,
        client_id=oauth.client_id,
        client_secret=oauth.client_secret,
        logger=logging.getLogger("slack_bolt.AsyncApp"),
        client=services.slack,
        user_token_resolution=oauth.user_token_resolution,
        cache_enabled=True,
    )


async def listeners_settled() -> None:
    """Wait for every listener run started so far (Bolt runs them after the ack)."""
    await settled()
