"""Votre tableau de bord: counters per role and scope, named lists, filters, links, cost."""
import html
import re
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from dateutil.relativedelta import relativedelta
from flask import url_for
from sqlalchemy import event, select
from werkzeug.routing import BuildError

from backoffice.admin_views.dashboard import today_paris
from backoffice.extensions import db
from backoffice.models import Action, Formacode, Nsf
from backoffice.services import offer_queries as oq
from tests.conftest import login

TODAY = date(2027, 3, 15)


def _ending_on(archiving_day: date) -> date:
    """A last-session end whose automatic archiving falls on `archiving_day`."""
    return archiving_day - relativedelta(months=1)


@pytest.fixture
def world(make):
    """Two organismes with actions in every counted state, a brouillon organisme, two programmes."""
    a, b = make.organisme(nom_usuel="Alpha Formation"), make.organisme(nom_usuel="Beta Conseil")
    a_draft = make.organisme(nom_usuel="Alpha Annexe", etat="brouillon")
    make.organisme(nom_usuel="Gamma", etat="brouillon")  # nobody's: only documentalists count it
    p1, p2 = make.programme(financeur_code="2"), make.programme(financeur_code="5")
    t = datetime(2027, 1, 1)
    w = {"a": a, "b": b, "a_draft": a_draft, "p1": p1, "p2": p2}
    w["a_redac"] = make.action(a)
    w["a_ctrl_old"] = make.action(a, controle="a_controler", publication="en_redaction", soumis_le=t)
    w["a_ctrl_new"] = make.action(a, controle="a_controler", publication="en_redaction",
                                  soumis_le=t + timedelta(days=3))
    w["a_ctrl_arch"] = make.action(a, controle="a_controler", publication="archive", etat_fiche="archive",
                                   soumis_le=t - timedelta(days=9))
    w["a_modif"] = make.action(a, controle="a_modifier", publication="en_redaction")
    w["a_soon"] = make.action(a, controle="vise", publication="diffusable")
    w["a_later"] = make.action(a, controle="vise", publication="diffusable")
    w["a_conv"] = make.action(a, controle="vise", publication="diffusable", conventionnee=True, programme=p1)
    w["b_redac"] = make.action(b)
    w["b_modif"] = make.action(b, controle="a_modifier", publication="en_redaction")
    w["b_conv"] = make.action(b, conventionnee=True, programme=p2)
    w["b_conv_ctrl"] = make.action(b, controle="a_controler", publication="en_redaction", conventionnee=True,
                                   programme=p1, soumis_le=t + timedelta(days=1))
    w["b_soon"] = make.action(b, controle="vise", publication="diffusable")
    soon = _ending_on(TODAY + timedelta(days=4))
    make.session(w["a_soon"], date_debut=soon - timedelta(days=30), date_fin=soon)
    make.session(w["a_soon"], date_debut=soon, date_fin=soon + timedelta(days=200), archivee=True)  # ignored
    make.session(w["a_later"], date_debut=soon - timedelta(days=30), date_fin=soon)
    make.session(w["a_later"], date_debut=soon, date_fin=soon + timedelta(days=60))  # postpones archiving
    make.session(w["b_soon"], date_debut=soon - timedelta(days=60), date_fin=_ending_on(TODAY + timedelta(days=10)))
    w["users"] = {
        "organisme": make.user("organisme", organismes=[a, a_draft]),
        "organisme_b": make.user("organisme", organismes=[b]),
        "documentaliste": make.user("documentaliste"),
        "financeur": make.user("financeur", financeur_code="2"),
    }
    return w


def _ids(w, *names):
    return {w[n].id for n in names}


A_ALL = ("a_redac", "a_ctrl_old", "a_ctrl_new", "a_ctrl_arch", "a_modif", "a_soon", "a_later", "a_conv")
B_ALL = ("b_redac", "b_modif", "b_conv", "b_conv_ctrl", "b_soon")


def _expected(w):
    """Hand-computed sets: role -> counter key -> action ids (or organisme count)."""
    # Données à modifier: submitted or to correct, not archived (help/content_offer.py: gone once visé)
    return {
        "organisme": {"toute_offre": _ids(w, *A_ALL), "saisies_en_cours": _ids(w, "a_redac"),
                      "organismes_brouillon": 1,
                      "donnees_a_modifier": _ids(w, "a_modif", "a_ctrl_old", "a_ctrl_new")},
        "organisme_b": {"toute_offre": _ids(w, *B_ALL), "saisies_en_cours": _ids(w, "b_redac", "b_conv"),
                        "organismes_brouillon": 0, "donnees_a_modifier": _ids(w, "b_modif", "b_conv_ctrl")},
        "documentaliste": {"toute_offre": _ids(w, *A_ALL, *B_ALL),
                           "saisies_en_cours": _ids(w, "a_redac", "b_redac", "b_conv"),
                           "organismes_brouillon": 2,
                           "donnees_a_modifier": _ids(w, "a_modif", "b_modif", "a_ctrl_old", "a_ctrl_new",
                                                      "b_conv_ctrl"),
                           "a_controler": _ids(w, "a_ctrl_old", "a_ctrl_new", "b_conv_ctrl"),
                           "archivage_10_jours": _ids(w, "a_soon", "b_soon")},
        "financeur": {"conventionnees": _ids(w, "a_conv", "b_conv_ctrl")},
    }


def _list_ids(user, key, today=TODAY):
    query = oq.apply_named_list(select(Action.id), key, user, today)
    return set(db.session.scalars(query))


def test_counters_match_hand_computed_sets_for_each_role(world):
    """Each role gets its counters, in order, equal to hand-computed sets; scope is never crossed."""
    for role, expected in _expected(world).items():
        user = world["users"][role]
        got = {c.key: c.count for c in oq.counters(db.session, user, TODAY)}
        assert list(got) == list(expected), role
        for key, want in expected.items():
            assert got[key] == (want if isinstance(want, int) else len(want)), (role, key)
            if not isinstance(want, int):
                # the list behind the counter holds exactly the counted actions
                assert _list_ids(user, key) == want, (role, key)


def test_control_queue_is_oldest_first_and_archiving_window_is_exact(world, make):
    """à contrôler sorts by soumis_le ascending; archivage covers archiving dates today..today+10 only."""
    doc = world["users"]["documentaliste"]
    query = oq.apply_named_list(select(Action.id), "a_controler", doc, TODAY).order_by(
        *oq.named_list_order("a_controler"))
    assert list(db.session.scalars(query)) == [world[n].id for n in ("a_ctrl_old", "b_conv_ctrl", "a_ctrl_new")]
    o = world["b"]
    edge = {}
    for offset in (-1, 0, 10, 11):
        action = make.action(o, controle="vise", publication="diffusable")
        end = _ending_on(TODAY + timedelta(days=offset))
        make.session(action, date_debut=end - timedelta(days=10), date_fin=end)
        edge[offset] = action.id
    not_diffusable = make.action(o, controle="a_controler", publication="en_redaction")
    make.session(not_diffusable, date_debut=TODAY - timedelta(days=60), date_fin=_ending_on(TODAY))
    got = _list_ids(doc, "archivage_10_jours")
    assert {edge[0], edge[10]} <= got
    assert not {edge[-1], edge[11], not_diffusable.id} & got
    # ends on 28 to 31 January all archive on 28 February: counted from that day, 27 January is past
    month_end = {}
    for day in (27, 28, 31):
        action = make.action(o, controle="vise", publication="diffusable")
        make.session(action, date_debut=date(2027, 1, 2), date_fin=date(2027, 1, day))
        month_end[day] = action.id
    got = _list_ids(doc, "archivage_10_jours", today=date(2027, 2, 28))
    assert {month_end[28], month_end[31]} <= got and month_end[27] not in got


def test_filters_narrow_the_counters_and_combine(world, make):
    """Each dashboard filter narrows the actions; several filters are ANDed; same-session criteria."""
    doc = world["users"]["documentaliste"]
    b = world["b"]
    seine = make.adresse(b, libelle="Saint-Denis", code_postal="93200", ville="Saint-Denis",
                         departement_code="93", region_code="11")
    make.session(world["b_redac"], lieu=seine, duree_totale=Decimal("120"))
    make.session(world["b_modif"], lieu=seine, duree_totale=Decimal("600"))
    paris = make.adresse(b, libelle="Paris 11")
    make.session(world["b_modif"], lieu=paris, duree_totale=Decimal("120"))  # 120 h, but not in the 93
    world["b_redac"].source = "LHEO Carif Bretagne"
    formacode = db.session.scalars(select(Formacode).order_by(Formacode.code)).first()
    nsf = db.session.scalars(select(Nsf).order_by(Nsf.code)).first()
    world["a_modif"].formacodes = [formacode]
    world["b_conv"].nsfs = [nsf]
    db.session.commit()

    def ids(**args):
        filters = oq.parse_filters(args)
        assert not filters.errors
        query = select(Action.id).where(oq.search_filters_condition(filters))
        return set(db.session.scalars(query))

    all_ids = _ids(world, *A_ALL, *B_ALL)
    assert ids() == all_ids
    assert ids(f_of="alpha") == _ids(world, *A_ALL)
    assert ids(f_of="BETA co") == _ids(world, *B_ALL)
    assert ids(f_conv="oui") == _ids(world, "a_conv", "b_conv", "b_conv_ctrl")
    assert ids(f_conv="non") == all_ids - _ids(world, "a_conv", "b_conv", "b_conv_ctrl")
    assert ids(f_programme=str(world["p1"].id)) == _ids(world, "a_conv", "b_conv_ctrl")
    assert ids(f_source="LHEO Carif Bretagne") == _ids(world, "b_redac")
    assert ids(f_dept="93") == _ids(world, "b_redac", "b_modif")
    assert ids(f_region="11", f_duree_min="100", f_duree_max="150") == _ids(world, "b_redac", "b_modif")
    assert ids(f_dept="93", f_duree_max="150") == _ids(world, "b_redac")  # same session only
    assert ids(f_duree_min="500,5") == _ids(world, "b_modif")
    assert ids(f_domaine=formacode.code) == _ids(world, "a_modif")
    assert ids(f_domaine=nsf.libelle[:6].lower()) >= _ids(world, "b_conv")
    assert ids(f_of="beta", f_conv="oui", f_programme=str(world["p1"].id)) == _ids(world, "b_conv_ctrl")
    assert ids(f_of="100%_") == set()  # LIKE wildcards typed by the user are literal
    # the filtered counters and apply_dashboard_filters agree with the condition
    filtered = {c.key: c.count for c in oq.counters(db.session, doc, TODAY, oq.parse_filters({"f_of": "beta"}))}
    assert filtered["toute_offre"] == len(B_ALL)
    assert filtered["organismes_brouillon"] == 2  # organismes are not filtered by action criteria
    applied = oq.apply_dashboard_filters(select(Action.id), {"f_dept": "93", "page": "2"})
    assert set(db.session.scalars(applied)) == _ids(world, "b_redac", "b_modif")


def _counter_links(body: str) -> dict[str, tuple[str | None, int]]:
    """key -> (link or None, count) of each counter row of the page."""
    result = {}
    for key, row in re.findall(r'<tr id="compteur-([a-z_0-9]+)">(.*?)</tr>', body, re.S):
        link = re.search(r'<a href="([^"]+)" class="compteur">', row)
        count = int(re.search(r'class="compteur">(\d+)<', row).group(1))
        result[key] = (link.group(1).replace("&amp;", "&") if link else None, count)
    return result


def _actions_list_registered(app) -> bool:
    with app.test_request_context():
        try:
            url_for(oq.ACTIONS_ENDPOINT)
            return True
        except BuildError:
            return False


def test_dashboard_page_per_role(client, world, make):
    """Home page: the counters' labels and counts for each role; others get a simple page; anonymous, the login."""
    assert client.get("/admin/").status_code == 302
    login(client, world["users"]["organisme"].identifiant)
    body = html.unescape(client.get("/admin/").get_data(as_text=True))
    for label in ("Tableau de bord - Organisme(s) de formation", "Recherche", "Actions de formation",
                  "Organismes de formation", "Rechercher :", "RECHERCHER", "Filtres", "Nom usuel de l'OF",
                  "Action non conventionnée", "Action conventionnée", "Indifférent", "Programme", "Source",
                  "Région", "Département", "Durée totale (en heures)", "Domaines",
                  "Afficher toute l'offre de formation", "Saisies en cours",
                  "Organismes de formation en brouillon", "Données à modifier", "Votre tableau de bord"):
        assert label in body, label
    assert "Actions à contrôler" not in body
    assert re.search(r'id="compteur-toute_offre".*?>8<', body, re.S)
    client.post("/deconnexion")
    login(client, world["users"]["documentaliste"].identifiant)
    body = client.get("/admin/tableau-de-bord/").get_data(as_text=True)
    assert "Actions à contrôler" in body and "Archivage automatique dans les 10 jours" in body
    assert re.search(r'id="compteur-toute_offre".*?>13<', body, re.S)
    # the brouillon counter leads to the documentalists' validation queue, which lists exactly those
    link = _counter_links(body)["organismes_brouillon"]
    assert link == ("/admin/preinscriptions/", 2)
    queue = client.get(link[0]).get_data(as_text=True)
    assert world["a_draft"].numero in queue and world["a"].numero not in queue
    client.post("/deconnexion")
    login(client, world["users"]["financeur"].identifiant)
    body = client.get("/admin/").get_data(as_text=True)
    assert "Actions conventionnées de vos programmes" in body and 'value="organismes"' not in body
    client.post("/deconnexion")
    for role in ("support", "admin"):
        login(client, make.user(role).identifiant)
        response = client.get("/admin/")
        assert response.status_code == 200 and "Tableau de bord" not in response.get_data(as_text=True)
        assert client.get("/admin/tableau-de-bord/").status_code == 403
        client.post("/deconnexion")


def test_counter_links_list_exactly_the_counted_records(client, world, app):
    """Following each counter shows exactly the counted records (organisme user and documentaliste)."""
    login(client, world["users"]["organisme"].identifiant)
    links = _counter_links(client.get("/admin/").get_data(as_text=True))
    href, count = links["organismes_brouillon"]
    page = client.get(href).get_data(as_text=True)
    results = page.split('id="resultats"')[-1]
    assert count == 1 and world["a_draft"].numero in results and world["a"].numero not in results
    if not _actions_list_registered(app):
        pytest.skip("the actions list (endpoint 'actions') is not there yet: conditions are tested directly")
    numeros = {a.id: a.numero for a in db.session.scalars(select(Action))}
    for role in ("organisme", "documentaliste"):
        if role != "organisme":
            client.post("/deconnexion")
            login(client, world["users"][role].identifiant)
            links = _counter_links(client.get("/admin/").get_data(as_text=True))
        expected = _expected(world)[role]
        for key, want in expected.items():
            if isinstance(want, int):
                continue
            href, count = links[key]
            body = client.get(href + "&page_size=100").get_data(as_text=True)
            shown = {i for i, n in numeros.items() if n in body}
            if key != "archivage_10_jours":  # computed for today, not TODAY
                assert shown == want and count == len(want), (role, key)
            else:
                assert count == len(shown), (role, key)
            if key == "a_controler":  # the control queue, oldest submission first
                queue = [world[n].numero for n in ("a_ctrl_old", "b_conv_ctrl", "a_ctrl_new")]
                assert [body.index(n) for n in queue] == sorted(body.index(n) for n in queue)


def test_search_box_and_filter_form_lead_to_their_lists(client, world, app):
    """RECHERCHER sends to the organisme search or the actions list; a bad filter value gets a French message."""
    login(client, world["users"]["documentaliste"].identifiant)
    r = client.get("/admin/tableau-de-bord/rechercher", query_string={"cible": "organismes",
                                                                       "texte": world["a"].numero.lower()})
    assert r.status_code == 302 and f"identifiant={world['a'].numero}" in r.location
    r = client.get("/admin/tableau-de-bord/rechercher", query_string={"cible": "organismes", "texte": "Alpha"})
    assert "nom=Alpha" in r.location and "rechercher=1" in r.location
    results = client.get(r.location).get_data(as_text=True)
    assert world["a"].numero in results and world["b"].numero not in results
    r = client.get("/admin/tableau-de-bord/rechercher", query_string={"cible": "actions", "texte": "Action"})
    assert r.status_code == 302
    if _actions_list_registered(app):
        assert "liste=toute_offre" in r.location and "search=Action" in r.location
    r = client.get("/admin/", query_string={"f_of": "beta", "f_duree_min": "beaucoup", "f_conv": "oui"})
    body = r.get_data(as_text=True)
    assert r.status_code == 200 and "La durée totale doit être un nombre d'heures" in html.unescape(body)
    # valid filters narrow the counters, and their links carry the filters
    body = client.get("/admin/", query_string={"f_of": "beta", "f_conv": "oui"}).get_data(as_text=True)
    assert re.search(r'id="compteur-toute_offre".*?>2<', body, re.S)
    r = client.get("/admin/", query_string={"f_of": "beta", "f_conv": "oui", "f_source": "", "afficher": "actions"})
    if _actions_list_registered(app):
        assert r.status_code == 302 and "liste=toute_offre" in r.location and "f_of=beta" in r.location
        assert "f_conv=oui" in r.location and "f_source" not in r.location
        links = _counter_links(body)
        assert "f_of=beta" in links["toute_offre"][0]
    # financeurs may not reach the organisme search through the box
    client.post("/deconnexion")
    login(client, world["users"]["financeur"].identifiant)
    assert client.get("/admin/tableau-de-bord/rechercher?cible=organismes&texte=x").status_code == 403


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_dashboard_statement_count_is_bounded_and_cached(client, world, make, app):
    """A visit runs a bounded number of statements, not growing with the data. Revisits read no
    action row: an organisme user's figures are reused until anything is written, the whole
    base's for DASHBOARD_WHOLE_BASE_SECONDS (the page says when they were computed)."""
    statements = []

    def record(conn, cursor, statement, *args):
        # the logged-in user's own load depends on the test client's shared session: not counted
        if not statement.startswith("SELECT users."):
            statements.append(statement)

    def visit():
        statements.clear()
        body = client.get("/admin/").get_data(as_text=True)
        return list(statements), body

    def reads_actions(run):
        return [s for s in run if re.search(r"FROM action\b", s)]

    login(client, world["users"]["organisme"].identifiant)
    event.listen(db.engine, "before_cursor_execute", record)
    try:
        first, _ = visit()
        second, _ = visit()
        make.action(world["a"], controle="a_modifier", publication="en_redaction")
        third, body = visit()
        assert len(first) <= 7 and len(reads_actions(first)) == 2, first  # counters + Source choices
        assert len(second) == 1 and not reads_actions(second), second  # the generation probe only
        assert len(third) == len(first) and re.search(r'id="compteur-donnees_a_modifier".*?>4<', body, re.S)
        assert 'id="chiffres-du"' not in body
        client.post("/deconnexion")
        login(client, world["users"]["documentaliste"].identifiant)
        first, body = visit()
        for _ in range(30):
            make.action(world["b"], controle="a_controler", publication="en_redaction")
        second, stale = visit()
        app.extensions["backoffice.dashboard_cache"].whole_base_max_age = 0
        third, fresh = visit()
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert len(first) <= 7 and 'id="chiffres-du"' in body
    assert second == [] and re.search(r'id="compteur-a_controler".*?>3<', stale, re.S)
    assert len(third) == len(first) and re.search(r'id="compteur-a_controler".*?>33<', fresh, re.S)


def test_today_is_a_paris_date():
    """The dashboard's today is the calendar date in Paris."""
    assert abs((today_paris() - date.today()).days) <= 1
