"""Blocages temporaires des comptes, renvois SMTP, une ligne par exécution de tâche, recherche par numéro.

Changes to schema.sql since the baseline: accounts' temporary locks and optimistic locking (users),
SMTP retries in the outbox, one job_run row per run, the journal's search by number.

Each step checks first: a base created by an init-db of a development version between the two
releases (already holding some of these) is brought to the same end.
"""
import sqlalchemy as sa
from alembic import op

revision = "0002_since_stop21"
down_revision = "0001_baseline"
branch_labels = None
depends_on = None

# job_run as schema.sql now declares it (SQLite rebuilds the table to drop its unique key)
JOB_RUN_COLUMNS = "id, job_name, run_date, started_at, finished_at, status, details"
JOB_RUN_SQLITE = """CREATE TABLE {name} (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    job_name    VARCHAR(60) NOT NULL,
    run_date    DATE NOT NULL,
    started_at  TIMESTAMP NOT NULL,
    finished_at TIMESTAMP,
    status      VARCHAR(10) NOT NULL DEFAULT 'started',
    details     TEXT,{unique}
    CHECK (status IN ('started', 'done', 'failed'))
)"""
JOB_RUN_UNIQUE = "\n    UNIQUE (job_name, run_date),"
JOB_RUN_INDEXES = {"ix_job_run_day": "job_run (job_name, run_date)",
                   "ix_job_run_started": "job_run (job_name, started_at)"}
NEW_COLUMNS = [("users", "locked_until", "TIMESTAMP"), ("users", "version_id", "INTEGER NOT NULL DEFAULT 1"),
               ("outbox", "next_attempt_at", "TIMESTAMP"), ("outbox", "failed_at", "TIMESTAMP")]


def _columns(table: str) -> set[str]:
    return {c["name"] for c in sa.inspect(op.get_bind()).get_columns(table)}


def _indexes(table: str) -> set[str]:
    return {i["name"] for i in sa.inspect(op.get_bind()).get_indexes(table)}


def _job_run_unique() -> list[dict]:
    return [u for u in sa.inspect(op.get_bind()).get_unique_constraints("job_run")
            if set(u["column_names"]) == {"job_name", "run_date"}]


def _rebuild_job_run_sqlite(unique: bool) -> None:
    """SQLite cannot drop or add a constraint: copy the rows into a new table of the wanted shape."""
    bind = op.get_bind()
    seq = bind.exec_driver_sql("SELECT seq FROM sqlite_sequence WHERE name = 'job_run'").scalar()
    op.execute(JOB_RUN_SQLITE.format(name="job_run_rebuilt", unique=JOB_RUN_UNIQUE if unique else ""))
    op.execute(f"INSERT INTO job_run_rebuilt ({JOB_RUN_COLUMNS}) SELECT {JOB_RUN_COLUMNS} FROM job_run")
    op.execute("DROP TABLE job_run")
    op.execute("ALTER TABLE job_run_rebuilt RENAME TO job_run")
    if seq is not None:  # AUTOINCREMENT's promise: an id once given is never given again
        op.execute(f"UPDATE sqlite_sequence SET seq = {int(seq)} WHERE name = 'job_run'")


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table, column, ddl in NEW_COLUMNS:
        if column not in _columns(table):
            op.execute(f"ALTER TABLE {table} ADD COLUMN {column} {ddl}")
            if (table, column) == ("outbox", "failed_at"):
                # what the old rule left aside after 10 refusals stays « en échec » (rules/smtp.py)
                op.execute("UPDATE outbox SET failed_at = created_at WHERE sent_at IS NULL AND attempts >= 10")
    # a lock recorded before (locked_at without locked_until) no longer holds: `flask unlock-user`

    # one row per run of a job: a day run again keeps the record of each run
    for constraint in _job_run_unique():
        if sqlite:
            _rebuild_job_run_sqlite(unique=False)
        else:
            op.execute(f'ALTER TABLE job_run DROP CONSTRAINT "{constraint["name"]}"')
    existing = _indexes("job_run")
    for name, target in JOB_RUN_INDEXES.items():
        if name not in existing:
            op.execute(f"CREATE INDEX {name} ON {target}")
    if "ix_history_numero" not in _indexes("history"):
        op.execute("CREATE INDEX ix_history_numero ON history (numero)")


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.execute("DROP INDEX ix_history_numero")
    for name in JOB_RUN_INDEXES:
        op.execute(f"DROP INDEX {name}")
    # the old key allows one run per job and day: the latest run of each day is kept
    op.execute("DELETE FROM job_run WHERE id NOT IN (SELECT MAX(id) FROM job_run GROUP BY job_name, run_date)")
    if sqlite:
        _rebuild_job_run_sqlite(unique=True)
    else:
        op.execute("ALTER TABLE job_run ADD CONSTRAINT job_run_job_name_run_date_key UNIQUE (job_name, run_date)")
    for table, column, _ddl in reversed(NEW_COLUMNS):
        op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
