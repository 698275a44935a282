"""Optional error reporting (backoffice/error_reporting.py) against a real HTTP server standing for
Sentry's ingest endpoint (DSN http://key@127.0.0.1:<port>/1): a failing request and a failing RQ
job in a real worker each send an envelope with the exception, and nothing a user typed; without
SENTRY_DSN, sentry_sdk is not even imported."""
import gzip
import json
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from redis import Redis
from rq import Queue

from backoffice import create_app, error_reporting
from backoffice.extensions import csrf
from tests.conftest import app_config
from tests.integration.jobs_support import ROOT, run_worker, wait_until, worker_env

PASSWORD = "Mot-De-Passe-Tres-Secret-42"
COOKIE = "cookie-de-session-a-ne-pas-envoyer"


class IngestServer:
    """Collects the bodies POSTed to /api/<project>/envelope/, decompressed."""

    def __init__(self):
        self.bodies: list[bytes] = []
        received = self.bodies

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                received.append(self.path.encode() + b"\n" + body)
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.dsn = f"http://cle-publique@127.0.0.1:{self.server.server_address[1]}/1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def events_with(self, needle: str) -> list[bytes]:
        return [body for body in self.bodies if needle.encode() in body and b'"type":"event"' in body]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def ingest():
    server = IngestServer()
    yield server
    server.close()


@pytest.fixture
def reporting_off():
    """The in-process client is global: close it after the test, for the tests that follow."""
    yield
    import sentry_sdk
    sentry_sdk.get_client().close(timeout=2)
    sentry_sdk.get_global_scope().set_client(None)
    error_reporting._initialised_with = None


class ErreurDeTest(RuntimeError):
    pass


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_failing_request_sends_its_exception_and_nothing_the_user_typed(database_url, tmp_path, ingest,
                                                                          reporting_off):
    import sentry_sdk
    app = create_app(app_config(database_url, tmp_path, SENTRY_DSN=ingest.dsn, SENTRY_ENVIRONMENT="essai"))

    @csrf.exempt
    def failing():
        from flask import request
        typed = request.form["password"]  # a local variable holding the password
        raise ErreurDeTest(f"échec de test ({len(typed)} caractères)")

    app.add_url_rule("/essai-erreur", "essai_erreur", failing, methods=["POST"])
    client = app.test_client()
    client.set_cookie("session", COOKIE)
    with pytest.raises(ErreurDeTest):  # TESTING: Flask lets it through, after signalling it
        client.post("/essai-erreur?token=jeton-secret", data={"identifiant": "jdupont", "password": PASSWORD},
                    headers={"Authorization": "Bearer jeton-secret"})
    sentry_sdk.flush(timeout=5)

    events = wait_until(lambda: ingest.events_with("ErreurDeTest"), 10, "the request's event")
    body = events[0].decode()
    assert '"environment":"essai"' in body and '"release":"backoffice@' in body and "/essai-erreur" in body
    for secret in (PASSWORD, COOKIE, "jeton-secret", "jdupont"):
        assert secret not in body
    assert not any(PASSWORD.encode() in b for b in ingest.bodies)


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_a_job_failing_in_a_real_worker_is_reported(database_url, redis_url, tmp_path, ingest):
    env = worker_env(database_url, redis_url, tmp_path)
    env.update(SENTRY_DSN=ingest.dsn, SENTRY_ENVIRONMENT="essai-worker")
    Queue("default", connection=Redis.from_url(redis_url)).enqueue("jobs.robot.archive_due_actions", "pas-une-date")
    run_worker(redis_url, env)

    events = wait_until(lambda: ingest.events_with("ValueError"), 15, "the failed job's event")
    body = events[0].decode()
    assert "jobs.robot.archive_due_actions" in body and '"environment":"essai-worker"' in body


def test_without_dsn_sentry_is_never_imported(tmp_path):
    code = ("import sys; from backoffice import create_app; "
            f"create_app({{'SQLALCHEMY_DATABASE_URI': 'sqlite:///{tmp_path}/x.sqlite', 'SECRET_KEY': 'k', "
            "'SENTRY_DSN': None}); import jobs.worker, jobs.scheduler; print('sentry_sdk' in sys.modules)")
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "BACKOFFICE_INSTANCE": str(tmp_path)}
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"
    assert error_reporting.init({"SENTRY_DSN": ""}) is False and error_reporting.init({}) is False


def test_scrub_drops_bodies_cookies_headers_and_frame_variables():
    event = {"request": {"url": "https://x/connexion", "data": {"password": PASSWORD}, "cookies": {"s": COOKIE},
                         "query_string": "token=t", "headers": {"Cookie": COOKIE, "User-Agent": "essai"}},
             "exception": {"values": [{"stacktrace": {"frames": [{"function": "f", "vars": {"pw": PASSWORD}}]}}]}}
    scrubbed = json.dumps(error_reporting.scrub(event))
    assert PASSWORD not in scrubbed and COOKIE not in scrubbed and "token=t" not in scrubbed
    assert '"User-Agent": "essai"' in scrubbed and '"function": "f"' in scrubbed


def test_check_config_masks_the_sentry_dsn(tmp_path):
    """The DSN's key is the credential (https://<clé>@<serveur>/<projet>, no password part)."""
    dsn = "https://clepubliquesentry123@o1.ingest.example/1"
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "BACKOFFICE_INSTANCE": str(tmp_path),
           "DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite", "SENTRY_DSN": dsn}
    result = subprocess.run([str(ROOT / ".venv/bin/flask"), "--app", "wsgi", "check-config"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert "SENTRY_DSN = ***" in result.stdout, result.stdout
    assert "clepubliquesentry123" not in result.stdout + result.stderr
