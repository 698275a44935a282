"""Log-in under attack: wrong passwords lock an identifiant for a while (15 minutes at the 5th, then
longer), never for good; the owner gets in after the lock, or at once through a password reset; the
owner is told by mail; an unknown identifiant is locked alike (no enumeration); per-address throttle;
support and `flask unlock-user` unlock; a new session on log-in, none left after log-out."""
import html
import re
import time
from datetime import UTC, timedelta

import pytest
from sqlalchemy import select

from backoffice.auth.views import LOGIN_FAILED, THROTTLED
from backoffice.extensions import db
from backoffice.models import History, PasswordToken, listeners
from backoffice.services import accounts, lockout, throttle
from backoffice.services.accounts import MAX_FAILED_LOGINS
from tests.accounts_helpers import STRONG_PASSWORD, link_in, outbox
from tests.conftest import login

SQLITE_ONLY = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
RIGHT = "motdepasse-de-test-1"
ATTACKER = {"REMOTE_ADDR": "203.0.113.66"}
OWNER = {"REMOTE_ADDR": "198.51.100.1"}
LOCK_MAIL_SUBJECT = "DOKELIO Ile-de-France : votre compte est temporairement bloqué"


class Clock:
    """The "now" of the log-in code, frozen, moved forward by the test (no sleeping)."""

    def __init__(self, monkeypatch):
        self.now = listeners.utcnow().replace(microsecond=0)
        for module in (accounts, lockout, throttle, listeners):
            monkeypatch.setattr(module, "utcnow", self)

    def __call__(self):
        return self.now

    def advance(self, delta: timedelta):
        self.now += delta


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch)


@pytest.fixture(autouse=True)
def quick(app):
    """Lower the answer-time floor of refusals where timing is not the point (tested once, below)."""
    app.config["AUTH_MIN_RESPONSE_SECONDS"] = 0.01


def _page(response) -> str:
    """The page without the echoed identifiant and the (timestamped) CSRF token."""
    return re.sub(r'value="[^"]*"', "", response.get_data(as_text=True))


def _post(client, identifiant, password, environ=OWNER):
    return client.post("/connexion", data={"identifiant": identifiant, "password": password}, environ_base=environ)


def _try(client, identifiant, password, **kwargs):
    response = client.post("/connexion", data={"identifiant": identifiant, "password": password}, **kwargs)
    return response.status_code, LOGIN_FAILED in html.unescape(response.get_data(as_text=True))


def _locked_text(response) -> str | None:
    """The « jusqu'à HH:MM » of the lock message on the page, or None when it is not there."""
    match = re.search(r"temporairement bloqué après plusieurs mots de passe incorrects, (jusqu'[^(]+) \(heure de Paris\)",
                      html.unescape(response.get_data(as_text=True)))
    return match.group(1).strip() if match else None


def _actes(user) -> list[str]:
    return list(db.session.scalars(select(History.message).where(
        History.entity == "users", History.op == "acte", History.entity_key == str(user.id)).order_by(History.id)))


def _fail(client, identifiant, times, environ=ATTACKER):
    for _ in range(times):
        _post(client, identifiant, "mauvais mot de passe", environ)


def test_an_attackers_failures_lock_the_owner_out_for_15_minutes_only(client, make, clock):
    """5 wrong passwords from an attacker lock the account: the owner's right password, from elsewhere,
    is refused with the lock's end in Paris time and how to unlock at once, the same page an unknown
    identifiant gets after the same failures; 15 minutes later the owner gets in."""
    user = make.user("organisme")
    for _ in range(MAX_FAILED_LOGINS - 1):
        assert _try(client, user.identifiant, "mauvais mot de passe", environ_base=ATTACKER) == (200, True)
    db.session.expire_all()
    assert user.failed_logins == MAX_FAILED_LOGINS - 1 and not user.is_locked()
    fifth = _post(client, user.identifiant, "mauvais mot de passe", ATTACKER)
    expected_end = lockout.until_text(clock.now + timedelta(minutes=15), clock.now)
    assert _locked_text(fifth) == expected_end
    db.session.expire_all()
    assert user.locked_until == clock.now + timedelta(minutes=15) and user.is_locked() and not user.is_active

    _fail(client, "personne42", MAX_FAILED_LOGINS)  # nobody has it: locked alike
    clock.advance(timedelta(minutes=14))
    locked, unknown = _post(client, user.identifiant, RIGHT), _post(client, "personne42", RIGHT)
    assert locked.status_code == unknown.status_code == 200
    assert _locked_text(locked) == expected_end and _page(locked) == _page(unknown)
    assert "« Mot de passe oublié ? »" in html.unescape(locked.get_data(as_text=True))
    assert client.get("/admin/organismes/").status_code == 302

    clock.advance(timedelta(minutes=1))
    assert _post(client, user.identifiant, RIGHT).status_code == 302
    db.session.expire_all()
    assert user.failed_logins == 0 and user.locked_until is None and user.locked_at is None
    assert _actes(user) == [f"Compte bloqué après {MAX_FAILED_LOGINS} échecs de connexion consécutifs"]


def test_the_owner_is_mailed_and_a_reset_unlocks_at_once(client, make, clock):
    """The lock mail goes to the owner with a reset link and the lock's end; following it at once
    (no waiting) sets a new password, which ends the lock and the failure count."""
    user = make.user("organisme", email="victime@of-test.fr")
    _fail(client, user.identifiant, MAX_FAILED_LOGINS)
    mails = outbox("victime@of-test.fr")
    assert [m.subject for m in mails] == [LOCK_MAIL_SUBJECT]
    end = (clock.now + timedelta(minutes=15)).replace(tzinfo=UTC).astimezone(lockout.PARIS)
    assert f"jusqu'au {end:%d/%m/%Y %H:%M} (heure de Paris)" in mails[0].body_text
    assert "5 mots de passe incorrects" in mails[0].body_text and user.identifiant in mails[0].body_html
    link = link_in(mails[0].body_text)
    assert link in html.unescape(mails[0].body_html)
    assert client.get(link).status_code == 200
    response = client.post(link, data={"password": STRONG_PASSWORD, "confirmation": STRONG_PASSWORD})
    assert response.status_code == 302
    db.session.expire_all()
    assert user.failed_logins == 0 and user.locked_until is None and not user.is_locked()
    login(client, user.identifiant, STRONG_PASSWORD)


@SQLITE_ONLY
def test_further_failures_lock_longer_never_beyond_a_day_and_a_lock_is_not_prolonged(client, make, clock):
    """Failures typed during a lock are not counted; after it, each failure doubles the next lock
    (30 min, 1 h, …) up to 24 hours; the owner still gets in once the longest lock has passed."""
    user = make.user("admin")  # the administrator's account too
    _fail(client, user.identifiant, MAX_FAILED_LOGINS)
    db.session.expire_all()
    first_end = user.locked_until
    _fail(client, user.identifiant, 10)  # during the lock
    db.session.expire_all()
    assert user.locked_until == first_end and user.failed_logins == MAX_FAILED_LOGINS
    durations = []
    for _ in range(8):
        clock.now = user.locked_until
        _fail(client, user.identifiant, 1)
        db.session.expire_all()
        durations.append(user.locked_until - clock.now)
    assert durations[:3] == [timedelta(minutes=30), timedelta(hours=1), timedelta(hours=2)]
    assert max(durations) <= timedelta(hours=24) and timedelta(hours=16) in durations
    clock.now = user.locked_until
    assert _post(client, user.identifiant, RIGHT).status_code == 302


def test_support_unlocks_at_once(client, make, login_as, clock):
    """Support's « Débloquer » ends the lock at once (history kept), and the right password works."""
    user = make.user("organisme")
    _fail(client, user.identifiant, MAX_FAILED_LOGINS)
    support = login_as("support")
    response = client.post(f"/admin/support/{user.id}/debloquer/", data={"q": user.identifiant})
    assert response.status_code == 302
    client.post("/deconnexion")
    db.session.expire_all()
    assert user.locked_until is None and user.failed_logins == 0
    login(client, user.identifiant, RIGHT)
    actes = db.session.scalars(select(History).where(History.entity == "users", History.op == "acte",
                                                     History.entity_key == str(user.id))).all()
    assert [a.message for a in actes] == [f"Compte bloqué après {MAX_FAILED_LOGINS} échecs de connexion consécutifs",
                                          "Support : compte débloqué"]
    assert actes[1].user_id == support.id and actes[1].actor_label == "Support"


def test_flask_unlock_user(app, client, make, clock):
    """`flask unlock-user IDENTIFIANT` ends the lock with a French confirmation; an unknown
    identifiant exits non-zero with a French message and changes nothing."""
    user = make.user("admin")
    _fail(client, user.identifiant, MAX_FAILED_LOGINS)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["unlock-user", user.identifiant.upper()])
    assert result.exit_code == 0, result.output
    assert f"Le compte {user.identifiant} ({user.prenom} {user.nom}) est débloqué" in result.output
    db.session.expire_all()
    assert user.locked_until is None and user.failed_logins == 0
    assert _actes(user)[-1] == "Compte débloqué en ligne de commande (flask unlock-user)"
    assert _post(client, user.identifiant, RIGHT).status_code == 302

    result = runner.invoke(args=["unlock-user", "personne42"])
    assert result.exit_code == 1
    assert "Aucun compte n'a l'identifiant « personne42 »" in result.output and "Error" not in result.output


@SQLITE_ONLY
def test_success_resets_the_count_and_inactive_accounts_refuse(client, make):
    """A success between failures starts the count again; a deactivated account refuses the right
    password with the generic message."""
    user = make.user("organisme")
    for _ in range(MAX_FAILED_LOGINS - 1):
        _try(client, user.identifiant, "mauvais mot de passe")
    login(client, user.identifiant, RIGHT)
    client.post("/deconnexion")
    _try(client, user.identifiant, "mauvais mot de passe")
    db.session.expire_all()
    assert user.failed_logins == 1 and user.locked_until is None
    inactive = make.user("organisme", actif=False)
    assert _try(client, inactive.identifiant, RIGHT) == (200, True)


@SQLITE_ONLY
def test_one_address_is_throttled_after_30_failures_for_15_minutes(client, make, clock):
    """30 failures from one address (spread over many identifiants) stop that address, even with a
    right password, until the time it is told; another address still logs in."""
    user = make.user("organisme")
    for i in range(30):
        _try(client, f"cible{i}", "devine", environ_base=ATTACKER)
    response = _post(client, user.identifiant, RIGHT, ATTACKER)
    retry = THROTTLED.format(quand=lockout.retry_text(clock.now + timedelta(minutes=15), clock.now))
    assert response.status_code == 200 and retry in html.unescape(response.get_data(as_text=True))
    assert _post(client, user.identifiant, RIGHT, OWNER).status_code == 302
    client.post("/deconnexion")
    clock.advance(timedelta(minutes=15))
    assert _post(client, user.identifiant, RIGHT, ATTACKER).status_code == 302


@SQLITE_ONLY
def test_a_lock_voids_no_link_but_the_older_reset_link(client, make, clock):
    """The lock mail's link is the account's one live reset link: an older one dies with it."""
    user = make.user("organisme")
    client.post("/mot-de-passe-oublie", data={"identifiant": user.identifiant, "courriel": user.email},
                environ_base=OWNER)
    older = link_in(outbox(user.email)[-1].body_text)
    _fail(client, user.identifiant, MAX_FAILED_LOGINS)
    newer = link_in(outbox(user.email)[-1].body_text)
    assert client.get(older).status_code == 400 and client.get(newer).status_code == 200
    live = db.session.scalars(select(PasswordToken).where(PasswordToken.used_at.is_(None))).all()
    assert len(live) == 1


@SQLITE_ONLY
def test_wrong_current_passwords_in_mon_compte_lock_and_end_the_session_for_good(app, client, make, clock, monkeypatch):
    """« Mon compte »: the 5th wrong current password locks the account like a log-in, mails the owner
    (pointing to « Mot de passe oublié ? »), and ends the open session, which does not come back once
    the lock is over; the owner logs in again then."""
    from backoffice.services import my_account
    monkeypatch.setattr(my_account, "utcnow", clock)
    user = make.user("organisme")
    login(client, user.identifiant)
    for _ in range(MAX_FAILED_LOGINS):
        response = client.post("/admin/compte/mot-de-passe/", data={
            "actuel": "pas le bon", "nouveau": STRONG_PASSWORD, "confirmation": STRONG_PASSWORD})
    assert response.status_code == 302 and "/connexion" in response.headers["Location"]
    db.session.expire_all()
    assert user.is_locked() and user.session_version == 2
    mail = outbox(user.email)[-1]
    assert mail.subject == LOCK_MAIL_SUBJECT and f"{app.config['BASE_URL']}/mot-de-passe-oublie" in mail.body_text
    clock.advance(timedelta(minutes=15))
    assert client.get("/admin/compte/").status_code == 302
    login(client, user.identifiant, RIGHT)


@SQLITE_ONLY
def test_refusals_take_the_same_time_and_a_log_in_is_not_slowed(app, client, make):
    """Every refusal (the failure that locks an existing account and mails its owner, an unknown
    identifiant's) answers no sooner than the floor; a right password is not held back."""
    app.config["AUTH_MIN_RESPONSE_SECONDS"] = 0.4
    user = make.user("organisme")
    _fail(client, user.identifiant, MAX_FAILED_LOGINS - 1)
    _fail(client, "personne42", MAX_FAILED_LOGINS - 1)
    for identifiant in (user.identifiant, "personne42"):
        started = time.monotonic()
        response = _post(client, identifiant, "mauvais mot de passe", ATTACKER)
        assert time.monotonic() - started >= 0.4 and _locked_text(response)
    app.config["AUTH_MIN_RESPONSE_SECONDS"] = 5  # far above a log-in's own time, even on a busy machine
    other = make.user("organisme")
    started = time.monotonic()
    assert _post(client, other.identifiant, RIGHT).status_code == 302
    assert time.monotonic() - started < 5


@SQLITE_ONLY
def test_session_is_renewed_on_login_and_void_after_logout(app, client, make):
    """Nothing planted in the session before log-in survives it; after log-out, a copy of the old
    session cookie no longer opens the back-office."""
    user = make.user("documentaliste")
    with client.session_transaction() as session:
        session["planted"] = "par un attaquant"
    login(client, user.identifiant)
    with client.session_transaction() as session:
        assert "planted" not in session
        stolen = dict(session)
    assert client.get("/admin/organismes/").status_code == 200
    client.post("/deconnexion")
    replay = app.test_client()
    with replay.session_transaction() as session:
        session.update(stolen)
    assert replay.get("/admin/organismes/").status_code == 302
