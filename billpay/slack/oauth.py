"""Installing the app in a workspace through OAuth: Bolt's flow at `/slack/install` (straight
to Slack's consent screen, with a state signed and kept in the database, tied to the browser by
a cookie) and `/slack/oauth_redirect` (the code exchanged with `oauth.v2.access`, the
installation stored by `billpay.slack.installations`), and the pages a person sees at the end,
in plain words, in their browser's language.

A callback with a state that is missing, forged, expired or already used, or from another
browser, gets a page saying to start again, and stores nothing.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Awaitable, Callable
from urllib.parse import quote, urljoin

from slack_bolt import BoltResponse
from slack_bolt.async_app import AsyncBoltRequest
from slack_bolt.oauth.async_callback_options import (
    AsyncCallbackOptions,
    AsyncFailureArgs,
    AsyncSuccessArgs,
)
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings

from billpay.config import Settings
from billpay.core.i18n import N_, spoken_locale, words
from billpay.slack.installations import BOT_SCOPES, STATE_SECONDS, Installations

log = logging.getLogger(__name__)

INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"

# Why an installation did not finish, as Bolt names it, in words the person can act on.
STATE_REFUSED = N_(
    "This installation link has expired or was already used, or it was opened in another "
    "browser. Nothing was installed. Start again from the install link."
)
CANCELLED = N_("The installation was cancelled in Slack. Nothing was installed.")
FAILED = N_(
    "Slack could not complete the installation. Nothing was installed; please start again "
    "from the install link in a moment."
)
# Where a value goes in words escaped for HTML before the value is put in.
PLACE = "\x00"
REASONS = {
    "invalid_browser": STATE_REFUSED,
    "invalid_state": STATE_REFUSED,
    "access_denied": CANCELLED,
}


def authorize_url(api_url: str) -> str:
    """Slack's consent screen beside its Web API (`https://slack.com/oauth/v2/authorize`)."""
    return urljoin(api_url, "../oauth/v2/authorize")


def oauth_settings(
    settings: Settings,
    installations: Installations,
    installed: Callable[[str, str], Awaitable[None]],
) -> AsyncOAuthSettings:
    """Bolt's OAuth settings over the bot's installation and state stores; `installed(team_id,
    installer)` runs once an installation is stored."""
    assert settings.slack_client_id is not None and settings.slack_client_secret is not None
    default_locale = settings.default_locale

    async def success(args: AsyncSuccessArgs) -> BoltResponse:
        installation = args.installation
        team_id, installer = installation.team_id or "", installation.user_id
        log.info("the app was installed in workspace %s by %s", team_id, installer)
        try:
            await installed(team_id, installer)
        except Exception:
            # The installation is stored: what follows it is told again at the next one.
            log.exception("what follows the installation in %s failed", team_id)
        _ = words(browser_locale(args.request, default_locale))
        team = html.escape(installation.team_name or team_id)
        open_slack = f"slack://app?team={quote(team_id)}&id={quote(installation.app_id or '')}"
        # The words are escaped for HTML, then the workspace's name (escaped too) set in bold.
        body = html.escape(
            _(
                N_(
                    "Bill Pay is installed in {workspace}. In Slack, invite it to your finance "
                    "channel and type /billpay connect there to link your accounting platform."
                ),
                workspace=PLACE,
            )
        ).replace(PLACE, f"<strong>{team}</strong>")
        link = html.escape(_("Open Slack"))
        return _page(
            200,
            _("Bill Pay is installed"),
            f'<p>{body}</p><p><a href="{html.escape(open_slack)}">{link}</a></p>',
            args.settings.state_utils.build_set_cookie_for_deletion(),
        )

    async def failure(args: AsyncFailureArgs) -> BoltResponse:
        log.warning("an installation did not finish: %s", args.reason, exc_info=args.error)
        _ = words(browser_locale(args.request, default_locale))
        reason = _(REASONS.get(args.reason, FAILED))
        return _page(
            args.suggested_status_code,
            _("Bill Pay was not installed"),
            f"<p>{html.escape(reason)}</p>",
            args.settings.state_utils.build_set_cookie_for_deletion(),
        )

    return AsyncOAuthSettings(
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret.get_secret_value(),
        scopes=list(BOT_SCOPES),
        redirect_uri=settings.slack_redirect_uri,
        install_path=INSTALL_PATH,
        # Straight to Slack's consent screen: the install link is the "Add to Slack" button.
        install_page_rendering_enabled=False,
        redirect_uri_path=REDIRECT_PATH,
        callback_options=AsyncCallbackOptions(success=success, failure=failure),
        authorization_url=authorize_url(settings.slack_api_url),
        installation_store=installations.store,
        installation_store_bot_only=True,
        state_store=installations.states,
        state_expiration_seconds=STATE_SECONDS,
    )


def browser_locale(request: AsyncBoltRequest, default: str) -> str:
    """The browser's first language the bot has words for, else the default."""
    header = request.headers.get("accept-language", [""])[0] or ""
    for part in header.split(","):
        tag = part.split(";")[0].strip()
        found = spoken_locale(tag, default) if tag and tag != "*" else None
        if found is not None:
            return found
    return default


def _page(status: int, title: str, body: str, cookie: str) -> BoltResponse:
    return BoltResponse(
        status=status,
        body=(
            '<!DOCTYPE html><html><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{html.escape(title)}</title></head>"
            '<body style="font-family: sans-serif; max-width: 36rem; margin: 4rem auto">'
            f"<h1>{html.escape(title)}</h1>{body}</body></html>"
        ),
        headers={"Content-Type": "text/html; charset=utf-8", "Set-Cookie": cookie},
    )
