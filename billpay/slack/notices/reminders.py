"""Approval reminders as the bot sends them: a reminder goes to each approver alone, in their
own language, with a link to the card (to the delegate of an approver who is away, saying for
whom: one message per bill, also when the delegate approves it too); an escalation (a bill
due tomorrow or overdue with no decision) or an approval by policy is a line in the card's
thread."""

from __future__ import annotations

from billpay.core.domain import Nudge
from billpay.core.i18n import words
from billpay.services import Services
from billpay.slack.blocks.reminders import nudge_text
from billpay.slack.people import UNHURRIED_WAIT_SECONDS, People


class NudgeSender:
    """Sends each due nudge; `people` is the scheduler's cache of readers."""

    def __init__(self, services: Services, people: People) -> None:
        self.services = services
        self.publisher = services.must_publish()
        self.people = people

    async def send(self, nudge: Nudge) -> None:
        team_id = nudge.team_id
        shown = await self.services.messages.showing(nudge.link_id, nudge.case.bill_id)
        if nudge.kind == "approved_by_policy":
            shown = await self.publisher.bill_changed(team_id, nudge.link_id, nudge.case.bill_id)
        today = self.services.clock().date()
        if nudge.kind == "remind" and nudge.who:
            client = self.publisher.client(team_id)
            permalink = None
            if shown:
                channel_id, ts = shown[0].channel_id, shown[0].ts
                found = await client.chat_getPermalink(channel=channel_id, message_ts=ts)
                permalink = str(found["permalink"])
            for user_id, (own, for_whom) in _readers(nudge).items():
                reader = await self.people.get(
                    client, team_id, user_id, wait=UNHURRIED_WAIT_SECONDS
                )
                _ = words(reader.locale)
                text = nudge_text(
                    nudge, locale=reader.locale, today=today, for_whom=for_whom, own=own
                )
                if permalink:
                    label = _("Open the card")
                    text += f" <{permalink}|{label}>"
                await self.publisher.quietly(
                    self.publisher.direct_message(team_id, user_id, text),
                    "remind an approver",
                )
            return
        if shown:
            channel_id, ts = shown[0].channel_id, shown[0].ts
            locale = await self.publisher.channel_language(team_id, channel_id)
            text = nudge_text(nudge, locale=locale, today=today)
            await self.publisher.quietly(
                self.publisher.thread_line(team_id, channel_id, ts, text), "post in the thread"
            )


def _readers(nudge: Nudge) -> dict[str, tuple[bool, list[str]]]:
    """Who is reminded, once each: whether for themselves, and for which away approvers (a
    delegate who approves the bill too, or stands in for two, gets one message saying so)."""
    readers: dict[str, tuple[bool, list[str]]] = {}
    for approver in nudge.who:
        delegate = nudge.delegate_of(approver)
        _, for_whom = readers.setdefault(delegate or approver, (False, []))
        if delegate is None:
            readers[approver] = (True, for_whom)
        else:
            for_whom.append(approver)
    return readers
