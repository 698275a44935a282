"""No input breaks the service: generated values in every field of every form and every list,
search and filter parameter, as each role.

Nothing here names a screen. The pages come from the URL map (every GET route without path
parameters) and the Flask-Admin registry (the edit form of a record the user may open, the list
filters, the ajax pickers); the fields from the HTML forms of those pages, as a browser would send
them. A screen added later is fuzzed without editing this file.

For each request: never a 5xx (nor an exception: TESTING propagates them), no SQL, driver message
or traceback in the body; and a POST that is refused (anything but a redirect) writes nothing:
the row counts of the tables and the edited record are the same before and after.

First a sweep sends one hostile value to every field of every form (NUL and a number out of every
integer's range at once), then hypothesis mixes generated values (control characters, huge and
non-finite numbers, 10 kB strings, impossible dates, SQL-ish text) into random fields.
"""
import html
import os
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from flask import Request, url_for
from flask_admin.model import BaseModelView
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from backoffice.admin_views.forms import DATABASE_REFUSAL_MESSAGE
from backoffice.error_pages import DATA_PAGE
from backoffice.extensions import db
from backoffice.models import Dispositif
from tests.conftest import login
from tests.factories import TEST_PASSWORD
from tests.idor_helpers import admin_views

# PostgreSQL, the stricter backend (NUL refused in text, 32-bit integers), and SQLite (the demo's)
BOTH = pytest.mark.parametrize("backend", ["postgresql", "sqlite"], indirect=True)
POSTGRESQL = pytest.mark.parametrize("backend", ["postgresql"], indirect=True)

ROLES = ["organisme", "documentaliste", "admin", "support", "financeur", "anonymous"]
# case matters for the SQL words only (a page may say « update » in prose, not "UPDATE ")
FORBIDDEN_ANY_CASE = ("sqlalchemy", "psycopg", "sqlite3", "traceback")
SQL_WORDS = ("SELECT ", "INSERT ", "UPDATE ")
# requests that end the session or whose effect is wanted (deleting, workflow buttons: their own tests)
SKIPPED_ACTIONS = re.compile(r"/deconnexion|/delete/|/action/|/transition/|/ajax/update/")
SKIPPED_ENDPOINTS = {"static", "admin.static", "auth.logout"}
SKIPPED_ROUTES = ("export", "ajax_lookup", "ajax_update", "delete_view", "action_view")
# tables a refused request may write by design: throttling of failed log-ins, mails queued
UNCOUNTED = {"throttle_event", "outbox", "password_token", "job_run"}

ROW_ID = re.compile(r"-\d+-id$")  # the id of an inline row (an address of the fiche organisme...)
SWEEP_VALUE = "99999999999\x00"
# bounded for CI, and the same examples at every run; FUZZ_EXAMPLES_PER_ROLE=500 explores (random)
EXAMPLES_PER_ROLE = int(os.environ.get("FUZZ_EXAMPLES_PER_ROLE", "40"))
DERANDOMIZE = "FUZZ_EXAMPLES_PER_ROLE" not in os.environ
NASTY = ["\x00", "a\x00b", "\x01\x02\x1b[31m\x7f\x0b\x0c", "99999999999", "-99999999999", "2147483648",
         "9223372036854775808", "1" * 40, "1e400", "NaN", "-Infinity", "0,00000001", "x" * 10_000,
         "é" * 5_000, "31/12/99999", "0000-00-00", "9999-12-31", "00/00/0000", "29/02/2023", "13/1899",
         "1/1/1", "' OR '1'='1", "1; DROP TABLE action; --", "%", "_%\\", "<script>alert(1)</script>",
         "{{7*7}}", "\u202e\ufeff", "🎓" * 20, " ", ""]
VALUES = st.one_of(
    st.sampled_from(NASTY),
    st.text(max_size=30),  # any code point but surrogates: control characters included
    st.integers(min_value=-(2 ** 70), max_value=2 ** 70).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.dates().map(lambda d: d.strftime("%d/%m/%Y")),
    st.dates().map(lambda d: d.isoformat()),
    st.tuples(st.sampled_from(["\x00", "\x1f", "\x7f", "x" * 10_000]), st.text(max_size=10)).map("".join),
)


@dataclass
class Target:
    """A form (or a list's parameters) to send: where, how, what a browser would send unchanged."""

    method: str
    url: str
    fields: dict
    names: list
    record: tuple | None = None  # (table, pk) an edit form changes
    page: str | None = None  # the page to read again for a fresh form after a save
    saves_seen: int = field(default=0)  # Fuzzer.saves when `fields` was read


class _Forms(HTMLParser):
    """Every <form> of a page: (action, method, {name: [values]}) as a browser would submit it."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms, self._form, self._select, self._textarea = [], None, None, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._form = (a.get("action") or "", (a.get("method") or "get").upper(), {})
            self.forms.append(self._form)
            return
        name = a.get("name")
        if self._form is None or not name:
            if tag == "option" and self._select is not None:
                self._select[2].append((a.get("value") or "", "selected" in a))
            return
        values = self._form[2]
        if tag == "input":
            kind = (a.get("type") or "text").lower()
            if kind in ("checkbox", "radio"):
                values.setdefault(name, [])
                if "checked" in a:
                    values[name].append(a.get("value") or "on")
            elif kind not in ("submit", "button", "image", "reset", "file"):
                values.setdefault(name, []).append(a.get("value") or "")
        elif tag == "select":
            self._select = (name, "multiple" in a, [])
        elif tag == "textarea":
            self._textarea = [name, ""]

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select" and self._select is not None and self._form is not None:
            name, multiple, options = self._select
            chosen = [v for v, selected in options if selected] or ([] if multiple else [v for v, _ in options[:1]])
            self._form[2].setdefault(name, []).extend(chosen)
            self._select = None
        elif tag == "textarea" and self._textarea is not None and self._form is not None:
            self._form[2].setdefault(self._textarea[0], []).append(self._textarea[1])
            self._textarea = None


def page_forms(page: str):
    parser = _Forms()
    parser.feed(page)
    return parser.forms


def counts() -> dict:
    tables = [t.name for t in db.metadata.sorted_tables if t.name not in UNCOUNTED]
    query = "SELECT " + ", ".join(f'(SELECT count(*) FROM "{t}")' for t in tables)
    with db.engine.connect() as conn:
        return dict(zip(tables, conn.execute(text(query)).one(), strict=True))


def row(record) -> dict | None:
    if record is None:
        return None
    table, pk = record
    column = db.metadata.tables[table].primary_key.columns.keys()[0]
    with db.engine.connect() as conn:
        found = conn.execute(text(f'SELECT * FROM "{table}" WHERE "{column}" = :pk'), {"pk": pk}).mappings().first()
    return dict(found) if found else None


def leaks(body: str, sent) -> list[str]:
    """Forbidden words in the body, the echo of what was sent (escaped or not) taken out."""
    for value in sent:
        for echo in {value, html.escape(value), html.escape(value, quote=False)}:
            if echo:
                body = body.replace(echo, "")
    found = [w for w in FORBIDDEN_ANY_CASE if w in body.lower()]
    return found + [w for w in SQL_WORDS if w in body]


class Fuzzer:
    """One role's client: finds the targets, sends values, collects every failure."""

    def __init__(self, app, client, identifiant):
        self.app, self.client, self.identifiant = app, client, identifiant
        self.failures: list[str] = []
        self.requests = 0
        self.saves = 0  # accepted POSTs: a save may move the version of another form's record

    def relogin(self):
        if self.identifiant is None:
            return
        with self.client.session_transaction() as session:
            logged_in = "_user_id" in session
        if logged_in:
            return
        if self.client.post("/connexion", data={"identifiant": self.identifiant,
                                                "password": TEST_PASSWORD}).status_code != 302:
            # wrong current passwords typed in « Mon compte » lock the account, as they should:
            # unlocked as support would, so that the fuzzing goes on
            with db.engine.begin() as conn:
                conn.execute(text("UPDATE users SET failed_logins = 0, locked_at = NULL, locked_until = NULL "
                                  "WHERE identifiant = :i"), {"i": self.identifiant})
                conn.execute(text("DELETE FROM throttle_event"))
            login(self.client, self.identifiant)

    # ------------------------------------------------------------------ discovery
    def targets(self) -> list[Target]:
        found, seen = [], set()
        views = admin_views(self.app)
        pages = [self.url(r.endpoint) for r in self.app.url_map.iter_rules()
                 if not r.arguments and "GET" in r.methods and r.endpoint not in SKIPPED_ENDPOINTS
                 and not r.endpoint.endswith(SKIPPED_ROUTES)]
        records = {}
        for endpoint, view in sorted(views.items()):
            if not isinstance(view, BaseModelView):
                continue
            pk = self.own_pk(view)
            if pk is not None:
                pages.append(self.url(f"{endpoint}.edit_view", id=pk))
                records[pages[-1]] = (view.model.__tablename__, pk)
            found += self.list_targets(view)
        for page_url in sorted(set(pages)):
            response = self.client.get(page_url)
            if response.status_code != 200 or not response.mimetype == "text/html":
                continue
            for action, method, fields in page_forms(response.get_data(as_text=True)):
                url = action or page_url
                if urlsplit(url).netloc or SKIPPED_ACTIONS.search(url):
                    continue
                if method == "GET":
                    url = url.split("?")[0]
                names = [n for n in fields if n != "csrf_token"]
                key = (method, url, tuple(sorted(names)))
                if names and key not in seen:
                    seen.add(key)
                    found.append(Target(method, url, fields, names, records.get(page_url), page_url))
        return self.filled_create_forms(found)

    @staticmethod
    def filled_create_forms(found: list[Target]) -> list[Target]:
        """A blank create form is refused at its mandatory fields before anything reaches the
        database: it starts from the values of the same screen's edit form instead (its record's
        own rows and version left out), so that one bad value is all that stands in the way."""
        edits = {t.url.split("/edit/")[0]: t for t in found if t.method == "POST" and "/edit/" in t.url}
        for target in found:
            edit = edits.get(target.url.split("/new/")[0]) if target.url.endswith("/new/") else None
            if edit is not None:
                kept = {k: v for k, v in edit.fields.items()
                        if k not in ("fiche_version", "version_id", "csrf_token") and not ROW_ID.search(k)}
                target.fields = {**target.fields, **kept}
                target.names = sorted(set(target.names) | set(kept))
        return found

    def list_targets(self, view) -> list[Target]:
        """The parameters of a list no HTML form carries (filters are built by the page's script)."""
        found = []
        index = self.url(f"{view.endpoint}.index_view")
        if self.client.get(index).status_code != 200:
            return found
        params = ["search", "page", "page_size", "sort", "desc"] + [f"flt0_{arg}" for arg in (view._filter_args or {})]
        found.append(Target("GET", index, {}, params))
        for route, allowed in (("details_view", view.can_view_details), ("edit_view", view.can_edit)):
            if allowed:  # the record named in the URL
                found.append(Target("GET", self.url(f"{view.endpoint}.{route}"), {}, ["id"]))
        refs = sorted(getattr(view, "_form_ajax_refs", None) or {})
        if refs:
            lookup = self.url(f"{view.endpoint}.ajax_lookup")
            found += [Target("GET", lookup, {"name": [name]}, ["query"]) for name in refs]
        return found

    def url(self, endpoint, **values):
        with self.app.test_request_context():
            return url_for(endpoint, **values)

    def own_pk(self, view):
        """The first record of the view's list for this user (None: no list, or empty)."""
        if self.identifiant is None:
            return None
        from flask_login import login_user

        from backoffice.models import User
        with self.app.test_request_context():
            login_user(db.session.query(User).filter_by(identifiant=self.identifiant).one())
            try:
                if not view.is_accessible() or not view.can_edit:
                    return None
                obj = view.get_query().first()
            except Exception:  # a view whose query needs request arguments
                return None
            return view.get_pk_value(obj) if obj is not None else None

    # ------------------------------------------------------------------ sending
    def send(self, target: Target, values: dict[str, str]):
        data = {k: list(v) for k, v in target.fields.items()}
        data.update({name: [value] for name, value in values.items()})
        if target.method == "POST" and target.saves_seen != self.saves:
            self.refresh(target)
            target.saves_seen = self.saves
            data = {**{k: list(v) for k, v in target.fields.items()}, **{n: [v] for n, v in values.items()}}
        what = f"{target.method} {target.url} " + " ".join(
            f"{name}={value[:40]!r}{'…' if len(value) > 40 else ''}" for name, value in values.items())
        before = counts() if target.method == "POST" else None
        before_row = row(target.record) if target.method == "POST" else None
        self.requests += 1
        try:
            if target.method == "GET":
                response = self.client.get(target.url, query_string=data)
            else:
                response = self.client.post(target.url, data=data)
        except Exception as exc:  # TESTING propagates what would be a 500
            db.session.rollback()
            self.failures.append(f"{what}: raised {type(exc).__name__}: {str(exc).splitlines()[0][:160]}")
            self.relogin()
            return
        status = response.status_code
        if status >= 500:
            self.failures.append(f"{what}: HTTP {status}")
        body = response.get_data(as_text=True)
        found = leaks(body, values.values())
        if found:
            self.failures.append(f"{what}: HTTP {status} shows {found}")
        if html.escape(DATA_PAGE[1]) in body or html.escape(DATABASE_REFUSAL_MESSAGE) in body:
            # the last resort answered: the value passed every check and the database refused it
            self.failures.append(f"{what}: HTTP {status}, the database refused the value")
        if target.method == "POST":
            if status in (301, 302, 303):
                self.saves += 1
            else:
                after = counts()
                changed = sorted(t for t in after if after[t] != before[t])
                if changed:
                    self.failures.append(f"{what}: refused ({status}) but wrote rows in {changed}")
                if row(target.record) != before_row:
                    self.failures.append(f"{what}: refused ({status}) but changed {target.record}")
        self.relogin()

    def refresh(self, target: Target):
        """After an accepted save, the form as it is now (its version moved on)."""
        if target.page is None or target.record is None:
            return
        response = self.client.get(target.page)
        for action, method, fields in page_forms(response.get_data(as_text=True)):
            if method == target.method and (action or target.page) == target.url:
                target.fields = fields
                return


@pytest.fixture
def world(make):
    """An organisme with everything an offer has, and a user of each role attached to it."""
    organisme = make.organisme(raison_sociale="Organisme du fuzz")
    adresse = make.adresse(organisme)
    contact = make.contact(organisme)
    action = make.action(organisme, contact=contact)
    dispositif = db.session.query(Dispositif).filter_by(apprentissage=False).order_by(Dispositif.id).first()
    make.session(action, lieu=adresse, dispositif=dispositif)
    make.user("organisme", organismes=[organisme], identifiant="fuzzorganisme")
    for role in ROLES[1:-1]:
        make.user(role, identifiant=f"fuzz{role}")
    return organisme


def _report(fuzzer: Fuzzer) -> str:
    unique = sorted(set(fuzzer.failures))
    return f"{len(unique)} failure(s) in {fuzzer.requests} requests:\n" + "\n".join(unique[:60])


@BOTH
def test_no_input_breaks_any_page_as_any_role(app, world):
    """Every field of every form and list of every role's pages: no 5xx, no SQL shown, no value
    refused by the database instead of a check, nothing written by a refused request. The sweep
    sends the hostile value once to each field (a field several roles reach is swept by the first),
    then hypothesis sends generated values to random fields, as each role."""
    fuzzers, swept = [], set()
    for role in ROLES:
        client = app.test_client()
        identifiant = None if role == "anonymous" else f"fuzz{role}"
        if identifiant:
            login(client, identifiant)
        fuzzer = Fuzzer(app, client, identifiant)
        fuzzer.role, fuzzer.found = role, fuzzer.targets()
        # the discovery found the role's pages: its list searches, or the anonymous forms
        assert len(fuzzer.found) >= 3, (role, [t.url for t in fuzzer.found])
        fuzzers.append(fuzzer)
        for target in fuzzer.found:
            if target.method == "GET":  # a list reads every parameter at once
                fuzzer.send(target, {name: SWEEP_VALUE for name in target.names})
                continue
            for name in target.names:
                key = (target.method, target.url.split("?")[0], name)
                if key not in swept:
                    swept.add(key)
                    fuzzer.send(target, {name: SWEEP_VALUE})
        assert not fuzzer.failures, f"{role}: {_report(fuzzer)}"

    @settings(max_examples=len(ROLES) * EXAMPLES_PER_ROLE, deadline=None, database=None, derandomize=DERANDOMIZE,
              suppress_health_check=list(HealthCheck))
    @given(st.data())
    def generated(data):
        fuzzer = data.draw(st.sampled_from(fuzzers))
        target = data.draw(st.sampled_from(fuzzer.found))
        names = data.draw(st.lists(st.sampled_from(target.names), min_size=1, max_size=3, unique=True))
        fuzzer.send(target, {name: data.draw(VALUES) for name in names})

    generated()
    for fuzzer in fuzzers:
        assert not fuzzer.failures, f"{fuzzer.role}: {_report(fuzzer)}"


@POSTGRESQL  # SQLite stores a NUL
def test_the_fuzzer_catches_what_the_guard_prevents(app, world):
    """Without the edge guard (Flask's own request class), the same sweep of the actions list
    reports the NUL the database refused: the fuzzing above can fail."""
    app.request_class = Request
    client = app.test_client()
    login(client, "fuzzdocumentaliste")
    fuzzer = Fuzzer(app, client, "fuzzdocumentaliste")
    target = Target("GET", "/admin/actions/", {}, ["search"])
    fuzzer.send(target, {"search": SWEEP_VALUE})
    assert fuzzer.failures and "the database refused the value" in fuzzer.failures[0]
