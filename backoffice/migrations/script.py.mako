"""${message}"""
from alembic import op

revision = ${repr(up_revision)}
down_revision = ${repr(down_revision)}
branch_labels = ${repr(branch_labels)}
depends_on = ${repr(depends_on)}


def upgrade() -> None:
    # Write the same DDL as the change made to schema.sql (tests/integration/test_migrations.py compares
    # the two), valid on PostgreSQL and SQLite: op.get_bind().dialect.name where they differ. SQLite
    # cannot drop a constraint or alter a column: rebuild the table by hand as 0002_since_stop21 does
    # (op.batch_alter_table's copy loses the table's unnamed CHECK constraints); ALTER TABLE ... DROP
    # COLUMN works there for a column no index or constraint names.
    ${upgrades if upgrades else "pass"}


def downgrade() -> None:
    ${downgrades if downgrades else "pass"}
