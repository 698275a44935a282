"""Load test: 50 users on gunicorn + PostgreSQL for 60 s, and the Robot's jobs on RQ workers.

    .venv/bin/python -m bench.load                       # both phases on copies of bo_bench_full
    .venv/bin/python -m bench.load --users 50 --seconds 60 --think 2.0

Phase "1 app": one gunicorn (4 sync workers), one RQ worker, the archiving and reminder jobs
enqueued once. Phase "2 apps": two gunicorn processes (2 workers each, one SECRET_KEY) behind a
client-side round robin (every request of a user alternates between them), two RQ workers, the
same jobs enqueued 4 times each. Each phase runs on its own copy of bo_bench_full (CREATE DATABASE
... TEMPLATE), with its own private Redis. Virtual users are threads with real HTTP (http.client,
keep-alive, cookies, CSRF tokens read from the pages): they log in (not measured), then for
`--seconds` loop on list (50 %), fiche (35 %), save (15 %: GET the fiche, POST its form with the
intitulé changed, expect the redirect of a saved form), with a think time uniform in
[0.5, 1.5] x `--think` s. Documentaliste users and organisme users (one organisme each, the
largest included) save disjoint sets of actions, none due for archiving, so that no conflict is
expected. Checks: no errors; each job's effect the same in both phases; no action archived twice
(history), no e-mail queued twice (outbox). Prints, and writes bench/RESULTS.md's load block.
"""
import argparse
import http.client
import math
import os
import random
import re
import statistics
import sys
import threading
import time
import urllib.parse
from collections import defaultdict

import psycopg

from bench import htmlforms, procs
from bench.pgutil import create_database, db_url, drop_database, sqlalchemy_url
from bench.report import write_block
from bench.rows import BENCH_PASSWORD

JOBS = ["jobs.robot.archive_due_actions", "jobs.robot.send_archiving_reminders"]
COOKIE = re.compile(r"^([^=]+)=([^;]*)")


class Browser:
    """One user's HTTP client: keep-alive connections to each server, cookies, no redirects."""

    def __init__(self, bases: list[str]):
        self.hosts = [urllib.parse.urlsplit(b).netloc for b in bases]
        self.conns = [http.client.HTTPConnection(h, timeout=60) for h in self.hosts]
        self.cookies: dict[str, str] = {}
        self.turn = 0

    def request(self, method: str, path: str, form=None) -> tuple[int, str, str]:
        """(status, body, Location) from the next server in turn."""
        i = self.turn % len(self.conns)
        self.turn += 1
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in (1, 2):  # a keep-alive connection closed by the server: reconnect once
            try:
                self.conns[i].request(method, path, body=body, headers=headers)
                response = self.conns[i].getresponse()
                text = response.read().decode("utf-8", "replace")
                break
            except (http.client.HTTPException, ConnectionError):
                self.conns[i].close()
                self.conns[i] = http.client.HTTPConnection(self.hosts[i], timeout=60)
                if attempt == 2:
                    raise
        for header in response.headers.get_all("Set-Cookie") or []:
            match = COOKIE.match(header)
            if match:
                self.cookies[match.group(1)] = match.group(2)
        return response.status, text, response.headers.get("Location", "")


class VirtualUser(threading.Thread):
    def __init__(self, n, account, bases, args, stats, start_at, end_at):
        super().__init__(daemon=True)
        self.n, self.account, self.args, self.stats = n, account, args, stats
        self.browser = Browser(bases)
        self.rng = random.Random(n)
        self.start_at, self.end_at = start_at, end_at
        self.ready = threading.Event()

    def login(self):
        _status, page, _ = self.browser.request("GET", "/connexion")
        status, _, _ = self.browser.request("POST", "/connexion", [
            ("identifiant", self.account["identifiant"]), ("password", BENCH_PASSWORD),
            ("csrf_token", htmlforms.csrf_token(page))])
        if status != 302:
            raise RuntimeError(f"log-in of {self.account['identifiant']} refused ({status})")

    def timed(self, op, method, path, form=None, expect=200):
        started = time.perf_counter()
        try:
            status, body, location = self.browser.request(method, path, form)
        except Exception as exc:  # noqa: BLE001 - every failure is a counted error
            self.stats.error(op, f"{type(exc).__name__}: {exc}")
            return None
        elapsed = time.perf_counter() - started
        measured = self.start_at <= time.time() <= self.end_at
        if status != expect or (expect == 302 and "connexion" in location):
            self.stats.error(op, f"{status} {method} {path} {htmlforms.flashed_errors(body)[:2] if body else ''}")
        elif measured:
            self.stats.record(op, elapsed)
        return body

    def run(self):
        try:
            self.login()
        except Exception as exc:  # noqa: BLE001
            self.stats.error("login", str(exc))
            return
        finally:
            self.ready.set()
        a = self.account
        for path in a["lists"] + [f"/admin/actions/edit/?id={a['fiches'][0]}"]:  # warm-up, not measured
            if time.time() < self.start_at:
                self.timed("warm-up", "GET", path)
        while time.time() < self.start_at:
            time.sleep(0.05)
        while time.time() < self.end_at:
            r = self.rng.random()
            if r < 0.50:
                self.timed("liste", "GET", self.rng.choice(a["lists"]))
            elif r < 0.85:
                self.timed("fiche", "GET", f"/admin/actions/edit/?id={self.rng.choice(a['fiches'])}")
            else:
                action_id = a["saves"][self.rng.randrange(len(a["saves"]))]
                page = self.timed("fiche", "GET", f"/admin/actions/edit/?id={action_id}")
                if page:
                    target, values = htmlforms.edit_form(page)
                    values = htmlforms.with_changed(values, "intitule", _toggle)
                    self.timed("enregistrer", "POST", target or f"/admin/actions/edit/?id={action_id}", values, 302)
            time.sleep(self.args.think * self.rng.uniform(0.5, 1.5))


def _toggle(intitule: str) -> str:
    return intitule[:-7] if intitule.endswith(" (load)") else intitule[:248] + " (load)"


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.times = defaultdict(list)
        self.errors = defaultdict(list)

    def record(self, op, seconds):
        with self.lock:
            self.times[op].append(seconds)

    def error(self, op, message):
        with self.lock:
            self.errors[op].append(message)

    def summary(self) -> dict:
        out = {}
        for op in sorted(set(self.times) | set(self.errors)):
            t = sorted(self.times[op])
            out[op] = {"n": len(t), "errors": len(self.errors[op]),
                       "p50": statistics.median(t) * 1000 if t else None,
                       "p95": t[max(0, math.ceil(0.95 * len(t)) - 1)] * 1000 if t else None,
                       "max": t[-1] * 1000 if t else None}
        everything = sorted(x for op in self.times for x in self.times[op])
        out["total"] = {"n": len(everything), "errors": sum(len(e) for e in self.errors.values()),
                        "p50": statistics.median(everything) * 1000 if everything else None,
                        "p95": everything[max(0, math.ceil(0.95 * len(everything)) - 1)] * 1000 if everything else None,
                        "max": everything[-1] * 1000 if everything else None}
        return out


# ------------------------------------------------------------------ accounts and their work
NOT_DUE = ("EXISTS (SELECT 1 FROM session s WHERE s.action_id = a.id AND s.date_fin > current_date "
           "AND NOT s.archivee)")


def accounts(conn, users: int, seed: int = 1) -> list[dict]:
    """Who the virtual users are: a third documentalistes, the rest organisme users of distinct organismes."""
    rng = random.Random(seed)
    docs = [r[0] for r in conn.execute("SELECT identifiant FROM users WHERE role_code = 'documentaliste' AND actif "
                                       "ORDER BY id")]
    n_docs = max(1, users // 3)
    # organisme users attached to one organisme with 3 actions or more: the largest organisme's, then
    # others drawn at random (a population of users, not only the largest organismes)
    of_rows = conn.execute(
        "SELECT u.identifiant, uo.organisme_id FROM users u JOIN user_organisme uo ON uo.user_id = u.id "
        "JOIN (SELECT organisme_id, count(*) n FROM action GROUP BY 1 HAVING count(*) >= 3) c ON c.organisme_id = uo.organisme_id "
        "WHERE u.role_code = 'organisme' AND u.actif AND (SELECT count(*) FROM user_organisme x WHERE x.user_id = u.id) = 1 "
        "ORDER BY (u.identifiant = 'benchofgrand') DESC, md5(u.identifiant || %s)", (str(seed),)).fetchall()
    seen, ofs = set(), []
    for identifiant, organisme_id in of_rows:
        if organisme_id not in seen:
            seen.add(organisme_id)
            ofs.append((identifiant, organisme_id))
        if len(ofs) == users - n_docs:
            break
    taken = sorted(seen)
    doc_lists = ["/admin/actions/", "/admin/actions/?liste=a_controler", "/admin/sessions/",
                 "/admin/tableau-de-bord/", "/admin/organismes/"]
    of_lists = ["/admin/actions/", "/admin/sessions/", "/admin/tableau-de-bord/", "/admin/organismes/"]
    result = []
    all_ids = [r[0] for r in conn.execute("SELECT id FROM action TABLESAMPLE SYSTEM (5)")]
    for k in range(n_docs):
        saves = [r[0] for r in conn.execute(
            f"SELECT a.id FROM action a WHERE a.id %% %s = %s AND NOT (a.organisme_id = ANY(%s)) AND {NOT_DUE} LIMIT 60",
            (n_docs, k, taken))]
        result.append({"identifiant": docs[k % len(docs)], "lists": doc_lists,
                       "fiches": rng.sample(all_ids, min(300, len(all_ids))), "saves": saves})
    for identifiant, organisme_id in ofs:
        ids = [r[0] for r in conn.execute("SELECT id FROM action WHERE organisme_id = %s", (organisme_id,))]
        saves = [r[0] for r in conn.execute(
            f"SELECT a.id FROM action a WHERE a.organisme_id = %s AND a.controle <> 'inactif' "
            f"AND a.publication <> 'a_supprimer' AND {NOT_DUE} LIMIT 60", (organisme_id,))]
        result.append({"identifiant": identifiant, "lists": of_lists,
                       "fiches": rng.sample(ids, min(300, len(ids))), "saves": saves or ids[:1]})
    return result


# ------------------------------------------------------------------ jobs
def enqueue_jobs(redis_url: str, copies: int, phase: str) -> list:
    from redis import Redis
    from rq import Queue
    queue = Queue("default", connection=Redis.from_url(redis_url))
    tag = re.sub(r"\W+", "-", phase)
    return [queue.enqueue(name, job_id=f"bench-{tag}-{name.rsplit('.', 1)[1]}-{i}", job_timeout=600)
            for i in range(copies) for name in JOBS]


def wait_jobs(jobs: list, timeout: float = 600) -> list[dict]:
    deadline = time.time() + timeout
    while time.time() < deadline:
        for job in jobs:
            job.refresh()
        if all(job.get_status() in ("finished", "failed", "stopped", "canceled") for job in jobs):
            break
        time.sleep(0.5)
    return [{"id": job.id, "status": job.get_status(), "worker": job.worker_name, "result": job.return_value(),
             "seconds": (job.ended_at - job.started_at).total_seconds() if job.ended_at and job.started_at else None}
            for job in jobs]


def job_effects(conn, since) -> dict:
    """What the Robot did since `since` (naive UTC), and whether it did anything twice."""
    from jobs.robot import ARCHIVE_MESSAGE
    q = lambda sql, *p: conn.execute(sql, p).fetchone()[0]  # noqa: E731
    return {
        "actions archivées par le Robot": q("SELECT count(DISTINCT entity_key) FROM history WHERE message = %s "
                                            "AND at >= %s", ARCHIVE_MESSAGE, since),
        "archivées deux fois": q("SELECT count(*) FROM (SELECT entity_key FROM history WHERE message = %s "
                                 "GROUP BY entity_key HAVING count(*) > 1) d", ARCHIVE_MESSAGE),
        "lignes d'historique du Robot": q("SELECT count(*) FROM history WHERE actor_label = 'Robot' AND at >= %s", since),
        "e-mails en file": q("SELECT count(*) FROM outbox"),
        "e-mails en double": q("SELECT count(*) FROM (SELECT recipients, subject, body_text FROM outbox "
                               "GROUP BY 1, 2, 3 HAVING count(*) > 1) d"),
        "job_run": [tuple(r) for r in conn.execute("SELECT job_name, status FROM job_run ORDER BY 1")],
    }


# ------------------------------------------------------------------ phases
def run_phase(label: str, apps: int, rq_workers: int, copies: int, args) -> dict:
    """One deployment shape on its own copy of the base: load, jobs, effects."""
    dbname = f"bo_bench_load_{apps}"
    create_database(dbname, template=args.template)
    work = procs.workdir()
    started = []
    try:
        redis, redis_url = procs.start_redis(work)
        started.append(redis)
        env = procs.app_env(sqlalchemy_url(dbname), redis_url, work)
        bases = []
        for i in range(apps):
            proc, base = procs.start_gunicorn(env, args.workers // apps, work, f"gunicorn{i + 1}")
            started.append(proc)
            bases.append(base)
        for i in range(rq_workers):
            started.append(procs.start_rq_worker(env, redis_url, work, f"rq{i + 1}"))
        with psycopg.connect(db_url(dbname), autocommit=True) as conn:
            since = conn.execute("SELECT (now() AT TIME ZONE 'UTC')::timestamp").fetchone()[0]
            who = accounts(conn, args.users)
        stats = Stats()
        start_at = time.time() + args.ramp
        end_at = start_at + args.seconds
        users = [VirtualUser(n, who[n % len(who)], bases if n % 2 == 0 else bases[::-1], args, stats, start_at, end_at)
                 for n in range(args.users)]
        for user in users:
            user.start()
        while time.time() < start_at + args.seconds / 3:
            time.sleep(0.2)
        jobs = enqueue_jobs(redis_url, copies, label)  # while the users work
        for user in users:
            user.join(args.seconds + args.ramp + 120)
        job_runs = wait_jobs(jobs)
        with psycopg.connect(db_url(dbname), autocommit=True) as conn:
            effects = job_effects(conn, since)
        return {"label": label, "apps": apps, "rq_workers": rq_workers, "copies": copies,
                "summary": stats.summary(), "errors": {k: v[:5] for k, v in stats.errors.items() if v},
                "jobs": job_runs, "effects": effects}
    finally:
        for proc in reversed(started):
            proc.stop()
        if not args.keep:
            drop_database(dbname)


def render(phases: list[dict], args, command: str) -> str:
    lines = [f"Command: `{command}`  ",
             f"{args.users} users, {args.seconds} s measured after a {args.ramp} s log-in ramp, think time "
             f"{args.think * 0.5:.1f}-{args.think * 1.5:.1f} s; gunicorn sync workers: {args.workers} in all; "
             f"client and servers on the same {os.cpu_count()}-core machine.", "",
             "| phase | requests | errors | p50 ms | p95 ms | max ms | liste p95 | fiche p95 | enregistrer p95 |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    fmt = lambda v: f"{v:.0f}" if v is not None else "-"  # noqa: E731
    for p in phases:
        s, t = p["summary"], p["summary"]["total"]
        lines.append(f"| {p['label']} ({p['apps']} app, {p['rq_workers']} RQ worker) | {t['n']} | {t['errors']} | "
                     f"{fmt(t['p50'])} | {fmt(t['p95'])} | {fmt(t['max'])} | {fmt(s.get('liste', {}).get('p95'))} | "
                     f"{fmt(s.get('fiche', {}).get('p95'))} | {fmt(s.get('enregistrer', {}).get('p95'))} |")
    lines += ["", "Robot jobs (archiving + reminders) enqueued during the load:", ""]
    for p in phases:
        workers = sorted({j["worker"] or "?" for j in p["jobs"]})
        statuses = sorted({getattr(j['status'], 'value', str(j['status'])) for j in p['jobs']})
        durations = ", ".join(f"{j['id'].split('-', 2)[-1]} {j['seconds']:.1f} s" for j in p["jobs"] if j["seconds"] is not None)
        lines.append(f"- {p['label']}: {len(p['jobs'])} jobs ({p['copies']} copies of each), statuses "
                     f"{[getattr(x, 'value', x) for x in statuses]}, run by {len(workers)} worker(s) ({durations}); effects: " +
                     ", ".join(f"{k} = {v}" for k, v in p["effects"].items()))
    if len(phases) == 2:
        a, b = (p["effects"] for p in phases)
        same = all(a[k] == b[k] for k in a if k != "job_run")
        lines += ["", f"Same effects with one or two app processes and RQ workers: {'yes' if same else 'NO'}."]
    for p in phases:
        for op, messages in p["errors"].items():
            if messages:
                lines.append(f"- {p['label']} errors on {op}: {messages}")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--ramp", type=int, default=15, help="seconds for the log-ins before measuring")
    parser.add_argument("--think", type=float, default=2.0, help="mean think time between two clicks (s)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers in all (split between the apps)")
    parser.add_argument("--template", default="bo_bench_full", help="base copied for each phase")
    parser.add_argument("--phases", default="1,2", help="1: one app + one RQ worker; 2: two of each")
    parser.add_argument("--keep", action="store_true", help="keep the phase databases")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    shapes = {"1": ("1 app", 1, 1, 1), "2": ("2 apps", 2, 2, 4)}
    phases = []
    for key in args.phases.split(","):
        label, apps, workers, copies = shapes[key]
        print(f"phase {label}...", flush=True)
        phases.append(run_phase(label, apps, workers, copies, args))
    command = ".venv/bin/python -m bench.load " + " ".join(sys.argv[1:] if argv is None else argv)
    report = render(phases, args, command.strip())
    print(report)
    if not args.no_write:
        write_block("load", report)


if __name__ == "__main__":
    main()
