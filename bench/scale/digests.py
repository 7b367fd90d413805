"""Part 4: the digests of many channels from the mirror, with no payables calls."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from sqlalchemy import insert, literal, select

from bench.scale.report import console, verdict
from bench.scale.world import World, mirror_of
from billpay.store.models import CompanyLink
from testkit.world import ANA


async def digests(w: World, channels: int) -> tuple[float, float, int, int]:
    """The digests of `channels` channels (two per company) of companies with this world's
    bills: (seconds for all, seconds for one channel alone, payables calls, digests)."""
    from billpay.digest.service import compute_digests
    from billpay.digest.store import active_subscriptions, create_subscription
    from billpay.store.models import MirroredBill, MirrorState

    company, connection = w.ids
    companies = max(1, channels // 2)
    async with w.services.db.write() as s:
        columns = [c.name for c in MirroredBill.__table__.columns if c.name != "id"]
        state_columns = [c.name for c in MirrorState.__table__.columns if c.name != "id"]
        for n in range(1, companies):
            other = f"{company[:-6]}{n:06d}"
            renamed = {"company_id": literal(other), "connection_id": literal(connection)}
            await s.execute(
                insert(MirroredBill).from_select(
                    columns,
                    select(*[renamed.get(c, getattr(MirroredBill, c)) for c in columns]).where(
                        MirroredBill.company_id == company
                    ),
                )
            )
            await s.execute(
                insert(MirrorState).from_select(
                    state_columns,
                    select(*[renamed.get(c, getattr(MirrorState, c)) for c in state_columns]).where(
                        MirrorState.company_id == company
                    ),
                )
            )
            for team in range(2):
                s.add(
                    CompanyLink(
                        team_id=f"T{team:04d}",
                        channel_id=f"C{n:04d}X{team}",
                        company_id=other,
                        connection_id=connection,
                        company_name=f"Company {n}",
                        base_currency="GBP",
                        linked_by=ANA,
                    )
                )
        s.add(
            CompanyLink(
                team_id="T0002",
                channel_id="C0000X1",
                company_id=company,
                connection_id=connection,
                company_name="Demo",
                base_currency="GBP",
                linked_by=ANA,
            )
        )
    async with w.services.db.read() as s:
        link_ids = list(await s.scalars(select(CompanyLink.id).order_by(CompanyLink.id)))
    for link_id in link_ids:
        await create_subscription(w.services.db, link_id, created_by=ANA, time_zone="UTC")
    now = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    runs = [(sub, sub.local_date(now)) for sub in await active_subscriptions(w.services.db)]
    runs = [r for r in runs if r[0].is_due(now)][:channels]
    mirror = mirror_of(w.services)
    before = len(w.wire.requests)
    started = time.perf_counter()
    await compute_digests(w.services.db, mirror, runs[:1])
    one = time.perf_counter() - started
    started = time.perf_counter()
    results = await compute_digests(w.services.db, mirror, runs)
    took = time.perf_counter() - started
    return took, one, len(w.wire.requests) - before, len(results)


def print_digests(figures: tuple[float, float, int, int]) -> None:
    took, one, calls, count = figures
    console.print(
        f"4. Digests of {count} channels (companies of 5,000 bills, from the mirror): "
        f"{took:.1f} s, {took / count * 1000:.0f} ms a channel ({took / count / one:.1f}x "
        f"one channel alone, {one * 1000:.0f} ms); payables calls {calls} "
        f"(target: 0, {verdict(calls == 0)})"
    )
