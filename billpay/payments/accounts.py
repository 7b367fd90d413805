"""The bank accounts a bill can be paid from: the connection's payment mapping options, read once
a minute at most (Pay clicks come in bursts), narrowed to those that can pay the bill.
"""

from __future__ import annotations

from billpay.core.ttl_cache import TtlCache
from billpay.payables.client import PayablesClient
from billpay.payables.models import BankAccountMappingOption
from billpay.payments.form import AccountChoice
from billpay.payments.rules import account_choices
from billpay.store.models import CompanyLink

OPTIONS_TTL_SECONDS = 60.0

# Payment mapping options rarely change; one read serves a minute of Pay clicks.
OptionsCache = TtlCache[tuple[str, str], list[BankAccountMappingOption]]


class BankAccounts:
    def __init__(self, reads: PayablesClient, options: OptionsCache | None = None) -> None:
        self.reads = reads
        self.options = options or OptionsCache(ttl=OPTIONS_TTL_SECONDS)

    async def choices(self, link: CompanyLink, bill_currency: str) -> list[AccountChoice]:
        """The active accounts that can pay a bill in `bill_currency`."""
        return account_choices(await self._bank_accounts(link), bill_currency, link.base_currency)

    def forget(self, link: CompanyLink) -> None:
        """Read the accounts again next time (one was just added)."""
        self.options.drop((link.company_id, link.connection_id))

    async def _bank_accounts(self, link: CompanyLink) -> list[BankAccountMappingOption]:
        key = (link.company_id, link.connection_id)
        cached = self.options.get(key)
        if cached is None:
            options = await self.reads.get_payment_mapping_options(*key)
            cached = options.bank_accounts
            self.options.put(key, cached)
        return cached
