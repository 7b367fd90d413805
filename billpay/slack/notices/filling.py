"""The first read of a big company's bills, shown in the channel that linked it: one line,
"Reading 5,000 bills from Xero… 40 %", updated as pages come, then replaced by what was read
(or by why it could not be, and that it is tried again). A company whose bills fit one page
gets no line: its read is over before anyone could look.
"""

from __future__ import annotations

import logging

from babel.numbers import format_decimal
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from billpay.core.i18n import words
from billpay.mirror.base import Synced
from billpay.mirror.service import Mirror
from billpay.slack.blocks.bills.message import ACCOUNTING_PLATFORM
from billpay.store.models import CompanyLink

log = logging.getLogger(__name__)

# The line moves on in steps of this many percent at least (chat.update is rate limited).
STEP_PERCENT = 10


class FillProgress:
    """Fills the link's mirror in the background, with the progress line in its channel."""

    def __init__(
        self, mirror: Mirror, client: AsyncWebClient, link: CompanyLink, locale: str
    ) -> None:
        self.mirror = mirror
        self.client = client
        self.link = link
        self._ = words(locale)
        self.locale = locale
        self.ts: str | None = None
        self.shown_percent = -STEP_PERCENT

    def start(self) -> None:
        self.mirror.fill_soon(
            self.link.company_id, self.link.connection_id, self.progress, self.finished
        )

    def _platform(self) -> str:
        return self.link.platform_name or self._(ACCOUNTING_PLATFORM)

    async def progress(self, read: int, total: int | None) -> None:
        if total is None and self.ts is None:
            return  # one page: no line
        percent = min(99, read * 100 // total) if total else 0
        if percent - self.shown_percent < STEP_PERCENT:
            return
        self.shown_percent = percent
        count = total or read
        await self._say(
            self._.ngettext(
                "Reading {count} bill from {platform}… {percent} %",
                "Reading {count} bills from {platform}… {percent} %",
                count,
                count=format_decimal(count, locale=self.locale),
                platform=self._platform(),
                percent=percent,
            )
        )

    async def finished(self, synced: Synced | None) -> None:
        if self.ts is None:
            return
        if synced is None:
            text = self._(
                "The bills could not be read from {platform} yet: they are read again in a few "
                "minutes.",
                platform=self._platform(),
            )
        else:
            text = self._.ngettext(
                "Read {count} outstanding bill from {platform}: `/bills` lists it.",
                "Read {count} outstanding bills from {platform}: `/bills` lists them.",
                synced.bills,
                count=format_decimal(synced.bills, locale=self.locale),
                platform=self._platform(),
            )
        await self._say(text)

    async def _say(self, text: str) -> None:
        channel = self.link.channel_id
        try:
            if self.ts is None:
                response = await self.client.chat_postMessage(channel=channel, text=text)
                self.ts = str(response["ts"])
            else:
                await self.client.chat_update(channel=channel, ts=self.ts, text=text)
        except SlackApiError as exc:
            log.warning("could not show how far the bills were read: %r", exc)
