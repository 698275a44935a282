"""bench.generate on PostgreSQL: a small generated base keeps the back-office's rules, fills every
LHEO field in realistic shares, and stores for each visé action exactly what VISER would store.

One base (scale 0.001: 50 organismes, 400 actions, 1,200 sessions) is generated for the module and
dropped afterwards.
"""
import json
import re
import uuid

import psycopg
import pytest
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from backoffice import create_app
from backoffice.export import coverage, lheo_data
from backoffice.export.feed import write_feed
from backoffice.export.lheo_format import parse_partial_date
from backoffice.extensions import db
from backoffice.models import Action, Organisme, Session
from backoffice.rules import check_action_content, check_session_content, validate_siret
from backoffice.services import organisme_publication, publication
from bench import generate
from bench.pgutil import db_url, drop_database, sqlalchemy_url

pytestmark = pytest.mark.postgres_only

SCALE = 0.001


@pytest.fixture(scope="module")
def bench_db():
    name = f"bo_bench_t_{uuid.uuid4().hex[:10]}"
    try:
        summary = generate.generate(name, SCALE)
        yield name, summary
    finally:
        drop_database(name)


@pytest.fixture(scope="module")
def conn(bench_db):
    with psycopg.connect(db_url(bench_db[0])) as connection:
        yield connection


@pytest.fixture(scope="module")
def bench_app(bench_db):
    app = create_app({"SQLALCHEMY_DATABASE_URI": sqlalchemy_url(bench_db[0]), "TESTING": True, "SECRET_KEY": "t"})
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def _first_difference(stored, expected, path="") -> str:
    if isinstance(stored, dict) and isinstance(expected, dict):
        for key in sorted(set(stored) | set(expected)):
            if stored.get(key, "<absent>") != expected.get(key, "<absent>"):
                return _first_difference(stored.get(key, "<absent>"), expected.get(key, "<absent>"), f"{path}.{key}")
    if isinstance(stored, list) and isinstance(expected, list) and len(stored) == len(expected):
        for i, (a, b) in enumerate(zip(stored, expected, strict=True)):
            if a != b:
                return _first_difference(a, b, f"{path}[{i}]")
    return f"{path}: stored {stored!r}, snapshot {expected!r}"


def test_published_version_is_what_viser_stores(bench_app, conn):
    """Every diffusable (and every other visé) action's stored version_publiee equals, as a dict,
    publication.snapshot() of the action loaded through the ORM, and is its publication.dumps() text."""
    actions = db.session.scalars(
        select(Action).where(Action.vise_le.is_not(None)).order_by(Action.id).options(
            selectinload(Action.certifications), selectinload(Action.blocs), selectinload(Action.formacodes),
            selectinload(Action.nsfs), selectinload(Action.romes), selectinload(Action.publics),
            selectinload(Action.langues), selectinload(Action.modalites_pedagogiques_codes),
            selectinload(Action.contact),
            selectinload(Action.sessions).options(selectinload(Session.lieu), selectinload(Session.contact),
                                                  selectinload(Session.adresse_inscription),
                                                  selectinload(Session.adresse_information),
                                                  selectinload(Session.financeurs)))).all()
    diffusable = [a for a in actions if a.publication == "diffusable"]
    assert len(diffusable) > 150
    assert sum(len(json.loads(a.version_publiee)["sessions"]) for a in diffusable) > 300
    for action in actions:
        expected = publication.snapshot(action)
        stored = json.loads(action.version_publiee)
        assert stored == expected, f"{action.numero}: {_first_difference(stored, expected)}"
        assert action.version_publiee == publication.dumps(expected)
    not_vise = conn.execute("SELECT count(*) FROM action WHERE vise_le IS NULL AND version_publiee IS NOT NULL")
    assert not_vise.fetchone()[0] == 0


def test_published_fiche_of_the_organismes(bench_app):
    """A validated organisme stores what VISER's twin for organismes would (organisme_publication:
    its fiche and contact principal), except the few with an edit waiting for validation, whose
    published fiche differs by its telephone only; the others have no published fiche and no
    action."""
    organismes = db.session.scalars(select(Organisme).options(selectinload(Organisme.contacts))).all()
    with_action = set(db.session.scalars(select(Action.organisme_id).distinct()))
    for organisme in organismes:
        if organisme.etat != "valide":
            assert organisme.version_publiee is None and organisme.id not in with_action, organisme.numero
            continue
        stored, expected = json.loads(organisme.version_publiee), organisme_publication.snapshot(organisme)
        if organisme.modifications_a_valider:
            assert {k for k in expected if stored[k] != expected[k]} == {"telephone"}, organisme.numero
        else:
            assert stored == expected, f"{organisme.numero}: {_first_difference(stored, expected)}"
            assert organisme.version_publiee == publication.dumps(expected)
    assert any(json.loads(o.version_publiee)["contact_principal"] for o in organismes if o.version_publiee)


def test_generated_content_passes_the_content_rules(bench_app):
    """Each action and each session passes backoffice.rules' checks of the LHEO content (codes,
    lengths, URLs, prices, LHEO dates, subcontracting SIRET and UAI, funders)."""
    actions = db.session.scalars(select(Action).options(
        selectinload(Action.publics), selectinload(Action.langues), selectinload(Action.romes),
        selectinload(Action.modalites_pedagogiques_codes),
        selectinload(Action.sessions).selectinload(Session.financeurs))).all()
    for action in actions:
        values = {c: getattr(action, c) for c in Action.__table__.columns.keys()}
        counts = {name: len(getattr(action, name)) for name in ("publics", "langues", "romes",
                                                                 "modalites_pedagogiques_codes")}
        assert check_action_content(values, counts) == [], action.numero
        assert 1 <= counts["publics"] <= 3, action.numero
        for session in action.sessions:
            values = {c: getattr(session, c) for c in Session.__table__.columns.keys()}
            rows = [(f.financeur_code, f.nb_places) for f in session.financeurs]
            assert check_session_content(values, rows) == [], session.numero


def test_addresses_name_a_commune_and_training_places_are_in_the_region(conn):
    """Every address (and organisme) names a seeded commune: its INSEE code, one of its postal
    codes, its name, département and région; every session held somewhere is in Île-de-France."""
    wrong = conn.execute("""
        SELECT a.id FROM adresse a LEFT JOIN commune c ON c.code_insee = a.code_insee
         WHERE c.code_insee IS NULL OR a.ville <> c.nom OR a.departement_code IS DISTINCT FROM c.departement_code
            OR a.region_code IS DISTINCT FROM c.region_code
            OR NOT EXISTS (SELECT 1 FROM commune_code_postal p
                            WHERE p.code_insee = a.code_insee AND p.code_postal = a.code_postal)""").fetchall()
    assert wrong == []
    wrong = conn.execute("""
        SELECT o.id FROM organisme o LEFT JOIN commune c ON c.code_insee = o.code_insee
         WHERE c.code_insee IS NULL OR o.ville <> c.nom OR o.region_code IS DISTINCT FROM c.region_code""").fetchall()
    assert wrong == []
    outside = conn.execute("""
        SELECT s.numero FROM session s JOIN adresse a ON a.id = s.lieu_id WHERE a.region_code <> '11'""").fetchall()
    assert outside == []
    geolocated, total = conn.execute("SELECT count(latitude), count(*) FROM adresse").fetchone()
    assert 0 < geolocated < total


def test_records_a_session_or_action_points_to_belong_to_its_organisme(conn):
    """Session addresses and contacts, action contacts are the organisme's own; blocs belong to
    the action's certifications and go with validation-blocs; a code CPF exactly on the
    CPF-eligible certifications; funders of a conventionnée's session include its programme's."""
    assert conn.execute("""
        SELECT count(*) FROM session s JOIN action x ON x.id = s.action_id
          LEFT JOIN adresse l ON l.id = s.lieu_id LEFT JOIN adresse i ON i.id = s.adresse_inscription_id
          LEFT JOIN adresse f ON f.id = s.adresse_information_id LEFT JOIN contact c ON c.id = s.contact_id
         WHERE l.organisme_id <> x.organisme_id OR i.organisme_id <> x.organisme_id
            OR f.organisme_id <> x.organisme_id OR c.organisme_id <> x.organisme_id""").fetchone()[0] == 0
    assert conn.execute("""
        SELECT count(*) FROM action x JOIN contact c ON c.id = x.contact_id
         WHERE c.organisme_id <> x.organisme_id""").fetchone()[0] == 0
    assert conn.execute("""
        SELECT count(*) FROM action_bloc_competences ab JOIN bloc_competences b ON b.id = ab.bloc_id
         WHERE NOT EXISTS (SELECT 1 FROM action_certification ac
                            WHERE ac.action_id = ab.action_id AND ac.certification_id = b.certification_id)
        """).fetchone()[0] == 0
    assert conn.execute("""
        SELECT count(*) FROM action x WHERE (x.validation_blocs IS NOT NULL)
           <> EXISTS (SELECT 1 FROM action_bloc_competences ab WHERE ab.action_id = x.id)""").fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM certification WHERE eligible_cpf <> (code_cpf IS NOT NULL)"
                        ).fetchone()[0] == 0
    codes = [r[0] for r in conn.execute("SELECT code FROM bloc_competences b JOIN certification c "
                                        "ON c.id = b.certification_id WHERE c.code_rncp IS NULL")]
    assert codes == []
    assert all(re.fullmatch(r"RNCP\d+BC\d{2}", r[0]) for r in conn.execute("SELECT code FROM bloc_competences"))
    assert conn.execute("""
        SELECT count(*) FROM session_financeur f JOIN session s ON s.id = f.session_id
          JOIN action x ON x.id = s.action_id JOIN programme p ON p.id = x.programme_id
         GROUP BY s.id HAVING bool_or(f.financeur_code = p.financeur_code) IS FALSE""").fetchall() == []
    sirets = [r[0] for r in conn.execute("SELECT siret FROM organisme UNION ALL SELECT formateur_siret FROM session "
                                         "WHERE formateur_siret IS NOT NULL")]
    assert [s for s in sirets if validate_siret(s)] == []


def test_partial_dates_are_stored_as_the_period_they_cover(conn):
    """A session date known to the month starts on the 1st or ends on the last day of its month,
    one known to the year on 1 January or 31 December; only imported actions' sessions have them."""
    rows = conn.execute("""
        SELECT s.date_debut, s.debut_precision, s.date_fin, s.fin_precision, x.source
          FROM session s JOIN action x ON x.id = s.action_id
         WHERE s.debut_precision <> 'jour' OR s.fin_precision <> 'jour'""").fetchall()
    assert rows
    for debut, debut_precision, fin, fin_precision, source in rows:
        assert source is not None
        assert debut.day == 1 and (debut_precision == "mois" or debut.month == 1)
        if fin_precision == "mois":
            assert parse_partial_date(f"{fin:%Y%m}00").last == fin
        elif fin_precision == "annee":
            assert (fin.month, fin.day) == (12, 31)


# column (or link table) -> the share of its rows that should be filled, roughly
SHARES = {
    "session.prix_total_ttc": (0.6, 0.95), "session.prix_horaire_ttc": (0.2, 0.7),
    "session.frais_restants": (0.05, 0.4), "session.detail_prise_en_charge": (0.15, 0.6),
    "session.modalites_inscription": (0.2, 0.6), "session.inscription_debut": (0.2, 0.5),
    "session.dates_information": (0.1, 0.4), "session.adresse_inscription_id": (0.2, 0.5),
    "session.adresse_information_id": (0.1, 0.4), "session.contact_id": (0.35, 0.75),
    "session.url_session": (0.05, 0.4), "session.formateur_siret": (0.005, 0.1),
    "session.modalites_alternance": (0.03, 0.4), "session.rythme_formation": (0.6, 0.99),
    "action.acces_handicapes": (0.6, 0.9), "action.modalites_recrutement": (0.45, 0.75),
    "action.modalites_pedagogiques": (0.4, 0.7), "action.url_formation": (0.25, 0.65),
    "action.url_action": (0.1, 0.4), "action.validation_blocs": (0.02, 0.4),
}


@pytest.mark.parametrize("column", sorted(SHARES))
def test_each_field_is_filled_in_a_realistic_share(conn, column):
    """The new fields are in use, but not on every row."""
    table, name = column.split(".")
    filled, total = conn.execute(f"SELECT count({name}), count(*) FROM {table}").fetchone()
    low, high = SHARES[column]
    assert low <= filled / total <= high, f"{column}: {filled} of {total}"


def test_collections_and_funders_are_in_use(conn):
    """Languages, ROME codes, modalités pédagogiques, blocs and funders (with places) are linked."""
    actions = conn.execute("SELECT count(*) FROM action").fetchone()[0]
    for table in ("action_langue", "action_rome", "action_modalite_pedagogique", "action_bloc_competences"):
        linked = conn.execute(f"SELECT count(DISTINCT action_id) FROM {table}").fetchone()[0]
        assert 0 < linked < actions, table
    with_places, funders = conn.execute("SELECT count(nb_places), count(*) FROM session_financeur").fetchone()
    assert 0 < with_places < funders


def test_full_feed_of_the_generated_base(bench_app, conn, tmp_path):
    """The full LHEO feed of the generated base holds every diffusable action with a session
    left (none is incomplete), is valid against LHEO 2.3, repeats no identifier, and carries
    every element of the coverage table somewhere, none on every formation but the mandatory."""
    path = tmp_path / "offre.xml"
    with open(path, "wb") as out:
        written = write_feed(out, lheo_data.diffusable_offers(db.engine))
    expected = conn.execute("""
        SELECT count(*) FROM action x WHERE x.publication = 'diffusable'
           AND EXISTS (SELECT 1 FROM session s WHERE s.action_id = x.id AND NOT s.archivee)""").fetchone()[0]
    report = coverage.measure(str(path), validate=True)
    assert report.error is None
    assert report.duplicates == {}
    assert report.formations == written == expected
    assert report.sessions > report.formations
    unused = [element for element in coverage.ELEMENTS if report.carrying[element] == 0]
    assert unused == []
    everywhere = {element for element in coverage.ELEMENTS if report.carrying[element] == report.formations}
    assert everywhere <= {"code-public-vise", "adresse-inscription", "modalites-alternance", "code-INSEE-commune"}
