"""Slack's own tables, built into the bot's metadata."""

from __future__ import annotations

from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore

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
