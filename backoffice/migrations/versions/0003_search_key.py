"""Recherche en français : clés de recherche des actions et des organismes.

Adds `search_key` to organisme and action (schema.sql), fills it for every row with the very
functions the models keep it with (models/search_keys.py, rules/search_text.py), and on
PostgreSQL indexes it with pg_trgm (GIN, gin_trgm_ops), which the search boxes' LIKE use
(services/search_text.py). SQLite searches the same column without an index.
"""
import sqlalchemy as sa
from alembic import op

from backoffice.rules import action_search_key, organisme_search_key

revision = "0003_search_key"
down_revision = "0002_since_stop21"
branch_labels = None
depends_on = None

INDEXES = {"ix_organisme_search": "organisme", "ix_action_search": "action"}
BATCH = 5000  # rows read and written at a time (400,000 actions: a few minutes, memory bounded)


def _columns(table: str) -> set[str]:
    return {c["name"] for c in sa.inspect(op.get_bind()).get_columns(table)}


def _write(bind, table: str, keys: list[dict]) -> None:
    if keys:
        bind.execute(sa.text(f"UPDATE {table} SET search_key = :key WHERE id = :row_id"), keys)


def _backfill(bind) -> None:
    organisme_keys = {}
    rows = bind.execute(sa.text("SELECT id, raison_sociale, nom_usuel, siret FROM organisme")).all()
    for row_id, raison_sociale, nom_usuel, siret in rows:
        organisme_keys[row_id] = organisme_search_key(raison_sociale, nom_usuel, siret)
    items = list(organisme_keys.items())
    for start in range(0, len(items), BATCH):
        _write(bind, "organisme", [{"row_id": i, "key": k} for i, k in items[start:start + BATCH]])
    last = 0
    while True:  # by id ranges: the actions' texts are kilobytes each
        rows = bind.execute(sa.text("SELECT id, organisme_id, intitule, objectif, contenu FROM action "
                                    "WHERE id > :last ORDER BY id LIMIT :n"), {"last": last, "n": BATCH}).all()
        if not rows:
            return
        _write(bind, "action", [{"row_id": row_id, "key": action_search_key(intitule, organisme_keys.get(organisme_id),
                                                                           objectif, contenu)}
                                for row_id, organisme_id, intitule, objectif, contenu in rows])
        last = rows[-1][0]


def upgrade() -> None:
    bind = op.get_bind()
    postgresql = bind.dialect.name == "postgresql"
    for table in ("organisme", "action"):
        if "search_key" not in _columns(table):
            op.execute(f"ALTER TABLE {table} ADD COLUMN search_key TEXT NOT NULL DEFAULT ' '")
    _backfill(bind)
    if postgresql:
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for name, table in INDEXES.items():
            op.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin (search_key gin_trgm_ops)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name in INDEXES:
            op.execute(f"DROP INDEX IF EXISTS {name}")
    for table in ("action", "organisme"):
        op.execute(f"ALTER TABLE {table} DROP COLUMN search_key")
