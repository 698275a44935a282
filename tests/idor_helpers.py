"""The IDOR walk: every route of the app, tried with another organisme's identifiers.

Nothing here names a screen: routes come from `app.url_map`, their view from
the Flask-Admin registry (blueprint name = view endpoint), the records to aim
at from the view's model and `_primary_key`, the pickers from `_form_ajax_refs`,
bulk actions from `_actions`. A screen added later is walked without editing
this file.

Verdicts:
- strict: 403 or 404, nothing else (details, edit, delete, inline edit, bulk
  action, history, a path parameter naming the victim's record);
- listing: any status but 5xx, and none of the victim's identifiers or names in
  the body (lists, exports, ajax look-ups, custom pages);
- every POST: the victim's rows are byte-for-byte unchanged afterwards.
"""
import itertools
from dataclasses import dataclass, field

from flask_admin.model import BaseModelView
from sqlalchemy import bindparam, text
from sqlalchemy import inspect as sa_inspect

from backoffice.extensions import db
from backoffice.workflow import Event
from tests.form_helpers import form_fields, response_text

# Routes the walk does not request: files, and logging the walker out.
SKIPPED_ENDPOINTS = {"static", "admin.static", "auth.logout"}
# Pages anyone may open (still checked: they must not show the victim's data).
PUBLIC_ENDPOINTS = {"auth.root", "auth.login", "auth.register", "auth.forgot_password", "auth.set_password",
                    "auth.confirm_email",  # an e-mailed link: its token is the credential, like set_password
                    "auth.contact",
                    # « Comment s'inscrire ? »: help for a visitor with no account yet (fixed text, no record)
                    "help.registration",
                    # the partner API: open to anyone, diffusable offer only (the victim's is not diffusable)
                    "api.offres", "api.session", "api.not_found",
                    # the probe of the proxy and the orchestrator: component states, no record, no secret
                    "health.healthz"}
STRICT_OK = {403, 404}
SEARCH_TERM = "Zorglub"  # a prefix of the victim's names, never a whole marker (pages echo searches)

# path parameter name -> table it points to
PARAM_TABLES = {"user_id": "users", "organisme_id": "organisme", "action_id": "action", "session_id": "session",
                "adresse_id": "adresse", "contact_id": "contact", "module_id": "action"}


# values of path parameters that are not record keys (the action buttons of the workflow)
OTHER_PARAM_VALUES = {"event": [e.value for e in Event]}


@dataclass
class Victim:
    """Organisme B: its rows per table, and the strings that must never reach the attacker."""

    organisme_id: int
    rows: dict[str, list] = field(default_factory=dict)  # table name -> primary keys
    markers: list[str] = field(default_factory=list)
    numeros: list[str] = field(default_factory=list)

    def pks(self, table: str) -> list:
        return self.rows.get(table, [])

    def all_pks(self) -> list:
        return sorted({pk for pks in self.rows.values() for pk in pks}, key=str)


def admin_views(app) -> dict:
    """Blueprint name -> Flask-Admin view, for every Admin of the app."""
    admins = app.extensions.get("admin", [])
    admins = admins if isinstance(admins, list) else [admins]
    return {view.endpoint: view for admin in admins for view in admin._views}


def walked_rules(app):
    """Every rule except files and log-out, sorted for a stable walk."""
    return sorted((r for r in app.url_map.iter_rules() if r.endpoint not in SKIPPED_ENDPOINTS),
                  key=lambda r: (r.rule, r.endpoint))


def table_of(view) -> str | None:
    model = getattr(view, "model", None)
    return model.__tablename__ if model is not None and hasattr(model, "__tablename__") else None


def fingerprint(victim: Victim) -> dict:
    """Every column of every victim row, plus the rows hanging off organisme B, read outside the ORM."""
    snapshot = {}
    with db.engine.connect() as conn:
        for table, pks in victim.rows.items():
            pk_column = _pk_column(table)
            for pk in pks:
                row = conn.execute(text(f'SELECT * FROM "{table}" WHERE "{pk_column}" = :pk'), {"pk": pk}).mappings().first()
                snapshot[(table, pk)] = dict(row) if row else None
        for table in ("adresse", "contact", "action"):
            snapshot[("count", table)] = conn.execute(
                text(f'SELECT count(*) FROM "{table}" WHERE organisme_id = :o'), {"o": victim.organisme_id}).scalar()
        snapshot[("count", "session")] = conn.execute(text(
            "SELECT count(*) FROM session JOIN action ON action.id = session.action_id WHERE action.organisme_id = :o"),
            {"o": victim.organisme_id}).scalar()
        snapshot[("count", "user_organisme")] = conn.execute(
            text("SELECT count(*) FROM user_organisme WHERE organisme_id = :o"), {"o": victim.organisme_id}).scalar()
        # every row, anywhere, that points at one of the victim's rows: a form that re-points the
        # attacker's own action to the victim's contact (or place, programme...) shows up here
        for table in db.metadata.sorted_tables:
            if table.name == "history":
                continue
            for fk in table.foreign_keys:
                pks = victim.pks(fk.column.table.name)
                if pks:
                    snapshot[("refs", table.name, fk.parent.name)] = conn.execute(
                        text(f'SELECT count(*) FROM "{table.name}" WHERE "{fk.parent.name}" IN :pks')
                        .bindparams(bindparam("pks", expanding=True)), {"pks": pks}).scalar()
    return snapshot


def _pk_column(table: str) -> str:
    return db.metadata.tables[table].primary_key.columns.keys()[0]


class Walker:
    """Sends the requests of one attacker and collects every failure (never stops at the first)."""

    def __init__(self, app, client, victim: Victim, attacker_id: int, relogin):
        self.app, self.client, self.victim, self.relogin = app, client, victim, relogin
        self.attacker_id = attacker_id
        self.views = admin_views(app)
        self.failures: list[str] = []
        self.visited: set[str] = set()
        self.requests = 0
        self.replays_saved = 0
        self.baseline = fingerprint(victim)

    # ------------------------------------------------------------------ checks
    def fail(self, what: str, message: str):
        self.failures.append(f"{what}: {message}")

    def send(self, endpoint, method, url, verdict, data=None, params=None):
        """One request, judged; POSTs also check that the victim's rows did not move."""
        self.visited.add(endpoint)
        self.requests += 1
        what = f"{method} {url} {params or ''}{' ' + repr(data) if data else ''}"
        try:
            if method == "GET":
                response = self.client.get(url, query_string=params)
            else:
                response = self.client.post(url, query_string=params, data=data or {})
        except Exception as exc:  # TESTING propagates exceptions: in production, a 500
            db.session.rollback()
            self.fail(what, f"raised {type(exc).__name__}: {str(exc).splitlines()[0][:200]}")
            self.relogin()
            return None
        status = response.status_code
        if status >= 500:
            self.fail(what, f"HTTP {status}")
        elif verdict == "strict" and status not in STRICT_OK:
            self.fail(what, f"expected 403/404, got {status}")
        leaked = [m for m in self.victim.markers if m in response_text(response)]
        if leaked:
            self.fail(what, f"HTTP {status} shows the victim's {leaked}")
        if method == "POST":
            now = fingerprint(self.victim)
            if now != self.baseline:
                changed = [k for k in now if now[k] != self.baseline.get(k)]
                self.fail(what, f"changed the victim's rows {changed}")
                self.baseline = now
        self.relogin()
        return response

    # ------------------------------------------------------------------ the walk
    def walk(self):
        for rule in walked_rules(self.app):
            blueprint, _, name = rule.endpoint.rpartition(".")
            view = self.views.get(blueprint)
            if isinstance(view, BaseModelView) and name in MODEL_VIEW_ROUTES:
                MODEL_VIEW_ROUTES[name](self, rule, view)
            else:
                self.custom_route(rule, view)

    def url(self, rule, **values):
        with self.app.test_request_context():
            from flask import url_for
            return url_for(rule.endpoint, **values)

    def victim_pks(self, view) -> list:
        return self.victim.pks(table_of(view)) if view is not None else []

    # Flask-Admin's own routes ------------------------------------------------
    def index_view(self, rule, view):
        # a numero minus its last digit: matches the victim's but is no marker when the page echoes it
        for params in ({}, {"search": SEARCH_TERM}, {"search": self.victim.numeros[0][:-1]}):
            self.send(rule.endpoint, "GET", self.url(rule), "listing", params=params)

    def export(self, rule, view):
        for export_type in ("csv", "xlsx"):
            for params in ({}, {"search": SEARCH_TERM}):
                self.send(rule.endpoint, "GET", self.url(rule, export_type=export_type), "listing", params=params)

    def by_id(self, rule, view, method="GET"):
        pks = self.victim_pks(view) or ["1"]
        verdict = "strict" if self.victim_pks(view) else "listing"
        for pk in pks:
            self.send(rule.endpoint, method, self.url(rule), verdict, params={"id": pk},
                      data={"id": pk} if method == "POST" else None)

    def details_view(self, rule, view):
        self.by_id(rule, view)

    def edit_view(self, rule, view):
        self.by_id(rule, view)
        own = self.own_form(view, "edit_view")
        for pk in self.victim_pks(view):
            self.send(rule.endpoint, "POST", self.url(rule), "strict", params={"id": pk},
                      data=self.aimed_at_victim(view, own[1] if own else {}))
        if own:
            own_pk, fields = own
            self.send(rule.endpoint, "POST", self.url(rule), "listing", params={"id": own_pk},
                      data=self.aimed_at_victim(view, fields))

    def create_view(self, rule, view):
        params = [{}] + [{f"{t}_id": pk} for t in ("organisme", "action") for pk in self.victim.pks(t)]
        for p in params:
            self.send(rule.endpoint, "GET", self.url(rule), "listing", params=p)
        own = self.own_form(view, "edit_view")
        blank = form_fields(self.client.get(self.url(rule)).get_data(as_text=True))
        fields = {**blank, **(own[1] if own else {})}
        self.send(rule.endpoint, "POST", self.url(rule), "listing", data=self.aimed_at_victim(view, fields))

    def delete_view(self, rule, view):
        self.by_id(rule, view, method="POST")

    def action_view(self, rule, view):
        pks = self.victim_pks(view)
        if not pks:
            self.send(rule.endpoint, "POST", self.url(rule), "listing", data={"action": "delete", "rowid": ["1"]})
            return
        own = self.own_pk(view)
        names = [name for name, _label in getattr(view, "_actions", [])] or ["delete"]
        for name in names:
            self.send(rule.endpoint, "POST", self.url(rule), "strict", data={"action": name, "rowid": pks})
            if own is not None:
                self.send(rule.endpoint, "POST", self.url(rule), "strict",
                          data={"action": name, "rowid": [own, *pks]})

    def ajax_lookup(self, rule, view):
        names = set(getattr(view, "_form_ajax_refs", {}) or {}) or {"organisme"}
        for name, query in itertools.product(sorted(names), ["", SEARCH_TERM, *self.victim.numeros]):
            self.send(rule.endpoint, "GET", self.url(rule), "listing", params={"name": name, "query": query})

    def ajax_update(self, rule, view):
        columns = [c if isinstance(c, str) else c.key for c in (view.column_editable_list or [])] or ["id"]
        for pk in self.victim_pks(view) or ["1"]:
            for column in columns:
                self.send(rule.endpoint, "POST", self.url(rule), "strict" if self.victim_pks(view) else "listing",
                          data={"list_form_pk": pk, column: "x"})

    # Forms aimed at the victim ---------------------------------------------------
    def own_pk(self, view):
        """A record of this view's list that the attacker may see (the first of the list), if any."""
        with self.app.test_request_context():
            from flask_login import login_user

            from backoffice.models import User
            login_user(db.session.get(User, self.attacker_id))
            try:
                if not view.is_accessible():
                    return None
                obj = view.get_query().first()
            except Exception:  # a view whose query needs request arguments
                return None
        return view.get_pk_value(obj) if obj is not None else None

    def own_form(self, view, route):
        """(pk, fields) of the attacker's own record as its edit form would post them."""
        pk = self.own_pk(view)
        if pk is None:
            return None
        response = self.client.get(self.url_for_route(view, route), query_string={"id": pk})
        if response.status_code != 200:
            return None
        return pk, form_fields(response.get_data(as_text=True))

    def url_for_route(self, view, route):
        with self.app.test_request_context():
            from flask import url_for
            return url_for(f"{view.endpoint}.{route}")

    def aimed_at_victim(self, view, fields: dict) -> dict:
        """The same form with every relationship (top level or inline id) pointing at the victim's rows."""
        data = {k: list(v) for k, v in fields.items()}
        for name in list(data):
            parts = name.split("-")
            target = _relation_table(view.model, parts[0])
            if target is None:
                continue
            pks = self.victim.pks(target)
            if not pks:
                continue
            if len(parts) == 1:
                data[name] = [str(pk) for pk in pks]
            elif len(parts) == 3 and parts[2] == "id" and parts[1].isdigit():
                data[name] = [str(pks[0])]
        for relation in _relations(view.model):
            if relation not in data and self.victim.pks(_relation_table(view.model, relation) or ""):
                data[relation] = [str(pk) for pk in self.victim.pks(_relation_table(view.model, relation))]
        return data

    # Routes written by hand (@expose, blueprints) ---------------------------------
    def custom_route(self, rule, view):
        params = [p for p in rule.arguments]
        methods = sorted(m for m in rule.methods if m in ("GET", "POST"))
        if not params:
            for method in methods:
                for values in self.query_variants(view):
                    if method == "GET":
                        self.send(rule.endpoint, method, self.url(rule), "listing", params=values)
                    else:
                        self.send(rule.endpoint, method, self.url(rule), "listing", data=values)
            return
        for values, verdict in self.path_variants(rule, view):
            for method in methods:
                self.send(rule.endpoint, method, self.url(rule, **values), verdict)

    def query_variants(self, view):
        own_table = table_of(view)
        variants = [{}, {"q": SEARCH_TERM}, {"search": SEARCH_TERM}]
        for table, pks in self.victim.rows.items():
            for pk in pks:
                variants.append({f"{table}_id": pk})
                if table == own_table or own_table is None:
                    variants.append({"id": pk, "rowid": pk})
        return variants

    def path_variants(self, rule, view):
        """Values for the rule's path parameters, each naming one of the victim's records."""
        args = sorted(rule.arguments)
        if "view" in args:  # /<view>/<id>: a record of another screen
            for endpoint, other in sorted(self.views.items()):
                for pk in self.victim_pks(other):
                    yield {"view": endpoint, **{a: pk for a in args if a != "view"}}, "strict"
            return
        if "token" in args:
            yield {a: "jeton-invalide" for a in args}, "listing"
            return
        if "filename" in args:
            return
        if args == ["numero"]:  # OF_/AF_/SE_ identifiers
            for numero in self.victim.numeros:
                yield {"numero": numero}, "strict"
            return
        tables = {a: PARAM_TABLES.get(a) or (table_of(view) if a in ("id", "pk") else None) for a in args}
        keys = [a for a in args if tables[a]]
        if keys:
            # the record parameters name the victim's rows; the others (an event, a verb...) take
            # every value they may have, so that the route really runs up to its scope check
            others = [a for a in args if not tables[a]]
            for pks in itertools.product(*(self.victim.pks(tables[a]) for a in keys)):
                for extra in itertools.product(*(OTHER_PARAM_VALUES.get(a, ["x"]) for a in others)):
                    yield {**dict(zip(keys, pks, strict=True)), **dict(zip(others, extra, strict=True))}, "strict"
            return
        for pk in self.victim.all_pks():  # unknown parameters: any of the victim's keys, judged as a page
            yield {a: pk for a in args}, "listing"


MODEL_VIEW_ROUTES = {name: getattr(Walker, name) for name in (
    "index_view", "export", "details_view", "edit_view", "create_view", "delete_view", "action_view",
    "ajax_lookup", "ajax_update")}


def _relations(model) -> list[str]:
    return [r.key for r in sa_inspect(model).relationships]


def _relation_table(model, name) -> str | None:
    relation = sa_inspect(model).relationships.get(name)
    return relation.mapper.class_.__tablename__ if relation is not None else None
