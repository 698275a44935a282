"""Log-in and log-out: throttled, with temporary lockout, a new session on log-in, none left on log-out."""
import time

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user
from sqlalchemy import update

from ..extensions import db
from ..models import User
from ..security import is_local_path
from ..services import accounts, lockout
from . import bp

# One message for every refusal of a password (unknown identifiant, wrong password, inactive
# account): it reveals nothing. A locked identifiant gets lockout.LOCKED instead, which reveals
# nothing either: an identifiant nobody has is locked alike after the same failures
# (services/lockout.py).
LOGIN_FAILED = ("Identifiant ou mot de passe incorrect. Après 5 échecs de suite, le compte est bloqué "
                "temporairement (15 minutes, puis davantage si les échecs continuent) ; « Mot de passe "
                "oublié ? » le débloque aussitôt.")
THROTTLED = ("Trop de tentatives de connexion depuis votre adresse : réessayez {quand} (heure de Paris).")


def safe_next(target: str | None) -> str:
    """Only same-site paths; anything else (javascript:, //evil, \\\\evil, absolute URLs) lands on the index."""
    return target if is_local_path(target) else url_for("admin.index")


def client_ip() -> str | None:
    """The address throttling counts by (the proxy's own, unless the deployment sets ProxyFix)."""
    return request.remote_addr


def answer_after(started: float) -> None:
    """Answer no sooner than AUTH_MIN_RESPONSE_SECONDS: an existing account costs a few more
    writes than an unknown one (its lock, its mail), and the time must not tell them apart. It
    also slows a guesser down."""
    floor = float(current_app.config.get("AUTH_MIN_RESPONSE_SECONDS", 0.4))
    left = floor - (time.monotonic() - started)
    if left > 0:
        time.sleep(left)


@bp.route("/")
def root():
    return redirect(url_for("admin.index"))


@bp.route("/connexion", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")))
    if request.method == "POST":
        identifiant = (request.form.get("identifiant") or "").strip()
        password = request.form.get("password") or ""
        started = time.monotonic()
        result = accounts.authenticate(db.session, identifiant, password, client_ip(),
                                       accounts.AccountSettings.from_config(current_app.config))
        if result.user is not None:
            session.clear()  # a new session on log-in: no fixation
            login_user(result.user)
            return redirect(safe_next(request.args.get("next")))
        answer_after(started)  # refusals only: a log-in is not slowed
        if result.throttled_until is not None:
            flash(THROTTLED.format(quand=lockout.retry_text(result.throttled_until)), "error")
        elif result.locked_until is not None:
            flash(lockout.locked_message(result.locked_until), "error")
        else:
            flash(LOGIN_FAILED, "error")
        current_app.logger.info("échec de connexion (%s)", "limite atteinte" if result.throttled_until
                                else "bloqué" if result.locked_until else "refus")
    return render_template("auth/login.html")


@bp.route("/deconnexion", methods=["POST"])
def logout():
    if current_user.is_authenticated:
        # A signed cookie cannot be taken back: bumping the version makes any copy of it worthless.
        db.session.execute(update(User).where(User.id == current_user.id)
                           .values(session_version=User.session_version + 1))
        db.session.commit()
    logout_user()
    session.clear()
    flash("Vous êtes déconnecté.", "info")
    return redirect(url_for("auth.login"))
