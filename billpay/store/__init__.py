"""The bot's own state: channel links, approval policies, bill cases, decisions, payments, the
messages that show them and the audit trail. Tables are created and changed by Alembic migrations
(`billpay db upgrade`); `models` holds the SQLAlchemy mapping, `migrate` runs the migrations.
"""
