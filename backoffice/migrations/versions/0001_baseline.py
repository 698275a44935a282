"""Structure de départ : celle que créait « flask init-db » de la version précédente.

Its schema.sql, frozen beside this file (0001_baseline.sql).
"""
from pathlib import Path

import sqlalchemy as sa
from alembic import op

from backoffice.db_schema import apply_schema_file

revision = "0001_baseline"
down_revision = None
branch_labels = None
depends_on = None

FROZEN = Path(__file__).with_name("0001_baseline.sql")


def upgrade() -> None:
    apply_schema_file(op.get_bind(), FROZEN)


def downgrade() -> None:
    # every table but Alembic's own, children before parents (reflected: later revisions may have
    # added tables their own downgrade already removed)
    bind = op.get_bind()
    metadata = sa.MetaData()
    metadata.reflect(bind)
    version_table = metadata.tables.get("alembic_version")
    if version_table is not None:
        metadata.remove(version_table)
    metadata.drop_all(bind)
