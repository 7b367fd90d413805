"""The bank accounts a bill can be paid from: the connection's payment mapping options, as the
mirror keeps them (read again when older than `BILLPAY_MIRROR_OPTIONS_SECONDS`) and once a
minute at most from it (Pay clicks come in bursts), narrowed to those that can pay the bill. A
payment itself is still checked by the payables API when it is written.
"""

from __future__ import annotations

from billpay.core.ttl_cache import TtlCache
from billpay.mirror.service import Mirror
from billpay.payables.models import BankAccountMappingOption
from billpay.payments.form import AccountChoice
from billpay.payments.rules import account_choices
from billpay.store.models import CompanyLink

OPTIONS_TTL_SECONDS = 60.0

# Payment mapping options rarely change; one read serves a minute of Pay clicks.
OptionsCache = TtlCache[tuple[str, str], list[BankAccountMappingOption]]


class BankAccounts:
    def __init__(self, mirror: Mirror, options: OptionsCache | None = None) -> None:
        self.mirror = mirror
        self.options = options or OptionsCache(ttl=OPTIONS_TTL_SECONDS)
        self._forgotten: set[tuple[str, str]] = set()

    async def choices(self, link: CompanyLink, bill_currency: str) -> list[AccountChoice]:
        """The active accounts that can pay a bill in `bill_currency`."""
        return account_choices(await self._bank_accounts(link), bill_currency, link.base_currency)

    def forget(self, link: CompanyLink) -> None:
        """Read the accounts again next time (one was just added)."""
        self.options.drop((link.company_id, link.connection_id))
        self._forgotten.add((link.company_id, link.connection_id))

    async def _bank_accounts(self, link: CompanyLink) -> list[BankAccountMappingOption]:
        key = (link.company_id, link.connection_id)
        cached = self.options.get(key)
        if cached is None:
            fresh = key in self._forgotten
            self._forgotten.discard(key)
            options = await self.mirror.payment_options(*key, fresh=fresh)
            cached = options.bank_accounts
            self.options.put(key, cached)
        return cached
