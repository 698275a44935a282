"""Server time and SQL statements per page, through the real app, at 1 % and 100 % in one run.

    .venv/bin/python -m bench.bench_pages                 # reuses bo_bench_1pct / bo_bench_full if generated
    .venv/bin/python -m bench.bench_pages --regenerate    # builds both bases first (~1.5 min)

For each base: create_app() on it, the stock Flask-Admin baseline registered on the same app
(`ModelView(Action, db)` at /admin/stock-actions/, `ModelView(Session, db)` at /admin/stock-sessions/,
default settings, hidden from the menu), one logged-in test client per account (real log-in form,
CSRF on: tokens are read from the pages). Each page is requested `--warmup` times, then `--repeat`
times; time = perf_counter around client.get/post (server time, no network), SQL = statements
counted by a before_cursor_execute listener on the engine ("grid" leaves out the log-in's user
load). Fiche and save walk a random sample of actions; save = the POST of the edit form as the page
renders it, with the intitulé changed, expecting the redirect of a successful save. Prints the
figures and writes them into bench/RESULTS.md between the bench_pages markers. Prints, never asserts.
"""
import argparse
import math
import os
import platform
import random
import re
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime

from flask import url_for
from sqlalchemy import event, text
from werkzeug.datastructures import MultiDict
from werkzeug.routing import BuildError

from backoffice.workflow import Controle
from bench import htmlforms
from bench.generate import ensure
from bench.pgutil import sqlalchemy_url
from bench.report import write_block
from bench.rows import BENCH_PASSWORD, BENCH_USERS

SCALES = [("1 %", "bo_bench_1pct", 0.01), ("100 %", "bo_bench_full", 1.0)]
AUTH_SQL = re.compile(r"\bFROM users\b|= user_organisme\.user_id\b", re.I)  # the logged-in user and its organismes
DASHBOARD_ENDPOINTS = ["dashboard.index", "tableau_de_bord.index", "tableau-de-bord.index"]


@dataclass
class Page:
    name: str
    user: str  # key of BENCH_USERS
    endpoint: str
    params: dict = field(default_factory=dict)
    kind: str = "list"  # list | fiche | save | dashboard
    stock_of: str | None = None  # for a stock page: the name of our page it is compared with
    cold: bool = False  # the dashboard's figures cache emptied before each request


PAGES = [
    Page("actions, documentaliste", "documentaliste", "actions.index_view"),
    Page("actions, file de contrôle", "documentaliste", "actions.index_view", {"liste": Controle.A_CONTROLER.value}),
    Page("actions, OF (plus gros organisme)", "organisme_grand", "actions.index_view"),
    Page("actions, OF (petit organisme)", "organisme_petit", "actions.index_view"),
    Page("sessions, documentaliste", "documentaliste", "sessions.index_view"),
    Page("sessions, OF (plus gros organisme)", "organisme_grand", "sessions.index_view"),
    Page("organismes, documentaliste", "documentaliste", "organismes.index_view"),
    Page("tableau de bord, documentaliste", "documentaliste", "dashboard", kind="dashboard"),
    Page("tableau de bord, OF (plus gros)", "organisme_grand", "dashboard", kind="dashboard"),
    Page("tableau de bord, documentaliste, cache vide", "documentaliste", "dashboard", kind="dashboard", cold=True),
    Page("tableau de bord, OF (plus gros), cache vide", "organisme_grand", "dashboard", kind="dashboard", cold=True),
    Page("fiche action (edit)", "documentaliste", "actions.edit_view", kind="fiche"),
    Page("fiche action, OF (plus gros)", "organisme_grand", "actions.edit_view", kind="fiche"),
    Page("edit + save action (POST)", "documentaliste", "actions.edit_view", kind="save"),
    Page("STOCK ModelView(Action), toutes colonnes, tri Modifié le", "documentaliste", "stock_actions.index_view",
         {"sort_column": "updated_at", "desc": "1"}, stock_of="actions, documentaliste"),
    Page("STOCK ModelView(Action), nos colonnes", "documentaliste", "stock_actions_cols.index_view",
         stock_of="actions, documentaliste"),
    Page("STOCK ModelView(Session), toutes colonnes", "documentaliste", "stock_sessions.index_view",
         stock_of="sessions, documentaliste"),
    Page("STOCK ModelView(Session), nos colonnes", "documentaliste", "stock_sessions_cols.index_view",
         stock_of="sessions, documentaliste"),
]


class SqlCounter:
    """Statements run on the engine since the last reset()."""

    def __init__(self, engine):
        self.statements: list[str] = []
        event.listen(engine, "before_cursor_execute", self._on_execute)

    def _on_execute(self, _conn, _cursor, statement, _params, _context, _executemany):
        self.statements.append(statement)

    def reset(self):
        self.statements = []

    @property
    def grid(self) -> int:
        return sum(1 for s in self.statements if not AUTH_SQL.search(s))


def add_stock_views(app):
    """The baseline: Flask-Admin's ModelView with default settings, on the same app and tables."""
    from flask_admin.contrib.sqla import ModelView

    from backoffice.extensions import db
    from backoffice.models import Action, Session

    class Hidden(ModelView):  # default settings; only kept out of our menu
        def is_visible(self):
            return False

    class ActionColumns(Hidden):  # the same columns and order as our list, nothing else configured
        column_list = ["numero", "intitule", "organisme.raison_sociale", "controle", "publication", "etat_fiche",
                       "updated_at"]
        column_default_sort = ("updated_at", True)

    class SessionColumns(Hidden):
        column_list = ["numero", "action.numero", "date_debut", "date_fin", "lieu.code_postal", "duree_totale",
                       "archivee"]
        column_default_sort = ("date_debut", True)

    admin = app.extensions["admin"][0]
    admin.add_view(Hidden(Action, db, name="Stock actions", endpoint="stock_actions", url="/admin/stock-actions"))
    admin.add_view(ActionColumns(Action, db, name="Stock actions (nos colonnes)", endpoint="stock_actions_cols",
                                 url="/admin/stock-actions-colonnes"))
    admin.add_view(Hidden(Session, db, name="Stock sessions", endpoint="stock_sessions", url="/admin/stock-sessions"))
    admin.add_view(SessionColumns(Session, db, name="Stock sessions (nos colonnes)", endpoint="stock_sessions_cols",
                                  url="/admin/stock-sessions-colonnes"))


def build_app(dbname: str):
    from backoffice import create_app

    tmp = tempfile.mkdtemp(prefix="bench-")
    app = create_app({"SQLALCHEMY_DATABASE_URI": sqlalchemy_url(dbname), "SECRET_KEY": "bench-secret",
                      "TESTING": False, "PROPAGATE_EXCEPTIONS": True, "REDIS_URL": None, "MAIL_TRANSPORT": "folder",
                      "MAIL_FOLDER": f"{tmp}/mail", "UPLOAD_FOLDER": f"{tmp}/uploads", "WTF_CSRF_ENABLED": True})
    add_stock_views(app)
    return app


def login(app, identifiant: str):
    client = app.test_client()
    page = client.get("/connexion")
    response = client.post("/connexion", data={"identifiant": identifiant, "password": BENCH_PASSWORD,
                                               "csrf_token": htmlforms.csrf_token(page.get_data(as_text=True))})
    if response.status_code != 302:
        raise RuntimeError(f"log-in of {identifiant} failed ({response.status_code})")
    return client


def _url(app, page: Page, **extra) -> str | None:
    endpoints = DASHBOARD_ENDPOINTS if page.kind == "dashboard" else [page.endpoint]
    with app.test_request_context():
        for endpoint in endpoints:
            try:
                return url_for(endpoint, **page.params, **extra)
            except BuildError:
                continue
    return None


def _stock_sort(app, url: str) -> str:
    """Flask-Admin sorts by column index: translate sort_column=updated_at into it."""
    if "sort_column=" not in url:
        return url
    view = next(v for v in app.extensions["admin"][0]._views if getattr(v, "endpoint", "") == "stock_actions")
    index = [name for name, _ in view._list_columns].index("updated_at")
    return url.replace("sort_column=updated_at", f"sort={index}")


def _sample_ids(app, user_key: str, bench_orgs: dict, n: int, seed: int) -> list[int]:
    from backoffice.extensions import db
    with app.app_context():
        if user_key == "organisme_grand":
            rows = db.session.execute(text("SELECT id FROM action WHERE organisme_id = :o"), {"o": bench_orgs["grand"]})
        else:
            rows = db.session.execute(text("SELECT id FROM action WHERE publication <> 'a_supprimer'"))
        ids = [r[0] for r in rows]
    return random.Random(seed).sample(ids, min(n, len(ids)))


def _stats(times: list[float]) -> tuple[float, float]:
    ordered = sorted(times)
    return statistics.median(ordered) * 1000, ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)] * 1000


class Target:
    """One base under test: its app, SQL counter, logged-in clients."""

    def __init__(self, label: str, dbname: str, scale: float, regenerate: bool):
        self.label = label
        self.summary = ensure(dbname, scale, regenerate=regenerate)
        self.app = build_app(dbname)
        from backoffice.extensions import db
        with self.app.app_context():
            self.counter = SqlCounter(db.engine)
        self.clients: dict[str, object] = {}

    def client(self, user: str):
        if user not in self.clients:
            self.clients[user] = login(self.app, BENCH_USERS[user])
        return self.clients[user]

    def close(self):
        from backoffice.extensions import db
        with self.app.app_context():
            db.session.remove()
            db.engine.dispose()


def one_request(target: Target, page: Page, url: str, record_id: int | None):
    """(seconds, CPU seconds of this process, statements, grid statements, error or None) for one request."""
    client = target.client(page.user)
    full_url = f"{url}?id={record_id}" if record_id is not None else url
    data = None
    if page.kind == "save":
        form_page = client.get(full_url)
        action, values = htmlforms.edit_form(form_page.get_data(as_text=True))
        data = MultiDict(htmlforms.with_changed(values, "intitule", _toggle))
        full_url = action or full_url
    if page.cold:
        from backoffice.admin_views.dashboard import CACHE_KEY
        target.app.extensions.pop(CACHE_KEY, None)
    target.counter.reset()
    cpu_started, started = time.thread_time(), time.perf_counter()
    response = client.post(full_url, data=data) if page.kind == "save" else client.get(full_url)
    elapsed, cpu = time.perf_counter() - started, time.thread_time() - cpu_started
    error = None
    if response.status_code != (302 if page.kind == "save" else 200):
        error = f"{response.status_code} {full_url} {htmlforms.flashed_errors(response.get_data(as_text=True))[:3]}"
    return elapsed, cpu, len(target.counter.statements), target.counter.grid, error


def measure_page(targets: list, page: Page, warmup: int, repeat: int) -> dict[str, dict]:
    """Requests of `page` alternated between the bases, so that noise from the machine hits both alike."""
    urls, ids = {}, {}
    for t in targets:
        url = _url(t.app, page)
        if url is None:
            return {t.label: {"missing": True} for t in targets}
        urls[t.label] = _stock_sort(t.app, url)
        ids[t.label] = (_sample_ids(t.app, page.user, t.summary["bench_organismes"], warmup + repeat, seed=len(page.name))
                        if page.kind in ("fiche", "save") else [])
    samples = {t.label: {"times": [], "cpu": [], "sql": [], "grid": [], "errors": []} for t in targets}
    for i in range(warmup + repeat):
        for t in targets:
            record_id = ids[t.label][i % len(ids[t.label])] if ids[t.label] else None
            elapsed, cpu, sql, grid, error = one_request(t, page, urls[t.label], record_id)
            s = samples[t.label]
            if error:
                s["errors"].append(error)
            if i >= warmup:
                s["times"].append(elapsed)
                s["cpu"].append(cpu)
                s["sql"].append(sql)
                s["grid"].append(grid)
    results = {}
    for t in targets:
        s = samples[t.label]
        median, p95 = _stats(s["times"])
        results[t.label] = {"median": median, "p95": p95, "cpu": statistics.median(s["cpu"]) * 1000,
                            "sql": max(s["sql"]), "grid": max(s["grid"]),
                            "errors": s["errors"], "last_sql": list(t.counter.statements)}
    return results


def _toggle(intitule: str) -> str:
    return intitule[:-8] if intitule.endswith(" (bench)") else intitule[:247] + " (bench)"


def run(args) -> dict[str, dict]:
    """Measure every page on every wanted base; print as it goes."""
    wanted = {s.strip() for s in args.scales.split(",")}
    targets = [Target(label, dbname.replace("bo_bench", args.db_prefix, 1), scale, args.regenerate)
               for label, dbname, scale in SCALES if label in wanted]
    runs = {t.label: {"summary": t.summary, "pages": {}} for t in targets}
    for page in PAGES:
        if args.only and not re.search(args.only, page.name, re.I):
            continue
        for label, r in measure_page(targets, page, args.warmup, args.repeat).items():
            runs[label]["pages"][page.name] = r
            if r.get("missing"):
                print(f"  [{label:>5}] {page.name:<42} not available yet", flush=True)
                continue
            print(f"  [{label:>5}] {page.name:<42} median {r['median']:7.1f} ms  p95 {r['p95']:7.1f} ms  "
                  f"CPU {r['cpu']:6.1f} ms  SQL {r['sql']:>3} (grid {r['grid']})"
                  + (f"  ERRORS {len(r['errors'])}: {r['errors'][0]}" if r["errors"] else ""), flush=True)
            if args.show_sql:
                for statement in r["last_sql"]:
                    print("      " + " ".join(statement.split())[:args.sql_width])
    for t in targets:
        t.close()
    return runs


def render(runs: dict[str, dict], args, command: str) -> str:
    small, full = runs.get("1 %"), runs.get("100 %")
    lines = [f"Command: `{command}`  ",
             f"Run: {datetime.now():%Y-%m-%d %H:%M}, {platform.node()}, {_cpu()} cores, "
             f"{args.warmup} warm-up + {args.repeat} measured requests per page, alternated between the bases; "
             f"load average {args.load[0][0]:.1f} before, {args.load[1][0]:.1f} after.", ""]
    for label, run in runs.items():
        c = run["summary"].get("counts", {})
        lines.append(f"- base {label}: {c.get('organisme', '?'):,} organismes, {c.get('action', '?'):,} actions, "
                     f"{c.get('session', '?'):,} sessions, {c.get('contact', '?'):,} contacts, "
                     f"{c.get('history', '?'):,} history rows (generated in {run['summary'].get('total_seconds')} s)")
    lines += ["", "| page | 1 % median | 1 % p95 | 100 % median | 100 % p95 | 100 %/1 % | 100 % CPU | SQL (grid) | stock/ours |",
              "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for page in PAGES:
        a = (small or {}).get("pages", {}).get(page.name)
        b = (full or {}).get("pages", {}).get(page.name)
        if not a and not b:
            continue
        if (a or {}).get("missing") or (b or {}).get("missing"):
            lines.append(f"| {page.name} | not available yet | | | | | | | |")
            continue
        if not a or not b:
            a = b = a or b
        ratio = f"{b['median'] / a['median']:.2f}" if a is not b else ""
        ratios = []
        for other in PAGES:
            if other.stock_of == page.name and full and not full["pages"].get(other.name, {"missing": 1}).get("missing"):
                ratios.append(f"{full['pages'][other.name]['median'] / b['median']:.1f}×")
        stock = " / ".join(ratios)
        errors = sum(len(r.get("errors", [])) for r in (a, b) if r)
        lines.append(f"| {page.name} | {a['median']:.1f} | {a['p95']:.1f} | {b['median']:.1f} | {b['p95']:.1f} | {ratio} | "
                     f"{b['cpu']:.1f} | {b['sql']} ({b['grid']}) | {stock} |" + (f" {errors} errors" if errors else ""))
    lines += ["", "Times in ms, server side (Flask test client, no network). SQL = statements per request at 100 % "
              "(grid = without the log-in's user and organismes load). CPU = median CPU time of the app's Python "
              "(database time excluded): less sensitive than wall time to the machine's load. stock/ours = median "
              "of the stock ModelView pages at 100 % (all columns / our columns) / ours."]
    return "\n".join(lines)


def _cpu() -> int:
    return os.cpu_count() or 0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=60)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--regenerate", action="store_true", help="rebuild both bases first")
    parser.add_argument("--db-prefix", default="bo_bench", help="bases <prefix>_1pct and <prefix>_full")
    parser.add_argument("--only", help="regex: only the pages whose name matches")
    parser.add_argument("--scales", default="1 %,100 %", help="comma-separated subset of: 1 %%,100 %%")
    parser.add_argument("--show-sql", action="store_true", help="print the statements of the last request of each page")
    parser.add_argument("--sql-width", type=int, default=300, help="characters of each statement shown by --show-sql")
    parser.add_argument("--no-write", action="store_true", help="do not update bench/RESULTS.md")
    parser.add_argument("--block", default="bench_pages", help="the RESULTS.md block to (re)write")
    args = parser.parse_args(argv)
    load_before = os.getloadavg()
    runs = run(args)
    args.load = (load_before, os.getloadavg())
    command = ".venv/bin/python -m bench.bench_pages " + " ".join(sys.argv[1:] if argv is None else argv)
    report = render(runs, args, command.strip())
    print()
    print(report)
    if not args.no_write and not args.only and len(runs) == len(SCALES):
        write_block(args.block, report)


if __name__ == "__main__":
    main()
