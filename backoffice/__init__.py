"""The back-office of a regional database of training offers (DOKELIO-like)."""
from flask import Flask, g, request
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix

from . import error_reporting
from .actor import ANONYMOUS, Actor, reset_actor, set_actor
from .config import _dev_secret_key, checking_config, config_from_env, refuse_unsafe
from .db_schema import enable_sqlite_foreign_keys
from .extensions import babel, csrf, db, login_manager, mail
from .input_guard import install as install_input_guard
from .logging_setup import configure_logging
from .logging_setup import init_app as init_logging
from .rules.deployment import trusted_proxies


def create_app(config=None) -> Flask:
    """Build a new application. `config` is a dict of overrides (tests) or a config class."""
    configure_logging()  # once per process; JSON lines in production (logging_setup.py)
    app = Flask(__name__, instance_relative_config=False)
    init_logging(app)  # first: every later hook's log lines carry the request id
    install_input_guard(app)  # control characters stripped from every request (input_guard.py)
    app.config.from_object(config_from_env())
    if isinstance(config, dict):
        app.config.update(config)
    elif config is not None:
        app.config.from_object(config)
    refuse_unsafe(app.config)  # production without PostgreSQL, Redis, SMTP, its public address or a long key
    error_reporting.init(app.config)  # SENTRY_DSN set: errors of requests and jobs sent to Sentry
    if not app.config.get("SECRET_KEY"):
        if not app.config.get("REQUIRE_SECRET_KEY"):
            app.config["SECRET_KEY"] = _dev_secret_key()
        elif not checking_config():  # check-config reports it with the rest
            # a key made up per machine would differ between the app processes (sessions, CSRF
            # and reset links refused at random) and be lost at the next deployment
            raise RuntimeError("SECRET_KEY manquante : en production, définissez la variable "
                               "d'environnement SECRET_KEY (la même pour tous les processus).")
    proxies = trusted_proxies(app.config.get("TRUSTED_PROXIES")) or 0
    if proxies:
        # the address, scheme and host the browser used, as the trusted proxies passed them on:
        # per-client limits (log-in, reset requests, API quota) then count each client apart
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)

    db.init_app(app)
    with app.app_context():
        enable_sqlite_foreign_keys(db.engine)
    mail.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=lambda: "fr", timezone_selector=lambda: "Europe/Paris")
    _init_login(app)

    from .models import listeners
    listeners.install()

    from .templating import init_templating
    init_templating(app)

    from .auth import bp as auth_bp
    app.register_blueprint(auth_bp)

    from .help import bp as help_bp  # /aide/: the help pages
    app.register_blueprint(help_bp)

    from .admin_views import init_admin
    init_admin(app)

    from .export import init_diffusion  # LHEO feed, partner API, grid export jobs
    init_diffusion(app)

    from .cli import register_cli
    register_cli(app)

    from .security import init_security
    init_security(app)

    from .error_pages import init_error_pages
    init_error_pages(app)

    from .health import bp as health_bp  # GET /healthz, for load balancers and supervision
    app.register_blueprint(health_bp)
    return app


def _init_login(app: Flask) -> None:
    from .models import User

    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Veuillez vous connecter pour accéder à cette page."
    login_manager.login_message_category = "warning"
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def load_user(session_id: str):
        # "<id>:<session_version>": a bumped version (password change) voids old sessions.
        user_id, _, version = session_id.partition(":")
        if not user_id.isdigit() or not version.isdigit():
            return None
        user = db.session.get(User, int(user_id))
        if user is None or user.session_version != int(version) or not user.is_active:
            return None
        return user

    @app.before_request
    def _lists_read_outside_a_transaction():
        # A list page only reads (its user, then its rows). On PostgreSQL a transaction costs two
        # round trips of its own (BEGIN, then ROLLBACK at the end), ~0.7 ms of a ~11 ms page
        # (bench/RESULTS.md): in autocommit, each read is its own statement. Writes and
        # every other page keep their transaction. Registered before _set_actor, which loads the user.
        if (request.method in ("GET", "HEAD") and (request.endpoint or "").endswith(".index_view")
                and db.engine.dialect.name == "postgresql" and not db.session().in_transaction()):
            db.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})

    @app.before_request
    def _set_actor():
        if current_user.is_authenticated:
            actor = Actor(current_user.id, current_user.role_label)
        else:
            actor = ANONYMOUS
        g._actor_token = set_actor(actor)

    @app.teardown_request
    def _reset_actor(_exc):
        token = g.pop("_actor_token", None)
        if token is not None:
            try:
                reset_actor(token)
            except ValueError:
                # the token was created in another context (streamed response): nothing to undo
                pass
