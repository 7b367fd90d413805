"""Which payables companies a workspace may link, and which of a company's connections a
channel may link to.

One payables account (one API key) can serve several workspaces without showing one the
others' companies. A company the bot creates carries its workspace in Codat's company `tags`
(`{"slack_team": "T…"}`: at most 10 tags, keys of 1 to 27 characters, values of up to 100, as
the spec has them) and is that workspace's alone. A company without that tag (made in the
payables service's portal) is seen only by the workspaces the configuration grants it to
(`BILLPAY_COMPANY_GRANTS`; the embedded sandbox grants its demo company to every workspace).

Only accounting connections (`sourceType` Accounting) hold bills, suppliers and bill payments;
a company may also have Banking, Commerce or other connections, which are never offered nor
linked.
"""

from __future__ import annotations

from collections.abc import Iterable

from billpay.config import Settings
from billpay.core.errors import Denied
from billpay.core.i18n import N_
from billpay.core.mrkdwn import escape
from billpay.payables import models
from billpay.payables.client import PayablesClient
from billpay.payables.errors import PayablesNotFound
from billpay.payables.query import Q

TEAM_TAG = "slack_team"
ACCOUNTING = "Accounting"
LINKED = "Linked"
PENDING = "PendingAuth"
# The accounting platforms Bill Pay connects, by Codat's platform keys
# (docs/integrations/accounting/overview.md), in the order the connect form lists them.
PLATFORMS: dict[str, str] = {
    "gbol": "Xero",
    "qhyg": "QuickBooks Online",
    "fbrh": "FreeAgent",
    "akxx": "Oracle NetSuite",
    "knfz": "Sage Intacct",
    "rwuv": "Zoho Books",
    "mqjo": "Codat Sandbox",
}
# How many companies a list or a type-ahead shows at most (Slack's options limit).
MAX_LISTED = 100
NAME_MAX = 100


def accounting(connections: Iterable[models.Connection]) -> list[models.Connection]:
    """The company's accounting connections: the only ones payables work goes through."""
    return [c for c in connections if c.source_type == ACCOUNTING]


def linked_accounting(
    company: models.Company, platform_key: str | None = None
) -> models.Connection | None:
    """The company's Linked accounting connection (to that platform, when given)."""
    return next(
        (
            c
            for c in accounting(company.data_connections)
            if c.status == LINKED and platform_key in (None, c.integration_key)
        ),
        None,
    )


def platform_of(platform_key: str) -> str:
    """The platform's name, for a key the connect form offers; `Denied` otherwise."""
    name = PLATFORMS.get(platform_key)
    if name is None:
        raise Denied(
            N_("Bill Pay can't connect “{platform}”; choose one of the platforms offered."),
            platform=escape(platform_key[:20]),
        )
    return name


class Companies:
    """The companies of the payables account as one workspace may see them."""

    def __init__(self, reads: PayablesClient, settings: Settings) -> None:
        self.reads = reads
        self.settings = settings

    def may_see(self, company: models.Company, team_id: str) -> bool:
        owner = (company.tags or {}).get(TEAM_TAG)
        if owner is not None:
            return owner == team_id
        grants = self.settings.grants_for(team_id)
        return "*" in grants or company.id in grants

    async def visible(self, team_id: str, typed: str = "") -> list[models.Company]:
        """The companies the workspace may link whose name contains `typed`, by name."""
        typed = typed.strip()[:NAME_MAX]
        query = None
        if typed:
            try:
                query = str(Q("name").contains(typed))
            except ValueError:  # text Codat's query language cannot carry: filtered here
                query = None
        found: dict[str, models.Company] = {}

        async def take(companies: Iterable[models.Company]) -> None:
            for company in companies:
                if self.may_see(company, team_id) and typed.casefold() in company.name.casefold():
                    found.setdefault(company.id, company)

        async for company in self.reads.iter_companies(query=query, tags=f"{TEAM_TAG}={team_id}"):
            await take([company])
            if len(found) >= MAX_LISTED:
                break
        grants = self.settings.grants_for(team_id)
        if "*" in grants:
            async for company in self.reads.iter_companies(query=query):
                await take([company])
                if len(found) >= MAX_LISTED:
                    break
        else:
            for company_id in sorted(grants):
                try:
                    await take([await self.reads.get_company(company_id)])
                except PayablesNotFound:
                    continue
        return sorted(found.values(), key=lambda c: c.name.casefold())[:MAX_LISTED]

    async def get(self, team_id: str, company_id: str) -> models.Company:
        """The company, if the workspace may see it; `Denied` (the same words whether it does
        not exist or is another workspace's) otherwise."""
        try:
            company = await self.reads.get_company(company_id)
        except PayablesNotFound:
            company = None
        if company is None or not self.may_see(company, team_id):
            raise Denied(
                N_(
                    "That company isn't one this workspace can link. Run `/billpay connect` to "
                    "choose one, or to create one."
                )
            )
        return company

    async def create(self, team_id: str, name: str, *, key: str) -> models.Company:
        """A new company of the workspace, tagged with it (`key`: its idempotency key, so a
        form sent twice creates one)."""
        return await self.reads.create_company(
            name.strip()[:NAME_MAX], tags={TEAM_TAG: team_id}, idempotency_key=key
        )
