"""LHEO import: round trip with the export, idempotent re-import, the anotea sample, rejected elements."""
from datetime import date
from io import BytesIO
from pathlib import Path

import pytest
from lxml import etree
from sqlalchemy import func, select

from backoffice import create_app
from backoffice.extensions import db
from backoffice.lheo_import import import_lheo
from backoffice.models import Action, History, Organisme, Session
from backoffice.models.listeners import utcnow
from tests.conftest import app_config, make_database
from tests.lheo_helpers import (NS, REPO, assert_valid, enable_partner, numeros, publish, rich_offer, save,
                                simple_offer)

ANOTEA = REPO.parent / "shared" / "lheo" / "anotea" / "intercarif-data-test.xml"
ONISEP = REPO.parent / "shared" / "lheo" / "lheo-schema-2.3.0" / "datasources" / "exemple-bts-onisep.xml"
IDENTIFIED = ("formation", "action", "session", "organisme-formation-responsable")


def normalised(document: bytes) -> bytes:
    """A feed without what legitimately differs between two bases: the OF_/AF_/SE_ numbers in
    @numero, the record-keeping dates (@datecrea, @datemaj) and the export metadata (flux extras)."""
    root = etree.fromstring(document)
    for tag in IDENTIFIED:
        for el in root.iter(f"{{{NS['l']}}}{tag}"):
            el.attrib.pop("numero", None)
            el.attrib.pop("datecrea", None)
            el.attrib.pop("datemaj", None)
    for el in root.findall("l:extras", NS):
        root.remove(el)
    for el in root.iter(f"{{{NS['l']}}}identifiant-module"):
        el.text = "-"
    return etree.tostring(root, method="c14n")


def history_count() -> int:
    return db.session.scalar(select(func.count()).select_from(History))


def test_round_trip_export_import_export_and_idempotent_reimport(app, client, make, backend, request, tmp_path):
    """Export -> import into an empty base -> export gives the same feed (modulo numbers and
    dates); importing the same file again changes nothing and writes no history."""
    organisme = make.organisme(nda="11755555575", uai="0751234J", telephone="01 02 03 04 05",
                               site_internet="https://of.example.fr", numero_voie="12", voie="rue de la Roquette",
                               complement_service="Service formation")
    rich_offer(make, organisme)
    simple_offer(make, intitule="Anglais professionnel", objectif="Parler anglais au travail")
    simple_offer(make, organisme, intitule="Module de remise à niveau", type="module", module_autonome=True)
    first = client.get("/lheo/offre.xml", headers=enable_partner(app)).data
    assert_valid(first)
    folder = tmp_path / "base_b"
    folder.mkdir()
    other = create_app(app_config(make_database(backend, request, folder), folder))
    with other.app_context():
        report = import_lheo(BytesIO(first), "carif-a")
        assert report.problems == [] and report.counts["actions_creees"] == 3, report.summary()
        imported = list(db.session.scalars(select(Action).order_by(Action.numero)))
        assert {(a.controle, a.publication, a.last_actor) for a in imported} == {("a_controler", "en_redaction",
                                                                                 "Import LHEO")}
        for action in imported:
            publish(action)
        second = other.test_client().get("/lheo/offre.xml", headers=enable_partner(other)).data
        assert_valid(second)
        assert normalised(second) == normalised(first)
        before, stamps = history_count(), sorted(db.session.scalars(select(Action.updated_at)))
        again = import_lheo(BytesIO(first), "carif-a")
        assert again.changed == 0 and again.counts["actions_inchangees"] == 3, again.summary()
        assert history_count() == before
        assert sorted(db.session.scalars(select(Action.updated_at))) == stamps
        db.session.remove()
        db.engine.dispose()


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_changed_feed_updates_and_sends_back_to_control(app, client, make):
    """A changed feed updates the action (back to À contrôler, still Diffusable for partners) and
    archives the imported sessions it no longer holds; history records the import as author."""
    feed = _two_session_feed()
    report = import_lheo(BytesIO(feed), "of-systeme")
    assert report.counts["sessions_creees"] == 2
    action = db.session.scalar(select(Action).where(Action.identifiant_externe == "FORM-1"))
    publish(action)
    changed = feed.replace(b"Soudure TIG", b"Soudure TIG et MIG").replace(
        b'<session numero="S-2">', b'<session numero="S-3">')
    report = import_lheo(BytesIO(changed), "of-systeme")
    assert report.counts["actions_mises_a_jour"] == 1 and report.counts["sessions_archivees"] == 1
    db.session.expire_all()
    assert (action.intitule, action.controle, action.publication) == ("Soudure TIG et MIG", "a_controler", "diffusable")
    assert {s.identifiant_externe: s.archivee for s in action.sessions} == {"S-1": False, "S-2": True, "S-3": False}
    rows = db.session.scalars(select(History).where(History.entity == "action", History.field == "intitule")).all()
    assert rows and rows[-1].actor_label == "Import LHEO"
    feed_out = client.get("/lheo/offre.xml", headers=enable_partner(app)).data
    assert b"<intitule-formation>Soudure TIG</intitule-formation>" in feed_out
    # the visé content's sessions that are still live: S-1 (S-2 archived since, S-3 not visé yet)
    assert numeros(assert_valid(feed_out), "session") == [s.numero for s in action.sessions
                                                           if s.identifiant_externe == "S-1"]


def test_anotea_sample_imports_valid_parts_and_reports_the_rest(app):
    """The real-world Intercarif sample: its organisme, action and session are imported; the
    coordonneFs typo, both 15-digit SIRETs and the element-order error are reported."""
    report = import_lheo(str(ANOTEA), "intercarif")
    assert report.fatal is None
    assert report.counts["actions_creees"] == 1 and report.counts["sessions_creees"] == 1
    action = db.session.scalar(select(Action).where(Action.identifiant_externe == "F_XX_XX"))
    assert (action.intitule, action.controle, action.publication) == ("Développeur web", "a_controler", "en_redaction")
    organisme = action.organisme
    assert (organisme.raison_sociale, organisme.nom_usuel, organisme.siret, organisme.nda) == (
        "Centre de formation Anotéa", "Anotea Formation", None, "24930181111")
    assert (organisme.code_postal, organisme.ville, organisme.etat) == ("93100", "Montreuil", "brouillon")
    session = action.sessions[0]
    assert (session.date_debut, session.date_fin, session.duree_totale) == (date(2017, 10, 30), date(2018, 6, 1), 697)
    assert session.lieu.code_postal == "75019" and session.heures_entreprise == 112
    by_line = {p.line: p for p in report.problems}
    assert "coordonneFs" in by_line[14].path and "inconnu du format LHEO" in by_line[14].message
    for line in (434, 521):
        assert by_line[line].path.endswith("/SIRET") and "15 caractères, maximum 14" in by_line[line].message
    assert by_line[528].path.endswith("coordonnees/adresse") and "ordre des éléments" in by_line[528].message
    assert all(p.formation == "F_XX_XX" and p.message for p in report.problems)
    before = history_count()
    again = import_lheo(str(ANOTEA), "intercarif")
    assert again.changed == 0 and history_count() == before


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_invalid_formations_are_reported_and_valid_ones_kept(app):
    """A 2.2 feed mixing a valid formation, one outside Ile-de-France, one with impossible dates,
    then truncated: each problem is reported with its line; the valid formation is imported."""
    feed = _two_session_feed(namespace=b"http://www.lheo.org/2.2")
    outside = feed.replace(b"FORM-1", b"FORM-2").replace(b"93100", b"29000").replace(b"<departement>93", b"<departement>29")
    bad_dates = feed.replace(b"FORM-1", b"FORM-3").replace(b"<fin>20270630</fin>", b"<fin>20261231</fin>")
    bad_dates = bad_dates.replace(b"<fin>20271231</fin>", b"<fin>2027-12-31</fin>")
    body = b"".join(_formations(f) for f in (feed, outside, bad_dates))
    document = feed.split(b"<formation")[0] + body + b"<formation numero='cut'><domaine-formation>"
    report = import_lheo(BytesIO(document), "mixte")
    assert report.counts["actions_creees"] == 1 and report.counts["formations_rejetees"] == 2
    assert db.session.scalar(select(Action.identifiant_externe)) == "FORM-1"
    messages = [(p.formation, p.message) for p in report.problems]
    assert any(f == "FORM-2" and "Ile-de-France" in m for f, m in messages)
    assert any(f == "FORM-3" and "postérieure" in m for f, m in messages)
    assert any(f == "FORM-3" and "format invalide" in m for f, m in messages)
    assert report.fatal and "mal formé" in report.fatal
    assert all(p.line for p in report.problems)


def test_cli_import_prints_the_report(app, tmp_path):
    """flask lheo-import FILE --source NAME imports and lists every rejected element."""
    path = Path(tmp_path) / "flux.xml"
    path.write_bytes(ANOTEA.read_bytes())
    result = app.test_cli_runner().invoke(args=["lheo-import", str(path), "--source", "anotea"])
    assert result.exit_code == 0, result.output
    assert "actions créées : 1" in result.output and "ligne 14" in result.output
    assert db.session.scalar(select(func.count()).select_from(Organisme)) == 1
    assert db.session.scalar(select(func.count()).select_from(Session)) == 1
    missing = app.test_cli_runner().invoke(args=["lheo-import", str(path), "--source", ""])
    assert missing.exit_code != 0


def _formations(feed: bytes) -> bytes:
    return b"<formation" + feed.split(b"<formation", 1)[1].rsplit(b"</offres>", 1)[0]


def _two_session_feed(namespace: bytes = b"http://lheo.gouv.fr/2.3") -> bytes:
    """A minimal valid feed of one formation with two sessions in Montreuil."""
    session = """<session numero="{n}"><periode><debut>{d}</debut><fin>{f}</fin></periode>
      <adresse-inscription><adresse><ligne>-</ligne><codepostal>93100</codepostal><ville>Montreuil</ville></adresse>
      </adresse-inscription><etat-recrutement>1</etat-recrutement></session>"""
    sessions = session.format(n="S-1", d="20270104", f="20270630") + session.format(n="S-2", d="20270901", f="20271231")
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<lheo xmlns="{namespace.decode()}"><offres><formation numero="FORM-1">
  <domaine-formation><code-NSF>254</code-NSF></domaine-formation>
  <intitule-formation>Soudure TIG</intitule-formation><objectif-formation>Souder</objectif-formation>
  <resultats-attendus>Titre</resultats-attendus><contenu-formation>Ateliers</contenu-formation>
  <certifiante>0</certifiante><contact-formation><coordonnees><nom>Lemoine</nom></coordonnees></contact-formation>
  <parcours-de-formation>1</parcours-de-formation><code-niveau-entree>3</code-niveau-entree>
  <action numero="A-1"><rythme-formation>Temps plein</rythme-formation>
    <code-public-vise ref="V12">83056</code-public-vise><niveau-entree-obligatoire>0</niveau-entree-obligatoire>
    <modalites-alternance>-</modalites-alternance><modalites-enseignement>0</modalites-enseignement>
    <conditions-specifiques>-</conditions-specifiques><prise-en-charge-frais-possible>0</prise-en-charge-frais-possible>
    <lieu-de-formation><coordonnees><adresse><denomination>Atelier</denomination><ligne>3 rue des Forges</ligne>
      <codepostal>93100</codepostal><ville>Montreuil</ville><departement>93</departement></adresse></coordonnees>
    </lieu-de-formation><modalites-entrees-sorties>0</modalites-entrees-sorties>
    {sessions}<nombre-heures-total>400</nombre-heures-total></action>
  <organisme-formation-responsable numero="ORG-1"><numero-activite>11755555575</numero-activite>
    <SIRET-organisme-formation><SIRET>73282932000074</SIRET></SIRET-organisme-formation>
    <nom-organisme>Forges de l'Est</nom-organisme><raison-sociale>Forges de l'Est SARL</raison-sociale>
    <coordonnees-organisme><coordonnees><courriel>contact@forges.example</courriel></coordonnees></coordonnees-organisme>
    <contact-organisme><coordonnees><nom>Lemoine</nom></coordonnees></contact-organisme>
  </organisme-formation-responsable></formation></offres></lheo>""".encode()
