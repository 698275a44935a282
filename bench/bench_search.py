"""Search, sort, filter and deep pages, through the real app, at 1 % and 100 % in one run.

    .venv/bin/python -m bench.bench_search                    # every request, written into RESULTS.md
    .venv/bin/python -m bench.bench_search --only 'tri|page'  # a subset (printed, not written)

The requests: the slow ones reported (searches, "programme vide", organisme filters, sorts by
organisme and by indicator, deep pages, the journal, sessions, the API `q`), then every sort (both
directions) and every filter (each operation, with a realistic value read from the base) that the
actions, sessions, organismes and journal grids offer, the organisme search's criteria, deep pages
(1000, 20,000 and the last one). Requests are built per base from the grids' own configuration
(a sort or filter removed from a grid leaves the bench with it), alternated between the bases.
Same machinery as bench_pages (logged-in test clients on bo_bench_1pct / bo_bench_full, server time).
Prints, never asserts; targets at 100 %: median <= 30 ms, p95 <= 60 ms, 100 %/1 % <= 1.5.
"""
import argparse
import os
import platform
import re
import sys
from dataclasses import dataclass, field
from datetime import datetime

from flask import url_for
from sqlalchemy import text

from backoffice.models import EtatOrganisme
from bench.bench_pages import SCALES, Target, _stats, one_request
from bench.bench_pages import Page as BenchPage
from bench.report import write_block

GRIDS = [("actions", "actions"), ("sessions", "sessions"), ("organismes", "organismes"), ("journal", "journal")]
TARGET_MEDIAN, TARGET_P95, TARGET_RATIO = 30.0, 60.0, 1.5


@dataclass
class Request:
    name: str
    endpoint: str
    params: dict = field(default_factory=dict)
    user: str = "documentaliste"
    path: str | None = None  # a raw URL (API) instead of an endpoint


def _samples(app) -> dict:
    """Realistic values read from the base: the largest organisme, a rare word, real numbers."""
    from backoffice.extensions import db
    queries = {
        "grand": "SELECT o.id, o.numero, o.raison_sociale, o.nom_usuel FROM organisme o "
                 "JOIN (SELECT organisme_id, count(*) n FROM action GROUP BY organisme_id ORDER BY n DESC LIMIT 2) a "
                 "ON a.organisme_id = o.id ORDER BY a.n DESC",
        "af": "SELECT numero FROM action ORDER BY id DESC LIMIT 1 OFFSET 7",
        "se": "SELECT numero FROM session ORDER BY id DESC LIMIT 1 OFFSET 7",
        "programme": "SELECT p.intitule FROM programme p JOIN action a ON a.programme_id = p.id "
                     "GROUP BY p.intitule ORDER BY count(*) DESC LIMIT 2",
        "source": "SELECT source FROM action WHERE source IS NOT NULL GROUP BY source ORDER BY count(*) DESC LIMIT 2",
        "dispositif": "SELECT d.libelle FROM dispositif d ORDER BY d.id LIMIT 2",
        "modalite": "SELECT m.libelle FROM modalite m ORDER BY 1 LIMIT 2",
        "code_postal": "SELECT code_postal FROM organisme WHERE code_postal IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC LIMIT 2",
        "type_financeur": "SELECT code FROM financeur ORDER BY code LIMIT 2",
        "acteur": "SELECT actor_label FROM history GROUP BY 1 ORDER BY count(*) DESC LIMIT 2",
    }
    with app.app_context():
        return {key: db.session.execute(text(sql)).all() for key, sql in queries.items()}


def _filter_value(flt, s: dict) -> str:
    """A realistic value for one filter operation, by the filter's name."""
    kind = type(flt).__name__
    grand = s["grand"][0]
    values = {  # (the value "vaut" takes, the second of "dans la liste")
        "Programme": [r[0] for r in s["programme"]], "Source": [r[0] for r in s["source"]],
        "Organisme (raison sociale)": [grand[2], s["grand"][1][2]],
        "Organisme": [grand[3] or grand[2], s["grand"][1][3] or s["grand"][1][2]],
        "Organisme (identifiant)": [grand[1], s["grand"][1][1]],
        "Action (identifiant)": [s["af"][0][0]] * 2, "Identifiant": [s["af"][0][0]] * 2,
        "Dispositif": [r[0] for r in s["dispositif"]], "Modalité": [r[0] for r in s["modalite"]],
        "Code postal": [r[0] for r in s["code_postal"]], "Type de financeur": ["Conseil régional", "Etat"],
        "Auteur": [r[0] for r in s["acteur"]], "État": [EtatOrganisme.BROUILLON.value, EtatOrganisme.REFUSE.value],
    }
    if "Empty" in kind or "Boolean" in kind or "Renseigne" in kind:
        return "1"
    if "Date" in kind or "Fin" in kind:
        if "Between" in kind or "Entre" in kind:
            return "2019-01-01 to 2019-12-31"
        return "2020-01-01 00:00:00" if "DateTime" in kind else "2020-01-01"
    pair = values.get(str(flt.name))
    options = getattr(flt, "options", None)
    if pair is None and options and not callable(options):
        choice = [value for value, _label in options]
        return choice[min(1, len(choice) - 1)]
    pair = pair or ["a", "b"]
    if "InList" in kind:
        return ",".join(str(v) for v in pair)
    if "Like" in kind or str(flt.operation()) in ("contient", "contains"):
        words = str(pair[0]).split()
        return max(words, key=len) if words else str(pair[0])
    return str(pair[0])


def grid_requests(app, s: dict) -> list[Request]:
    """Every sort (both directions) and every filter operation of the four grids."""
    admin = app.extensions["admin"][0]
    views = {getattr(v, "endpoint", None): v for v in admin._views}
    requests = []
    for label, endpoint in GRIDS:
        view = views[endpoint]
        columns = [name for name, _ in view._list_columns]
        for name in view._sortable_columns:
            if name in columns:
                index = columns.index(name)
                requests.append(Request(f"{label}, tri {name} croissant", f"{endpoint}.index_view", {"sort": index}))
                requests.append(Request(f"{label}, tri {name} décroissant", f"{endpoint}.index_view",
                                        {"sort": index, "desc": 1}))
        for index, flt in enumerate(view._filters or []):
            with app.test_request_context():
                arg = view.get_filter_arg(index, flt)
            requests.append(Request(f"{label}, filtre {flt.name} {flt.operation()}", f"{endpoint}.index_view",
                                    {f"flt0_{arg}": _filter_value(flt, s)}))
            if "Renseigne" in type(flt).__name__:  # "programme vide = oui"
                requests.append(Request(f"{label}, filtre {flt.name} {flt.operation()} non", f"{endpoint}.index_view",
                                        {f"flt0_{arg}": "0"}))
    return requests


def table_requests(s: dict, scale: float) -> list[Request]:
    """The slow requests reported, plus the organisme search criteria, deep pages and the API."""
    grand = s["grand"][0]
    last_action_page, last_session_page = int(4000 * scale * 100 / 20), int(12000 * scale * 100 / 20)
    actions = "actions.index_view"
    return [
        Request("actions, recherche d'un mot rare (carrosserie)", actions, {"search": "carrosserie"}),
        Request("actions, recherche sans résultat", actions, {"search": "zzyzxqwv"}),
        Request("actions, recherche d'un numéro AF_", actions, {"search": s["af"][0][0]}),
        Request("actions, recherche d'un numéro SE_", actions, {"search": s["se"][0][0]}),
        Request("actions, recherche du nom d'un organisme", actions, {"search": grand[2]}),
        Request("actions, page 1000", actions, {"page": 999}),
        Request("actions, page 20 000", actions, {"page": 19999}),
        Request("actions, dernière page", actions, {"fin": 1}),
        Request("actions, dernière page (numéro)", actions, {"page": max(last_action_page - 1, 0)}),
        Request("actions, OF (plus gros), tri organisme", actions, {"sort": 2}, user="organisme_grand"),
        Request("actions, OF (plus gros), page 1000", actions, {"page": 999}, user="organisme_grand"),
        Request("journal, recherche d'un numéro AF_", "journal.index_view", {"search": s["af"][0][0]}),
        Request("journal, recherche d'un numéro sans préfixe", "journal.index_view",
                {"search": str(int(s["af"][0][0][3:]))}),
        Request("journal, recherche d'un auteur (Robot)", "journal.index_view", {"search": "robot"}),
        Request("journal, recherche sans résultat", "journal.index_view", {"search": "zzzz"}),
        Request("journal, page 20 000", "journal.index_view", {"page": 19999}),
        Request("sessions, page 60 000", "sessions.index_view", {"page": 59999}),
        Request("sessions, dernière page (numéro)", "sessions.index_view", {"page": max(last_session_page - 1, 0)}),
        Request("sessions, recherche d'un numéro SE_", "sessions.index_view", {"search": s["se"][0][0]}),
        Request("organismes, recherche du nom", "organismes.index_view", {"search": grand[2]}),
        Request("recherche d'organisme, nom", "organisme_search.index", {"rechercher": 1, "nom": grand[2]}),
        Request("recherche d'organisme, identifiant", "organisme_search.index", {"rechercher": 1, "identifiant": grand[1]}),
        Request("recherche d'organisme, organismes de formation", "organisme_search.index",
                {"rechercher": 1, "formation": 1}),
        Request("recherche d'organisme, financeurs", "organisme_search.index", {"rechercher": 1, "financeur": 1}),
        Request("recherche d'organisme, conventionnée oui", "organisme_search.index",
                {"rechercher": 1, "conventionnee": "oui"}),
        Request("recherche d'organisme, certifiant non", "organisme_search.index",
                {"rechercher": 1, "certifiant": "non"}),
        Request("recherche d'organisme, page 100", "organisme_search.index", {"rechercher": 1, "page": 99}),
        Request("recherche d'organisme, page 2 000", "organisme_search.index", {"rechercher": 1, "page": 1999}),
        Request("API /api/v1/offres?q=professionnel", "", path="/api/v1/offres?q=professionnel"),
    ]


def build_urls(target: Target, scale: float) -> dict[str, tuple[str, str]]:
    """name -> (user, URL) for this base."""
    s = _samples(target.app)
    urls = {}
    for request in table_requests(s, scale) + grid_requests(target.app, s):
        if request.path:
            urls[request.name] = (request.user, request.path)
            continue
        with target.app.test_request_context():
            urls[request.name] = (request.user, url_for(request.endpoint, **request.params))
    return urls


def measure(targets, name: str, urls: dict, warmup: int, repeat: int) -> dict:
    samples = {t.label: {"times": [], "errors": [], "sql": 0} for t in targets}
    for i in range(warmup + repeat):
        for t in targets:
            user, url = urls[t.label][name]
            page = BenchPage(name, user, "", kind="list")
            elapsed, _cpu, sql, _grid, error = one_request(t, page, url, None)
            s = samples[t.label]
            if error:
                s["errors"].append(error)
            if i >= warmup:
                s["times"].append(elapsed)
                s["sql"] = max(s["sql"], sql)
    results = {}
    for t in targets:
        median, p95 = _stats(samples[t.label]["times"])
        results[t.label] = {"median": median, "p95": p95, "sql": samples[t.label]["sql"],
                            "errors": samples[t.label]["errors"], "url": urls[t.label][name][1]}
    return results


def run(args) -> tuple[list[str], dict]:
    wanted = {s.strip() for s in args.scales.split(",")}
    targets, urls = [], {}
    for label, dbname, scale in SCALES:
        if label in wanted:
            target = Target(label, dbname.replace("bo_bench", args.db_prefix, 1), scale, False)
            targets.append(target)
            urls[target.label] = build_urls(target, scale)
    names = [n for n in urls[targets[0].label] if all(n in urls[t.label] for t in targets)]
    if args.only:
        names = [n for n in names if re.search(args.only, n, re.I)]
    results = {}
    for name in names:
        results[name] = r = measure(targets, name, urls, args.warmup, args.repeat)
        print(f"  {name:<70} " + "  ".join(f"[{label}] {x['median']:8.1f} / {x['p95']:8.1f} ms"
                                           + (f" ERRORS {len(x['errors'])}: {x['errors'][0][:160]}" if x["errors"] else "")
                                           for label, x in r.items()), flush=True)
    for t in targets:
        t.close()
    return names, results


def render(names, results, args, command: str) -> str:
    lines = [f"Command: `{command}`  ",
             f"Run: {datetime.now():%Y-%m-%d %H:%M}, {platform.node()}, {os.cpu_count()} cores, "
             f"{args.warmup} warm-up + {args.repeat} measured requests each, alternated between the bases; "
             f"load average {args.load[0][0]:.1f} / {args.load[0][1]:.1f} before, "
             f"{args.load[1][0]:.1f} / {args.load[1][1]:.1f} after (1 / 5 min; the machine is shared with "
             "other work: read orders of magnitude).", "",
             "| request | 1 % median | 1 % p95 | 100 % median | 100 % p95 | 100 %/1 % | SQL | on target |",
             "|---|---:|---:|---:|---:|---:|---:|:---:|"]
    missed = 0
    for name in names:
        r = results[name]
        a, b = r.get("1 %"), r.get("100 %")
        if a is None or b is None:
            x = a or b
            lines.append(f"| {name} | {x['median']:.1f} | {x['p95']:.1f} | | | | {x['sql']} | |")
            continue
        ratio = b["median"] / a["median"] if a["median"] else 0
        ok = b["median"] <= TARGET_MEDIAN and b["p95"] <= TARGET_P95 and ratio <= TARGET_RATIO
        missed += not ok
        errors = len(a["errors"]) + len(b["errors"])
        lines.append(f"| {name} | {a['median']:.1f} | {a['p95']:.1f} | {b['median']:.1f} | {b['p95']:.1f} | "
                     f"{ratio:.2f} | {b['sql']} | {'oui' if ok else '**non**'} |"
                     + (f" {errors} errors" if errors else ""))
    lines += ["", f"Times in ms, server side (Flask test client, no network), logged in as the documentaliste "
              f"unless the request names the OF. Targets at 100 %: median <= {TARGET_MEDIAN:.0f} ms, p95 <= "
              f"{TARGET_P95:.0f} ms, 100 %/1 % <= {TARGET_RATIO}. {len(names) - missed} of {len(names)} requests on "
              "target; SQL = statements of the request at 100 % (log-in's user load included)."]
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--db-prefix", default="bo_bench", help="bases <prefix>_1pct and <prefix>_full")
    parser.add_argument("--only", help="regex: only the requests whose name matches (then nothing is written)")
    parser.add_argument("--scales", default="1 %,100 %", help="comma-separated subset of: 1 %%,100 %%")
    parser.add_argument("--no-write", action="store_true", help="do not update bench/RESULTS.md")
    parser.add_argument("--block", default="bench_search", help="the RESULTS.md block to (re)write")
    args = parser.parse_args(argv)
    load_before = os.getloadavg()
    names, results = run(args)
    args.load = (load_before, os.getloadavg())
    command = ".venv/bin/python -m bench.bench_search " + " ".join(sys.argv[1:] if argv is None else argv)
    report = render(names, results, args, command.strip())
    print()
    print(report)
    if not args.no_write and not args.only and "," in args.scales:
        write_block(args.block, report)


if __name__ == "__main__":
    main()
