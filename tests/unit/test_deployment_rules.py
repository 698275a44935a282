"""What refuses a configuration at start (rules/deployment.py), and how check-config masks secrets."""
from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backoffice.config import ConfigurationError, checking_config, refuse_unsafe
from backoffice.rules import deployment as rules

GOOD = {
    "BACKOFFICE_ENV": "production",
    "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://dokelio:motdepasse@db-host:5432/dokelio",
    "BASE_URL": "https://dokelio.example.fr",
    "SECRET_KEY": "k" * 32,
    "MAIL_TRANSPORT": "smtp",
    "MAIL_SERVER": "smtp.example.fr",
    "REDIS_URL": "redis://redis-host:6379/0",
    "TRUSTED_PROXIES": "1",
}


def _names(config) -> list[str]:
    return [name for name, _ in rules.problems(config)]


def test_a_complete_production_configuration_has_no_problem():
    assert rules.problems(GOOD) == []
    refuse_unsafe(GOOD, argv=["gunicorn"])  # does not raise


@pytest.mark.parametrize("setting, value, variable, words", [
    ("SQLALCHEMY_DATABASE_URI", "sqlite:////srv/instance/backoffice.sqlite", "DATABASE_URL", "SQLite"),
    ("SQLALCHEMY_DATABASE_URI", "", "DATABASE_URL", "manquante"),
    ("SQLALCHEMY_DATABASE_URI", "mysql://u:p@h/db", "DATABASE_URL", "PostgreSQL"),
    ("BASE_URL", "http://127.0.0.1:5000", "BASE_URL", "cette machine (127.0.0.1)"),
    ("BASE_URL", "https://localhost", "BASE_URL", "cette machine (localhost)"),
    ("BASE_URL", "https://[::1]:8443/", "BASE_URL", "cette machine (::1)"),
    ("BASE_URL", "http://0.0.0.0", "BASE_URL", "cette machine"),
    ("BASE_URL", "http://dokelio.example.fr", "BASE_URL", "https://"),
    ("BASE_URL", "dokelio.example.fr", "BASE_URL", "pas une adresse web"),
    ("BASE_URL", None, "BASE_URL", "manquante"),
    ("SECRET_KEY", "x", "SECRET_KEY", "trop courte (1 octet)"),
    ("SECRET_KEY", "é" * 15, "SECRET_KEY", "trop courte (30 octets)"),  # bytes, not characters
    ("SECRET_KEY", None, "SECRET_KEY", "SECRET_KEY manquante"),
    ("MAIL_SERVER", "", "MAIL_SERVER", "MAIL_SERVER manquant"),
    ("MAIL_TRANSPORT", "folder", "MAIL_TRANSPORT", "SMTP"),
    ("REDIS_URL", None, "REDIS_URL", "REDIS_URL manquante"),
    ("TRUSTED_PROXIES", "deux", "TRUSTED_PROXIES", "nombre entier"),
    ("TRUSTED_PROXIES", "-1", "TRUSTED_PROXIES", "nombre entier"),
    ("TRUSTED_PROXIES", 8080, "TRUSTED_PROXIES", "nombre entier"),
])
def test_each_unsafe_setting_is_named_with_a_french_reason(setting, value, variable, words):
    found = rules.problems({**GOOD, setting: value})
    assert [name for name, _ in found] == [variable]
    assert words in found[0][1] and found[0][1].startswith(variable)


def test_every_problem_is_named_in_one_message():
    """The issue's case: BACKOFFICE_ENV=production SECRET_KEY=x and nothing else."""
    bare = {"BACKOFFICE_ENV": "production", "SQLALCHEMY_DATABASE_URI": "sqlite:///instance/backoffice.sqlite",
            "BASE_URL": "", "SECRET_KEY": "x", "MAIL_TRANSPORT": "smtp", "MAIL_SERVER": "", "REDIS_URL": None,
            "TRUSTED_PROXIES": "0"}
    assert _names(bare) == ["DATABASE_URL", "BASE_URL", "SECRET_KEY", "MAIL_SERVER", "REDIS_URL"]
    with pytest.raises(ConfigurationError) as refused:
        refuse_unsafe(bare, argv=["gunicorn", "wsgi:app"])
    text = str(refused.value)
    for _, message in rules.problems(bare):
        assert message in text
    refuse_unsafe(bare, argv=["flask", "--app", "wsgi", "check-config"])  # the command that reports them


def test_outside_production_only_the_proxy_count_is_checked():
    demo = {**GOOD, "BACKOFFICE_ENV": "", "SQLALCHEMY_DATABASE_URI": "sqlite:///x.sqlite",
            "BASE_URL": "http://127.0.0.1:5000", "SECRET_KEY": "x", "REDIS_URL": None, "MAIL_TRANSPORT": "folder"}
    assert rules.problems(demo) == []
    assert _names({**demo, "TRUSTED_PROXIES": "oui"}) == ["TRUSTED_PROXIES"]
    assert "DATABASE_URL" in [name for name, _ in rules.problems(demo, production=True)]


@pytest.mark.parametrize("value, expected", [
    (None, 0), ("", 0), ("0", 0), (" 2 ", 2), (1, 1), (5, 5), (6, None), ("1.5", None), (True, None), ("x", None),
])
def test_trusted_proxies(value, expected):
    assert rules.trusted_proxies(value) == expected


@pytest.mark.parametrize("host, local", [
    ("localhost", True), ("LOCALHOST.", True), ("127.0.0.1", True), ("127.8.9.10", True), ("::1", True),
    ("0.0.0.0", True), ("app.localhost", True), ("dokelio.example.fr", False), ("10.0.0.5", False),
    ("localhost.example.fr", False),
])
def test_is_local_host(host, local):
    assert rules.is_local_host(host) is local


def test_checking_config_is_only_the_check_config_command():
    assert checking_config(["/srv/dokelio/.venv/bin/flask", "--app", "wsgi", "check-config", "--production"])
    assert checking_config(["/usr/lib/python3/site-packages/flask/__main__.py", "check-config"])
    assert not checking_config(["/srv/dokelio/.venv/bin/flask", "--app", "wsgi", "run"])
    assert not checking_config(["gunicorn", "wsgi:app"]) and not checking_config(["check-config"])
    assert not checking_config(["pytest", "-k", "check-config"]) and not checking_config([])


@given(st.text(min_size=1, max_size=40).filter(lambda s: "\n" not in s))
def test_a_url_password_never_shows(password):
    for url in (f"postgresql+psycopg://dokelio:{quote(password, safe='')}@db-host:5432/dokelio",
                f"postgresql+psycopg://dokelio:{password}@db-host:5432/dokelio"):
        assert rules.shown_value("SQLALCHEMY_DATABASE_URI", url) == \
            "postgresql+psycopg://dokelio:***@db-host:5432/dokelio"
    assert rules.shown_value("REDIS_URL", f"redis://:{quote(password, safe='')}@redis-host:6379/0") == \
        "redis://:***@redis-host:6379/0"


@given(st.text(min_size=1, max_size=80))
def test_a_secret_shows_only_its_size(secret):
    shown = rules.shown_value("SECRET_KEY", secret)
    assert shown == f"*** ({rules._octets(len(secret.encode()))})"


def test_settings_without_secrets_show_as_they_are():
    config = {"MAIL_PASSWORD": "motdepasse-smtp", "MAIL_USERNAME": "dokelio", "REQUIRE_SECRET_KEY": True,
              "SQLALCHEMY_DATABASE_URI": "sqlite:////srv/a@b/backoffice.sqlite", "BASE_URL": "https://x.fr/a@b",
              "REDIS_URL": "redis://redis-host:6379/0", "LHEO_IMPORT_FOLDER": None,
              "SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": {"password": "pg-secret", "connect_timeout": 5}}}
    shown = dict(rules.shown_settings(config, config))
    assert shown["MAIL_PASSWORD"] == "*** (15 octets)" and shown["MAIL_USERNAME"] == "dokelio"
    assert shown["REQUIRE_SECRET_KEY"] is True and shown["LHEO_IMPORT_FOLDER"] == "(non définie)"
    assert shown["SQLALCHEMY_DATABASE_URI"] == config["SQLALCHEMY_DATABASE_URI"]
    assert shown["BASE_URL"] == "https://x.fr/a@b" and shown["REDIS_URL"] == "redis://redis-host:6379/0"
    assert shown["SQLALCHEMY_ENGINE_OPTIONS"] == {"connect_args": {"password": "*** (9 octets)", "connect_timeout": 5}}


@pytest.mark.parametrize("identifiant, ok", [
    ("admin", True), ("j.dupont-2_x", True), ("a" * 60, True), ("", False), ("a" * 61, False),
    ("jean dupont", False), ("éloïse", False), ("admin;drop", False),
])
def test_admin_identifiant(identifiant, ok):
    assert (rules.admin_identifiant_problem(identifiant) is None) is ok
