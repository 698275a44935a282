"""Round trip at scale: export the 100 % bench base, import the feed into an empty base, visa it,
export again, and compare the two feeds.

    .venv/bin/python -m bench.round_trip                          # the 100 % base (generated if missing)
    .venv/bin/python -m bench.round_trip --feed /tmp/offre.xml    # reuse a full export of it
    .venv/bin/python -m bench.round_trip --actions 10000 --keep   # a smaller base; keep the import base

1. the full LHEO feed of bo_bench_lheo_<n>k (bench.bench_lheo's export, child process);
2. an empty base (schema.sql, seeds, the exported base's certification referential) imports it as
   a Carif-Oref's feed (README: the perimeter is a rule of entry, not applied to a feed the
   Carif-Oref diffuses), measured in a child process (bench.lheo_feeds.import_once);
3. what a documentaliste then does, in bulk: each organisme validated (its fiche published as
   services.organisme_publication does), each action visé (the state workflow.apply(VISER) gives,
   its content stored as its published version as bench.published builds it from the rows);
4. the full feed of the import base, and a streamed comparison: the numbers of formations, LHEO
   actions and sessions, and each formation's content once normalised (without the numbers, the
   record-keeping dates and the identity blocks), matched on its number in the first feed (the
   second gives it back in <extras info="source">).
Prints a JSON summary; exit code 1 when the feeds differ.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg
from psycopg.rows import dict_row

ROOT = Path(__file__).resolve().parents[1]
IMPORT_DB = "bo_bench_round_trip"
BATCH = 2000


def visa_everything(database: str) -> dict:
    """Validate every organisme and visa every action of `database`, in bulk (see the docstring)."""
    from sqlalchemy import select

    from backoffice import create_app
    from backoffice import workflow as W
    from backoffice.actor import SYSTEM, acting_as
    from backoffice.extensions import db
    from backoffice.models import Action, Adresse, Contact, EtatOrganisme, Organisme
    from backoffice.models.listeners import utcnow
    from backoffice.services import organisme_publication, publication
    from bench import published
    from bench.pgutil import db_url, sqlalchemy_url

    started = time.perf_counter()
    app = create_app({"SQLALCHEMY_DATABASE_URI": sqlalchemy_url(database), "TESTING": True, "SECRET_KEY": "bench"})
    with app.app_context(), acting_as(SYSTEM):
        last, organismes = 0, 0
        while True:
            batch = db.session.scalars(select(Organisme).where(Organisme.id > last).order_by(Organisme.id)
                                       .limit(BATCH)).all()
            if not batch:
                break
            for organisme in batch:
                organisme.etat = EtatOrganisme.VALIDE
                organisme_publication.publish(organisme)
            last, organismes = batch[-1].id, organismes + len(batch)
            db.session.commit()
            db.session.expunge_all()
        db.session.remove()
        db.engine.dispose()
    viser = W.outcomes(W.Event.VISER, W.Actor.DOCUMENTALISTE)
    links = {relation: getattr(Action, relation).property.secondary for relation, _a in publication.COLLECTIONS.values()}
    now, actions, last = utcnow().replace(microsecond=0), 0, 0
    with psycopg.connect(db_url(database), row_factory=dict_row) as conn:
        while True:
            rows = conn.execute("SELECT * FROM action WHERE id > %s ORDER BY id LIMIT %s", (last, BATCH)).fetchall()
            if not rows:
                break
            ids = [r["id"] for r in rows]
            collections = {r["id"]: {relation: [] for relation in links} for r in rows}
            for relation, table in links.items():
                value = [c.name for c in table.columns if c.name != "action_id"][0]
                for link in conn.execute(f"SELECT action_id, {value} AS v FROM {table.name} WHERE action_id = ANY(%s)",
                                         (ids,)):
                    collections[link["action_id"]][relation].append(link["v"])
            sessions = conn.execute("SELECT * FROM session WHERE action_id = ANY(%s)", (ids,)).fetchall()
            funders: dict[int, list] = {}
            for f in conn.execute("SELECT session_id, financeur_code, nb_places FROM session_financeur "
                                  "WHERE session_id = ANY(%s)", ([s["id"] for s in sessions],)):
                funders.setdefault(f["session_id"], []).append((f["financeur_code"], f["nb_places"]))
            addresses, contacts = published.Embedded(Adresse), published.Embedded(Contact)
            wanted = {s[k] for s in sessions for k in ("lieu_id", "adresse_inscription_id", "adresse_information_id")}
            for r in conn.execute("SELECT * FROM adresse WHERE id = ANY(%s)", (sorted(i for i in wanted if i),)):
                addresses.keep(r)
            people = {s["contact_id"] for s in sessions} | {r["contact_id"] for r in rows}
            for r in conn.execute("SELECT * FROM contact WHERE id = ANY(%s)", (sorted(i for i in people if i),)):
                contacts.keep(r)
            contents: dict[int, list] = {}
            for s in sessions:
                contents.setdefault(s["action_id"], []).append(
                    published.session_content(s, addresses, contacts, funders.get(s["id"], [])))
            updates = []
            for row in rows:
                new = viser[W.State(row["controle"], row["publication"], row["etat_fiche"])]
                row.update(controle=new.controle.value, publication=new.publication.value, etat_fiche=new.fiche.value,
                           vise_le=now)
                version = published.action_version(row, collections[row["id"]], contacts, contents.get(row["id"], []))
                updates.append((row["controle"], row["publication"], row["etat_fiche"], now, version, row["id"]))
            with conn.cursor() as cursor:
                cursor.executemany("UPDATE action SET controle = %s, publication = %s, etat_fiche = %s, vise_le = %s, "
                                   "version_publiee = %s WHERE id = %s", updates)
            conn.commit()
            last, actions = ids[-1], actions + len(rows)
    return {"organismes_valides": organismes, "actions_visees": actions,
            "seconds": round(time.perf_counter() - started, 1)}


def export(database: str, output: str) -> dict:
    child = subprocess.run([sys.executable, "-m", "bench.bench_lheo", "--child", database, output],
                           cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(child.stdout.strip().splitlines()[-1])


def compare(first: str, second: str) -> dict:
    from bench.lheo_feeds import fingerprint

    started = time.perf_counter()
    counts_a, digests_a = fingerprint(first, by_origin=False)
    counts_b, digests_b = fingerprint(second, by_origin=True)
    missing = sorted(set(digests_a) - set(digests_b))
    extra = sorted(set(digests_b) - set(digests_a))
    different = sorted(k for k in set(digests_a) & set(digests_b) if digests_a[k] != digests_b[k])
    return {"first": dict(counts_a), "second": dict(counts_b), "missing": len(missing), "extra": len(extra),
            "different": len(different), "examples": (missing + extra + different)[:10],
            "identical": counts_a == counts_b and not (missing or extra or different),
            "seconds": round(time.perf_counter() - started, 1)}


def main(argv=None) -> int:
    from bench import generate
    from bench.bench_lheo import FULL_SCALE_ACTIONS, import_child
    from bench.lheo_feeds import empty_base, places_outside_the_region
    from bench.pgutil import drop_database

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--actions", type=int, default=FULL_SCALE_ACTIONS, help="size of the exported base")
    parser.add_argument("--feed", help="a full export of that base, reused (else exported now)")
    parser.add_argument("--keep", action="store_true", help="keep the import base")
    args = parser.parse_args(argv)
    name = f"bo_bench_lheo_{args.actions // 1000}k"
    generate.ensure(name, args.actions / FULL_SCALE_ACTIONS)
    summary: dict = {"base": name}
    with tempfile.TemporaryDirectory() as folder:
        first = args.feed or str(Path(folder) / "premier.xml")
        if not args.feed:
            summary["first_export"] = export(name, first)
        summary["places_outside_the_region"] = places_outside_the_region(first)
        empty_base(IMPORT_DB, name)
        try:
            summary["import"] = import_child(IMPORT_DB, first)
            print(json.dumps({"import": summary["import"]}), flush=True)
            summary["visa"] = visa_everything(IMPORT_DB)
            second = str(Path(folder) / "second.xml")
            summary["second_export"] = export(IMPORT_DB, second)
            summary["comparison"] = compare(first, second)
        finally:
            if not args.keep:
                drop_database(IMPORT_DB)
    print(json.dumps(summary, indent=2, ensure_ascii=False))
    return 0 if summary["comparison"]["identical"] else 1


if __name__ == "__main__":
    sys.exit(main())
