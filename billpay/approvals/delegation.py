"""Deciding in someone's place while they are away: `/billpay away @ben [from DATE] until DATE`
names a delegate, `/billpay away off` ends it.

An approver is away from the first date to the last (days in the bot's time zone) whatever
their Slack status says; with or without dates, they are also away while their Slack status
says so (`:palm_tree:`, `:airplane:`, or words such as "out of office", "OOO", "en congé",
"vacances", "on holiday"), until the status expires. Only while they are away may their delegate
approve or reject in their place; the decision names both (`Decision.on_behalf_of`), and
separation of duties counts both people (`billpay.approvals.decisions`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from billpay.bills.links import Links
from billpay.bills.policy import EffectivePolicy, Standing
from billpay.core.errors import Denied
from billpay.core.i18n import N_, Phrase
from billpay.store.db import Database
from billpay.store.models import AuditEvent, Delegation

AWAY_EMOJI = frozenset({":palm_tree:", ":airplane:"})
# Folded (lower case, without accents): "en congé" reads as "en conge".
AWAY_WORDS = ("out of office", "ooo", "en conge", "vacances", "on holiday")
_AWAY = re.compile(r"(?<![0-9a-z])(?:" + "|".join(map(re.escape, AWAY_WORDS)) + r")(?![0-9a-z])")
_MENTION = re.compile(r"^<@([UW][A-Z0-9]{1,23})(?:\|[^>]{0,80})?>$|^([UW][A-Z0-9]{1,23})$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
USAGE = N_(
    "Name who decides for you while you are away: `/billpay away @ben until 2026-12-24` "
    "(or `from 2026-12-20 until 2026-12-24`; without dates, while your Slack status says you are "
    "away). `/billpay away off` ends it."
)


def _folded(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def status_says_away(standing: Standing, now: datetime) -> bool:
    """Whether the person's Slack status, unexpired, says they are away."""
    if standing.status_expiration and standing.status_expiration <= now.timestamp():
        return False
    if standing.status_emoji.strip().casefold() in AWAY_EMOJI:
        return True
    return _AWAY.search(_folded(standing.status_text[:200])) is not None


@dataclass(frozen=True)
class AwayRequest:
    delegate_id: str | None  # None: "off"
    starts_on: date | None = None
    ends_on: date | None = None


def read_away(text: str, today: date) -> AwayRequest:
    """What `/billpay away …` asks for; `Denied` with the reason when it can't be done."""
    words = text.split()[:8]
    if [w.casefold() for w in words] == ["off"]:
        return AwayRequest(None)
    if not words:
        raise Denied(USAGE)
    found = _MENTION.match(words[0])
    if found is None:
        raise Denied(USAGE)
    delegate = found.group(1) or found.group(2)
    dates: dict[str, date] = {}
    rest = words[1:]
    while rest:
        if len(rest) < 2 or rest[0].casefold() not in ("from", "until") or rest[0] in dates:
            raise Denied(USAGE)
        word, typed = rest[0].casefold(), rest[1]
        try:
            if not _DATE.match(typed):
                raise ValueError(typed)
            dates[word] = date.fromisoformat(typed)
        except ValueError:
            raise Denied(
                N_("“{typed}” is not a date; write it like 2026-12-24."), typed=typed[:20]
            ) from None
        rest = rest[2:]
    starts, ends = dates.get("from"), dates.get("until")
    for day in (starts, ends):
        if day is not None and day < today:
            raise Denied(
                N_("{day} is in the past; choose today or a later day."), day=day.isoformat()
            )
    if starts is not None and ends is None:
        raise Denied(N_("Say until when you are away: `until 2026-12-24`."))
    if starts is not None and ends is not None and ends < starts:
        raise Denied(N_("The last day comes before the first."))
    if ends is not None and starts is None:
        starts = today
    return AwayRequest(delegate, starts, ends)


class Delegations:
    def __init__(
        self, db: Database, links: Links, clock: Callable[[], datetime], time_zone: str
    ) -> None:
        self.db = db
        self.links = links
        self.clock = clock
        self.time_zone = time_zone

    def today(self) -> date:
        return self.clock().astimezone(ZoneInfo(self.time_zone)).date()

    async def of(self, team_id: str, user_id: str) -> Delegation | None:
        async with self.db.read() as s:
            return await s.get(Delegation, (team_id, user_id))

    async def name(
        self, team_id: str, channel_id: str, user_id: str, request: AwayRequest
    ) -> Delegation:
        """Name `request.delegate_id` to decide for `user_id` while away (audited)."""
        delegate = request.delegate_id
        assert delegate is not None
        if delegate == user_id:
            raise Denied(N_("You can't be your own delegate; name someone else."))
        directory = self.links.directory
        if directory is not None:
            standing = await directory.standing(team_id, delegate)
            if standing is None or not standing.is_person:
                raise Denied(
                    N_(
                        "{person} can't approve bills: name a member of the workspace (not a "
                        "bot, a guest or a deactivated account)."
                    ),
                    person=f"<@{delegate}>",
                )
        async with self.db.write() as s:
            row = await s.get(Delegation, (team_id, user_id), with_for_update=True)
            before = _terms(row)
            if row is None:
                row = Delegation(team_id=team_id, user_id=user_id)
                s.add(row)
            row.delegate_id = delegate
            row.starts_on = request.starts_on
            row.ends_on = request.ends_on
            row.created_at = self.clock()
            s.add(
                _event(
                    team_id,
                    channel_id,
                    user_id,
                    "delegate_named",
                    before,
                    _terms(row),
                    self.clock(),
                )
            )
        return row

    async def end(self, team_id: str, channel_id: str, user_id: str) -> bool:
        async with self.db.write() as s:
            row = await s.get(Delegation, (team_id, user_id), with_for_update=True)
            if row is None:
                return False
            before = _terms(row)
            await s.delete(row)
            s.add(
                _event(team_id, channel_id, user_id, "delegate_ended", before, None, self.clock())
            )
        return True

    async def acting_for(
        self, team_id: str, delegate_id: str, policy: EffectivePolicy
    ) -> list[str]:
        """The approvers away now who named `delegate_id` to decide in their place."""
        today = self.today()
        async with self.db.read() as s:
            rows = list(
                await s.scalars(
                    select(Delegation)
                    .where(Delegation.team_id == team_id, Delegation.delegate_id == delegate_id)
                    .order_by(Delegation.user_id)
                )
            )
        away = []
        for row in rows:
            if row.user_id == delegate_id or not policy.may_approve(row.user_id):
                continue
            if await self.away_now(row, today, self.standing_of):
                away.append(row.user_id)
        return away

    async def standing_of(self, team_id: str, user_id: str) -> Standing | None:
        directory = self.links.directory
        return await directory.standing(team_id, user_id) if directory else None

    async def away_now(
        self,
        row: Delegation,
        today: date,
        standing_of: Callable[[str, str], Awaitable[Standing | None]],
    ) -> bool:
        """Whether the approver who named this delegation is away now: within its dates, or
        while their Slack status says so (asked only when the dates don't settle it)."""
        if row.ends_on is not None and row.ends_on < today:
            return False  # over
        if row.starts_on is not None and row.ends_on is not None and row.starts_on <= today:
            return True
        standing = await standing_of(row.team_id, row.user_id)
        return standing is not None and status_says_away(standing, self.clock())

    def lookup(self) -> AwayLookup:
        """Who decides now for approvers away, for one pass over many bills."""
        return AwayLookup(self)


class AwayLookup:
    """The delegates of approvers away now, for one pass over many bills (the reminders'
    tick): each workspace's delegations are read once, and Slack is asked once per approver
    who named a delegate, not once per bill."""

    def __init__(self, delegations: Delegations) -> None:
        self.delegations = delegations
        self._rows: dict[str, dict[str, Delegation]] = {}
        self._standings: dict[tuple[str, str], Standing | None] = {}
        self._delegates: dict[tuple[str, str], str | None] = {}

    async def delegate_of(self, team_id: str, user_id: str) -> str | None:
        """Who decides for `user_id` now, if they are away and named someone; else None."""
        key = (team_id, user_id)
        if key not in self._delegates:
            rows = await self._rows_of(team_id)
            row = rows.get(user_id)
            away = row is not None and await self.delegations.away_now(
                row, self.delegations.today(), self._standing
            )
            self._delegates[key] = row.delegate_id if row is not None and away else None
        return self._delegates[key]

    async def _rows_of(self, team_id: str) -> dict[str, Delegation]:
        if team_id not in self._rows:
            async with self.delegations.db.read() as s:
                found = await s.scalars(select(Delegation).where(Delegation.team_id == team_id))
                self._rows[team_id] = {row.user_id: row for row in found}
        return self._rows[team_id]

    async def _standing(self, team_id: str, user_id: str) -> Standing | None:
        key = (team_id, user_id)
        if key not in self._standings:
            self._standings[key] = await self.delegations.standing_of(team_id, user_id)
        return self._standings[key]


def _terms(row: Delegation | None) -> dict[str, str | None] | None:
    if row is None:
        return None
    return {
        "delegate": row.delegate_id,
        "from": row.starts_on.isoformat() if row.starts_on else None,
        "until": row.ends_on.isoformat() if row.ends_on else None,
    }


def _event(
    team_id: str,
    channel_id: str,
    actor: str,
    action: str,
    before: object,
    after: object,
    now: datetime,
) -> AuditEvent:
    return AuditEvent(
        at=now,
        team_id=team_id,
        channel_id=channel_id,
        actor=actor,
        action=action,
        details={"before": before, "after": after},
    )


def delegation_phrase(row: Delegation | None) -> Phrase:
    """The person's delegation in words, for `/billpay away` without arguments."""
    if row is None:
        return Phrase(USAGE)
    if row.ends_on is None:
        return Phrase(
            N_("<@{delegate}> decides for you while your Slack status says you are away."),
            delegate=row.delegate_id,
        )
    return Phrase(
        N_(
            "<@{delegate}> decides for you from {first} until {last}, and while your Slack "
            "status says you are away."
        ),
        delegate=row.delegate_id,
        first=(row.starts_on or row.ends_on).isoformat(),
        last=row.ends_on.isoformat(),
    )
