"""Cookie flags and security headers, asserted on real responses of the production configuration."""
import re

import pytest

from backoffice import create_app
from backoffice.config import ProductionConfig
from tests.conftest import CsrfClient, app_config, login

SQLITE_ONLY = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


@pytest.fixture
def prod_client(database_url, tmp_path):
    """A client over HTTPS against the app built from ProductionConfig (test database and mail folder)."""
    settings = {name: getattr(ProductionConfig, name) for name in dir(ProductionConfig) if name.isupper()}
    application = create_app({**settings, **app_config(database_url, tmp_path)})
    application.test_client_class = CsrfClient
    with application.app_context():
        client = application.test_client()
        client.environ_base["wsgi.url_scheme"] = "https"
        # over HTTPS, Flask-WTF also wants a same-site Referer on every POST (WTF_CSRF_SSL_STRICT)
        client.environ_base["HTTP_REFERER"] = "https://localhost/connexion"
        yield client
        from backoffice.extensions import db
        db.session.remove()
        db.engine.dispose()


def _cookie(response, name):
    values = [v for v in response.headers.getlist("Set-Cookie") if v.startswith(f"{name}=")]
    assert values, f"no {name} cookie in {response.headers.getlist('Set-Cookie')}"
    return values[-1]


def _check_headers(response):
    headers = response.headers
    csp = headers["Content-Security-Policy"]
    script_src = re.search(r"script-src ([^;]*)", csp).group(1)
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
    assert re.search(r"'nonce-[A-Za-z0-9_-]{16,}'", script_src)
    for directive in ("default-src 'self'", "object-src 'none'", "frame-ancestors 'none'", "base-uri 'none'",
                      "form-action 'self'"):
        assert directive in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert headers["Cache-Control"] == "no-store"
    return re.search(r"'nonce-([^']+)'", script_src).group(1)


@SQLITE_ONLY
def test_production_cookies_and_headers(prod_client, make):
    """Log-in sets a __Host- session cookie that is Secure, HttpOnly and SameSite=Strict; every page
    carries the CSP (nonce, no unsafe-inline), HSTS, nosniff, DENY and no-store; every script of an
    admin page carries that response's nonce; log-out empties the session."""
    anonymous = prod_client.get("/connexion")
    _check_headers(anonymous)
    user = make.user("documentaliste")
    response = login(prod_client, user.identifiant)
    cookie = _cookie(response, "__Host-session")
    flags = {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}
    assert {"secure", "httponly", "path", "samesite"} <= flags and "domain" not in flags
    assert "SameSite=Strict" in cookie and "Path=/" in cookie
    page = prod_client.get("/admin/organismes/")
    assert page.status_code == 200
    nonce = _check_headers(page)
    scripts = re.findall(r"<script\b[^>]*>", page.get_data(as_text=True))
    assert scripts and all(f'nonce="{nonce}"' in tag for tag in scripts), scripts
    assert _check_headers(prod_client.get("/admin/organismes/")) != nonce  # one nonce per response
    foreign = prod_client.post("/deconnexion", environ_overrides={"HTTP_REFERER": "https://evil.test/"})
    assert foreign.status_code == 400  # a valid token from a foreign page is still refused
    logout = prod_client.post("/deconnexion")
    assert "Secure" in _cookie(logout, "__Host-session")
    with prod_client.session_transaction() as session:
        assert set(session) <= {"_flashes"}  # only the "Vous êtes déconnecté." message is left
    assert prod_client.get("/admin/organismes/").status_code == 302


@SQLITE_ONLY
def test_production_refuses_to_start_without_a_secret_key(database_url, tmp_path):
    settings = {name: getattr(ProductionConfig, name) for name in dir(ProductionConfig) if name.isupper()}
    with pytest.raises(RuntimeError, match="SECRET_KEY manquante"):
        create_app({**settings, **app_config(database_url, tmp_path), "SECRET_KEY": None})
