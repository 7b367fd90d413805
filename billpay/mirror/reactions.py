"""What the mirror does about Codat's webhooks (`billpay.webhooks.reactions.MirrorReactions`):
data read or written in the platform is read into the mirror soon, once however often it is
announced."""

from __future__ import annotations

import logging
from typing import Any

from billpay.mirror.service import Mirror

log = logging.getLogger(__name__)


class MirrorWebhookReactions:
    def __init__(self, mirror: Mirror) -> None:
        self.mirror = mirror

    async def data_changed(self, company_id: str, data_type: str | None) -> None:
        self.mirror.data_changed(company_id, data_type)

    async def write_finished(
        self, company_id: str, data_type: str, ok: bool, payload: dict[str, Any]
    ) -> None:
        # A successful write is followed by `data_changed` (`billpay.webhooks`), which reads
        # it in; a refused one changed nothing to read.
        if not ok:
            log.info(
                "the payables API reports a %s write for %s was refused", data_type, company_id
            )
