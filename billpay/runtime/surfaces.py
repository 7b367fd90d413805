"""The names of the Slack surfaces `billpay preview` prints, apart from their builders
(`billpay.runtime.preview`), so that the command line can list them without loading those."""

from __future__ import annotations

SURFACES = (
    "bills",
    "pay-modal",
    "reject-modal",
    "attach-modal",
    "ask-modal",
    "supplier",
    "supplier-modal",
    "new-bill-modal",
    "bank-account-modal",
    "home",
)
