"""`/billpay grant <company id>` end to end through the bot's web app, the fake Slack and the
payables sandbox: a company made in the Codat portal, without a workspace tag, is given to the
workspace by an admin (tagged through Codat's *Update company*, its other tags kept), offered by
`/billpay connect` from then on, and taken back with `/billpay grant remove`; everyone else is
refused, as are another workspace's company and one that already has Codat's 10 tags. Each
change is audited with the tags before and after."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from billpay.store.models import AuditEvent
from testkit.bot import Bot
from testkit.world import ANA, BEN, CHANNEL, TEAM
from tests.slack.handlers.test_connect import _form, _suggested


async def _answer(bot: Bot, text: str, user: str) -> str:
    before = len(bot.slack.responses)
    await bot.command("/billpay", f"grant {text}".strip(), user=user)
    (answer,) = (await bot.slack.wait_for_responses(count=before + 1))[before:]
    assert answer.get("response_type") == "ephemeral"
    return str(answer["text"])


@pytest.mark.bot(company_grants={"T0001": []})
async def test_an_admin_gives_an_untagged_company_to_the_workspace_and_takes_it_back(
    bot: Bot,
) -> None:
    portal = await bot.services.payables.create_company("Portal Ltd", tags={"region": "uk"})
    assert "Portal Ltd" not in str((await _form(bot))["blocks"])

    assert (await _answer(bot, portal.id, BEN)).startswith(
        "Only the workspace's admins and owners can change these settings."
    )
    assert (await bot.services.payables.get_company(portal.id)).tags == {"region": "uk"}

    bot.slack.users[ANA] = {"is_admin": True}
    assert await _answer(bot, portal.id, ANA) == (
        "*Portal Ltd* is now this workspace's: `/billpay connect` offers it here, and in no "
        "other workspace."
    )
    tagged = await bot.services.payables.get_company(portal.id)
    assert tagged.tags == {"region": "uk", "slack_team": TEAM}
    assert "Portal Ltd" in await _suggested(bot, await _form(bot))
    assert (await _answer(bot, portal.id, ANA)).endswith(
        "was already this workspace's. Nothing was changed."
    )

    assert (await _answer(bot, f"remove {portal.id}", ANA)).startswith(
        "*Portal Ltd* is no longer this workspace's"
    )
    assert (await bot.services.payables.get_company(portal.id)).tags == {"region": "uk"}
    async with bot.services.db.read() as s:
        events = list(
            await s.scalars(
                select(AuditEvent)
                .where(AuditEvent.action.in_(("company_granted", "company_grant_removed")))
                .order_by(AuditEvent.id)
            )
        )
    assert [(e.action, e.actor, e.company_id) for e in events] == [
        ("company_granted", ANA, portal.id),
        ("company_grant_removed", ANA, portal.id),
    ]
    assert events[0].details == {
        "before": {"region": "uk"},
        "after": {"region": "uk", "slack_team": TEAM},
    }


async def test_what_cannot_be_given_is_refused_in_words(bot: Bot) -> None:
    bot.slack.users[ANA] = {"is_admin": True}
    theirs = await bot.services.payables.create_company("Theirs Ltd", tags={"slack_team": "T0999"})
    full = await bot.services.payables.create_company(
        "Tagged Ltd", tags={f"tag{n}": "x" for n in range(10)}
    )
    unknown = "No company with that id can be given to this workspace."
    assert (await _answer(bot, theirs.id, ANA)).startswith(unknown)
    assert (await _answer(bot, "00000000-0000-4000-8000-000000000000", ANA)).startswith(unknown)
    assert (await _answer(bot, "Portal Ltd", ANA)).startswith("Give a company of the payables")
    assert (await _answer(bot, full.id, ANA)).startswith(
        "*Tagged Ltd* already has 10 tags in Codat, the most it allows"
    )
    assert (await _answer(bot, f"remove {theirs.id}", ANA)).startswith(
        "That company was not given to this workspace."
    )
    assert (await bot.services.payables.get_company(theirs.id)).tags == {"slack_team": "T0999"}
    assert len((await bot.services.payables.get_company(full.id)).tags or {}) == 10


async def test_a_company_a_channel_here_is_linked_to_is_not_taken_back(linked_bot: Bot) -> None:
    bot = linked_bot
    bot.slack.users[ANA] = {"is_owner": True}
    link = await bot.services.links.link_for(TEAM, CHANNEL)
    assert (await _answer(bot, link.company_id, ANA)).endswith("and in no other workspace.")

    answer = await _answer(bot, f"remove {link.company_id}", ANA)

    assert answer.startswith("A channel here is linked to *")
    assert "run `/billpay disconnect` there first" in answer
    company = await bot.services.payables.get_company(link.company_id)
    assert (company.tags or {}).get("slack_team") == TEAM
