"""Uploading an invoice to a bill once, however often it is tried.

An upload is one attempt under one `Idempotency-Key`, and the key is stored on the bill's case
(`BillCase.invoice_pending`) before the file is sent. Trying the same file again:

1. within the API's replay window (Codat: 90 minutes, `payables_idempotency_window_minutes`,
   less a margin), the stored key goes again: the API answers what it answered the first time
   (the attachment, or the first attempt's error) instead of attaching the file twice;
2. otherwise, or when that answer still can't tell (a server error, no answer), the bill's
   files are read: one with the same name and size is the upload that landed;
3. only then, if the bill has no file, is the file sent under a new key, stored first.

A first upload reads the bill's files too (one may have been attached since the form opened),
but for a bill just created.

A key still in progress (409) is never followed by a new one: the first request may yet attach
the file. While one upload of a bill runs, another is refused (`Denied`), so two clicks or two
replicas upload it once; a claim older than `CLAIM_TIMEOUT` is taken as abandoned.

The pending record is `{"state": "uploading" | "failed", "name", "size", "sha256", "by",
"key", "sent_at", "claimed_at"}`, plus `"file_id"` (the Slack file) for a new bill's invoice
whose upload failed, which the card then offers to retry.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from billpay.bills.cases import case_for_update, stamp
from billpay.core.errors import Denied
from billpay.core.i18n import N_
from billpay.payables.client import PayablesClient, new_idempotency_key
from billpay.payables.errors import PayablesConflict, PayablesError
from billpay.payables.models import Attachment
from billpay.store.db import Database
from billpay.store.models import CompanyLink

log = logging.getLogger(__name__)

# A stored key is sent again only while well inside the API's replay window: past the window
# the same key would attach the file a second time.
REPLAY_MARGIN = timedelta(minutes=10)
CLAIM_TIMEOUT = timedelta(minutes=10)
UPLOADING = N_("The invoice is being uploaded right now.")


@dataclass(frozen=True)
class Uploaded:
    """What an upload came to: how many files the bill had when nothing needed sending, and
    the file of this upload (sent now, replayed, or found on the bill), if it is there."""

    files_before: int
    attachment: Attachment | None


@dataclass(frozen=True)
class _Claim:
    key: str | None  # a previous attempt's key, still inside the replay window
    stored: bool  # whether the bill has a case to keep the attempt on
    tried: bool  # whether an upload of this bill was tried before


def fingerprint(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


class InvoiceUploads:
    def __init__(
        self,
        db: Database,
        reads: PayablesClient,
        writes: PayablesClient,
        clock: Callable[[], datetime],
        *,
        replay_window: timedelta,
    ) -> None:
        self.db = db
        self.reads = reads
        self.writes = writes
        self.clock = clock
        self.replay_window = replay_window

    async def upload(
        self,
        link: CompanyLink,
        bill_id: str,
        user_id: str,
        *,
        name: str,
        content: bytes,
        content_type: str,
        claimed: bool = False,
        new_bill: bool = False,
    ) -> Uploaded:
        """Attach the file to the bill once (see the module's doc). `claimed`: the caller
        already holds the bill's upload claim (Retry upload). `new_bill`: the bill was just
        created, so its files need no reading before a first upload. Raises `Denied` while
        another upload of the bill runs, and the payables error of a failed upload, after
        noting it as failed on the case."""
        claim = await self._claim(link, bill_id, user_id, name, content, claimed=claimed)
        try:
            result = await self._send_once(
                link, bill_id, claim, name, content, content_type, read_first=not new_bill
            )
        except BaseException as error:
            # A refusal attached nothing: its key is done with (a repeat would only replay the
            # refusal). Any other failure may have attached the file: its key is kept.
            refused = isinstance(error, PayablesError) and not _maybe_attached(error)
            await self._finish(link, bill_id, failed=True, keep_key=not refused)
            raise
        await self._finish(link, bill_id, failed=False)
        return result

    async def _send_once(
        self,
        link: CompanyLink,
        bill_id: str,
        claim: _Claim,
        name: str,
        content: bytes,
        content_type: str,
        *,
        read_first: bool,
    ) -> Uploaded:
        ids = (link.company_id, link.connection_id, bill_id)
        if claim.key is not None:
            try:
                sent = await self.writes.upload_bill_attachment(
                    *ids,
                    filename=name,
                    content=content,
                    content_type=content_type,
                    idempotency_key=claim.key,
                )
                return Uploaded(0, sent)
            except PayablesError as error:
                if isinstance(error, PayablesConflict) or error.status_code is None:
                    raise  # still in progress, or no answer: the first may attach it yet
                # The first attempt's answer, replayed (a refusal, a server error), or a new
                # failure: either way that request is over, and the bill's files tell.
                log.info("bill %s: the upload's key was answered %r", bill_id, error)
        if read_first or claim.tried:
            files = await self.reads.list_bill_attachments(*ids)
            ours = [f for f in files if f.name == name and f.file_size == len(content)]
            if ours:
                return Uploaded(len(files), ours[0])
            if files:
                return Uploaded(len(files), None)
        key = new_idempotency_key()
        if claim.stored:
            await self._record_key(link, bill_id, key)
        sent = await self.writes.upload_bill_attachment(
            *ids, filename=name, content=content, content_type=content_type, idempotency_key=key
        )
        return Uploaded(0, sent)

    async def _claim(
        self,
        link: CompanyLink,
        bill_id: str,
        user_id: str,
        name: str,
        content: bytes,
        *,
        claimed: bool,
    ) -> _Claim:
        """Mark the bill's upload as under way and say which key to try first."""
        digest = fingerprint(content)
        async with self.db.write() as s:
            now = self.clock()
            case = await case_for_update(s, link.id, bill_id)
            if case is None:
                return _Claim(None, stored=False, tried=False)
            pending: dict[str, Any] = dict(case.invoice_pending or {})
            if not claimed and under_way(pending, now):
                raise Denied(UPLOADING)
            previous = pending.get("key")
            sent_at = _moment(pending.get("sent_at"))
            same_file = (pending.get("sha256"), pending.get("name")) == (digest, name)
            replayable = (
                previous is not None
                and same_file
                and sent_at is not None
                and now - sent_at < self.replay_window - REPLAY_MARGIN
            )
            record = {
                **pending,
                "state": "uploading",
                "name": name,
                "size": len(content),
                "sha256": digest,
                "by": user_id,
                "claimed_at": now.isoformat(),
            }
            if not replayable:
                record.pop("key", None)
                record.pop("sent_at", None)
            case.invoice_pending = record
            stamp(case, now)
            return _Claim(previous if replayable else None, stored=True, tried=bool(pending))

    async def _record_key(self, link: CompanyLink, bill_id: str, key: str) -> None:
        """Keep the key of the attempt about to be sent, before it is sent."""
        async with self.db.write() as s:
            now = self.clock()
            case = await case_for_update(s, link.id, bill_id)
            if case is not None:
                case.invoice_pending = {
                    **(case.invoice_pending or {}),
                    "key": key,
                    "sent_at": now.isoformat(),
                }
                stamp(case, now)

    async def _finish(
        self, link: CompanyLink, bill_id: str, *, failed: bool, keep_key: bool = True
    ) -> None:
        """An upload that failed stays on the case as failed (with its key, unless it was
        refused); one that attached the file (or found it there) leaves nothing pending."""
        async with self.db.write() as s:
            case = await case_for_update(s, link.id, bill_id)
            if case is None or not case.invoice_pending:
                return
            if failed:
                record = {**case.invoice_pending, "state": "failed"}
                if not keep_key:
                    record.pop("key", None)
                    record.pop("sent_at", None)
                case.invoice_pending = record
            else:
                case.invoice_pending = None
            stamp(case, self.clock())


def _maybe_attached(error: PayablesError) -> bool:
    """Might the request that failed so have attached the file all the same?"""
    return error.maybe_applied or isinstance(error, PayablesConflict) or error.status_code is None


def _moment(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def under_way(pending: dict[str, Any], now: datetime) -> bool:
    """Is another upload of the bill running (claimed, and not so long ago it was abandoned)?"""
    if pending.get("state") != "uploading":
        return False
    claimed_at = _moment(pending.get("claimed_at"))
    return claimed_at is None or now - claimed_at < CLAIM_TIMEOUT
