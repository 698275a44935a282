"""Tris et filtres des listes servis par des index ; nom de l'organisme recopié sur ses actions.

schema.sql's action.organisme_tri (models/sort_keys.py keeps it) filled from the organismes, and
the indexes behind every sort and filter the actions, sessions and journal lists offer
(admin_views/action.py, session.py, history.py; figures in bench/RESULTS.md, bench_search block).
The same statements on PostgreSQL and SQLite.
"""
import sqlalchemy as sa
from alembic import op

revision = "0004_sort_indexes"
down_revision = "0003_search_key"
branch_labels = None
depends_on = None

INDEXES = [
    ("ix_action_controle_updated", "action (controle, updated_at, id)"),
    ("ix_action_etat_fiche_updated", "action (etat_fiche, updated_at, id)"),
    ("ix_action_organisme_tri", "action (organisme_tri, updated_at, id)"),
    ("ix_action_organisme_id_tri", "action (organisme_id, organisme_tri, updated_at, id)"),
    ("ix_action_avec_programme", "action (updated_at, id) WHERE programme_id IS NOT NULL"),
    ("ix_session_duree", "session (duree_totale, id)"),
    ("ix_session_archivee", "session (archivee, date_debut, id)"),
    ("ix_session_dispositif", "session (dispositif_id, date_debut, id)"),
    ("ix_session_modalite", "session (modalite_code, date_debut, id)"),
    ("ix_history_actor", "history (actor_label, at, id)"),
    ("ix_history_user", "history (user_id, at, id) WHERE user_id IS NOT NULL"),
    ("ix_history_op", "history (op, at, id)"),
    ("ix_organisme_code_postal", "organisme (code_postal, updated_at, id)"),
    ("ix_organisme_type_financeur", "organisme (type_financeur_code, updated_at, id)"),
    ("ix_organisme_financeurs", "organisme (updated_at, id) WHERE est_financeur"),
    ("ix_organisme_mediateurs", "organisme (updated_at, id) WHERE est_mediateur"),
    ("ix_organisme_hors_formation", "organisme (updated_at, id) WHERE NOT est_organisme_formation"),
]
# indexes of the baseline that gain columns: (name, new definition, old definition)
WIDENED = [
    ("ix_action_publication", "action (publication, updated_at, id)", "action (publication, updated_at)"),
    ("ix_organisme_nom_usuel", "organisme (nom_usuel, id)", "organisme (nom_usuel)"),
    ("ix_organisme_etat", "organisme (etat, updated_at, id)", "organisme (etat)"),
]
# the journal's Auteur filter: trigram indexes (pg_trgm, created by schema.sql / 0003), PostgreSQL only
POSTGRESQL_ONLY = [
    ("ix_users_nom_search", "users USING gin (lower((prenom || ' ') || nom) gin_trgm_ops)"),
    ("ix_users_identifiant_search", "users USING gin (lower(identifiant) gin_trgm_ops)"),
]
SORT_KEY = ("UPDATE action SET organisme_tri = (SELECT coalesce(nullif(o.nom_usuel, ''), o.raison_sociale) "
            "FROM organisme o WHERE o.id = action.organisme_id)")


def upgrade() -> None:
    bind = op.get_bind()
    if "organisme_tri" not in {c["name"] for c in sa.inspect(bind).get_columns("action")}:
        op.add_column("action", sa.Column("organisme_tri", sa.String(250), nullable=True))
    op.execute(SORT_KEY)
    for name, definition, _old in WIDENED:
        op.execute(f"DROP INDEX IF EXISTS {name}")
        op.execute(f"CREATE INDEX {name} ON {definition}")
    for name, definition in INDEXES:
        op.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {definition}")
    if bind.dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for name, definition in POSTGRESQL_ONLY:
            op.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {definition}")


def downgrade() -> None:
    for name, _definition in INDEXES + POSTGRESQL_ONLY:
        op.execute(f"DROP INDEX IF EXISTS {name}")
    for name, _definition, old in WIDENED:
        op.execute(f"DROP INDEX IF EXISTS {name}")
        op.execute(f"CREATE INDEX {name} ON {old}")
    # (SQLite 3.35+ drops a column in place, its CHECKs kept; batch mode would rebuild without them)
    op.execute("ALTER TABLE action DROP COLUMN organisme_tri")
