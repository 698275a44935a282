"""Routes of the auth blueprint."""
from flask import flash, redirect, render_template, request, session, url_for
from flask_admin.helpers import is_safe_url
from flask_login import current_user, login_user, logout_user
from sqlalchemy import func, select

from ..extensions import db
from ..models import User
from ..models.listeners import utcnow
from ..passwords import verify_password
from . import bp

LOGIN_FAILED = "Identifiant ou mot de passe incorrect."


def safe_next(target: str | None) -> str:
    """Only same-site paths; anything else (javascript:, //evil, \\\\evil) lands on the index."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target \
            and is_safe_url(target):
        return target
    return url_for("admin.index")


@bp.route("/")
def root():
    return redirect(url_for("admin.index"))


@bp.route("/connexion", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")))
    if request.method == "POST":
        identifiant = (request.form.get("identifiant") or "").strip().lower()
        password = request.form.get("password") or ""
        user = db.session.scalar(select(User).where(func.lower(User.identifiant) == identifiant))
        if user is not None and verify_password(user.password_hash, password) and user.is_active:
            session.clear()  # a new session on login: no fixation
            login_user(user)
            user.last_login_at = utcnow()
            db.session.commit()
            return redirect(safe_next(request.args.get("next")))
        flash(LOGIN_FAILED, "error")
    return render_template("auth/login.html")


@bp.route("/deconnexion", methods=["POST"])
def logout():
    logout_user()
    session.clear()
    flash("Vous êtes déconnecté.", "info")
    return redirect(url_for("auth.login"))
