"""LHEO import: what it is given is kept (round trips with the export, our rich file, a third-party
2.2 feed), what it cannot keep is reported, and the command line says so by its exit code.

Every file read here is ours (tests/data/lheo) or written by the export in the test."""
from datetime import date
from decimal import Decimal
from io import BytesIO

import pytest
from sqlalchemy import func, select

from backoffice.actor import SYSTEM, acting_as
from backoffice.extensions import db
from backoffice.lheo_import import REJET, import_lheo
from backoffice.models import Action, Organisme, Session
from backoffice.services.actions import vise_action
from tests.lheo_helpers import assert_valid, enable_partner
from tests.lheo_import_helpers import (
    RICHE,
    TIERS,
    another_base,
    history_count,
    identities,
    normalised,
    prepare_riche_referential,
    validate_organismes,
)


def _feed(app, client) -> bytes:
    return client.get("/lheo/offre.xml", headers=enable_partner(app)).data


def _vise_all(make) -> None:
    validate_organismes()
    documentaliste = make.user("documentaliste")
    for action in db.session.scalars(select(Action).order_by(Action.numero)).all():
        vise_action(db.session, documentaliste, action)


def _count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_demo_feed_imports_into_an_empty_base_and_exports_the_same(app, client, backend, request, tmp_path):
    """The export's own feed of the demo base imports into an empty base (same referentials) with
    no rejet; visé there, it exports the same feed but for the numbers, and each element's
    <extras info="source"> gives back its number in the first feed. Re-importing the same file
    changes nothing: no history, Modifié le untouched."""
    from seeds.demo import load_demo
    with acting_as(SYSTEM):
        load_demo(db.session)
        db.session.commit()
    first = _feed(app, client)
    assert_valid(first)
    with another_base(backend, request, tmp_path, "base_b") as other:
        report = import_lheo(BytesIO(first), "carif-a")
        assert report.rejets == 0 and report.fatal is None, [str(p) for p in report.problems]
        assert report.counts["actions_creees"] == len(identities(first)["formation"])
        imported = db.session.scalars(select(Action)).all()
        assert {(a.controle, a.publication, a.etat_fiche, a.last_actor) for a in imported} == {
            ("a_controler", "en_redaction", "cree", "Import LHEO")}
        from tests.lheo_helpers import publish
        validate_organismes()
        for action in imported:
            publish(action)
        second = _feed(other, other.test_client())
        assert_valid(second)
        assert normalised(second) == normalised(first)
        before, after = identities(first), identities(second)
        for tag in ("formation", "session", "organisme-formation-responsable"):
            assert [ident for _numero, (_source, ident) in after[tag]] == [numero for numero, _ in before[tag]], tag
            assert {source for _numero, (source, _ident) in after[tag]} == {"carif-a"}
        # a LHEO action's own number is kept too (session.action_externe), given back per action
        assert sorted(ident for _n, (_s, ident) in after["action"]) == sorted(n for n, _ in before["action"])
        history, stamps = history_count(), sorted(db.session.scalars(select(Action.updated_at)))
        again = import_lheo(BytesIO(first), "carif-a")
        assert again.changed == 0 and again.rejets == 0, again.summary()
        assert again.counts["actions_inchangees"] == len(imported)
        assert history_count() == history
        assert sorted(db.session.scalars(select(Action.updated_at))) == stamps


def test_rich_file_survives_import_visa_export(app, client, make):
    """Our rich LHEO 2.3 file (every element the export writes, partial dates, exact hours, a module,
    an accompagnement) imported, visé by a documentaliste and exported gives the file back element
    by element; the supplier's numbers come back in <extras info="source">; the only problem is
    the earlier origin of one formation, which the base does not keep."""
    prepare_riche_referential()
    given = RICHE.read_bytes()
    report = import_lheo(str(RICHE), "atelier-est")
    assert report.rejets == 0, [str(p) for p in report.problems]
    assert [p.message for p in report.problems if p.gravite != REJET] == [
        "identifiants d'origine non conservés (la base identifie chaque élément par son numéro dans ce flux) : "
        "formation « CARROSSERIE-2027 » (source « Système de l'organisme »)"]
    _vise_all(make)
    exported = _feed(app, client)
    assert_valid(exported)
    assert normalised(exported) == normalised(given)
    assert b"<debut>20270900</debut>" in exported and b"<fin>20271200</fin>" in exported
    assert b"<debut>20270000</debut>" in exported
    out = identities(exported)
    assert [ident for _n, (_s, ident) in out["formation"]] == ["F-RICHE-1", "F-RICHE-2", "F-RICHE-3"]
    assert [ident for _n, (_s, ident) in out["session"]] == ["S-APPR-1", "S-APPR-2", "S-FOAD-1", "S-MIXTE-1",
                                                            "S-ANG-1", "S-BILAN-1"]
    assert [ident for _n, (_s, ident) in out["action"]] == ["AC-APPR", "AC-FOAD", "AC-MIXTE", "AC-ANG", "AC-BILAN"]
    assert {ident for _n, (_s, ident) in out["organisme-formation-responsable"]} == {"ORG-EST"}
    mixte = db.session.scalar(select(Session).where(Session.identifiant_externe == "S-MIXTE-1"))
    assert (mixte.date_debut, mixte.debut_precision, mixte.date_fin, mixte.fin_precision) == (
        date(2027, 9, 1), "mois", date(2027, 12, 31), "mois")
    assert mixte.duree_totale is None
    foad = db.session.scalar(select(Session).where(Session.identifiant_externe == "S-FOAD-1"))
    assert foad.duree_totale == Decimal("35.5") and foad.lieu is None and foad.modalite_code == "foad"


def test_third_party_feed_keeps_what_it_can_and_reports_the_rest(app):
    """An Intercarif-like LHEO 2.2 feed: partial dates kept with their precision, a mixte session
    without a place and a session without hours imported; each rejected element reported with its
    line, path, formation and a French reason; the organisme whose SIRET fails its checksum is not
    created, nor the one whose sessions are all outside Ile-de-France (its formation is reported
    naming it); nothing is dropped silently."""
    report = import_lheo(str(TIERS), "intercarif")
    assert report.fatal is None
    assert (report.counts["formations_lues"], report.counts["formations_rejetees"]) == (4, 2)
    assert report.counts["actions_creees"] == 2 and report.counts["sessions_creees"] == 3
    assert all(p.line and p.path.startswith("/lheo/offres/formation") and p.formation and p.message
               for p in report.problems)
    rejets = [(p.formation, p.line, p.message) for p in report.problems if p.gravite == REJET]
    assert report.rejets == len(rejets)

    def rejected(formation, *words):
        return [line for f, line, message in rejets if f == formation and all(w in message for w in words)]
    assert rejected("F-TIERS-1", "coordonneFs", "inconnu du format LHEO") == [19]
    assert rejected("F-TIERS-1", "15 caractères, maximum 14") == [113]
    assert rejected("F-TIERS-1", "organisme formateur non importé") == [111]
    assert rejected("F-TIERS-1", "Z9999", "inconnu du référentiel") == [11]
    assert rejected("F-TIERS-1", "99999") == [37]
    assert rejected("F-TIERS-1", "date de début", "session ignorée") == [89]
    assert rejected("F-TIERS-1", "période d'inscription") == [65]
    assert rejected("F-TIERS-2", "SIRET « 73282932000075 » invalide", "organisme non importé, formation ignorée")
    assert rejected("F-TIERS-3", "aucune session importable", "Ateliers de l'Odet SARL", "81234567600033")
    assert len(rejected("F-TIERS-3", "département 29", "session ignorée")) == 2
    assert rejected("F-TIERS-4", "département 35", "session ignorée")
    assert _count(Organisme, Organisme.siret.in_(["73282932000075", "81234567600033"])) == 0
    warnings = {p.formation: p.message for p in report.problems if p.gravite != REJET and "sans équivalent" in p.message}
    assert "objectif-general-formation (ligne 26)" in warnings["F-TIERS-1"]
    assert "action/extras[@info=duree-hebdo]" in warnings["F-TIERS-1"]

    action = db.session.scalar(select(Action).where(Action.identifiant_externe == "F-TIERS-1"))
    assert (action.intitule, action.resultats_attendus, action.conditions_specifiques) == (
        "Carrosserie - remise à niveau", None, None)
    assert [r.code for r in action.romes] == ["I1606"] and [p.code for p in action.publics] == ["83056"]
    assert [lang.code for lang in action.langues] == ["fr"]
    sessions = {s.identifiant_externe: s for s in action.sessions}
    assert set(sessions) == {"SE-T1-1", "SE-T1-2"}
    month, year = sessions["SE-T1-1"], sessions["SE-T1-2"]
    assert (month.date_debut, month.debut_precision, month.date_fin, month.fin_precision) == (
        date(2027, 9, 1), "mois", date(2027, 12, 31), "jour")
    assert (year.date_debut, year.debut_precision, year.date_fin, year.fin_precision) == (
        date(2027, 1, 1), "annee", date(2028, 12, 31), "annee")
    assert all(s.modalite_code == "mixte" and s.lieu is None and s.duree_totale is None for s in (month, year))
    assert month.inscription_debut is None and month.formateur_siret is None
    assert [(f.financeur_code, f.nb_places) for f in month.financeurs] == [("2", 5)]
    organisme = action.organisme
    assert (organisme.siret, organisme.nda, organisme.code_insee, organisme.etat) == (
        "73282932000074", "11930181111", "93048", "brouillon")
    perfection = db.session.scalar(select(Action).where(Action.identifiant_externe == "F-TIERS-4"))
    assert perfection.organisme is organisme
    paris = perfection.sessions[0]
    assert (paris.identifiant_externe, paris.lieu.code_insee, paris.lieu.libelle) == (
        "#20270104-20270326", "75056", "Tiers Formation Paris")


def test_outside_the_perimeter_when_the_carif_chose_the_feed(app):
    """hors_perimetre=True: the sessions in Brittany are imported (a feed the Carif-Oref chose to
    diffuse); the organisme with a bad SIRET is still refused."""
    report = import_lheo(str(TIERS), "carif-bretagne", hors_perimetre=True)
    assert report.counts["actions_creees"] == 3 and report.counts["formations_rejetees"] == 1
    quimper = db.session.scalar(select(Action).where(Action.identifiant_externe == "F-TIERS-3"))
    assert [s.lieu.code_insee for s in quimper.sessions] == ["29232", "29232"]
    assert _count(Session, Session.identifiant_externe == "SE-T4-RENNES") == 1
    assert _count(Organisme, Organisme.siret == "73282932000075") == 0


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_unreadable_files_are_fatal(app):
    """A truncated file stops at its error (line given, earlier formations kept); a file that is not
    LHEO is refused whole."""
    document = RICHE.read_bytes().split(b'<formation numero="F-RICHE-2"')[0] + b"<formation numero='coupe'><dom"
    prepare_riche_referential()
    report = import_lheo(BytesIO(document), "coupe")
    assert report.fatal and "mal formé" in report.fatal and report.counts["actions_creees"] == 1
    other = import_lheo(BytesIO(b"<?xml version='1.0'?><catalogue><formation/></catalogue>"), "autre")
    assert other.fatal and "n'est pas un document LHEO" in other.fatal


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_cli_exit_codes(app, tmp_path):
    """flask lheo-import: 0 when nothing was rejected, 1 when something was (printed with its line),
    1 and nothing written with --strict, 2 for a file it cannot read to its end; a missing source
    name is a usage error."""
    prepare_riche_referential()
    runner = app.test_cli_runner()
    strict = runner.invoke(args=["lheo-import", str(TIERS), "--source", "tiers", "--strict"])
    assert strict.exit_code == 1, strict.output
    assert "RIEN N'A ÉTÉ ÉCRIT" in strict.output and _count(Action) == 0 and _count(Organisme) == 0
    ok = runner.invoke(args=["lheo-import", str(RICHE), "--source", "atelier-est"])
    assert ok.exit_code == 0, ok.output
    assert "actions créées : 3" in ok.output and "éléments rejetés : 0" in ok.output
    partial = runner.invoke(args=["lheo-import", str(TIERS), "--source", "tiers"])
    assert partial.exit_code == 1 and "ligne 19" in partial.output and "actions créées : 2" in partial.output
    broken = tmp_path / "coupe.xml"
    broken.write_bytes(RICHE.read_bytes()[:3000])
    assert runner.invoke(args=["lheo-import", str(broken), "--source", "coupe"]).exit_code == 2
    assert runner.invoke(args=["lheo-import", str(RICHE), "--source", " "]).exit_code == 2
