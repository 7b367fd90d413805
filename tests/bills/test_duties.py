"""Separation of duties as rules: whoever brought a bill in never approves it, an approver pays
only what someone else approved (unless the policy says otherwise), nobody pays alone a bill no
other person approved; a channel keeps the policy it was linked with whatever the configuration
says later, and a channel linked before policies were saved follows the configuration, each
change landing in its audit trail once, with what it replaced."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import delete, select

from billpay.bills.duties import (
    POLICY_ACTOR,
    Origin,
    approval_refusal,
    payment_refusal,
    policy_count,
)
from billpay.bills.policy import EffectivePolicy
from billpay.payables.client import PayablesClient
from billpay.services import build_services
from billpay.store.db import Database
from billpay.store.models import AuditEvent, Policy
from testkit.world import ANA, BEN, CHANNEL, TEAM, bot_settings

PEOPLE = st.sampled_from(["U0ANA", "U0BEN", "U0SAM", "U0EVE"])
ORIGINS = st.none() | st.builds(Origin, PEOPLE, st.none() | PEOPLE)
APPROVALS = st.lists(PEOPLE | st.just(POLICY_ACTOR), max_size=3, unique=True)


def _policy(approver_may_pay: bool) -> EffectivePolicy:
    return EffectivePolicy(frozenset(), frozenset(), Decimal(1000), approver_may_pay)


@given(ORIGINS, PEOPLE)
def test_whoever_brought_a_bill_in_never_approves_it(origin: Origin | None, user: str) -> None:
    refused = approval_refusal(origin, user) is not None
    assert refused == (origin is not None and user in origin.people)


@given(ORIGINS, APPROVALS, PEOPLE)
def test_under_the_default_policy_a_payment_always_takes_two_people(
    origin: Origin | None, approvals: list[str], payer: str
) -> None:
    """Whatever the bill's history, a payment the default policy lets through has at least
    one person other than the payer behind it, and the payer approved nothing."""
    allowed = payment_refusal(_policy(False), origin, approvals, payer) is None
    others = set(approvals) - {POLICY_ACTOR, payer}
    if allowed:
        assert payer not in approvals
        assert others or origin is None or payer not in origin.people
    else:
        assert payer in approvals or (origin is not None and payer in origin.people)


@given(ORIGINS, APPROVALS, PEOPLE)
def test_an_approver_who_may_pay_still_never_pays_alone_what_they_brought_in(
    origin: Origin | None, approvals: list[str], payer: str
) -> None:
    allowed = payment_refusal(_policy(True), origin, approvals, payer) is None
    humans = set(approvals) - {POLICY_ACTOR}
    alone = origin is not None and payer in origin.people and not humans - {payer}
    assert allowed == (not alone)


def test_the_count_of_people_follows_the_policy() -> None:
    safe = policy_count(_policy(False), None, 48)
    assert (safe.people, safe.people_above) == (2, 3)
    risky = policy_count(_policy(True), Decimal(50), 24)
    assert (risky.people, risky.people_above, risky.auto_approve) == (1, 2, (Decimal(50), 24))


async def _policy_events(db: Database) -> list[tuple[str, str, dict[str, object]]]:
    async with db.read() as s:
        rows = await s.scalars(
            select(AuditEvent)
            .where(AuditEvent.action.in_(("channel_linked", "policy_changed")))
            .order_by(AuditEvent.id)
        )
        return [(r.action, r.actor, r.details) for r in rows]


async def test_a_linked_channel_keeps_its_policy_when_the_configuration_changes(
    bot_db: Database, payables: PayablesClient
) -> None:
    first = build_services(bot_settings(), db=bot_db, payables=payables)
    link, _ = await first.links.connect(TEAM, CHANNEL, ANA)
    ((action, _, linked),) = await _policy_events(bot_db)
    assert action == "channel_linked" and linked["policy"]["approver_may_pay"] is False

    # The bot restarted with an approver allowed to pay and named approvers: the channel linked
    # before keeps the policy it was linked with, and nothing is recorded as changed.
    changed = bot_settings(approver_may_pay=True, approvers=BEN, dual_approval_threshold="1000")
    services = build_services(changed, db=bot_db, payables=payables)
    policy = await services.links.policy_for(link)
    assert not policy.approver_may_pay and policy.may_approve(ANA)
    assert policy.dual_approval_threshold is None
    assert [a for a, _, _ in await _policy_events(bot_db)] == ["channel_linked"]


async def test_a_channel_without_a_saved_policy_follows_the_configuration_audited_once(
    bot_db: Database, payables: PayablesClient
) -> None:
    first = build_services(bot_settings(), db=bot_db, payables=payables)
    link, _ = await first.links.connect(TEAM, CHANNEL, ANA)
    async with bot_db.write() as s:  # linked before policies were saved with the link
        await s.execute(delete(Policy).where(Policy.link_id == link.id))
    await first.links.policy_for(link)
    ((_, _, linked),) = await _policy_events(bot_db)

    # The first replica to use the channel's policy records the change; others, and later
    # uses, find it recorded.
    changed = bot_settings(approver_may_pay=True, dual_approval_threshold="1000.00")
    for _replica in range(2):
        services = build_services(changed, db=bot_db, payables=payables)
        for _use in range(2):
            policy = await services.links.policy_for(link)
            assert policy.approver_may_pay
    events = await _policy_events(bot_db)
    assert [(a, actor) for a, actor, _ in events] == [
        ("channel_linked", ANA),
        ("policy_changed", "configuration"),
    ]
    details = events[1][2]
    assert details["before"] == linked["policy"]
    assert details["policy"] == {**linked["policy"], "approver_may_pay": True,
                                 "dual_approval_threshold": "1000"}  # fmt: skip
