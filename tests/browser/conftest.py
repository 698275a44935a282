"""Browser tests: one live server per run, Debian's Chromium driven by Playwright.

- `live_app` (session): the application on its own PostgreSQL database, a copy
  of the seeded template of tests/conftest.py (schema.sql + referentials),
  dropped at the end of the run.
- `live_server` (session): that application served by werkzeug in a daemon
  thread on a free port; the value is the base URL ("http://127.0.0.1:PORT").
  `base_url` is the same URL, so `page.goto("/connexion")` works too.
- `app` (function, overrides tests/conftest.py's): the live application in an
  app context, so `make`, `db_session` and `client` write to the database the
  browser reads. The database is shared by the run's browser tests: each test
  gets fresh records by building its own with `make` (unique names and
  identifiers), plus `unique` for a suffix of its own; nothing relies on an
  empty base.
Browser tests run on PostgreSQL only: mark them
`pytest.mark.parametrize("backend", ["postgresql"], indirect=True)` (the
`app` fixture skips any other backend) and `pytest.mark.browser`.
"""
import threading
import uuid
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from backoffice import create_app
from tests.conftest import RUN_ID, CsrfClient, _pg_admin, _pg_url, app_config

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Debian's Chromium (/usr/bin/chromium): Playwright's own browser download is not used."""
    return {**browser_type_launch_args, "executable_path": CHROMIUM,
            "args": ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--disable-background-networking", "--disable-component-update",
                     "--disable-sync", "--no-first-run"]}


@pytest.fixture(scope="session")
def live_app(pg_template, tmp_path_factory):
    """The application on a private PostgreSQL copy of the seeded template, for the whole run."""
    name = f"bo_live_{RUN_ID}"
    with _pg_admin() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{pg_template}"')
    application = create_app(app_config(_pg_url(name), tmp_path_factory.mktemp("live")))
    application.test_client_class = CsrfClient
    try:
        yield application
    finally:
        with application.app_context():
            from backoffice.extensions import db
            db.engine.dispose()
        with _pg_admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def live_server(live_app):
    """The live application served on 127.0.0.1 (a free port) by a threaded werkzeug server."""
    server = make_server("127.0.0.1", 0, live_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


@pytest.fixture(scope="session")
def base_url(live_server):
    """pytest-base-url's fixture: relative page.goto() lands on the live server."""
    return live_server


@pytest.fixture
def app(backend, live_app):
    """The live application in an app context: factories write where the browser reads."""
    if backend != "postgresql":
        pytest.skip("browser tests run on PostgreSQL")
    with live_app.app_context():
        yield live_app
        from backoffice.extensions import db
        db.session.remove()


@pytest.fixture
def unique() -> str:
    """A short suffix of this test's own, for names that other tests must not match."""
    return uuid.uuid4().hex[:6]


@pytest.fixture
def artifacts(request) -> Path:
    """test-artifacts/<test name>/ for this test's screenshots (gitignored)."""
    folder = ARTIFACTS / request.node.name.replace("[", "-").replace("]", "")
    folder.mkdir(parents=True, exist_ok=True)
    return folder
