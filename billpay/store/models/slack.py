"""Slack's own tables, built into the bot's metadata."""

from __future__ import annotations

from datetime import datetime

from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from billpay.store.db import UTCDateTime
from billpay.store.models.base import Base

# Slack's installations, one per workspace that installed the app through OAuth, and the OAuth
# flow's states: slack_sdk's `AsyncSQLAlchemyInstallationStore` and `AsyncSQLAlchemyOAuthStateStore`
# read and write them (`billpay.slack.installations`). Their definitions are slack_sdk's own,
# built into the bot's metadata so that migration 0021 creates them and the migrations test
# keeps the two in step; `tests/store/test_slack_tables.py` compares them with the stores'.
SLACK_INSTALLATIONS = SQLAlchemyInstallationStore.build_installations_table(
    Base.metadata, SQLAlchemyInstallationStore.default_installations_table_name
)
SLACK_BOTS = SQLAlchemyInstallationStore.build_bots_table(
    Base.metadata, SQLAlchemyInstallationStore.default_bots_table_name
)
SLACK_OAUTH_STATES = SQLAlchemyOAuthStateStore.build_oauth_states_table(
    Base.metadata, SQLAlchemyOAuthStateStore.default_table_name
)


class SlackDeparture(Base):
    """With one workspace (`SLACK_BOT_TOKEN`), the workspace that uninstalled the app or had
    its bot token revoked, until a start finds the configured token answering for it again
    (`billpay.slack.departures`): every replica, and a restart, see it gone."""

    __tablename__ = "slack_departures"

    team_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    # What Slack sent ("app_uninstalled" or "tokens_revoked"), and when.
    kind: Mapped[str] = mapped_column(String(32))
    since: Mapped[datetime] = mapped_column(UTCDateTime)
