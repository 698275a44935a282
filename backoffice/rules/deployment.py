"""What a configuration must hold before it serves anybody, and how it is shown to an operator.

The settings are read from the app's configuration mapping (backoffice/config.py's keys) but
every message names the environment variable an operator sets. Each check returns a list of
(variable, French message) pairs, empty when the setting is fine. No Flask here.

- In any mode: TRUSTED_PROXIES is a small whole number.
- In production (BACKOFFICE_ENV=production): PostgreSQL, a public https BASE_URL (links in
  e-mails), a SECRET_KEY of at least 32 bytes, SMTP with a MAIL_SERVER, and Redis. The embedded
  defaults (SQLite, http://127.0.0.1:5000, a per-machine key, mail in a folder, jobs in the web
  process) are what a demo needs and what a production deployment must never fall back to silently.
"""
from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping
from urllib.parse import urlsplit

Problems = list[tuple[str, str]]

MIN_SECRET_BYTES = 32
# More relays than this in front of one app is a typo (a port number, a count of machines)
MAX_TRUSTED_PROXIES = 5

PRODUCTION = "production"

TRUSTED_PROXIES_INVALID = (f"TRUSTED_PROXIES doit être un nombre entier de 0 à {MAX_TRUSTED_PROXIES} : le nombre "
                           "de relais (proxy inverse, répartiteur de charge) placés devant l'application, "
                           "0 quand les navigateurs s'y connectent directement.")
DATABASE_MISSING = "DATABASE_URL manquante : en production, la base est PostgreSQL (postgresql+psycopg://...)."
DATABASE_SQLITE = ("DATABASE_URL désigne une base SQLite : SQLite ne sert qu'à la démonstration ; en production, "
                   "donnez la base PostgreSQL (postgresql+psycopg://utilisateur:...@serveur:5432/base).")
DATABASE_OTHER = "DATABASE_URL doit désigner une base PostgreSQL (postgresql+psycopg://...)."
BASE_URL_MISSING = ("BASE_URL manquante : l'adresse publique du site (https://...), dont sont faits les liens "
                    "des courriels.")
BASE_URL_INVALID = "BASE_URL n'est pas une adresse web complète (https://nom-du-site.fr)."
BASE_URL_LOCAL = ("BASE_URL désigne cette machine ({host}) : les liens des courriels ne mèneraient nulle part "
                  "chez leurs destinataires. Donnez l'adresse publique du site (https://...).")
BASE_URL_NOT_HTTPS = ("BASE_URL doit commencer par https:// en production : le cookie de session n'est envoyé "
                      "qu'en HTTPS.")
SECRET_MISSING = ("SECRET_KEY manquante : en production, définissez la variable d'environnement SECRET_KEY "
                  "(la même pour tous les processus).")
SECRET_SHORT = ("SECRET_KEY trop courte ({size}) : il en faut au moins {minimum}, tirés au hasard "
                "(par exemple python3 -c \"import secrets; print(secrets.token_hex(32))\").")
MAIL_NOT_SMTP = ("MAIL_TRANSPORT={transport} : en production, les courriels partent par SMTP "
                 "(MAIL_TRANSPORT=smtp) ; sinon ils restent sur le disque et personne ne les reçoit.")
MAIL_SERVER_MISSING = "MAIL_SERVER manquant : le serveur SMTP par lequel partent les courriels."
REDIS_MISSING = ("REDIS_URL manquante : en production, les tâches du Robot, l'envoi des courriels et les "
                 "imports passent par Redis et des workers RQ.")

_LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"}


def trusted_proxies(value) -> int | None:
    """The number of relays in front of the app, from the setting (an int, or its text); None
    when the value is not a whole number from 0 to MAX_TRUSTED_PROXIES. Unset means 0."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return 0
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and re.fullmatch(r"\s*\d{1,3}\s*", value):
        number = int(value)
    else:
        return None
    return number if 0 <= number <= MAX_TRUSTED_PROXIES else None


def trusted_proxies_problems(value) -> Problems:
    return [] if trusted_proxies(value) is not None else [("TRUSTED_PROXIES", TRUSTED_PROXIES_INVALID)]


def database_problems(uri) -> Problems:
    text = str(uri or "").strip()
    if not text:
        return [("DATABASE_URL", DATABASE_MISSING)]
    scheme = text.split(":", 1)[0].lower()
    if scheme.startswith("sqlite"):
        return [("DATABASE_URL", DATABASE_SQLITE)]
    if not scheme.startswith("postgresql"):
        return [("DATABASE_URL", DATABASE_OTHER)]
    return []


def is_local_host(host: str | None) -> bool:
    """This machine, whatever its spelling: localhost, 127.x, ::1, 0.0.0.0."""
    name = (host or "").strip().strip("[]").rstrip(".").lower()
    if name in _LOCAL_NAMES or name.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


def base_url_problems(url) -> Problems:
    text = str(url or "").strip()
    if not text:
        return [("BASE_URL", BASE_URL_MISSING)]
    try:
        parts = urlsplit(text)
        host = parts.hostname
    except ValueError:
        return [("BASE_URL", BASE_URL_INVALID)]
    if parts.scheme not in ("http", "https") or not host:
        return [("BASE_URL", BASE_URL_INVALID)]
    if is_local_host(host):
        return [("BASE_URL", BASE_URL_LOCAL.format(host=host))]
    if parts.scheme != "https":
        return [("BASE_URL", BASE_URL_NOT_HTTPS)]
    return []


def _octets(size: int) -> str:
    return f"{size} octet" if size < 2 else f"{size} octets"


def secret_key_problems(key) -> Problems:
    if not key:
        return [("SECRET_KEY", SECRET_MISSING)]
    size = len(key if isinstance(key, bytes) else str(key).encode("utf-8"))
    if size < MIN_SECRET_BYTES:
        return [("SECRET_KEY", SECRET_SHORT.format(size=_octets(size), minimum=MIN_SECRET_BYTES))]
    return []


def mail_problems(transport, server) -> Problems:
    transport = str(transport or "").strip() or "smtp"
    if transport != "smtp":
        return [("MAIL_TRANSPORT", MAIL_NOT_SMTP.format(transport=transport))]
    if not str(server or "").strip():
        return [("MAIL_SERVER", MAIL_SERVER_MISSING)]
    return []


def redis_problems(url) -> Problems:
    return [] if str(url or "").strip() else [("REDIS_URL", REDIS_MISSING)]


def is_production(config: Mapping) -> bool:
    return config.get("BACKOFFICE_ENV") == PRODUCTION


def production_problems(config: Mapping) -> Problems:
    """Every reason this configuration must not serve in production, each naming its variable."""
    return (database_problems(config.get("SQLALCHEMY_DATABASE_URI"))
            + base_url_problems(config.get("BASE_URL"))
            + secret_key_problems(config.get("SECRET_KEY"))
            + mail_problems(config.get("MAIL_TRANSPORT"), config.get("MAIL_SERVER"))
            + redis_problems(config.get("REDIS_URL")))


def problems(config: Mapping, production: bool | None = None) -> Problems:
    """What refuses this configuration at start: the checks of every mode, and those of
    production when it is one (`production` None: as BACKOFFICE_ENV says)."""
    found = trusted_proxies_problems(config.get("TRUSTED_PROXIES"))
    if is_production(config) if production is None else production:
        found += production_problems(config)
    return found


def refusal_message(found: Problems) -> str:
    """One message naming each problem, for the operator who starts the app."""
    lines = [f"  - {message}" for _, message in found]
    return "\n".join(["Configuration refusée : l'application ne démarre pas tant que ces réglages ne sont pas "
                      "corrigés (variables d'environnement) :", *lines,
                      "« flask --app wsgi check-config » affiche la configuration effective et ces problèmes."])


# ------------------------------------------------------------------ showing a configuration

MASK = "***"
_SECRET_NAME = re.compile(r"SECRET|PASSWORD|PASSWD|TOKEN|DSN|(^|_)KEY$|API_KEYS?$", re.IGNORECASE)
_URL_WITH_USER = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*://)(?P<userinfo>.*)@(?P<rest>[^@]*)$", re.DOTALL)


def is_secret_name(name: str) -> bool:
    return bool(_SECRET_NAME.search(name or ""))


def mask_url(text: str) -> str:
    """A URL's password replaced by ***: postgresql://dokelio:s3cret@db/x -> postgresql://dokelio:***@db/x.
    Everything up to the last @ counts as the user part, so a password holding an unencoded @ or
    / is hidden whole."""
    match = _URL_WITH_USER.match(text)
    if not match:
        return text
    user, colon, _password = match["userinfo"].partition(":")
    if "/" in user:  # the @ was in the path, not after a user: nothing to hide in the authority
        return text
    return f"{match['scheme']}{user}{':' + MASK if colon else ''}@{match['rest']}"


def shown_value(name: str, value):
    """A setting as check-config prints it: secrets masked (their size kept, the 32-byte rule's
    business), passwords of URLs masked, dicts masked key by key."""
    if isinstance(value, Mapping):
        return {key: shown_value(str(key), item) for key, item in value.items()}
    if value is None or value == "":
        return "(non définie)"
    if is_secret_name(name) and isinstance(value, str | bytes):  # not a flag such as REQUIRE_SECRET_KEY
        size = len(value if isinstance(value, bytes) else value.encode("utf-8"))
        return f"{MASK} ({_octets(size)})"
    if isinstance(value, str):
        return mask_url(value)
    return value


def shown_settings(config: Mapping, names: Iterable[str]) -> list[tuple[str, object]]:
    """(name, shown value) for each name the configuration holds, in order of name."""
    return [(name, shown_value(name, config.get(name))) for name in sorted(set(names)) if name in config]


# ------------------------------------------------------------------ the first administrator

IDENTIFIANT_MAX = 60  # users.identifiant VARCHAR(60), schema.sql
IDENTIFIANT_INVALID = (f"L'identifiant doit comporter de 1 à {IDENTIFIANT_MAX} caractères : lettres sans accent, "
                       "chiffres, point, tiret ou tiret bas.")


def admin_identifiant_problem(identifiant: str | None) -> str | None:
    """The identifiant an operator chooses for an administrator created on the command line (the
    screens generate theirs from the names): one word that can be typed on the log-in page."""
    text = (identifiant or "").strip()
    if not re.fullmatch(rf"[A-Za-z0-9._-]{{1,{IDENTIFIANT_MAX}}}", text):
        return IDENTIFIANT_INVALID
    return None
