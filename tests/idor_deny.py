"""Deny by default: every admin route as one role (or anonymous), judged against the view's permissions."""
from flask_admin.model import BaseModelView
from sqlalchemy import text

from backoffice.extensions import db
from tests.idor_helpers import PARAM_TABLES, PUBLIC_ENDPOINTS, Victim, admin_views, table_of, walked_rules

ROUTE_VERBS = {"index_view": "view", "details_view": "view", "export": "export", "create_view": "create",
               "edit_view": "edit", "delete_view": "delete", "ajax_update": "edit", "ajax_lookup": "view",
               "action_view": "view"}


def _as_user(app, user_id, question):
    """Ask a view something inside a request made by `user_id` (None = anonymous)."""
    with app.test_request_context():
        from flask_login import login_user

        from backoffice.models import User
        if user_id is not None:
            login_user(db.session.get(User, user_id))
        return question()


def _history_count() -> int:
    with db.engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM history")).scalar()


def deny_walk(app, client, user_id, victim: Victim) -> tuple[list[str], set[str]]:
    """Every admin route as this user (None = anonymous): where the view's permissions say no,
    the answer is 403 (or the login page for an anonymous visitor) and nothing is written.

    Returns the failures and the endpoints that did answer (allowed), for a sanity check.
    """
    failures, allowed_endpoints = [], set()
    views = admin_views(app)
    for rule in walked_rules(app):
        if rule.endpoint in PUBLIC_ENDPOINTS:
            continue
        blueprint, _, name = rule.endpoint.rpartition(".")
        view = views.get(blueprint)
        accessible = view is not None and _as_user(app, user_id, view.is_accessible)
        verb = ROUTE_VERBS.get(name) if isinstance(view, BaseModelView) else None
        verb_ok = accessible and (verb in (None, "view") or _as_user(app, user_id, lambda view=view, verb=verb: getattr(view, f"can_{verb}")))
        if view is None and user_id is not None:
            continue  # a non-admin blueprint: only the anonymous check applies
        values = _any_values(rule, view, victim)
        if values is None:
            continue
        url = _url(app, rule, values)
        for method in sorted(m for m in rule.methods if m in ("GET", "POST")):
            before = _history_count() if method == "POST" else None
            response = client.get(url, query_string={"id": _first_pk(view, victim)}) if method == "GET" else \
                client.post(url, data={"id": _first_pk(view, victim)})
            status = response.status_code
            what = f"{'anonymous' if user_id is None else 'user ' + str(user_id)} {method} {url}"
            to_login = status == 302 and "/connexion" in response.headers.get("Location", "")
            if status >= 500:
                failures.append(f"{what}: HTTP {status}")
            elif user_id is None:
                if not (to_login or status in (401, 403, 404)):
                    failures.append(f"{what}: anonymous got {status}, expected 403 or the login page")
            elif not accessible:
                if status != 403:
                    failures.append(f"{what}: view refused by the matrix answered {status}, expected 403")
            elif not verb_ok:
                if status != 403:
                    failures.append(f"{what}: verb {verb!r} refused by the matrix answered {status}")
            else:
                allowed_endpoints.add(rule.endpoint)
            if before is not None and (user_id is None or not verb_ok) and _history_count() != before:
                failures.append(f"{what}: a refused POST wrote to the database")
    return failures, allowed_endpoints


def _first_pk(view, victim):
    pks = victim.pks(table_of(view)) if view is not None else []
    return pks[0] if pks else "1"


def _any_values(rule, view, victim):
    values = {}
    for arg in rule.arguments:
        if arg == "export_type":
            values[arg] = "csv"
        elif arg == "view":
            values[arg] = "organismes"
        elif arg == "filename":
            return None
        elif arg == "token":
            values[arg] = "jeton-invalide"
        else:
            table = PARAM_TABLES.get(arg) or table_of(view)
            pks = victim.pks(table) if table else []
            values[arg] = pks[0] if pks else 1
    return values


def _url(app, rule, values):
    with app.test_request_context():
        from flask import url_for
        return url_for(rule.endpoint, **values)
