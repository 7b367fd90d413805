"""Conversations on a bill: a question asked in the card's thread, open until the asker or an
approver resolves it, and replies in the thread that read as an approval.

A question open on a bill holds back its payment: paying needs an explicit override, audited.
A reply such as "approved" or "ok to pay" decides nothing by itself; it only lets the bot ask
the approver, in a message only they see, whether to approve (`reads_as_approval`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select

from billpay.bills.book import CaseBook
from billpay.bills.cases import audit, case_for_update, stamp, sync_case, views_of
from billpay.bills.links import Links
from billpay.core.bounds import MAX_QUESTION_LENGTH, text_problem
from billpay.core.domain import CaseRef, CaseState, CaseView, OpenQuestion
from billpay.core.errors import Denied, OutOfDate
from billpay.core.i18n import N_
from billpay.store.db import Database
from billpay.store.models import BillCase, BillMessage, Decision, Question

# Replies that read as an approval, in English and French, written the way people type them
# (case, accents and trailing punctuation ignored). A match only offers a button.
APPROVAL_PHRASES = (
    r"approved?",
    r"looks good( to me)?",
    r"lgtm",
    r"ok(ay)? to pay",
    r"good to pay",
    r"approuvee?s?",
    r"je valide",
    r"validee?",
    r"bon pour (accord|paiement)",
    r"ok pour (moi|payer|le paiement)",
    r"c'?est bon( pour moi)?",
    r"ca me va",
    r"tu peux payer",
    r"vous pouvez payer",
)
_APPROVAL = re.compile(r"^(?:" + "|".join(APPROVAL_PHRASES) + r")(?:[\s!.]*(?::[\w+-]+:)?)*$")
MAX_REPLY_CANDIDATES = 5


def reads_as_approval(text: str) -> bool:
    """Does this reply say the bill may be paid? Whole short replies only: "approved",
    "Looks good!", "ok to pay", "c'est bon", "Approuvé." (not "not approved", not a long
    message that mentions approval)."""
    folded = re.sub(r"<@[A-Z0-9]+>", "", text)
    folded = unicodedata.normalize("NFKD", folded.casefold().replace("’", "'"))
    folded = "".join(c for c in folded if not unicodedata.combining(c))
    folded = " ".join(folded.split()).strip(" ,")
    return len(folded) <= 60 and bool(_APPROVAL.match(folded))


def question_problem(text: str) -> str | None:
    if not text.strip():
        return N_("Write the question.")
    return text_problem(text, limit=MAX_QUESTION_LENGTH, multiline=True)


class Questions:
    def __init__(
        self, db: Database, links: Links, cases: CaseBook, clock: Callable[[], datetime]
    ) -> None:
        self.db = db
        self.links = links
        self.cases = cases
        self.clock = clock

    async def check_may_ask(self, ref: CaseRef) -> tuple[CaseView, str | None]:
        """Before the Ask a question modal opens: the bill, and whom to ask by default (its
        first approver)."""
        link = await self.links.link_for(ref.team_id, ref.channel_id)
        view = await self.cases.case_view(link, ref.bill_id) or await self.cases.fresh_view(
            link, ref.bill_id, await self.links.policy_for(link)
        )
        if view.question is not None:
            raise Denied(N_("A question is already open on this bill: answer it in the thread."))
        return view, (view.approvals[0] if view.approvals else None)

    async def ask(
        self, ref: CaseRef, user_id: str, asked_of: str, text: str, message_ts: str | None
    ) -> tuple[CaseView, OpenQuestion]:
        if problem := question_problem(text):
            raise Denied(problem)
        link = await self.links.link_for(ref.team_id, ref.channel_id)
        policy = await self.links.policy_for(link)
        bill = await self.cases.read_bill(link, ref.bill_id)
        async with self.db.write() as s:
            now = self.clock()
            case = await sync_case(s, link, bill, policy, now=now)
            existing = await s.scalar(
                select(Question.id).where(
                    Question.case_id == case.id, Question.resolved_at.is_(None)
                )
            )
            if existing is not None:
                raise Denied(
                    N_("A question is already open on this bill: answer it in the thread.")
                )
            row = Question(
                case_id=case.id,
                asked_by=user_id,
                asked_of=asked_of,
                text=text.strip(),
                channel_id=ref.channel_id,
                message_ts=message_ts,
                asked_at=now,
            )
            s.add(row)
            stamp(case, now)
            await s.flush()
            audit(
                s,
                link,
                user_id,
                "question_asked",
                ref.bill_id,
                now=now,
                question_id=row.id,
                asked_of=asked_of,
            )
            view = (await views_of(s, [case]))[0]
        assert view.question is not None
        return view, view.question

    async def resolve(self, ref: CaseRef, user_id: str, question_id: int) -> CaseView:
        """Mark a question resolved: by the person who asked it or by an approver."""
        link = await self.links.link_for(ref.team_id, ref.channel_id)
        policy = await self.links.policy_for(link)
        async with self.db.write() as s:
            now = self.clock()
            case = await case_for_update(s, link.id, ref.bill_id)
            row = await s.get(Question, question_id, with_for_update=True)
            if case is None or row is None or row.case_id != case.id:
                raise OutOfDate()
            if row.resolved_at is None:
                if user_id != row.asked_by and not policy.may_approve(user_id):
                    raise Denied(
                        N_("Only the person who asked or an approver can mark it resolved.")
                    )
                row.resolved_by = user_id
                row.resolved_at = now
                stamp(case, now)
                audit(
                    s, link, user_id, "question_resolved", ref.bill_id, now=now, question_id=row.id
                )
            await s.flush()
            return (await views_of(s, [case]))[0]

    async def reply_candidates(
        self, team_id: str, channel_id: str, thread_ts: str, user_id: str
    ) -> list[CaseView]:
        """The bills a reply in this thread may approve: the thread must be one of the bot's
        `/bills` messages, the person an approver who hasn't approved them yet, the bills
        waiting for approval. Bills with a question in this thread come first."""
        async with self.db.read() as s:
            message = await s.scalar(
                select(BillMessage).where(
                    BillMessage.channel_id == channel_id, BillMessage.ts == thread_ts
                )
            )
        if message is None:
            return []
        link = await self.links.link_for(team_id, channel_id)
        if link.id != message.link_id or not (await self.links.policy_for(link)).may_approve(
            user_id
        ):
            return []
        views = await self.cases.case_views(link.id, message.bill_ids)
        async with self.db.read() as s:
            mine = set(
                await s.scalars(
                    select(Decision.case_id).where(
                        Decision.user_id == user_id, Decision.kind == "approve"
                    )
                )
            )
            asked_here = set(
                await s.scalars(
                    select(Question.case_id).where(
                        Question.channel_id == channel_id, Question.message_ts == thread_ts
                    )
                )
            )
        ids = await self._case_ids(link.id, [v.bill_id for v in views])
        waiting = [
            v for v in views if v.state == CaseState.PENDING and ids.get(v.bill_id) not in mine
        ]
        waiting.sort(key=lambda v: ids.get(v.bill_id) not in asked_here)
        if any(ids.get(v.bill_id) in asked_here for v in waiting):
            waiting = [v for v in waiting if ids.get(v.bill_id) in asked_here]
        return waiting[:MAX_REPLY_CANDIDATES]

    async def _case_ids(self, link_id: int, bill_ids: list[str]) -> dict[str, int]:
        async with self.db.read() as s:
            rows = await s.execute(
                select(BillCase.bill_id, BillCase.id).where(
                    BillCase.link_id == link_id, BillCase.bill_id.in_(bill_ids)
                )
            )
            return {bill_id: case_id for bill_id, case_id in rows}
