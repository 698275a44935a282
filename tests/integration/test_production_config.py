"""Production refuses an unsafe configuration at start, naming each setting; `flask check-config`
shows the effective configuration with its secrets masked; `flask create-admin` creates the first
administrator through the user service and the password policy."""
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from backoffice import create_app
from backoffice.config import ConfigurationError, ProductionConfig
from backoffice.extensions import db
from backoffice.models import History, User
from backoffice.services.password_policy import TOO_COMMON, TOO_PERSONAL, TOO_SHORT
from tests.accounts_helpers import STRONG_PASSWORD
from tests.conftest import app_config, login

ROOT = Path(__file__).resolve().parents[2]
PG_ONLY = pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
SECRET = "cle-de-production-longue-de-plus-de-32-octets"
PG_PASSWORD = "pg-mot-de-passe-7f3a"  # trust authentication: accepted, and never to be shown
REDIS_PASSWORD = "redis-mot-de-passe-91c2"
SMTP_PASSWORD = "smtp-mot-de-passe-55d0"


def production(database_url: str, tmp_path, **overrides) -> dict:
    """A complete production configuration on the test's database (ProductionConfig's own settings
    first, as BACKOFFICE_ENV=production loads them)."""
    settings = {name: getattr(ProductionConfig, name) for name in dir(ProductionConfig) if name.isupper()}
    return {**settings, **app_config(database_url, tmp_path), "BACKOFFICE_ENV": "production", "SECRET_KEY": SECRET,
            "BASE_URL": "https://dokelio.example.fr", "MAIL_TRANSPORT": "smtp", "MAIL_SERVER": "smtp.example.fr",
            "MAIL_USERNAME": "dokelio", "MAIL_PASSWORD": SMTP_PASSWORD,
            "REDIS_URL": f"redis://:{REDIS_PASSWORD}@127.0.0.1:6379/0", "TRUSTED_PROXIES": "1", **overrides}


def _with_password(url: str) -> str:
    return url.replace("postgres@", f"postgres:{PG_PASSWORD}@", 1)


@pytest.mark.parametrize("setting, value, variable", [
    ("SQLALCHEMY_DATABASE_URI", "sqlite:////tmp/backoffice.sqlite", "DATABASE_URL"),
    ("BASE_URL", "http://127.0.0.1:5000", "BASE_URL"),
    ("BASE_URL", "", "BASE_URL"),
    ("SECRET_KEY", "x", "SECRET_KEY"),
    ("SECRET_KEY", "a" * 31, "SECRET_KEY"),
    ("MAIL_SERVER", "", "MAIL_SERVER"),
    ("MAIL_TRANSPORT", "folder", "MAIL_TRANSPORT"),
    ("REDIS_URL", None, "REDIS_URL"),
    ("TRUSTED_PROXIES", "beaucoup", "TRUSTED_PROXIES"),
])
def test_each_unsafe_production_setting_is_refused_by_name(tmp_path, setting, value, variable):
    """Refused before anything is opened (the database is never reached), in French."""
    config = production("postgresql+psycopg://postgres@127.0.0.1:5432/jamais_ouverte", tmp_path, **{setting: value})
    with pytest.raises(ConfigurationError) as refused:
        create_app(config)
    message = str(refused.value)
    assert message.startswith("Configuration refusée") and f"  - {variable}" in message
    assert message.count("\n  - ") == 1  # that one problem only


@PG_ONLY
def test_a_complete_production_configuration_starts(database_url, tmp_path):
    app = create_app(production(_with_password(database_url), tmp_path))
    with app.app_context():
        page = app.test_client().get("/connexion", environ_base={"REMOTE_ADDR": "10.0.0.2"},
                                     headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.5"})
        assert page.status_code == 200 and 'name="identifiant"' in page.get_data(as_text=True)
        assert db.session.scalar(select(func.count()).select_from(User)) == 0  # its database answers
        db.engine.dispose()


def _run(args, env_overrides, tmp_path):
    env = {key: value for key, value in os.environ.items()
           if key not in ("DATABASE_URL", "REDIS_URL", "BASE_URL", "MAIL_SERVER", "MAIL_TRANSPORT", "SECRET_KEY",
                          "TRUSTED_PROXIES", "BACKOFFICE_ENV")}
    env.update(BACKOFFICE_INSTANCE=str(tmp_path / "instance"), PYTHONPATH=str(ROOT), **env_overrides)
    return subprocess.run(args, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)


def test_the_issues_configuration_does_not_start_and_check_config_says_why(tmp_path):
    """BACKOFFICE_ENV=production SECRET_KEY=x: the WSGI app refuses to load with every problem named;
    `flask check-config` still loads it, to print them, and exits 1."""
    bare = {"BACKOFFICE_ENV": "production", "SECRET_KEY": "x"}
    start = _run([sys.executable, "-c", "import wsgi"], bare, tmp_path)
    assert start.returncode != 0 and "Configuration refusée" in start.stderr
    for variable in ("DATABASE_URL", "BASE_URL", "SECRET_KEY", "MAIL_SERVER", "REDIS_URL"):
        assert f"  - {variable}" in start.stderr
    check = _run([str(ROOT / ".venv/bin/flask"), "--app", "wsgi", "check-config"], bare, tmp_path)
    assert check.returncode == 1, check.stderr
    assert "Mode : production" in check.stdout and "5 problème(s)" in check.stdout
    assert "SECRET_KEY = *** (1 octet)" in check.stdout and "Traceback" not in check.stdout + check.stderr


@PG_ONLY
def test_check_config_masks_secrets(database_url, tmp_path):
    """Every setting shown, no password or key in the output; a sound configuration exits 0."""
    app = create_app(production(_with_password(database_url), tmp_path))
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["check-config"])
        db.engine.dispose()
    out = result.output
    assert result.exit_code == 0, out
    for secret in (SECRET, PG_PASSWORD, REDIS_PASSWORD, SMTP_PASSWORD):
        assert secret not in out
    assert f"SECRET_KEY = *** ({len(SECRET)} octets)" in out
    assert f"MAIL_PASSWORD = *** ({len(SMTP_PASSWORD)} octets)" in out
    assert "DATABASE_URL (SQLALCHEMY_DATABASE_URI) = postgresql+psycopg://postgres:***@127.0.0.1:5432/" in out
    assert "REDIS_URL = redis://:***@127.0.0.1:6379/0" in out
    assert "BASE_URL = https://dokelio.example.fr" in out and "TRUSTED_PROXIES = 1" in out
    assert "Aucun problème." in out


def test_check_config_of_the_demo_lists_what_production_would_refuse(app):
    runner = app.test_cli_runner()
    demo = runner.invoke(args=["check-config"])
    assert demo.exit_code == 0 and "Mode : démonstration" in demo.output and "problème(s)" not in demo.output
    strict = runner.invoke(args=["check-config", "--production"])
    assert strict.exit_code == 1
    assert "REDIS_URL manquante" in strict.output and "MAIL_TRANSPORT=folder" in strict.output
    assert "test-secret-key" not in strict.output and "SECRET_KEY trop courte (15 octets)" in strict.output
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        assert "DATABASE_URL désigne une base SQLite" in strict.output


# ------------------------------------------------------------------ create-admin

def _admin(identifiant: str) -> User | None:
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.identifiant == identifiant))


def test_create_admin_creates_an_administrator_who_logs_in(app, client):
    result = app.test_cli_runner().invoke(args=["create-admin", "chef", "chef@carif.example.fr"],
                                          input=f"{STRONG_PASSWORD}\n{STRONG_PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert "Le compte administrateur chef (chef@carif.example.fr) est créé" in result.output
    assert STRONG_PASSWORD not in result.output  # typed without echo
    user = _admin("chef")
    assert user.role_code == "admin" and user.actif and user.password_changed_at is not None
    assert user.password_hash != STRONG_PASSWORD
    actes = db.session.scalars(select(History.message).where(
        History.entity == "users", History.op == "acte", History.entity_key == str(user.id))).all()
    assert actes == ["Compte administrateur créé en ligne de commande (flask create-admin)"]
    login(client, "chef", STRONG_PASSWORD)
    assert client.get("/admin/utilisateurs/").status_code == 200  # an administrator's screen


def test_create_admin_refuses_a_duplicate_and_a_weak_password(app, make):
    runner = app.test_cli_runner()
    taken = make.user("documentaliste")
    duplicate = runner.invoke(args=["create-admin", taken.identifiant.upper(), "autre@carif.example.fr",
                                    "--password-stdin"], input=f"{STRONG_PASSWORD}\n")
    assert duplicate.exit_code == 1
    assert f"Un compte a déjà l'identifiant « {taken.identifiant.upper()} » : rien n'a été créé." in duplicate.output
    for password, message in (("court", TOO_SHORT), ("azertyuiop123456789", TOO_COMMON),
                              ("mot superviseur2025 x", TOO_PERSONAL)):
        weak = runner.invoke(args=["create-admin", "superviseur2025", "sup@carif.example.fr", "--password-stdin"],
                             input=f"{password}\n")
        assert weak.exit_code == 1 and message in weak.output, weak.output
        assert "Error" not in weak.output and "Traceback" not in weak.output
    assert _admin("superviseur2025") is None
    for identifiant, email, words in (("jean dupont", "j@carif.example.fr", "L'identifiant doit comporter"),
                                      ("jdupont", "pas-un-courriel", "n'est pas valide")):
        bad = runner.invoke(args=["create-admin", identifiant, email, "--password-stdin"],
                            input=f"{STRONG_PASSWORD}\n")
        assert bad.exit_code == 1 and words in bad.output
    assert db.session.scalar(select(User).where(User.email.in_(["j@carif.example.fr", "pas-un-courriel"]))) is None
    ok = runner.invoke(args=["create-admin", "superviseur2025", "sup@carif.example.fr", "--password-stdin"],
                       input=f"{STRONG_PASSWORD}\n")
    assert ok.exit_code == 0, ok.output
    assert _admin("superviseur2025").role_code == "admin"


def test_run_sh_builds_mail_links_from_its_port(tmp_path):
    """run.sh's BASE_URL follows PORT (the lines that set them, run alone), unless BASE_URL is given."""
    lines = (ROOT / "run.sh").read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("PORT="))
    script = "\n".join(lines[start:start + 3]) + '\necho "$BASE_URL"'
    env = {key: value for key, value in os.environ.items() if key not in ("PORT", "BASE_URL")}
    assert subprocess.run(["bash", "-c", script], env={**env, "PORT": "5123"}, capture_output=True,
                          text=True).stdout.strip() == "http://127.0.0.1:5123"
    assert subprocess.run(["bash", "-c", script], env=env, capture_output=True,
                          text=True).stdout.strip() == "http://127.0.0.1:5000"
    assert subprocess.run(["bash", "-c", script], env={**env, "PORT": "5123", "BASE_URL": "https://x.fr"},
                          capture_output=True, text=True).stdout.strip() == "https://x.fr"
