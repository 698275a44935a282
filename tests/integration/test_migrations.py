"""Migrations (backoffice/migrations/): `flask db upgrade` builds exactly what schema.sql builds, and brings a
base of the previous release (its frozen schema.sql, versions/0001_baseline.sql, filled with the demo base)
to the same structure with its data intact; on PostgreSQL and on SQLite.

The equality test is also the guard that a change to schema.sql comes with its migration: without one the
upgraded base lacks it and the comparison fails, naming the table.
"""
import os
import subprocess
import sys
import uuid
from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import MetaData, create_engine, inspect, select, text

from backoffice import create_app
from backoffice.actor import SYSTEM, acting_as
from backoffice.db_schema import apply_schema_file, create_schema
from backoffice.migrations import BASELINE, HERE, head_revisions, script_directory
from tests.conftest import RUN_ID, app_config, make_database, new_pg_database

ROOT = Path(__file__).resolve().parents[2]
FROZEN = HERE / "versions" / "0001_baseline.sql"
NOT_STRUCTURE = {"alembic_version", "sqlite_sequence"}


@pytest.fixture
def new_database(backend, request, tmp_path):
    """new_database() -> the URL of a new empty database of the test's backend (dropped afterwards)."""
    def _new() -> str:
        name = f"bo_mig_{RUN_ID}_{uuid.uuid4().hex[:8]}"
        if backend == "sqlite":
            return f"sqlite:///{tmp_path / name}.sqlite"
        return new_pg_database(request, name)
    return _new


def structure(url: str) -> dict:
    """Tables, columns (type, nullability, default, identity), primary, unique and foreign keys, indexes and
    checks, as the database reports them. Column order is left out: PostgreSQL appends an added column."""
    engine = create_engine(url)
    try:
        inspector = inspect(engine)
        found = {}
        for table in sorted(set(inspector.get_table_names()) - NOT_STRUCTURE):
            found[table] = {
                "columns": {c["name"]: (str(c["type"]), c["nullable"], c["default"], bool(c.get("identity")))
                            for c in inspector.get_columns(table)},
                "primary key": inspector.get_pk_constraint(table)["constrained_columns"],
                "unique": sorted(tuple(u["column_names"]) for u in inspector.get_unique_constraints(table)),
                "foreign keys": sorted((tuple(fk["constrained_columns"]), fk["referred_table"],
                                        tuple(fk["referred_columns"]), str(sorted(fk["options"].items())))
                                       for fk in inspector.get_foreign_keys(table)),
                "indexes": sorted((i["name"], str(i["column_names"]), str(i.get("expressions")), i["unique"],
                                   str(sorted((k, " ".join(str(v).split())) for k, v in i.get("dialect_options", {}).items())))
                                  for i in inspector.get_indexes(table) if not i.get("duplicates_constraint")),
                # auto-generated check names depend on the order they were added: compared by their text
                "checks": sorted(" ".join(c["sqltext"].split()) for c in inspector.get_check_constraints(table)),
            }
        return found
    finally:
        engine.dispose()


def assert_same_structure(built: dict, expected: dict, when: str = "after upgrade") -> None:
    assert set(built) == set(expected), f"{when}: tables differ"
    for table in expected:
        for part in expected[table]:
            assert built[table][part] == expected[table][part], f"{when}: {table}: {part}"


def from_file(url: str, path: Path | None = None) -> str:
    engine = create_engine(url)
    if path is None:
        create_schema(engine)
    else:
        with engine.begin() as conn:
            apply_schema_file(conn, path)
    engine.dispose()
    return url


def cli(url: str, tmp_path, *args: str):
    """`flask <args>` in this process, on the base at url."""
    app = create_app(app_config(url, tmp_path))
    result = app.test_cli_runner().invoke(args=list(args))
    from backoffice.extensions import db
    with app.app_context():
        db.engine.dispose()
    return result


def recorded_revisions(url: str) -> set[str]:
    engine = create_engine(url)
    with engine.connect() as conn:
        revisions = set(conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalars())
    engine.dispose()
    return revisions


def test_the_revisions_form_one_chain_from_the_baseline():
    """Each file is named after its revision, has a downgrade, and the revisions form one line from
    0001_baseline to a single head (two heads would leave `flask db revision` refusing to write)."""
    scripts = list(script_directory().walk_revisions())
    assert [s.revision for s in scripts if not s.down_revision] == [BASELINE]
    for script in scripts:
        assert Path(script.path).stem == script.revision, script.path
        assert callable(getattr(script.module, "downgrade", None)), script.revision
    assert {"0001_baseline", "0002_since_stop21"} <= {s.revision for s in scripts}
    heads = head_revisions()
    assert len(heads) == 1, heads
    ancestors = {s.revision for s in script_directory().iterate_revisions(heads.pop(), "base")}
    assert ancestors == {s.revision for s in scripts}


def test_db_upgrade_builds_what_schema_sql_builds_and_runs_twice(backend, new_database, tmp_path):
    """An empty base upgraded to the head equals a base made from schema.sql; again changes nothing;
    downgrading to the baseline gives the previous release's structure back."""
    upgraded = new_database()
    first = cli(upgraded, tmp_path, "db", "upgrade")
    assert first.exit_code == 0, first.output
    assert "Base créée" in first.output and "0001_baseline" in first.output
    assert_same_structure(structure(upgraded), structure(from_file(new_database())))
    assert recorded_revisions(upgraded) == head_revisions()

    again = cli(upgraded, tmp_path, "init-db", "--if-empty")  # what run.sh ran before `flask db upgrade`
    assert again.exit_code == 0 and "déjà à jour" in again.output, again.output
    current = cli(upgraded, tmp_path, "db", "current")
    assert "(la plus récente)" in current.output, current.output

    back = cli(upgraded, tmp_path, "db", "downgrade", BASELINE)
    assert back.exit_code == 0, back.output
    assert_same_structure(structure(upgraded), structure(from_file(new_database(), FROZEN)),
                          f"after downgrade to {BASELINE}")
    assert recorded_revisions(upgraded) == {BASELINE}


def test_a_base_of_unknown_shape_is_refused_untouched(backend, new_database, tmp_path):
    url = new_database()
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE organisme (id INTEGER PRIMARY KEY)")
    engine.dispose()
    result = cli(url, tmp_path, "db", "upgrade")
    assert result.exit_code == 1
    assert "flask db stamp" in result.output and "rien n'a été modifié" in result.output, result.output
    engine = create_engine(url)
    assert set(inspect(engine).get_table_names()) == {"organisme"}  # no alembic_version either: nothing written
    engine.dispose()


def _rows(url: str, columns: dict[str, list[str]]) -> dict[str, list[tuple]]:
    """Every row of these tables, these columns only, in primary key order."""
    engine = create_engine(url)
    inspector = inspect(engine)
    with engine.connect() as conn:
        rows = {}
        for table, names in columns.items():
            order = ", ".join(inspector.get_pk_constraint(table)["constrained_columns"]) or ", ".join(names)
            quoted = ", ".join(f'"{name}"' for name in names)
            rows[table] = [tuple(r) for r in conn.execute(text(f'SELECT {quoted} FROM "{table}" ORDER BY {order}'))]
    engine.dispose()
    return rows


def _fill_with_the_demo_base(old_url: str, backend: str, request, tmp_path) -> None:
    """The demo base (seeds/demo.py, written with today's models) copied into the previous release's
    structure: the columns that release had, every row, ids kept."""
    current = make_database(backend, request, tmp_path)  # schema.sql and the referentials (tests/conftest.py)
    app = create_app(app_config(current, tmp_path))
    with app.app_context(), acting_as(SYSTEM):
        from backoffice.extensions import db
        from seeds.demo import load_demo
        load_demo(db.session)
        db.session.commit()
        db.engine.dispose()
    source, target = create_engine(current), create_engine(old_url)
    old = MetaData()
    old.reflect(target)
    with source.connect() as src, target.begin() as dst:
        if backend == "postgresql":  # foreign keys checked by the upgrade's own rows, not during the copy
            dst.exec_driver_sql("SET session_replication_role = replica")
        for table in old.sorted_tables:
            rows = [dict(r._mapping) for r in src.execute(select(*table.columns))]
            dst.execute(table.delete())  # the rows the DDL itself inserts (roles, counters) come again
            if rows:
                dst.execute(table.insert(), rows)
            if backend == "postgresql" and "id" in table.columns and table.columns["id"].identity is not None:
                dst.exec_driver_sql(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                                    f"(SELECT coalesce(max(id), 0) + 1 FROM {table.name}), false)")
        # what the demo does not hold: a job's run and the outbox (one sent, one given up by the old rule)
        dst.execute(text("INSERT INTO job_run (job_name, run_date, started_at, finished_at, status) "
                         "VALUES ('archivage', :day, :at, :at, 'done')"), {"day": date(2026, 12, 1),
                                                                          "at": datetime(2026, 12, 1, 2)})
        for subject, sent, attempts in (("Envoyé", datetime(2026, 12, 1, 3), 1), ("Refusé", None, 10)):
            dst.execute(text("INSERT INTO outbox (recipients, subject, body_text, created_at, sent_at, attempts) "
                             "VALUES ('a@exemple.fr', :s, 'Bonjour', :c, :sent, :n)"),
                        {"s": subject, "c": datetime(2026, 11, 30, 8), "sent": sent, "n": attempts})
    source.dispose()
    target.dispose()


def flask_env(url: str, tmp_path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "FLASK_"))}
    env.update(DATABASE_URL=url, SECRET_KEY="migration-test", BACKOFFICE_INSTANCE=str(tmp_path / "instance"),
               PYTHONPATH=str(ROOT))
    return env


FLASK = [str(Path(sys.executable).parent / "flask"), "--app", "wsgi"]


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["postgresql"])
def test_two_upgrades_started_together_create_the_base_once(backend, new_database, tmp_path):
    """Two app servers starting together, each running `flask db upgrade`: one creates, the other waits
    for it (advisory lock) and finds the base up to date."""
    url = new_database()
    processes = [subprocess.Popen([*FLASK, "db", "upgrade"], cwd=ROOT, env=flask_env(url, tmp_path),
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for _ in range(2)]
    outputs = sorted(p.communicate(timeout=300)[0] for p in processes)
    assert [p.returncode for p in processes] == [0, 0], outputs
    assert ["Base créée" in out for out in outputs] == [True, False], outputs
    assert "déjà à jour" in outputs[1], outputs
    assert recorded_revisions(url) == head_revisions()


@pytest.mark.slow
def test_a_base_of_the_previous_release_is_upgraded_with_its_data(backend, new_database, request, tmp_path):
    """The previous release's schema.sql filled with the demo base, then `flask db upgrade` as a process:
    every row and value intact, the structure of a new base, the new columns filled as the code expects."""
    old = from_file(new_database(), FROZEN)
    _fill_with_the_demo_base(old, backend, request, tmp_path)
    engine = create_engine(old)
    old_columns = {t: [c["name"] for c in inspect(engine).get_columns(t)]
                   for t in inspect(engine).get_table_names() if t not in NOT_STRUCTURE}
    engine.dispose()
    before = _rows(old, old_columns)
    assert len(before["organisme"]) >= 5 and len(before["action"]) >= 20 and len(before["users"]) >= 5

    upgraded = subprocess.run([*FLASK, "db", "upgrade"], cwd=ROOT, env=flask_env(old, tmp_path),
                              capture_output=True, text=True, timeout=300)
    assert upgraded.returncode == 0, upgraded.stdout + upgraded.stderr
    assert "Base de la version précédente reconnue" in upgraded.stdout, upgraded.stdout

    assert _rows(old, old_columns) == before
    assert_same_structure(structure(old), structure(from_file(new_database())))
    assert recorded_revisions(old) == head_revisions()
    engine = create_engine(old)
    with engine.begin() as conn:
        assert set(conn.exec_driver_sql("SELECT version_id FROM users").scalars()) == {1}
        assert set(conn.exec_driver_sql("SELECT locked_until FROM users").scalars()) == {None}
        given_up = dict(conn.exec_driver_sql("SELECT subject, failed_at FROM outbox").all())
        assert given_up["Envoyé"] is None and given_up["Refusé"] is not None
        # the same day's job run again now keeps a second record (the unique key is gone)
        conn.execute(text("INSERT INTO job_run (job_name, run_date, started_at, status) "
                          "VALUES ('archivage', :day, :at, 'started')"),
                     {"day": date(2026, 12, 1), "at": datetime(2026, 12, 1, 9)})
        assert conn.exec_driver_sql("SELECT count(*) FROM job_run WHERE job_name = 'archivage'").scalar() == 2
    engine.dispose()
