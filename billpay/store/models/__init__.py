"""SQLAlchemy models of the bot's state, one class per table.

Every change of a bill case happens in one transaction guarded by its `version` column
(SQLAlchemy raises `StaleDataError` when another transaction changed the row first), and payments
carry a unique idempotency key, so two clicks, a Slack retry or two replicas cannot pay twice.

The tables are defined by area (`links`, `cases`, `messages`, `coordination`, `connections`,
`mirror`, `slack`); this package is where the rest of the bot imports them from, and importing it
puts every table in `Base.metadata`.
"""

from billpay.core.domain import CaseState, PaymentStatus
from billpay.store.models.base import NAMING, Base
from billpay.store.models.cases import AuditEvent, BillCase, BillOrigin, Decision, Payment, Question
from billpay.store.models.connections import (
    LINKED,
    ConnectionHealthRow,
    WebhookDelivery,
    connection_paused,
)
from billpay.store.models.coordination import Claim, PayablesCallCount, PayablesSlot
from billpay.store.models.links import (
    CompanyLink,
    Delegation,
    PendingConnection,
    Policy,
    SettingsAdmin,
)
from billpay.store.models.messages import (
    BillMessage,
    BillMessageCard,
    DigestRun,
    DigestSubscription,
    HomeView,
)
from billpay.store.models.mirror import MirroredBill, MirroredOptions, MirroredSupplier, MirrorState
from billpay.store.models.slack import (
    SLACK_BOTS,
    SLACK_INSTALLATIONS,
    SLACK_OAUTH_STATES,
    SlackDeparture,
)

__all__ = [
    "LINKED",
    "NAMING",
    "SLACK_BOTS",
    "SLACK_INSTALLATIONS",
    "SLACK_OAUTH_STATES",
    "AuditEvent",
    "Base",
    "BillCase",
    "BillMessage",
    "BillMessageCard",
    "BillOrigin",
    "CaseState",
    "Claim",
    "CompanyLink",
    "ConnectionHealthRow",
    "Decision",
    "Delegation",
    "DigestRun",
    "DigestSubscription",
    "HomeView",
    "MirrorState",
    "MirroredBill",
    "MirroredOptions",
    "MirroredSupplier",
    "PayablesCallCount",
    "PayablesSlot",
    "Payment",
    "PaymentStatus",
    "PendingConnection",
    "Policy",
    "Question",
    "SettingsAdmin",
    "SlackDeparture",
    "WebhookDelivery",
    "connection_paused",
]
