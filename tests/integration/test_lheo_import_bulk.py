"""The LHEO import's volume paths: new formations written in bulk and formations given again as
last time skipped must leave the base exactly as the ORM writer does (records, history, report),
on SQLite and PostgreSQL; the batches keep the file's order in the report and the progress."""
from io import BytesIO

import pytest
from sqlalchemy import delete, func, select

from backoffice.extensions import db
from backoffice.lheo_import import REJET, import_lheo
from backoffice.models import Action, History, Session
from tests.integration import lheo_screen_support
from tests.lheo_bulk_helpers import records_of
from tests.lheo_import_helpers import RICHE, TIERS, prepare_riche_referential

FILES = {"riche": lambda: RICHE.read_bytes(), "tiers": lambda: TIERS.read_bytes(),
         "ecran": lambda: lheo_screen_support.feed(7, held=4)}


def _problems(report) -> list[tuple]:
    return [(p.line, p.path, p.message, p.formation, p.gravite) for p in report.problems]


@pytest.mark.parametrize("name", sorted(FILES))
def test_bulk_writes_what_the_orm_writer_writes(app, name):
    """The same file imported in bulk (batches of 2, so that organismes come back from one batch to
    the next) and through the ORM writer alone: the same organismes, carnets, actions, sessions,
    funders, memories of the feed, workflow states and history rows, and the same report."""
    prepare_riche_referential()
    document = FILES[name]()
    orm = import_lheo(BytesIO(document), "orm", bulk=False)
    bulk = import_lheo(BytesIO(document), "bulk", batch_size=2)
    assert bulk.counts == orm.counts and bulk.counts["actions_creees"] > 0
    assert _problems(bulk) == _problems(orm)
    expected, written = records_of("orm"), records_of("bulk")
    assert written["organismes"] == expected["organismes"]
    assert written["actions"] == expected["actions"]
    assert written["history"] == expected["history"]


def test_a_second_import_of_the_same_file_changes_nothing_and_reports_the_same(app):
    """Re-imported as it is, a file changes nothing (no history row, Modifié le untouched) and its
    report says the same: a formation without rejet, whose avertissements its bytes alone gave, is
    counted unchanged without being read again and its avertissements are said again at their
    lines, even when the formation moved in the file; one with a rejet is read again."""
    prepare_riche_referential()
    document = RICHE.read_bytes()
    first = import_lheo(BytesIO(lheo_screen_support.feed(5)), "ecran")
    assert first.counts["actions_creees"] == 5 and first.rejets == 5  # the unknown Formacode, each time
    clean = import_lheo(BytesIO(document), "riche")
    assert clean.rejets == 0 and clean.avertissements == 1  # the formation's earlier origin
    history = db.session.scalar(select(func.count()).select_from(History))
    stamps = sorted(db.session.scalars(select(Action.updated_at)))
    again_clean = import_lheo(BytesIO(document), "riche")
    again = import_lheo(BytesIO(lheo_screen_support.feed(5)), "ecran")
    assert again_clean.changed == 0 and again_clean.counts["actions_inchangees"] == 3
    assert again.changed == 0 and again.counts["actions_inchangees"] == 5
    assert _problems(again) == _problems(first) and _problems(again_clean) == _problems(clean)
    assert db.session.scalar(select(func.count()).select_from(History)) == history
    assert sorted(db.session.scalars(select(Action.updated_at))) == stamps
    moved = document.replace(b"<offres>", b"<offres>\n\n\n\n", 1)  # every formation 4 lines down
    skipped = import_lheo(BytesIO(moved), "riche")
    read = import_lheo(BytesIO(moved), "lu-en-entier", bulk=False)
    assert skipped.changed == 0 and _problems(skipped) == _problems(read)
    assert [p.line for p in skipped.problems] == [p.line + 4 for p in clean.problems]


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_formation_given_as_last_time_is_still_merged_when_the_base_moved(app):
    """Given exactly as last time, a formation whose records changed here since is merged, not
    skipped: a session withdrawn by the feed and offered again here is archived again; a session
    deleted here stays deleted (someone's change here) until the supplier changes it, and then
    comes back whole."""
    prepare_riche_referential()
    without = _riche_without("S-APPR-2")
    assert import_lheo(BytesIO(without), "riche").rejets == 0
    assert import_lheo(str(RICHE), "riche").counts["sessions_creees"] == 1
    assert import_lheo(BytesIO(without), "riche").counts["sessions_archivees"] == 1
    withdrawn = _session("S-APPR-2")
    withdrawn.archivee = False  # offered again here
    db.session.commit()
    again = import_lheo(BytesIO(without), "riche")
    assert again.counts["sessions_archivees"] == 1 and _session("S-APPR-2").archivee
    db.session.execute(delete(Session).where(Session.identifiant_externe == "S-MIXTE-1"))
    db.session.commit()
    kept = import_lheo(BytesIO(without), "riche")
    assert kept.rejets == 0 and kept.changed == 0 and _session("S-MIXTE-1") is None
    changed = without.replace(b"<debut>20270900</debut>", b"<debut>20271000</debut>")
    back = import_lheo(BytesIO(changed), "riche")
    assert back.rejets == 0 and back.counts["sessions_creees"] == 1
    session = _session("S-MIXTE-1")
    assert (session.date_debut.isoformat(), session.debut_precision, session.date_fin.isoformat()) == (
        "2027-10-01", "mois", "2027-12-31")
    assert session.modalite_code == "mixte" and session.lieu.code_insee == "93048"


def _riche_without(numero: str) -> bytes:
    document = RICHE.read_bytes()
    start = document.index(f'<session numero="{numero}">'.encode())
    end = document.index(b"</session>", start) + len(b"</session>")
    return document[:start] + document[end:]


def _session(numero: str) -> Session | None:
    db.session.expire_all()
    return db.session.scalar(select(Session).where(Session.identifiant_externe == numero))


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_problems_and_progress_follow_the_file_order_across_ways(app, make):
    """In one batch, formations written in bulk and one the ORM writer takes (its organisme is
    known and changed by the feed): the problems come out in file order, formation by formation,
    and the progress counts the formations done, every 20."""
    make.organisme(source="ecran", identifiant_externe="ECRAN-ORG-2", raison_sociale="Ancien nom")
    calls = []
    report = import_lheo(BytesIO(lheo_screen_support.feed(25, held=22)), "ecran",
                         on_progress=lambda done, size: calls.append(done))
    assert report.counts["actions_creees"] == 25 and report.counts["organismes_mis_a_jour"] == 1
    formations = [p.formation for p in report.problems]
    assert formations == sorted(formations, key=lambda f: int(f.rsplit("-", 1)[1]))
    assert [p.formation for p in report.problems if p.gravite == REJET] == [f"ECRAN-FORM-{n}" for n in range(1, 26)]
    assert calls == [20, 25]


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_a_batch_the_database_refuses_is_written_formation_by_formation(app):
    """The database refuses one formation of a bulk batch (here a trigger, as a constraint would):
    the batch is rolled back and each of its formations goes through the ORM writer, so only the
    refused one is lost, and reported with the database's reason."""
    db.session.execute(db.text(
        "CREATE FUNCTION refuse_action() RETURNS trigger AS $$ BEGIN "
        "IF NEW.identifiant_externe = 'ECRAN-FORM-3' THEN RAISE EXCEPTION 'action refusée par le test'; END IF; "
        "RETURN NEW; END $$ LANGUAGE plpgsql"))
    db.session.execute(db.text("CREATE TRIGGER refuse_action BEFORE INSERT ON action FOR EACH ROW "
                               "EXECUTE FUNCTION refuse_action()"))
    db.session.commit()
    report = import_lheo(BytesIO(lheo_screen_support.feed(5)), "ecran")
    assert report.counts["actions_creees"] == 4 and report.counts["formations_rejetees"] == 1
    refused = [p for p in report.problems if "refusé par la base" in p.message]
    assert [p.formation for p in refused] == ["ECRAN-FORM-3"] and "action refusée par le test" in refused[0].message
    assert sorted(db.session.scalars(select(Action.identifiant_externe))) == [
        f"ECRAN-FORM-{n}" for n in (1, 2, 4, 5)]
