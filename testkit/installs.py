"""Installing the app in a workspace as a person does, through its OAuth flow: the bot's
`/slack/install` sends the browser to Slack's consent screen (the fake's, approved at once by
the person `FakeSlack.authorize_as` names), which sends it back to `/slack/oauth_redirect` with
a code and the state; the browser carries the state's cookie, as a browser on HTTPS would."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from testkit.bot import Bot


@dataclass(frozen=True)
class Visit:
    """The steps of one installation, as the browser saw them."""

    consent_url: str
    cookie: str
    callback_url: str
    page: httpx.Response


def state_cookie(response: httpx.Response) -> str:
    """`name=value` of the state cookie `/slack/install` set (Secure, so a cookie jar would
    not send it back over the in-process http:// address)."""
    (cookie,) = [c for c in response.headers.get_list("set-cookie") if "oauth-state" in c]
    return cookie.split(";", 1)[0]


async def install(bot: Bot, team_id: str, user_id: str) -> Visit:
    """Install the app in `team_id`, as `user_id`; returns the steps and the last page."""
    bot.slack.authorize_as(team_id, user_id)
    start = await bot.http.get(f"{bot.url}/slack/install")
    assert start.status_code == 302, start.text
    consent_url = start.headers["location"]
    cookie = state_cookie(start)
    async with httpx.AsyncClient() as browser:
        consent = await browser.get(consent_url)
    assert consent.status_code == 302, consent.text
    callback_url = consent.headers["location"]
    page = await bot.http.get(callback_url, headers={"Cookie": cookie})
    return Visit(consent_url, cookie, callback_url, page)
