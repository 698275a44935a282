"""Recherche : clés des organismes par nom, index du journal sur les fiches sans numéro.

rules/search_text.py organisme_search_key now keys each name apart (two spaces end a part), so
that a whole name typed in the actions' search box is looked up as a name
(services/organisme_name_search.py). The organismes' keys are rewritten with the very function
the models keep them with (models/search_keys.py). The copies in their actions' keys are left as
they are: the same words, found by the same word patterns (an organisme's next rename rewrites
them); the name look-up reads the organisme's own key only. On PostgreSQL, the two btree
indexes of that look-up, and the journal's trigram index on the labels of the records without a
number (schema.sql); SQLite reads its tables.
"""
import sqlalchemy as sa
from alembic import op

from backoffice.rules import organisme_search_key

revision = "0005_organisme_name_keys"
down_revision = "0004_sort_indexes"
branch_labels = None
depends_on = None

BATCH = 5000


def _rewrite(key) -> None:
    bind = op.get_bind()
    last = 0
    while True:
        rows = bind.execute(sa.text("SELECT id, raison_sociale, nom_usuel, siret FROM organisme "
                                    "WHERE id > :last ORDER BY id LIMIT :n"), {"last": last, "n": BATCH}).all()
        if not rows:
            return
        bind.execute(sa.text("UPDATE organisme SET search_key = :key WHERE id = :row_id"),
                     [{"row_id": row_id, "key": key(raison_sociale, nom_usuel, siret)}
                      for row_id, raison_sociale, nom_usuel, siret in rows])
        last = rows[-1][0]


def _single_spaced(raison_sociale, nom_usuel, siret) -> str:
    """The key as revision 0003 wrote it: the words of the three texts in one run."""
    words = organisme_search_key(raison_sociale, nom_usuel, siret).split()
    return " " + " ".join(words) + " " if words else " "


INDEXES = [
    ("ix_organisme_raison_sociale_key", "organisme (search_key text_pattern_ops)"),
    ("ix_organisme_nom_usuel_key", "organisme ((substr(search_key, strpos(search_key, '  ') + 1)) text_pattern_ops)"),
    # the journal's search of a record without a number by its label (admin_views/journal_search.py)
    ("ix_history_label_search", "history USING gin (lower(numero) gin_trgm_ops) "
                                "WHERE substr(numero, 1, 3) NOT IN ('OF_', 'AF_', 'SE_')"),
]


def upgrade() -> None:
    _rewrite(organisme_search_key)
    if op.get_bind().dialect.name == "postgresql":
        for name, definition in INDEXES:
            op.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {definition}")


def downgrade() -> None:
    for name, _definition in INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {name}")
    _rewrite(_single_spaced)
