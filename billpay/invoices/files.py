"""The invoice file a bill is created from: checked from its `files.info` record first (type
and size, so a bad file is refused before anything is created), then downloaded from Slack's
`url_private` with the bot token.

The token is only ever sent to Slack's own file host (or the Web API's host, for a stand-in
Slack): a `url_private` pointing anywhere else is refused, never fetched.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable
from urllib.parse import urlsplit

import httpx
from slack_sdk.web.async_client import AsyncWebClient

from billpay.core.bounds import (
    INVOICE_TYPES,
    INVOICE_TYPES_REFUSED_BY,
    MB,
    invoice_max_bytes,
)
from billpay.core.errors import Denied, FieldErrors
from billpay.core.i18n import N_, words

log = logging.getLogger(__name__)

SLACK_FILES_HOST = "files.slack.com"
DOWNLOAD_TIMEOUT_SECONDS = 20.0

ONE_FILE = N_("Choose one file: the bill's invoice.")
NO_FILE = N_("That message has no file. Use this on a message with the invoice attached.")
FILE_EMPTY = N_("The file “{name}” is empty.")
FILE_TYPE = N_("“{name}” can’t be attached to a bill: the accounting platform takes {types} files.")
FILE_TOO_LARGE = N_(
    "“{name}” is {size} MB; the accounting platform takes files of up to {limit} MB."
)
FILE_UNREADABLE = N_(
    "Slack didn't hand that file over to Bill Pay (the app may need the files:read permission). "
    "Share it again and retry."
)


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
    limit = invoice_max_bytes(platform)
    if size > limit:
        raise InvoiceProblem(FILE_TOO_LARGE, name=name, size=f"{size / MB:.1f}", limit=limit // MB)
    return content_type


def check_on_field(field: str, name: str, size: object, platform: str, locale: str) -> str:
    """`check` for a form's file input: a refusal is shown under `field`, in the reader's
    words (a size Slack did not give counts as none)."""
    try:
        return check(name, size if isinstance(size, int) else 0, platform)
    except InvoiceProblem as problem:
        raise FieldErrors({field: words(locale)(problem.phrase)}) from None


@runtime_checkable
class ReadsToken(Protocol):
    """A Web API client whose bot token is read when needed (one workspace among many)."""

    async def current_token(self) -> str | None: ...


class SlackFiles:
    """Files people pick or share in Slack, read with the workspace's bot token: described by
    `files.info`, downloaded from `url_private` only when it is Slack's own file host, and
    only as many bytes as Slack said the file has."""

    def __init__(self, clients: Callable[[str], AsyncWebClient], api_url: str) -> None:
        self.clients = clients
        self.hosts = frozenset({SLACK_FILES_HOST, urlsplit(api_url).hostname or SLACK_FILES_HOST})

    def readable(self, url: object) -> bool:
        """Whether `url` is one the bot token may be sent to."""
        if not isinstance(url, str):
            return False
        parts = urlsplit(url)
        return parts.scheme in ("https", "http") and parts.hostname in self.hosts

    async def describe(self, team_id: str, file_id: str, platform: str) -> InvoiceFile:
        response = await self.clients(team_id).files_info(file=file_id)
        record = response.get("file") or {}
        name = str(record.get("name") or record.get("title") or file_id)
        size = int(record.get("size") or 0)
        content_type = check(name, size, platform)
        url = str(record.get("url_private_download") or record.get("url_private") or "")
        if not self.readable(url):
            raise InvoiceProblem(FILE_UNREADABLE)
        return InvoiceFile(file_id, name, content_type, size, url)

    async def download(self, team_id: str, file: InvoiceFile, platform: str) -> Invoice:
        limit = invoice_max_bytes(platform)
        content = await self.read(team_id, file.url, size=file.size, max_bytes=limit)
        check(file.name, len(content), platform)  # what came, not what files.info said
        return Invoice(file.name, file.content_type, content)

    async def read(self, team_id: str, url: str, *, size: int, max_bytes: int) -> bytes:
        """The file's bytes; InvoiceProblem when Slack doesn't hand over the file it described
        (`size` bytes, at most `max_bytes`): without `files:read` Slack answers with its
        sign-in page instead, which must never become an invoice."""
        if not self.readable(url):
            raise InvoiceProblem(FILE_UNREADABLE)
        client = self.clients(team_id)
        # A workspace's client with many workspaces reads its token when it is needed.
        token = await client.current_token() if isinstance(client, ReadsToken) else client.token
        content = bytearray()
        try:
            async with (
                httpx.AsyncClient(timeout=DOWNLOAD_TIMEOUT_SECONDS, follow_redirects=False) as http,
                http.stream("GET", url, headers={"Authorization": f"Bearer {token}"}) as answer,
            ):
                if answer.status_code != 200:
                    raise InvoiceProblem(FILE_UNREADABLE)
                async for chunk in answer.aiter_bytes():
                    content += chunk
                    if len(content) > min(size, max_bytes):
                        raise InvoiceProblem(FILE_UNREADABLE)
        except httpx.HTTPError as exc:
            log.warning("could not download a file from Slack: %r", exc)
            raise InvoiceProblem(FILE_UNREADABLE) from None
        if len(content) != size:
            raise InvoiceProblem(FILE_UNREADABLE)
        return bytes(content)
