"""Fixtures: a fresh app on a throwaway database, on SQLite and on PostgreSQL.

A template database (schema.sql + referentials) is built once per run and per
backend; each test gets its own copy (a file copy for SQLite, CREATE DATABASE
... TEMPLATE for PostgreSQL) and the copy is dropped afterwards, so the
server is left as it was found.
"""
import os
import shutil
import uuid

import psycopg
import pytest
from flask.testing import FlaskClient
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import create_engine

from backoffice import create_app
from backoffice.actor import SYSTEM, acting_as
from backoffice.db_schema import create_schema, enable_sqlite_foreign_keys

# The private Redis and the SMTP server, fixtures any test may ask for by name.
pytest_plugins = ["tests.integration.jobs_support"]

PG_ADMIN_URL = os.environ.get("BACKOFFICE_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
RUN_ID = uuid.uuid4().hex[:8]
BACKENDS = ["sqlite", "postgresql"]


def _pg_admin():
    return psycopg.connect(PG_ADMIN_URL, autocommit=True)


def _pg_url(dbname: str) -> str:
    base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    return f"{base}/{dbname}"


def _seed(url: str) -> None:
    """Apply schema.sql and load the referentials into an empty database."""
    engine = create_engine(url)
    enable_sqlite_foreign_keys(engine)
    create_schema(engine)
    engine.dispose()
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True, "SECRET_KEY": "seed"})
    with app.app_context(), acting_as(SYSTEM):
        from backoffice.extensions import db
        from seeds.referentials import load_referentials
        load_referentials(db.session)
        db.session.commit()
        db.engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    path = tmp_path_factory.mktemp("template") / "template.sqlite"
    _seed(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def pg_template():
    name = f"bo_tmpl_{RUN_ID}"
    with _pg_admin() as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        _seed(_pg_url(name))
        yield name
    finally:
        with _pg_admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def make_database(backend: str, request, tmp_path) -> str:
    """A private database for one test, copied from the seeded template."""
    if backend == "sqlite":
        path = tmp_path / "test.sqlite"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    return new_pg_database(request, f"bo_t_{RUN_ID}_{uuid.uuid4().hex[:10]}",
                           request.getfixturevalue("pg_template"))


def new_pg_database(request, name: str, template: str | None = None) -> str:
    """A PostgreSQL database for one test (empty, or a copy of `template`), dropped after it; its URL."""
    with _pg_admin() as conn:
        conn.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))

    def drop():
        with _pg_admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    request.addfinalizer(drop)
    return _pg_url(name)


@pytest.fixture(params=BACKENDS)
def backend(request):
    return request.param


@pytest.fixture
def database_url(backend, request, tmp_path):
    return make_database(backend, request, tmp_path)


def app_config(database_url: str, tmp_path, **overrides) -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "MAIL_TRANSPORT": "folder",
        "MAIL_FOLDER": str(tmp_path / "mail"),
        "UPLOAD_FOLDER": str(tmp_path / "uploads"),
        "REDIS_URL": None,
        "SERVER_NAME": None,
        **overrides,
    }


class CsrfClient(FlaskClient):
    """A test client that sends a valid Flask-WTF CSRF token with every form POST.

    Pass csrf=False to send none (the CSRF tests), or your own csrf_token.
    """

    def open(self, *args, csrf=True, **kwargs):
        method = (kwargs.get("method") or "GET").upper()
        data = kwargs.get("data")
        if csrf and method in ("POST", "PUT", "PATCH", "DELETE") and (data is None or isinstance(data, dict)):
            data = dict(data or {})
            data.setdefault("csrf_token", self.csrf_token())
            kwargs["data"] = data
        return super().open(*args, **kwargs)

    def csrf_token(self) -> str:
        app = self.application
        with self.session_transaction() as sess:
            raw = sess.setdefault("csrf_token", uuid.uuid4().hex)
        return URLSafeTimedSerializer(app.secret_key, salt="wtf-csrf-token").dumps(raw)


@pytest.fixture
def app(database_url, tmp_path):
    application = create_app(app_config(database_url, tmp_path))
    application.test_client_class = CsrfClient
    with application.app_context():
        yield application
        from backoffice.extensions import db
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def db_session(app):
    from backoffice.extensions import db
    return db.session


@pytest.fixture
def make(app):
    """Factories bound to the test's database: make.user(...), make.action(...), ..."""
    from tests import factories
    return factories.Factory()


@pytest.fixture
def demo_password(app):
    """The demo base of `flask seed-demo` loaded (its accounts, their actions in every state); its password."""
    from backoffice.extensions import db
    from seeds.demo import DEMO_PASSWORD, load_demo
    with acting_as(SYSTEM):
        load_demo(db.session)
        db.session.commit()
    return DEMO_PASSWORD


def login(client, identifiant: str, password: str = "motdepasse-de-test-1"):
    response = client.post("/connexion", data={"identifiant": identifiant, "password": password})
    assert response.status_code == 302, f"login of {identifiant} failed: {response.status_code}"
    return response


@pytest.fixture
def login_as(client, make):
    """login_as(role, organismes=[...]) -> the logged-in user."""
    def _login_as(role: str, **kwargs):
        user = make.user(role, **kwargs)
        login(client, user.identifiant)
        return user
    return _login_as
