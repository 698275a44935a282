"""Fill a PostgreSQL database with a realistic back-office base, at a chosen scale, with COPY.

    .venv/bin/python -m bench.generate --db bo_bench_full                # 100 %
    .venv/bin/python -m bench.generate --db bo_bench_1pct --scale 0.01   # 1 %

100 % = 50,000 organismes, 400,000 actions, 1,200,000 sessions, 150,000 contacts, plus their
adresses, ~50,000 users attached to organismes, 8,000 extra certifications and their blocs de
compétences, the action ↔ certification / bloc / Formacode / NSF / ROME / public visé / language /
modalité pédagogique links, the sessions' funders, and one history row per organisme, action and
session. Every LHEO field the back-office holds is filled in realistic shares (bench/content.py):
prices, URLs, recruitment and inscription, per-session contacts and addresses, subcontracting,
funded places, dates known to the month on some imported sessions, communes (INSEE code) of every
address from the seeded commune table, training places in Île-de-France, some geolocations.

How: the database is (re)created from schema.sql (backoffice.db_schema.create_schema) and the
referentials (seeds.referentials.load_referentials); everything else goes in with COPY (psycopg
`cursor.copy`), never the ORM. Secondary indexes are dropped before the load and rebuilt after it;
foreign-key triggers are off during the load (session_replication_role = replica) and every foreign
key is checked afterwards with an anti-join; CHECK constraints stay on. Identity sequences and
identifier_counter are set after the COPY, then VACUUM ANALYZE. The published version of the visé
actions (what VISER stores, addresses and contacts embedded) is built from the rows as they are
written (bench/offer_rows.py, bench/published.py): the actions and their sessions are copied side by
side on two connections.

Distributions (bench/rows.py, bench/offer_rows.py): actions per organisme follow a Zipf law (s = 1):
the largest organisme holds ~9 % of the actions (tens of thousands at full scale), most hold a handful
or none; workflow states in plausible shares (~56 % visé / diffusable, ~17 % archived, drafts,
control queue, à modifier, inactif, désarchivées); dates over twelve years, consistent with the robot
rules (diffusable actions have a session ending recently or later; ~0.4 % are due for archiving
today; à modifier ones had their demande de complétude less than 120 days ago); most sessions of an
action repeat its first one's place, hours, price and terms (one LHEO <action>, other dates).
Every account's password is rows.BENCH_PASSWORD; the bench accounts are rows.BENCH_USERS.
"""
import argparse
import json
import time
from datetime import date

import psycopg
from psycopg import sql
from sqlalchemy import create_engine

from bench.offer_rows import OfferRows
from bench.pgutil import admin_url, create_database, database_exists, db_url, sqlalchemy_url
from bench.rows import BENCH_PASSWORD, BIG_TABLES, Generator

# bumped when the generated content changes: a base kept from an older generator is rebuilt (ensure)
FORMAT = "4: full LHEO content, published versions, search keys (organisme names apart) and organisme sort key"
IDENTITY_TABLES = ["organisme", "adresse", "contact", "certification", "bloc_competences", "action", "session",
                   "users", "history"]


def init_schema(name: str) -> None:
    """schema.sql + referentials, exactly as a new installation gets them."""
    from backoffice import create_app
    from backoffice.actor import SYSTEM, acting_as
    from backoffice.db_schema import create_schema
    from backoffice.extensions import db
    from seeds.referentials import load_referentials

    engine = create_engine(sqlalchemy_url(name))
    create_schema(engine)
    engine.dispose()
    app = create_app({"SQLALCHEMY_DATABASE_URI": sqlalchemy_url(name), "TESTING": True, "SECRET_KEY": "bench"})
    with app.app_context(), acting_as(SYSTEM):
        load_referentials(db.session)
        db.session.commit()
        db.engine.dispose()


def drop_secondary_indexes(conn) -> list[str]:
    """Drop the indexes that back no constraint on the loaded tables; return their definitions."""
    rows = conn.execute(
        "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
        "JOIN pg_class t ON t.oid = x.indrelid WHERE t.relname = ANY(%s) AND t.relnamespace = 'public'::regnamespace "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)", (BIG_TABLES,)).fetchall()
    for name, _ in rows:
        conn.execute(f'DROP INDEX "{name}"')
    return [definition for _, definition in rows]


HISTORY_SQL = """
INSERT INTO history (entity, entity_key, numero, op, field, old_value, new_value, message, actor_label, at)
SELECT * FROM (
    SELECT 'organisme', id::text, numero, 'insert', NULL, NULL, NULL, 'Création', 'Organisme de formation', created_at
      FROM organisme
    UNION ALL
    SELECT 'action', id::text, numero, 'insert', NULL, NULL, NULL, 'Création', 'Organisme de formation', created_at
      FROM action
    UNION ALL
    SELECT 'action', id::text, numero, 'transition', 'controle', 'a_controler', 'vise', 'VISER', 'Documentaliste', vise_le
      FROM action WHERE vise_le IS NOT NULL
    UNION ALL
    SELECT 'action', id::text, numero, 'transition', 'publication', 'diffusable', 'archive', 'ARCHIVER', 'Robot', archive_le
      FROM action WHERE archive_le IS NOT NULL
    UNION ALL
    SELECT 'session', id::text, numero, 'insert', NULL, NULL, NULL, 'Création', 'Organisme de formation', created_at
      FROM session
) h ORDER BY 10
"""


def finish(conn, index_definitions: list[str]) -> dict[str, float]:
    """History, counters, sequences, indexes, foreign-key check. Returns timings."""
    timings = {}
    started = time.perf_counter()
    conn.execute(HISTORY_SQL)
    timings["history (INSERT ... SELECT)"] = time.perf_counter() - started
    for prefix, table in (("OF", "organisme"), ("AF", "action"), ("SE", "session")):
        conn.execute(f"UPDATE identifier_counter SET last_value = (SELECT coalesce(max(substr(numero, 4)::bigint), 0) "
                     f"FROM {table}) WHERE prefix = %s", (prefix,))
    for table in IDENTITY_TABLES:
        conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), coalesce(max(id), 0) + 1, false) "
                     f"FROM {table}")
    conn.commit()
    started = time.perf_counter()
    for definition in index_definitions:
        conn.execute(definition)
    conn.commit()
    timings["rebuild indexes"] = time.perf_counter() - started
    started = time.perf_counter()
    check_foreign_keys(conn)
    timings["foreign-key check"] = time.perf_counter() - started
    return timings


def check_foreign_keys(conn) -> None:
    """Every single-column foreign key of the loaded tables points at an existing row."""
    fks = conn.execute(
        "SELECT c.conrelid::regclass::text, a.attname, c.confrelid::regclass::text, af.attname "
        "FROM pg_constraint c JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1] "
        "JOIN pg_attribute af ON af.attrelid = c.confrelid AND af.attnum = c.confkey[1] "
        "WHERE c.contype = 'f' AND cardinality(c.conkey) = 1 AND c.conrelid::regclass::text = ANY(%s)",
        (BIG_TABLES,)).fetchall()
    for table, column, target, target_column in fks:
        bad = conn.execute(f'SELECT count(*) FROM {table} t WHERE t."{column}" IS NOT NULL AND NOT EXISTS '
                           f'(SELECT 1 FROM {target} r WHERE r."{target_column}" = t."{column}")').fetchone()[0]
        if bad:
            raise RuntimeError(f"{bad} rows of {table}.{column} point nowhere in {target}")


def _loading_connection(name: str) -> psycopg.Connection:
    conn = psycopg.connect(db_url(name))
    conn.execute("SET session_replication_role = replica")  # no FK triggers during the load
    conn.execute("SET synchronous_commit = off")
    return conn


def vacuum_analyze(name: str) -> None:
    with psycopg.connect(db_url(name), autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE)")


def generate(name: str, scale: float, seed: int = 7) -> dict:
    """Create database `name` and fill it; return a summary (counts, timings, bench organismes)."""
    from backoffice.passwords import hash_password

    started = time.perf_counter()
    create_database(name)
    init_schema(name)
    summary = {"scale": scale, "seed": seed, "today": date.today().isoformat(), "format": FORMAT}
    with _loading_connection(name) as conn:
        conn.execute("SET maintenance_work_mem = '512MB'")
        conn.execute("SET work_mem = '256MB'")
        index_definitions = drop_secondary_indexes(conn)
        gen = Generator(conn, scale, seed, date.today())
        gen.organismes()
        gen.adresses_and_contacts()
        gen.write_organismes()
        gen.certifications()
        offer = OfferRows(gen)
        offer.plan()
        conn.commit()  # the dropped indexes' locks: the session connection must not wait on them
        with _loading_connection(name) as session_conn:
            offer.write(session_conn)
            session_conn.commit()
        gen.users(hash_password(BENCH_PASSWORD))
        conn.commit()
        timings = {f"COPY {table}": seconds for table, seconds in gen.timings.items()}
        timings.update(finish(conn, index_definitions))
        summary["bench_organismes"] = gen.bench_organismes
    t = time.perf_counter()
    vacuum_analyze(name)
    timings["VACUUM ANALYZE"] = time.perf_counter() - t
    with psycopg.connect(db_url(name), autocommit=True) as conn:
        summary["counts"] = {table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in BIG_TABLES}
        summary["total_seconds"] = round(time.perf_counter() - started, 1)
        summary["timings"] = {k: round(v, 1) for k, v in timings.items()}
        # remembered on the database, so the bench can reuse a base generated earlier
        conn.execute(sql.SQL("COMMENT ON DATABASE {} IS {}").format(sql.Identifier(name), sql.Literal(json.dumps(summary))))
    return summary


def existing_summary(name: str) -> dict | None:
    """The summary stored by generate() on database `name`, if it exists and was completed."""
    if not database_exists(name):
        return None
    with psycopg.connect(admin_url(), autocommit=True) as conn:
        row = conn.execute("SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
                           (name,)).fetchone()
    try:
        return json.loads(row[0]) if row and row[0] else None
    except ValueError:
        return None


def ensure(name: str, scale: float, regenerate: bool = False) -> dict:
    """Reuse database `name` if it holds a completed base of this scale and format, else generate it."""
    summary = None if regenerate else existing_summary(name)
    if summary and summary.get("scale") == scale and summary.get("format") == FORMAT:
        return summary
    return generate(name, scale)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", default="bo_bench_full", help="database to (re)create (default bo_bench_full)")
    parser.add_argument("--scale", type=float, default=1.0, help="1.0 = 50k organismes / 400k actions; 0.01 = 1 %%")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    summary = generate(args.db, args.scale, args.seed)
    print(json.dumps(summary, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
