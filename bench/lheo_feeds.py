"""LHEO feeds for the import bench and the round trip: the first N formations of a feed, an empty
base holding the exported base's referentials, an import measured in a child process, a
documentaliste's visa of every imported offer (in bulk), and a streamed comparison of two feeds.

The import base gets the certification referential of the exported one (its 8,000 generated
certifications and their blocs de compétences: without them every formation would lose its
certifications); every other referential comes from the same seeds on both sides.
"""
from __future__ import annotations

import gc
import hashlib
import os
import resource
import time
from collections import Counter

import psycopg
from lxml import etree

NS = "http://lheo.gouv.fr/2.3"
Q = f"{{{NS}}}"
REFERENTIAL_TABLES = ("certification", "bloc_competences")


def formations(path: str):
    """Each <formation> of a feed, streamed (cleared once the caller is done with it)."""
    for _event, el in etree.iterparse(path, tag=f"{Q}formation", huge_tree=True):
        yield el
        el.clear(keep_tail=False)
        while el.getprevious() is not None:
            del el.getparent()[0]


def cut(source: str, count: int, output: str) -> int:
    """Write the first `count` formations of `source` as an LHEO document; returns how many."""
    written = 0
    with open(output, "wb") as out:
        out.write(f'<?xml version="1.0" encoding="UTF-8"?>\n<lheo xmlns="{NS}">\n  <offres>\n'.encode())
        for el in formations(source):
            out.write(etree.tostring(el))
            written += 1
            if written >= count:
                break
        out.write(b"  </offres>\n</lheo>\n")
    return written


def empty_base(name: str, source_db: str) -> None:
    """(Re)create `name` as a new installation (schema.sql, seeded referentials) holding the
    certification referential of `source_db`."""
    from bench.generate import init_schema
    from bench.pgutil import create_database, db_url

    create_database(name)
    init_schema(name)
    with psycopg.connect(db_url(source_db)) as src, psycopg.connect(db_url(name)) as dst:
        dst.execute(f"TRUNCATE {', '.join(REFERENTIAL_TABLES)} CASCADE")
        for table in REFERENTIAL_TABLES:
            with src.cursor().copy(f"COPY {table} TO STDOUT") as out, \
                    dst.cursor().copy(f"COPY {table} FROM STDIN") as into:
                for data in out:
                    into.write(data)
            dst.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT coalesce(max(id), 0) + 1 FROM {table}), false)")
        dst.commit()


def counts(name: str) -> dict:
    from bench.pgutil import db_url

    with psycopg.connect(db_url(name)) as conn:
        return {table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                for table in ("organisme", "action", "session", "contact", "adresse", "history")}


def backends_cpu(database: str) -> float | None:
    """CPU seconds used so far by the PostgreSQL backends connected to `database` (read in /proc:
    the server on this host, as the benches run it; None elsewhere). A backend that ended since is
    not counted: the import keeps its pooled connections open until it is done."""
    from bench.pgutil import db_url

    with psycopg.connect(db_url(database)) as conn:
        pids = [r[0] for r in conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s "
                                           "AND pid <> pg_backend_pid()", (database,))]
    total = 0.0
    try:
        for pid in pids:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime
    except (OSError, IndexError, ValueError):
        return None
    return total


def import_once(database: str, feed: str, source: str, hors_perimetre: bool) -> dict:
    """Child process: import `feed` into `database`; time, peak memory, counts, problems."""
    from sqlalchemy import text

    from backoffice import create_app
    from backoffice.extensions import db
    from backoffice.lheo_import import import_lheo
    from bench.bench_lheo import RssSampler, _rss_mb
    from bench.pgutil import sqlalchemy_url

    app = create_app({"SQLALCHEMY_DATABASE_URI": sqlalchemy_url(database), "TESTING": True, "SECRET_KEY": "bench"})
    gc.freeze()  # as the production entry points do (wsgi.py, jobs/runtime.py)
    before = counts(database)
    problems: Counter = Counter()

    def tally(problem):
        problems[(problem.gravite, problem.message.split(" : ")[0][:90])] += 1

    with app.app_context():
        db.session.execute(text("SELECT 1"))  # the import's first connection, open before it starts
        db.session.commit()
        pg_before = backends_cpu(database)
        baseline = _rss_mb()
        sampler = RssSampler()
        sampler.start()
        started, cpu = time.perf_counter(), time.process_time()
        report = import_lheo(feed, source, keep=0, on_problem=tally, hors_perimetre=hors_perimetre)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        peak = sampler.stop()
        pg_after = backends_cpu(database)
        db.session.remove()
        db.engine.dispose()
    after = counts(database)
    read = report.counts["formations_lues"]
    return {"formations": read, "seconds": round(seconds, 1), "per_second": round(read / seconds),
            "python_cpu_seconds": round(cpu, 1), "load_average": round(os.getloadavg()[0], 1),
            "postgresql_cpu_seconds": None if pg_before is None or pg_after is None else round(pg_after - pg_before, 1),
            "rss_before_mb": round(baseline, 1), "rss_peak_mb": round(peak, 1),
            "peak_growth_mb": round(peak - baseline, 1),
            "maxrss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "counts": dict(report.counts), "changed": report.changed, "rejets": report.rejets,
            "avertissements": report.avertissements,
            "problems": [[g, m, n] for (g, m), n in problems.most_common(8)],
            "rows_added": {t: after[t] - before[t] for t in after}}


# ---------------------------------------------------------------- comparing two feeds

def normalised(formation) -> bytes:
    """A formation without what differs between two bases: the numbers (@numero,
    identifiant-module), the record-keeping dates (@datecrea, @datemaj) and the identity blocks
    (<extras info="source">, <extras info="flux">), as tests/lheo_import_helpers.normalised, and
    the whitespace between elements."""
    for el in list(formation.iter(f"{Q}extras")):
        if el.get("info") in ("source", "flux"):
            el.getparent().remove(el)
    for el in formation.iter():
        if isinstance(el.tag, str):
            for name in ("numero", "datecrea", "datemaj"):
                el.attrib.pop(name, None)
        # the layout: an identity block removed leaves its neighbours' indentation behind
        if el.text is not None and not el.text.strip():
            el.text = None
        if el.tail is not None and not el.tail.strip():
            el.tail = None
    for el in formation.iter(f"{Q}identifiant-module"):
        el.text = "-"
    return etree.tostring(formation, method="c14n")


def origin(formation) -> str:
    """The formation's number in the feed it came from (its <extras info="source"> identifiant),
    else its own number."""
    for block in formation.findall(f"{Q}extras"):
        if block.get("info") == "source":
            for extra in block:
                if extra.get("info") == "identifiant":
                    return extra.text
    return formation.get("numero")


def fingerprint(path: str, by_origin: bool) -> tuple[Counter, dict[str, str]]:
    """(counts of formations, LHEO actions and sessions; {number: digest of the normalised
    formation}) of a feed, streamed; `by_origin`: each formation under its number in the feed it
    came from (a re-imported feed), else under its own."""
    total: Counter = Counter()
    digests: dict[str, str] = {}
    for formation in formations(path):
        total["formations"] += 1
        total["actions"] += sum(1 for _ in formation.iter(f"{Q}action"))
        total["sessions"] += sum(1 for _ in formation.iter(f"{Q}session"))
        key = origin(formation) if by_origin else formation.get("numero")
        digests[key] = hashlib.blake2b(normalised(formation), digest_size=16).hexdigest()
    return total, digests


def places_outside_the_region(path: str) -> int:
    """Training places (lieu-de-formation) whose <region> is not Île-de-France's, in a feed."""
    outside = 0
    for formation in formations(path):
        for lieu in formation.iter(f"{Q}lieu-de-formation"):
            region = lieu.find(f".//{Q}region")
            if region is not None and (region.text or "").strip() != "11":
                outside += 1
    return outside
