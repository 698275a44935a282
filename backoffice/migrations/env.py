"""Alembic's environment: runs the revisions on the connection backoffice/migrations/__init__.py hands
over (the application's engine), on PostgreSQL or SQLite. Only online mode: the revisions run their
statements through op.get_bind() (the baseline applies a frozen DDL file)."""
from alembic import context

config = context.config
connection = config.attributes.get("connection")
if connection is None or context.is_offline_mode():
    raise SystemExit("Les migrations se lancent par « flask db upgrade » (backoffice/migrations/cli.py).")

on_apply = config.attributes.get("on_apply")
# no target_metadata: revisions are written by hand from the change to schema.sql (script.py.mako)
context.configure(connection=connection, target_metadata=None, on_version_apply=on_apply)
with context.begin_transaction():
    context.run_migrations()
