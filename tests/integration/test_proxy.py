"""Behind the reverse proxy: with TRUSTED_PROXIES=1 every per-client limit (log-in throttle, reset
requests, anonymous API quota) counts each browser's address, as the proxy passes it in
X-Forwarded-For; with TRUSTED_PROXIES=0 that header is ignored, so a client cannot pick its
address by sending one."""
import html

import pytest

from backoffice import create_app
from backoffice.auth.views import LOGIN_FAILED, THROTTLED
from backoffice.extensions import db
from backoffice.services import throttle
from tests.accounts_helpers import outbox
from tests.conftest import CsrfClient, app_config

RIGHT = "motdepasse-de-test-1"
PROXY = {"REMOTE_ADDR": "10.0.0.2"}  # every request reaches the app from the proxy
VICTIM = "198.51.100.1"
SQLITE_ONLY = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


@pytest.fixture(params=[1, 0], ids=["proxies=1", "proxies=0"])
def proxied(request, database_url, tmp_path):
    """(app, client) with TRUSTED_PROXIES as the param; a quick answer floor on refusals."""
    application = create_app(app_config(database_url, tmp_path, TRUSTED_PROXIES=request.param,
                                        AUTH_MIN_RESPONSE_SECONDS=0.0))
    application.test_client_class = CsrfClient
    with application.app_context():
        yield application, application.test_client()
        db.session.remove()
        db.engine.dispose()


def _from(address: str, spoofed: str | None = None) -> dict:
    """What the proxy sends: the client's address appended to whatever X-Forwarded-For it brought."""
    forwarded = f"{spoofed}, {address}" if spoofed else address
    return {"environ_base": PROXY, "headers": {"X-Forwarded-For": forwarded, "X-Forwarded-Proto": "http"}}


def _login(client, identifiant, password, address, spoofed=None):
    return client.post("/connexion", data={"identifiant": identifiant, "password": password},
                       **_from(address, spoofed))


def _throttled(response) -> bool:
    return THROTTLED.split("{")[0] in html.unescape(response.get_data(as_text=True))


def test_failures_from_other_clients_do_not_throttle_the_victim(proxied, make):
    """30 wrong passwords from 30 addresses (30 different identifiants, so no account lock): the
    victim logs in from his own address. Without trusted proxies they all came from the proxy:
    the victim is throttled with everybody else, which is what TRUSTED_PROXIES is for."""
    app, client = proxied
    user = make.user("organisme")
    for i in range(30):
        response = _login(client, f"cible{i}", "devine", f"203.0.113.{i + 1}")
        assert LOGIN_FAILED in html.unescape(response.get_data(as_text=True))
    answer = _login(client, user.identifiant, RIGHT, VICTIM)
    if app.config["TRUSTED_PROXIES"]:
        assert answer.status_code == 302
        # each failure was counted against its own client, none against the proxy or the victim
        assert throttle.count(db.session, throttle.bucket("login-ip", "203.0.113.7"),
                              throttle.LOGIN_FAILURES_PER_IP[1]) == 1
        assert throttle.count(db.session, throttle.bucket("login-ip", PROXY["REMOTE_ADDR"]),
                              throttle.LOGIN_FAILURES_PER_IP[1]) == 0
    else:
        assert answer.status_code == 200 and _throttled(answer)


def test_one_client_is_still_throttled_whatever_it_claims(proxied, make):
    """30 failures from one client that sends a different X-Forwarded-For each time: throttled
    either way (the proxy appends the real address, which is the one trusted; with no trusted
    proxy the header is ignored), and the victim elsewhere still logs in when the app can tell
    them apart."""
    app, client = proxied
    user = make.user("organisme")
    for i in range(30):
        _login(client, f"cible{i}", "devine", "203.0.113.66", spoofed=f"192.0.2.{i + 1}")
    blocked = _login(client, user.identifiant, RIGHT, "203.0.113.66", spoofed=VICTIM)
    assert blocked.status_code == 200 and _throttled(blocked)
    if app.config["TRUSTED_PROXIES"]:
        assert _login(client, user.identifiant, RIGHT, VICTIM).status_code == 302


def _ask_reset(client, identifiant, email, address):
    return client.post("/mot-de-passe-oublie", data={"identifiant": identifiant, "courriel": email}, **_from(address))


def test_reset_requests_of_other_clients_do_not_stop_the_victims_own(proxied, make):
    """10 requests from other clients (the per-address limit, were they one): the victim's own
    request still sends him a link. Without trusted proxies they all share the proxy's address."""
    app, client = proxied
    user = make.user("organisme", email="victime@of-test.fr")
    for i in range(10):
        _ask_reset(client, f"inconnu{i}", "x@exemple.fr", f"203.0.113.{i + 1}")
    response = _ask_reset(client, user.identifiant, user.email, VICTIM)
    assert response.status_code == 200
    assert len(outbox(user.email)) == (1 if app.config["TRUSTED_PROXIES"] else 0)


def test_the_anonymous_api_quota_is_per_client(proxied):
    """One client's quota used up leaves another's whole; with no trusted proxy the header is ignored."""
    app, client = proxied
    app.config.update(API_RATE_LIMIT=3)
    first = [client.get("/api/v1/offres", **_from("203.0.113.5")).status_code for _ in range(4)]
    assert first == [200, 200, 200, 429]
    other = client.get("/api/v1/offres", **_from("203.0.113.6", spoofed="203.0.113.5"))
    assert other.status_code == (200 if app.config["TRUSTED_PROXIES"] else 429)


@SQLITE_ONLY
def test_scheme_and_host_come_from_the_proxy(database_url, tmp_path):
    """The browser's https and host reach the app (Flask-WTF's same-site check over HTTPS compares
    the Referer with them); the app's own links stay relative."""
    app = create_app(app_config(database_url, tmp_path, TRUSTED_PROXIES="1"))
    seen = {}

    @app.get("/_test_request_facts")
    def facts():
        from flask import request
        seen.update(scheme=request.scheme, host=request.host, addr=request.remote_addr)
        return ""

    with app.app_context():
        app.test_client().get("/_test_request_facts", environ_base=PROXY, headers={
            "X-Forwarded-For": "192.0.2.1, 203.0.113.5", "X-Forwarded-Proto": "https",
            "X-Forwarded-Host": "dokelio.example.fr"})
        db.engine.dispose()
    assert seen == {"scheme": "https", "host": "dokelio.example.fr", "addr": "203.0.113.5"}
