"""The database's structure, versioned with Alembic (plain Alembic, configured from code: no alembic.ini).

versions/ holds one revision per release that changed schema.sql: 0001_baseline is the structure
the previous release's `flask init-db` created (frozen in versions/0001_baseline.sql), each later
revision the changes since. schema.sql stays the readable DDL; that the head of these revisions
builds exactly what schema.sql builds is tests/integration/test_migrations.py.
"""
import contextlib
import io
import logging
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Connection, inspect

# Alembic is imported by the functions that use it: the web and worker processes, which register
# these commands at start, never load it. The commands say in French what they did (cli.py):
# Alembic's own English INFO lines (from its import on) would only repeat it.
logging.getLogger("alembic").setLevel(logging.WARNING)

HERE = Path(__file__).resolve().parent
BASELINE = "0001_baseline"
VERSION_TABLE = "alembic_version"
# the advisory lock `flask db upgrade` holds on PostgreSQL: the two-key form, "MIGR" as the first key
# (jobs/lheo_import.py takes "LHEO"; jobs/runtime.py's one-key locks live in another key space)
UPGRADE_LOCK = "x'4D494752'::int, 1"
# what `flask init-db` of the previous release always created: enough to recognise such a base
BASELINE_MARKS = {"organisme": {"numero", "raison_sociale"}, "action": {"numero", "etat_fiche"},
                  "users": {"identifiant", "session_version", "failed_logins"},
                  "outbox": {"dedup_key", "attempts"}, "job_run": {"job_name", "run_date"},
                  "history": {"entity", "entity_key"}, "identifier_counter": {"prefix", "last_value"}}


class MigrationRefused(Exception):
    """The base is neither empty, nor versioned, nor the previous release's: nothing was changed."""


def make_config(connection: Connection | None = None, on_apply: Callable | None = None):
    """Alembic's configuration, pointing at this package (works from an installed wheel)."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(HERE).replace("%", "%%"))
    config.set_main_option("path_separator", "os")
    # versions/NNNN_slug.py, revision id "NNNN_slug": the file is named after its id
    config.set_main_option("file_template", "%%(rev)s")
    config.attributes["connection"] = connection
    config.attributes["on_apply"] = on_apply
    return config


def script_directory():
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(make_config())


def head_revisions() -> set[str]:
    return set(script_directory().get_heads())


def current_revisions(connection: Connection) -> set[str]:
    from alembic.runtime.migration import MigrationContext

    return set(MigrationContext.configure(connection).get_current_heads())


def database_state(connection: Connection) -> str:
    """'empty', 'versioned' (Alembic's table present), 'legacy' (the previous release's init-db)
    or 'unknown'."""
    inspector = inspect(connection)
    tables = set(inspector.get_table_names()) - {"sqlite_sequence"}
    if VERSION_TABLE in tables:
        return "versioned"
    if not tables:
        return "empty"
    for table, columns in BASELINE_MARKS.items():
        if table not in tables or not columns <= {c["name"] for c in inspector.get_columns(table)}:
            return "unknown"
    return "legacy"


def upgrade(connection: Connection, target: str = "heads",
            on_apply: Callable | None = None) -> tuple[str, set[str]]:
    """Bring the base to `target` on this connection (the caller commits). A base made by the previous
    release's init-db is first recorded as 0001_baseline. Returns the state found and its revisions."""
    from alembic import command

    if connection.dialect.name == "postgresql":
        # two processes upgrading at once (say, two app servers started together): the second waits
        # here until the first commits, then finds the base up to date
        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({UPGRADE_LOCK})")
    state = database_state(connection)
    if state == "unknown":
        raise MigrationRefused(state)
    before = current_revisions(connection) if state == "versioned" else set()
    config = make_config(connection, on_apply)
    if state == "legacy":
        command.stamp(config, BASELINE)
    command.upgrade(config, target)
    return state, before


def downgrade(connection: Connection, target: str, on_apply: Callable | None = None) -> None:
    from alembic import command

    command.downgrade(make_config(connection, on_apply), target)


def stamp(connection: Connection, revision: str) -> None:
    """Record `revision` as the base's state without changing its structure."""
    from alembic import command

    command.stamp(make_config(connection), revision, purge=True)


def new_revision(message: str, slug: str) -> Path:
    """A new versions/NNNN_slug.py from script.py.mako, after the current head."""
    from alembic import command

    numbers = [int(rev.split("_", 1)[0]) for rev in (r.revision for r in script_directory().walk_revisions())
               if rev.split("_", 1)[0].isdigit()]
    rev_id = f"{max(numbers, default=0) + 1:04d}_{slug}"
    with contextlib.redirect_stdout(io.StringIO()):  # Alembic's English « Generating ... done »: cli.py says it
        script = command.revision(make_config(), message=message, rev_id=rev_id)
    return Path(script.path)
