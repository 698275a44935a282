"""Configuration classes, read from environment variables.

The embedded default (Config) needs no server: SQLite under instance/, jobs run
in process, mail is written to a folder. ProductionConfig expects PostgreSQL,
Redis and SMTP and hardens cookies: create_app refuses to start it without them
(refuse_unsafe, the rules in rules/deployment.py). Tests pass a dict of overrides.
"""
import os
import secrets
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from .rules import deployment

# the embedded mode's folder (SQLite base, mail, uploads): instance/ of the working directory (run.sh runs from the
# repository), or BACKOFFICE_INSTANCE
INSTANCE_DIR = Path(os.environ.get("BACKOFFICE_INSTANCE", Path.cwd() / "instance"))


def _dev_secret_key() -> str:
    """A random key kept in instance/, so sessions survive a restart of the demo."""
    path = INSTANCE_DIR / "secret_key"
    if not path.exists():
        INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
    return path.read_text().strip()


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    return default if value is None else value.lower() in ("1", "true", "yes", "oui")


class Config:
    # "production": ProductionConfig, and the checks of rules/deployment.py at start
    BACKOFFICE_ENV = os.environ.get("BACKOFFICE_ENV", "")
    # How many reverse proxies stand in front of the app (0: browsers reach it directly). Each
    # one appends the address it got the request from to X-Forwarded-For; that many are trusted
    # (ProxyFix in create_app), so per-client limits count the browser's address, not the proxy's.
    TRUSTED_PROXIES = os.environ.get("TRUSTED_PROXIES", "0")
    SECRET_KEY = os.environ.get("SECRET_KEY") or None  # filled by create_app for the demo
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'backoffice.sqlite'}")
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    # None: jobs run in the web process on demand (embedded default)
    REDIS_URL = os.environ.get("REDIS_URL") or None
    RQ_QUEUE = os.environ.get("RQ_QUEUE", "default")
    # Public address of the site: links in e-mails are built from it, never from the Host header.
    BASE_URL = os.environ.get("BASE_URL", "http://127.0.0.1:5000")
    # "folder": e-mails are written as .eml files under MAIL_FOLDER; "smtp": sent by Flask-Mail.
    MAIL_TRANSPORT = os.environ.get("MAIL_TRANSPORT", "folder")
    MAIL_FOLDER = os.environ.get("MAIL_FOLDER", str(INSTANCE_DIR / "mail"))
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "127.0.0.1")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_USE_TLS = _bool("MAIL_USE_TLS", False)
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME") or None
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD") or None
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "dokelio@iledefrance.fr")
    MAIL_SUPPRESS_SEND = False
    # The team's three mailboxes, one per kind of offer: the contact form routes to them, and the
    # first is the address users are given (services.mail.team_address).
    TEAM_MAILBOXES = {
        "non_conventionne": os.environ.get("MAILBOX_NON_CONVENTIONNE", "dokelio@iledefrance.fr"),
        "conventionne": os.environ.get("MAILBOX_CONVENTIONNE", "conventionne.dokelio@iledefrance.fr"),
        "apprentissage": os.environ.get("MAILBOX_APPRENTISSAGE", "apprentissage.dokelio@iledefrance.fr"),
    }
    UPLOAD_FOLDER = os.environ.get("UPLOAD_FOLDER", str(INSTANCE_DIR / "justificatifs"))
    # LHEO files uploaded by documentalistes, read by the import job: web and workers must share it
    # (unset: "imports-lheo" next to UPLOAD_FOLDER, see services/lheo_imports.py)
    LHEO_IMPORT_FOLDER = os.environ.get("LHEO_IMPORT_FOLDER") or None
    # the upload screen's own limit (every other request keeps MAX_CONTENT_LENGTH)
    LHEO_IMPORT_MAX_BYTES = int(os.environ.get("LHEO_IMPORT_MAX_BYTES", str(200 * 1024 * 1024)))
    MAX_CONTENT_LENGTH = 8 * 1024 * 1024
    # Optional error reporting (error_reporting.py): unset, sentry_sdk is not even imported
    SENTRY_DSN = os.environ.get("SENTRY_DSN") or None
    SENTRY_ENVIRONMENT = os.environ.get("SENTRY_ENVIRONMENT") or None  # default: BACKOFFICE_ENV
    BABEL_DEFAULT_LOCALE = "fr"
    BABEL_DEFAULT_TIMEZONE = "Europe/Paris"
    FLASK_ADMIN_FLUID_LAYOUT = True
    WTF_CSRF_TIME_LIMIT = None
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    PERMANENT_SESSION_LIFETIME = 8 * 3600


class ProductionConfig(Config):
    REQUIRE_SECRET_KEY = True
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    SESSION_COOKIE_SAMESITE = "Strict"
    REMEMBER_COOKIE_SAMESITE = "Strict"
    # "__Host-": the browser keeps it only if Secure, host-only and Path=/ (no subdomain can set it)
    SESSION_COOKIE_NAME = "__Host-session"
    MAIL_TRANSPORT = os.environ.get("MAIL_TRANSPORT", "smtp")
    # no demo fallback: unset, they are refused at start (rules/deployment.py)
    BASE_URL = os.environ.get("BASE_URL", "")
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "")
    PREFERRED_URL_SCHEME = "https"


def config_from_env() -> type[Config]:
    return ProductionConfig if os.environ.get("BACKOFFICE_ENV") == "production" else Config


class ConfigurationError(RuntimeError):
    """The configuration may not serve: the message names each setting to correct (French)."""


def checking_config(argv: Sequence[str] | None = None) -> bool:
    """True in `flask check-config` (or `python -m flask check-config`): it must load the app to
    show what is wrong with it. Any other program (gunicorn, a worker, a test run) is refused."""
    argv = sys.argv if argv is None else argv
    return bool(argv) and Path(argv[0]).name in ("flask", "__main__.py") and "check-config" in argv[1:]


def refuse_unsafe(config: Mapping, argv: Sequence[str] | None = None) -> None:
    """Raise ConfigurationError naming every problem of the configuration (rules/deployment.py),
    unless the command being run is the one that reports them."""
    found = deployment.problems(config)
    if found and not checking_config(argv):
        raise ConfigurationError(deployment.refusal_message(found))
