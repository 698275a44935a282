"""Recherche d'organisme: the screen's criteria, scoped, each organisme once, paged, linked to its fiche."""
import html
import re

import pytest

from backoffice.extensions import db
from backoffice.services import organisme_queries as oq
from tests.conftest import login


@pytest.fixture
def orgs(make):
    """Four organismes of every type, with actions that make each action criterion discriminating."""
    rncp = make.certification(code_rncp="RNCP35000")
    rs_only = make.certification(code_rncp=None, code_rs="RS5000")
    p1, p2 = make.programme(financeur_code="2"), make.programme(financeur_code="5")
    o = {
        "greta": make.organisme(raison_sociale="GRETA Val-de-Marne", nom_usuel="Greta 94"),
        "opco": make.organisme(raison_sociale="OPCO Atlas", nom_usuel=None, est_organisme_formation=False,
                               est_financeur=True, type_financeur_code="13"),
        "mediateur": make.organisme(raison_sociale="Mission locale de Créteil", nom_usuel="ML Créteil",
                                    est_mediateur=True),
        "draft": make.organisme(raison_sociale="Nouveau centre", etat="brouillon"),
    }
    # greta: two conventionnées certifiantes of programme 1 -> must be listed once
    make.action(o["greta"], conventionnee=True, programme=p1, certifications=[rncp])
    make.action(o["greta"], conventionnee=True, programme=p1, certifications=[rncp])
    # opco: one non-conventionnée, certified by an RS only (not RNCP)
    make.action(o["opco"], certifications=[rs_only])
    # mediateur: a conventionnée of programme 2 without certification, and a non-conventionnée RNCP one
    make.action(o["mediateur"], conventionnee=True, programme=p2)
    make.action(o["mediateur"], certifications=[rncp])
    o["p1"], o["p2"] = p1, p2
    return o


def _find(o, user, **args):
    criteria = oq.parse_criteria(args)
    assert not criteria.errors, criteria.errors
    page = oq.search_organismes(db.session, user, criteria, page_size=50)
    numeros = [row.numero for row in page.rows]
    assert len(numeros) == len(set(numeros)), "an organisme is listed twice"
    names = {v.numero: k for k, v in o.items() if hasattr(v, "numero")}
    return {names[n] for n in numeros}


def test_each_criterion_and_their_combinations(orgs, make):
    """Every criterion of the screen, alone and combined; action criteria hold for one action."""
    doc = make.user("documentaliste")
    everyone = {"greta", "opco", "mediateur", "draft"}
    assert _find(orgs, doc) == everyone
    assert _find(orgs, doc, identifiant=orgs["opco"].numero.lower()) == {"opco"}
    assert _find(orgs, doc, identifiant=str(int(orgs["draft"].numero[3:]))) == {"draft"}
    assert _find(orgs, doc, nom="créteil") == {"mediateur"}
    assert _find(orgs, doc, nom="greta 94") == {"greta"}  # nom usuel
    assert _find(orgs, doc, formation="1") == {"greta", "mediateur", "draft"}
    assert _find(orgs, doc, financeur="1") == {"opco"}
    assert _find(orgs, doc, mediateur="1", formation="1") == {"mediateur"}
    assert _find(orgs, doc, type_financeur="13") == {"opco"}
    assert _find(orgs, doc, conventionnee="oui") == {"greta", "mediateur"}
    assert _find(orgs, doc, conventionnee="non") == {"opco", "mediateur"}
    assert _find(orgs, doc, programme=str(orgs["p1"].id)) == {"greta"}
    assert _find(orgs, doc, certifiant="oui") == {"greta", "mediateur"}
    assert _find(orgs, doc, certifiant="non") == {"opco", "mediateur"}
    # the same action must be conventionnée AND certifiante: the mediateur has each on a different one
    assert _find(orgs, doc, conventionnee="oui", certifiant="oui") == {"greta"}
    assert _find(orgs, doc, conventionnee="non", certifiant="non") == {"opco"}
    assert _find(orgs, doc, programme=str(orgs["p2"].id), certifiant="non") == {"mediateur"}
    assert _find(orgs, doc, programme=str(orgs["p1"].id), certifiant="non") == set()
    assert _find(orgs, doc, liste="organismes_brouillon") == {"draft"}
    assert _find(orgs, doc, nom="zzz") == set()
    bad = oq.parse_criteria({"identifiant": "AF_0000000001", "programme": "x"})
    assert dict(bad.errors).keys() == {"identifiant", "programme_id"} and bad.identifiant == ""


def test_scope_and_paging(orgs, make):
    """An organisme user finds only its organismes; pages are disjoint and complete, without COUNT."""
    user = make.user("organisme", organismes=[orgs["greta"], orgs["draft"]])
    assert _find(orgs, user) == {"greta", "draft"}
    assert _find(orgs, user, nom="OPCO") == set()
    assert _find(orgs, user, certifiant="oui") == {"greta"}
    # "non" is tested per organisme (organisme_queries._one_action): still within the user's actions
    assert _find(orgs, user, certifiant="non") == set()
    assert _find(orgs, make.user("organisme", organismes=[orgs["mediateur"]]), certifiant="non") == {"mediateur"}
    assert _find(orgs, user, liste="organismes_brouillon") == {"draft"}
    doc = make.user("documentaliste")
    criteria = oq.parse_criteria({})
    seen, page_number = [], 0
    while True:
        page = oq.search_organismes(db.session, doc, criteria, page=page_number, page_size=3)
        seen += [row.numero for row in page.rows]
        if not page.has_next:
            break
        page_number += 1
    assert page_number == 1 and len(seen) == len(set(seen)) == 4


def test_screen_labels_results_links_and_access(client, orgs, make):
    """The screen has its French labels; results link to the fiche; financeurs are refused; anonymous log in."""
    assert client.get("/admin/recherche-organismes/").status_code == 302
    login(client, make.user("documentaliste").identifiant)
    body = html.unescape(client.get("/admin/recherche-organismes/").get_data(as_text=True))
    for label in ("Recherche d'organisme", "REINITIALISER", "RECHERCHER", "Critères d'organismes",
                  "Critères d'actions de formation", "Identifiant Dokelio", "Nom", "Organisme de formation",
                  "Organisme financeur", "Médiateur", "Financier", "Type de financeur", "Action non conventionnée",
                  "Action conventionnée", "Indifférent", "Conventionnement", "Intitulé programme",
                  "Diplômant / certifiant (inscrit au RNCP)", "Oui", "Non", "Rechercher un organisme"):
        assert label in body, label
    assert 'id="resultats"' not in body  # nothing listed before RECHERCHER
    body = client.get("/admin/recherche-organismes/", query_string={
        "rechercher": "1", "conventionnee": "oui", "certifiant": "oui"}).get_data(as_text=True)
    links = re.findall(r'<a href="([^"]+)">(OF_\d{10})</a>', body)
    assert [n for _, n in links] == [orgs["greta"].numero]
    assert client.get(html.unescape(links[0][0])).status_code == 200
    assert 'value="oui" checked' in body  # the criteria stay on screen
    body = client.get("/admin/recherche-organismes/", query_string={
        "rechercher": "1", "identifiant": "AF_12"}).get_data(as_text=True)
    assert "OF_ suivi de 10 chiffres" in body
    body = client.get("/admin/recherche-organismes/?rechercher=1&nom=zzz").get_data(as_text=True)
    assert "Aucun organisme ne correspond" in body
    client.post("/deconnexion")
    login(client, make.user("organisme", organismes=[orgs["opco"]]).identifiant)
    body = client.get("/admin/recherche-organismes/?rechercher=1").get_data(as_text=True)
    assert re.findall(r"OF_\d{10}</a>", body) == [f"{orgs['opco'].numero}</a>"]
    client.post("/deconnexion")
    login(client, make.user("financeur").identifiant)
    assert client.get("/admin/recherche-organismes/?rechercher=1").status_code == 403
