"""Search in French, on both backends: accents and case ignored, each word typed the start
of a word of the record, every word required, the actions found in relevance order (intitulé, then
organisme, then objectif / contenu); a number opens its record; what is typed is literal and a text
the database cannot take answers in French; an organisme user never finds another's rows; and
every writer (ORM, LHEO bulk import, bench generator) keeps the search keys."""
import html
import re
import uuid
from io import BytesIO

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session as OrmSession

from backoffice.extensions import db
from backoffice.lheo_import import import_lheo
from backoffice.models import Action, Organisme
from backoffice.models.search_keys import action_key, organisme_key
from backoffice.rules import SEARCH_MAX
from backoffice.services.search_text import text_condition
from tests.integration import lheo_screen_support
from tests.integration.test_query_counts import grid_statements
from tests.integration.test_search_literal import LITERAL, LOOKALIKE, _filter_groups, as_user, page
from tests.lheo_helpers import simple_offer
from tests.lheo_import_helpers import prepare_riche_referential

TOO_LONG = "x" * 10_000
LONG_MESSAGE = f"La recherche est trop longue : {SEARCH_MAX} caractères au plus."


def actions_found(browser, typed, **args) -> list[str]:
    """The AF_ numbers of the actions list searched for `typed`, in the list's order."""
    body = page(browser, "/admin/actions/", liste="toute_offre", search=typed, **args)
    return [word for word in body.replace('"', " ").replace("<", " ").replace(">", " ").split()
            if word.startswith("AF_") and len(word) == 13]


def row_ids(body: str, endpoint: str) -> set[int]:
    """The ids of the records a list page shows (its rows' links), whatever else the page echoes."""
    return {int(i) for i in re.findall(rf"/admin/{endpoint}/(?:edit|details)/\?id=(\d+)", body)}


def opened(browser, location: str) -> str:
    response = browser.get(location, follow_redirects=True)
    assert response.status_code == 200, location
    return html.unescape(response.get_data(as_text=True))


def unique(numbers: list[str]) -> list[str]:
    return list(dict.fromkeys(numbers))


@pytest.fixture
def offers(make):
    """Offers whose texts carry accents, capitals and ligatures."""
    secretaire = make.action(intitule="Secrétaire médicale", objectif="Préparer le titre")
    electricien = make.action(intitule="Électricien du bâtiment")
    clea = make.action(intitule="Certificat CléA numérique")
    oeuvre = make.action(intitule="Main-d'œuvre qualifiée")
    other = make.action(intitule="Comptabilité générale")
    return secretaire, electricien, clea, oeuvre, other


@pytest.mark.parametrize(("typed", "wanted"), [
    ("secretaire", 0), ("SECRETAIRE", 0), ("secrét", 0), ("Secrétaire MÉDIC", 0), ("electricien", 1),
    ("ELECTRICIEN batiment", 1), ("clea", 2), ("CLÉA", 2), ("oeuvre", 3), ("main-d'oeuvre", 3), ("d'œuvre", 3),
])
def test_accents_case_and_word_starts_in_the_actions_list_and_the_dashboard(app, make, offers, typed, wanted):
    browser = as_user(app, make, "documentaliste")
    for body in (page(browser, "/admin/actions/", liste="toute_offre", search=typed),
                 page(browser, "/admin/tableau-de-bord/rechercher", cible="actions", texte=typed)):
        found = {offer.numero for offer in offers if offer.numero in body}
        assert found == {offers[wanted].numero}, typed


def test_every_word_must_start_a_word(app, make, offers):
    browser = as_user(app, make, "documentaliste")
    secretaire, _electricien, _clea, _oeuvre, _other = offers
    assert secretaire.numero in actions_found(browser, "médicale secrétaire")
    for typed in ("secrétaire comptabilité", "ecretaire", "dicale", "secretaires"):
        assert secretaire.numero not in actions_found(browser, typed), typed


def test_the_actions_found_come_in_relevance_order_unless_sorted(app, make):
    """The word in the intitulé first, then in the organisme's names, then in the objectif or the
    contenu; the list's default order (Modifié le, latest first) would give the reverse."""
    in_title = make.action(intitule="Soudure à l'arc")
    in_organisme = make.action(make.organisme(raison_sociale="Institut de la Soudure"), intitule="Tuyauterie")
    in_contenu = make.action(intitule="Chaudronnerie", contenu="Initiation à la soudure TIG")
    make.action(intitule="Menuiserie")
    browser = as_user(app, make, "documentaliste")
    expected = [in_title.numero, in_organisme.numero, in_contenu.numero]
    assert [n for n in unique(actions_found(browser, "SOUDURE")) if n in expected] == expected
    by_number = [n for n in unique(actions_found(browser, "soudure", sort="0")) if n in expected]
    assert sorted(expected) == sorted(by_number) and len(by_number) == 3


def test_the_other_search_boxes_are_french_too(app, make, client):
    organisme = make.organisme(raison_sociale="Électricité Générale Île-de-France", nom_usuel="EGIF")
    action = simple_offer(make, organisme, intitule="Électricien d'équipement")
    session = action.sessions[0]
    other = simple_offer(make, intitule="Plomberie")
    browser = as_user(app, make, "documentaliste")
    organismes = page(browser, "/admin/organismes/", search="electricite ile")
    assert organisme.numero in organismes and other.organisme.numero not in organismes
    searched = page(browser, "/admin/recherche-organismes/", rechercher="1", nom="ELECTRICITE generale")
    assert organisme.numero in searched and other.organisme.numero not in searched
    sessions = page(browser, "/admin/sessions/", search="electricien")
    assert session.numero in sessions and other.sessions[0].numero not in sessions
    response = client.get("/api/v1/offres", query_string={"q": "electricien equipement"})
    assert [offer["numero"] for offer in response.get_json()["resultats"]] == [action.numero]
    picked = browser.get("/admin/actions/ajax/lookup/", query_string={"name": "organisme", "query": "ELECTRICITE"})
    assert [label for _id, label in picked.get_json()] == [f"{organisme.numero} - EGIF"]


def test_an_organisme_renamed_is_found_by_its_new_name_only(app, make):
    organisme = make.organisme(raison_sociale="Ancien Nom Formation", nom_usuel=None)
    action = make.action(organisme, intitule="Anglais des affaires")
    organisme.raison_sociale = "Nouvelle Académie"
    db.session.commit()
    browser = as_user(app, make, "documentaliste")
    assert action.numero in actions_found(browser, "academie nouvelle")
    assert action.numero in actions_found(browser, "academie anglais")  # words of both parts
    assert action.numero not in actions_found(browser, "ancien")


def test_a_session_number_in_the_dashboard_opens_its_action(app, make):
    organisme = make.organisme()
    action = make.action(organisme)
    session, other = make.session(action), make.session(make.action())
    documentaliste = as_user(app, make, "documentaliste")
    for typed in (session.numero, f" {session.numero.lower()} ", action.numero):
        response = documentaliste.get("/admin/tableau-de-bord/rechercher", query_string={"texte": typed})
        assert response.status_code == 302 and f"id={action.id}" in response.headers["Location"], typed
        assert "/admin/actions/edit/" in response.headers["Location"]
    outsider = as_user(app, make, "organisme", organismes=[other.action.organisme])
    response = outsider.get("/admin/tableau-de-bord/rechercher", query_string={"texte": session.numero})
    assert response.status_code == 302 and "/admin/actions/?" in response.headers["Location"]
    assert action.numero not in opened(outsider, response.headers["Location"])
    own = as_user(app, make, "organisme", organismes=[organisme])
    response = own.get("/admin/tableau-de-bord/rechercher", query_string={"texte": session.numero})
    assert f"id={action.id}" in response.headers["Location"]
    assert action.numero in opened(own, response.headers["Location"])


def test_an_organisme_user_never_finds_another_organismes_rows(app, make):
    mine, theirs = make.organisme(raison_sociale="Mon Centre"), make.organisme(raison_sociale="Leur Centre")
    own, foreign = make.action(mine, intitule="Cariste CACES"), make.action(theirs, intitule="Cariste CACES")
    own_session, foreign_session = make.session(own), make.session(foreign)
    browser = as_user(app, make, "organisme", organismes=[mine])
    for typed in ("cariste", "centre", "CACES cariste", foreign.numero, foreign_session.numero, theirs.numero):
        body = page(browser, "/admin/actions/", liste="toute_offre", search=typed)
        assert foreign.id not in row_ids(body, "actions"), typed
        assert row_ids(page(browser, "/admin/sessions/", search=typed), "sessions") <= {own_session.id}, typed
    assert row_ids(page(browser, "/admin/actions/", liste="toute_offre", search="cariste"), "actions") == {own.id}
    assert row_ids(page(browser, "/admin/sessions/", search="caces"), "sessions") == {own_session.id}
    picked = browser.get("/admin/actions/ajax/lookup/", query_string={"name": "organisme", "query": "centre"})
    labels = [label for _id, label in picked.get_json()]
    assert [label.split(" - ")[0] for label in labels] == [mine.numero]


@pytest.mark.parametrize("typed", ["%", "_", "\\", "50%", "a_b"])
def test_pickers_and_contains_filters_are_literal(app, make, typed):
    """The organisme picker, and the "contient" / "ne contient pas" filters Flask-Admin derives
    from a text column (here the address book's Ville)."""
    literal = make.organisme(raison_sociale="Remise 50% a_b c\\d", nom_usuel=None)
    lookalike = make.organisme(raison_sociale="Remise 50 axb c-d", nom_usuel=None)
    literal_place, lookalike_place = make.adresse(literal, ville=LITERAL), make.adresse(lookalike, ville=LOOKALIKE)
    browser = as_user(app, make, "documentaliste")
    picked = browser.get("/admin/actions/ajax/lookup/", query_string={"name": "organisme", "query": typed})
    labels = [label for _id, label in picked.get_json()]
    assert any("50%" in label for label in labels), typed
    # the picker searches the numbers too: a lone "_" rightly matches every OF_ number
    assert typed == "_" or not any("axb" in label for label in labels), typed
    filters = _filter_groups(page(browser, "/admin/adresses/"))["Ville"]
    for operation, expected in (("contient", {literal_place.id}), ("ne contient pas", {lookalike_place.id})):
        arg = next(f["arg"] for f in filters if f["operation"] == operation)
        found = row_ids(page(browser, "/admin/adresses/", **{f"flt0_{arg}": typed}), "adresses")
        assert found & {literal_place.id, lookalike_place.id} == expected, (typed, operation)


def test_a_nul_byte_or_a_long_text_answers_in_french_never_a_500(app, make, client):
    action = make.action(intitule="Secrétaire")
    browser = as_user(app, make, "documentaliste")
    assert LONG_MESSAGE in page(browser, "/admin/actions/", liste="toute_offre", search=TOO_LONG)
    assert LONG_MESSAGE in page(browser, "/admin/sessions/", search=TOO_LONG)
    assert LONG_MESSAGE in page(browser, "/admin/organismes/", search=TOO_LONG)
    assert LONG_MESSAGE in page(browser, "/admin/journal/", search=TOO_LONG)
    assert LONG_MESSAGE in page(browser, "/admin/tableau-de-bord/rechercher", cible="actions", texte=TOO_LONG)
    assert LONG_MESSAGE in page(browser, "/admin/recherche-organismes/", rechercher="1", nom=TOO_LONG)
    # a NUL byte is dropped at the edge (backoffice/input_guard.py): the rest is searched
    assert action.numero in page(browser, "/admin/actions/", liste="toute_offre", search="secr\x00etaire")
    assert action.numero in page(browser, "/admin/tableau-de-bord/rechercher", texte="\x00secretaire")
    picked = browser.get("/admin/actions/ajax/lookup/", query_string={"name": "organisme", "query": TOO_LONG})
    assert picked.status_code == 200 and picked.get_json() == []
    for q in (TOO_LONG, "secr\x00etaire"):
        response = client.get("/api/v1/offres", query_string={"q": q})
        assert response.status_code == 400 and response.get_json()["parametre"] == "q", q
        assert "Le paramètre « q »" in response.get_json()["erreur"], q


def _keys_as_the_models_compute_them(session) -> tuple[list, list]:
    organismes = {o.id: o for o in session.scalars(select(Organisme))}
    wanted_o = [(o.id, organisme_key({"raison_sociale": o.raison_sociale, "nom_usuel": o.nom_usuel, "siret": o.siret}))
                for o in organismes.values()]
    stored_o = [(o.id, o.search_key) for o in organismes.values()]
    wanted_a, stored_a = [], []
    for action in session.scalars(select(Action)):
        texts = {"intitule": action.intitule, "objectif": action.objectif, "contenu": action.contenu}
        wanted_a.append((action.id, action_key(texts, dict(wanted_o)[action.organisme_id])))
        stored_a.append((action.id, action.search_key))
    return (stored_o, wanted_o), (stored_a, wanted_a)


def test_the_lheo_bulk_import_writes_the_keys_the_models_keep(app, make):
    """New formations written in bulk (COPY on PostgreSQL) are found like any other."""
    prepare_riche_referential()
    report = import_lheo(BytesIO(lheo_screen_support.feed(3)), "ecran", batch_size=2)
    assert report.counts["actions_creees"] == 3
    (stored_o, wanted_o), (stored_a, wanted_a) = _keys_as_the_models_compute_them(db.session)
    assert stored_o == wanted_o and stored_a == wanted_a and len(stored_a) == 3
    imported = db.session.scalars(select(Action)).first()
    word = imported.intitule.split()[0]
    assert imported.numero in actions_found(as_user(app, make, "documentaliste"), word.upper())


@pytest.mark.postgres_only
def test_the_bench_generator_writes_the_keys_the_models_keep():
    """bench/generate.py COPYs its rows without the ORM (bench/rows.py, bench/offer_rows.py)."""
    from bench import generate
    from bench.pgutil import drop_database, sqlalchemy_url

    name = f"bo_bench_k_{uuid.uuid4().hex[:10]}"
    try:
        generate.generate(name, 0.001)
        engine = create_engine(sqlalchemy_url(name))
        with OrmSession(engine) as session:
            (stored_o, wanted_o), (stored_a, wanted_a) = _keys_as_the_models_compute_them(session)
            assert stored_o == wanted_o and stored_a == wanted_a and stored_a
            action = session.scalars(select(Action)).first()
            words = " ".join(action.organisme.raison_sociale.split()[:2]).upper()
            found = session.scalars(select(Action.id).where(text_condition(Action, words))).all()
            assert action.id in found
        engine.dispose()
    finally:
        drop_database(name)


def test_a_searched_grid_page_is_one_statement(app, make):
    """Its rows, their relations, its bounded count and the relevance pool: one statement (the
    logged-in user's apart), searched by words or by a number, on the three searched lists."""
    for n in range(3):
        make.session(make.action(make.organisme(raison_sociale=f"Institut Soudure {n}"), intitule=f"Soudure {n}"))
    action = make.action(intitule="Soudure TIG")
    browser = as_user(app, make, "documentaliste")
    for endpoint, args in (("actions", {"liste": "toute_offre", "search": "SOUDURE institut"}),
                           ("actions", {"liste": "toute_offre", "search": action.numero}),
                           ("sessions", {"search": "soudure"}),
                           ("organismes", {"search": "institut soud"})):
        with grid_statements() as grid:
            found = row_ids(page(browser, f"/admin/{endpoint}/", **args), endpoint)
        assert found and len(grid) == 1, (endpoint, args, grid)
