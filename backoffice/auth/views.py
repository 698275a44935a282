"""Log-in and log-out: throttled, with lockout, a new session on log-in, none left on log-out."""
from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user
from sqlalchemy import update

from ..extensions import db
from ..models import User
from ..security import is_local_path
from ..services import accounts
from . import bp

# One message for every refusal (unknown identifiant, wrong password, locked or
# inactive account): it reveals nothing, and says what to do when locked.
LOGIN_FAILED = ("Identifiant ou mot de passe incorrect. Après plusieurs échecs, le compte est bloqué : "
                "utilisez alors « Contactez-nous » pour le faire débloquer.")
THROTTLED = "Trop de tentatives de connexion depuis votre adresse : réessayez dans quelques minutes."


def safe_next(target: str | None) -> str:
    """Only same-site paths; anything else (javascript:, //evil, \\\\evil, absolute URLs) lands on the index."""
    return target if is_local_path(target) else url_for("admin.index")


def client_ip() -> str | None:
    """The address throttling counts by (the proxy's own, unless the deployment sets ProxyFix)."""
    return request.remote_addr


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
        result = accounts.authenticate(db.session, identifiant, password, client_ip())
        if result.user is not None:
            session.clear()  # a new session on log-in: no fixation
            login_user(result.user)
            return redirect(safe_next(request.args.get("next")))
        flash(THROTTLED if result.throttled else LOGIN_FAILED, "error")
        current_app.logger.info("échec de connexion (%s)", "limite atteinte" if result.throttled else "refus")
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
