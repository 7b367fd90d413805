"""The invoice file a bill is created from: checked from its `files.info` record first (type
and size, so a bad file is refused before anything is created), then downloaded from Slack's
`url_private` with the bot token.

The token is only ever sent to Slack's own file host (or the Web API's host, for a stand-in
Slack): a `url_private` pointing anywhere else is refused, never fetched.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx
from slack_sdk.web.async_client import AsyncWebClient

from bot.bounds import (
    INVOICE_MAX_BYTES,
    INVOICE_MAX_BYTES_ON,
    INVOICE_TYPES,
    INVOICE_TYPES_REFUSED_BY,
    MB,
)
from bot.errors import Denied
from bot.i18n import N_

SLACK_FILES_HOST = "files.slack.com"
DOWNLOAD_TIMEOUT_SECONDS = 20.0

NO_FILE = N_("That message has no file. Use this on a message with the invoice attached.")
FILE_EMPTY = N_("The file “{name}” is empty.")
FILE_TYPE = N_("“{name}” can’t be attached to a bill: the accounting platform takes {types} files.")
FILE_TOO_LARGE = N_(
    "“{name}” is {size} MB; the accounting platform takes files of up to {limit} MB."
)
FILE_UNREADABLE = N_("I couldn’t read the file from Slack. Share it again and retry.")


class InvoiceProblem(Denied):
    """A file that can't be a bill's invoice."""


@dataclass(frozen=True)
class InvoiceFile:
    file_id: str
    name: str
    content_type: str
    size: int
    url: str


@dataclass(frozen=True)
class Invoice:
    name: str
    content_type: str
    content: bytes


def check(name: str, size: int, platform: str = "") -> str:
    """The content type to upload `name` with; InvoiceProblem if `platform` (or, unnamed, any
    platform Bill Pay supports) would not take it."""
    extension = name.rpartition(".")[2].lower() if "." in name else ""
    refused = INVOICE_TYPES_REFUSED_BY.get(platform, frozenset())
    content_type = INVOICE_TYPES.get(extension) if extension not in refused else None
    if content_type is None:
        types = ", ".join(sorted({e.upper() for e in INVOICE_TYPES} - {e.upper() for e in refused}))
        raise InvoiceProblem(FILE_TYPE, name=name, types=types)
    if size <= 0:
        raise InvoiceProblem(FILE_EMPTY, name=name)
    limit = INVOICE_MAX_BYTES_ON.get(platform, INVOICE_MAX_BYTES)
    if size > limit:
        raise InvoiceProblem(FILE_TOO_LARGE, name=name, size=f"{size / MB:.1f}", limit=limit // MB)
    return content_type


class SlackFiles:
    def __init__(self, client: AsyncWebClient, token: str, api_url: str) -> None:
        self.client = client
        self.token = token
        self.hosts = frozenset({SLACK_FILES_HOST, urlsplit(api_url).hostname or SLACK_FILES_HOST})

    async def describe(self, file_id: str, platform: str) -> InvoiceFile:
        response = await self.client.files_info(file=file_id)
        record = response.get("file") or {}
        name = str(record.get("name") or record.get("title") or file_id)
        size = int(record.get("size") or 0)
        content_type = check(name, size, platform)
        url = str(record.get("url_private_download") or record.get("url_private") or "")
        parts = urlsplit(url)
        if parts.scheme not in ("https", "http") or parts.hostname not in self.hosts:
            raise InvoiceProblem(FILE_UNREADABLE)
        return InvoiceFile(file_id, name, content_type, size, url)

    async def download(self, file: InvoiceFile, platform: str) -> Invoice:
        async with httpx.AsyncClient(timeout=DOWNLOAD_TIMEOUT_SECONDS) as http:
            response = await http.get(
                file.url, headers={"Authorization": f"Bearer {self.token}"}, follow_redirects=False
            )
        if response.status_code != 200:
            raise InvoiceProblem(FILE_UNREADABLE)
        content = response.content
        check(file.name, len(content), platform)  # what came, not what files.info said
        return Invoice(file.name, file.content_type, content)
