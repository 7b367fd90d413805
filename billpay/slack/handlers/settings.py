"""The bot's settings in Slack: `/billpay policy` opens the channel's policy form (approvers,
a user group of approvers, payers, the dual-approval threshold, approving and paying, the
reminder interval, the daily digest), its submission saves it; `/billpay admins [add|remove
@person]` lists or changes who may change settings besides the workspace's admins and owners;
`/billpay grant [remove] <company id>` gives a company of the payables account to the workspace
(`billpay.bills.grants`). Only they may open or save these (`billpay.bills.admins`); every
change is audited with the terms before and after."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt.async_app import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from billpay.bills.admins import admins_phrase
from billpay.bills.grants import USAGE as GRANT_USAGE
from billpay.bills.grants import read_company_id
from billpay.bills.policy_store import PolicyField, read_policy_form
from billpay.core.errors import FORM_OUT_OF_DATE, Denied, FieldErrors, OutOfDate
from billpay.core.i18n import N_, Phrase, words
from billpay.core.mrkdwn import escape
from billpay.digest import store as digest_store
from billpay.digest.settings_form import read_digest_form
from billpay.services import Services
from billpay.slack.blocks.ids import Action, Callback, Input
from billpay.slack.blocks.metadata import PolicyMetadata
from billpay.slack.blocks.modals import WHEN_EMPTY
from billpay.slack.blocks.settings import MAY_PAY, NO_GROUP, PolicyShown, policy_modal
from billpay.slack.blocks.status import digest_line
from billpay.slack.boundary import Ack, Listeners
from billpay.slack.budget import trigger_of
from billpay.slack.directory import SlackDirectory
from billpay.slack.envelope import (
    Command,
    Submission,
    click_of,
    field_choices,
    field_element,
    field_value,
)
from billpay.slack.handlers.digest import DIGEST_FIELDS
from billpay.slack.people import LazyPerson

POLICY_FIELDS: dict[PolicyField, Input] = {
    "threshold": Input.POLICY_THRESHOLD,
    "reminder": Input.POLICY_REMINDER,
    "approvers": Input.POLICY_APPROVERS,
    "payers": Input.POLICY_PAYERS,
    "group": Input.POLICY_GROUP,
}
_USER = re.compile(r"^<@([UW][A-Z0-9]{1,23})(?:\|[^>]{0,80})?>$|^([UW][A-Z0-9]{1,23})$")
ADMINS_USAGE = N_("Run `/billpay admins add @person` or `/billpay admins remove @person`.")


def _users(body: dict[str, Any], block_id: str) -> list[str]:
    chosen = field_element(body, block_id).get("selected_users")
    if not isinstance(chosen, list):
        return []
    return [u for u in chosen[:101] if isinstance(u, str) and _USER.match(u)]


def register(on: Listeners, services: Services) -> None:
    settings = services.settings

    async def open_policy_form(
        team_id: str,
        channel_id: str,
        user_id: str,
        trigger_id: str,
        client: AsyncWebClient,
        person: LazyPerson,
    ) -> None:
        """The channel's policy form, for someone who may change it (else `Denied`)."""
        link = await services.links.link_for(team_id, channel_id)
        current = await services.policies.editable(link, user_id)
        reader = await person
        subscription = await digest_store.create_subscription(
            services.db, link.id, created_by=user_id, time_zone=reader.time_zone
        )
        groups = await SlackDirectory(services.must_publish().client).groups(team_id)
        hours = (
            settings.reminder_hours if current.reminder_hours is None else current.reminder_hours
        )
        metadata = PolicyMetadata(
            channel_id=channel_id, subscription_id=subscription.id, locale=reader.locale
        )
        await client.views_open(
            trigger_id=trigger_id,
            view=policy_modal(
                link.company_name,
                link.base_currency,
                PolicyShown(
                    approvers=current.approvers,
                    approver_group=current.approver_group,
                    payers=current.payers,
                    threshold=current.dual_approval_threshold,
                    approver_may_pay=current.approver_may_pay,
                    reminder_hours=hours,
                ),
                groups,
                subscription,
                metadata,
                locale=reader.locale,
            ),
        )

    @on.command("/billpay", verb="policy")
    async def policy(
        ack: Ack,
        slash: Command,
        body: dict[str, Any],
        client: AsyncWebClient,
        person: LazyPerson,
    ) -> None:
        await ack()
        await open_policy_form(
            slash.team_id, slash.channel_id, slash.user_id, trigger_of(body), client, person
        )

    @on.action(Action.OPEN_POLICY, None)
    async def policy_button(
        ack: Ack, body: dict[str, Any], client: AsyncWebClient, person: LazyPerson
    ) -> None:
        """`/billpay status`'s button: the same form, the same refusal."""
        await ack()
        click = click_of(body)
        await open_policy_form(
            click.team_id, click.channel_id, click.user_id, trigger_of(body), client, person
        )

    @on.view(Callback.POLICY, PolicyMetadata)
    async def policy_submitted(
        ack: Ack,
        body: dict[str, Any],
        submission: Submission,
        metadata: PolicyMetadata,
        client: AsyncWebClient,
        person: LazyPerson,
    ) -> None:
        link = await services.links.link_for(submission.team_id, metadata.channel_id)
        group = field_value(body, Input.POLICY_GROUP)
        form = read_policy_form(
            approvers=_users(body, Input.POLICY_APPROVERS),
            approver_group=None if group in (None, NO_GROUP) else group,
            payers=_users(body, Input.POLICY_PAYERS),
            threshold=field_value(body, Input.POLICY_THRESHOLD),
            approver_may_pay=MAY_PAY in field_choices(body, Input.POLICY_MAY_PAY),
            reminder_hours=field_value(body, Input.POLICY_REMINDER),
            currency=link.base_currency,
            locale=metadata.locale,
        )
        digest = read_digest_form(
            local_time=field_value(body, Input.DIGEST_TIME),
            time_zone=field_value(body, Input.DIGEST_ZONE),
            weekdays=field_choices(body, Input.DIGEST_WEEKDAYS),
            look_ahead=field_value(body, Input.DIGEST_LOOK_AHEAD),
            post_when_empty=WHEN_EMPTY in field_choices(body, Input.DIGEST_WHEN_EMPTY),
        )
        errors: dict[str, Phrase] = {}
        if isinstance(form, dict):
            errors |= {POLICY_FIELDS[name]: text for name, text in form.items()}
        if isinstance(digest, dict):
            errors |= {DIGEST_FIELDS[name]: text for name, text in digest.items()}
        if errors:
            raise FieldErrors(errors)
        assert not isinstance(form, dict) and not isinstance(digest, dict)
        current = await digest_store.subscription_for_link(services.db, link.id)
        if current is None or current.id != metadata.subscription_id:
            raise OutOfDate(FORM_OUT_OF_DATE)
        await services.admins.require(link.team_id, submission.user_id)
        await ack()
        await services.policies.save(link, submission.user_id, form)
        # Who may approve and pay may have changed: so have the queues in people's Homes.
        services.must_publish().homes.changed(link.team_id)
        saved = await digest_store.save_settings(services.db, current.id, digest)
        await services.links.record_digest_changed(
            link.id, submission.user_id, current.terms(), saved.terms()
        )
        locale = (await person).locale
        _ = words(locale)
        await client.chat_postEphemeral(
            channel=metadata.channel_id,
            user=submission.user_id,
            text=_("Saved the channel's policy.") + " " + digest_line(saved, locale=locale),
        )

    @on.command("/billpay", verb="admins")
    async def admins(ack: Ack, slash: Command, respond: AsyncRespond, person: LazyPerson) -> None:
        await ack()
        locale = (await person).locale
        _ = words(locale)
        parts = slash.rest.split()
        if not parts:
            named = await services.admins.named(slash.team_id)
            await respond(text=admins_phrase(named).say(_), response_type="ephemeral")
            return
        found = _USER.match(parts[1]) if len(parts) == 2 else None
        if parts[0].casefold() not in ("add", "remove") or found is None:
            raise Denied(ADMINS_USAGE)
        user_id = found.group(1) or found.group(2)
        if parts[0].casefold() == "add":
            await services.admins.add(slash.team_id, slash.channel_id, slash.user_id, user_id)
            text = _("<@{person}> can now change the bot's settings.", person=user_id)
        else:
            removed = await services.admins.remove(
                slash.team_id, slash.channel_id, slash.user_id, user_id
            )
            text = (
                _("<@{person}> can no longer change the bot's settings.", person=user_id)
                if removed
                else _("<@{person}> was not on the list.", person=user_id)
            )
        await respond(text=text, response_type="ephemeral")

    @on.command("/billpay", verb="grant")
    async def grant(ack: Ack, slash: Command, respond: AsyncRespond, person: LazyPerson) -> None:
        await ack()
        parts = slash.rest.split()
        removing = len(parts) == 2 and parts[0].casefold() == "remove"
        if len(parts) != (2 if removing else 1):
            raise Denied(GRANT_USAGE)
        company_id = read_company_id(parts[-1])
        grants = services.grants
        if removing:
            company = await grants.remove(
                slash.team_id, slash.channel_id, slash.user_id, company_id
            )
            text = N_(
                "*{company}* is no longer this workspace's; `/billpay connect` offers it here "
                "only if the configuration grants it."
            )
        else:
            company, changed = await grants.grant(
                slash.team_id, slash.channel_id, slash.user_id, company_id
            )
            text = (
                N_(
                    "*{company}* is now this workspace's: `/billpay connect` offers it here, and "
                    "in no other workspace."
                )
                if changed
                else N_("*{company}* was already this workspace's. Nothing was changed.")
            )
        _ = words((await person).locale)
        await respond(text=_(text, company=escape(company.name)), response_type="ephemeral")
