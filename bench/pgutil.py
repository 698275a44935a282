"""Small PostgreSQL helpers shared by the bench scripts (throwaway databases on a trusted server)."""
import os

import psycopg

PG_ADMIN_URL = os.environ.get("BACKOFFICE_BENCH_PG",
                              os.environ.get("BACKOFFICE_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres"))


def admin_url() -> str:
    return PG_ADMIN_URL


def db_url(name: str) -> str:
    """A libpq URL for database `name` on the admin server."""
    return f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}"


def sqlalchemy_url(name: str) -> str:
    return db_url(name).replace("postgresql://", "postgresql+psycopg://", 1)


def database_exists(name: str) -> bool:
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is not None


def drop_database(name: str) -> None:
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def create_database(name: str, template: str | None = None) -> None:
    """(Re)create an empty database `name`, or a copy of `template`."""
    drop_database(name)
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
