"""Partner API: a page of offers is built in a fixed, small number of statements (api/queries.py
offers_json: the published versions in one, lheo_data's bulk look-ups, the labels in one)."""
from sqlalchemy import event, select

from backoffice.extensions import db
from backoffice.models import EtatRecrutement, PublicVise
from tests.lheo_helpers import rich_offer, simple_offer

# count, page ids, published versions, 3 referentials (lheo_data.Lookups), labels, organismes,
# certifications, blocs, contacts, live sessions
MAX_STATEMENTS = 12


def _statements(client, url: str) -> tuple[int, dict]:
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        response = client.get(url)
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert response.status_code == 200, response.get_data(as_text=True)
    return len(statements), response.get_json()


def test_a_page_of_offers_takes_the_same_few_statements_whatever_its_size(app, client, make):
    offers = [rich_offer(make) for _ in range(3)] + [simple_offer(make, intitule=f"Paie {n}") for n in range(3)]
    client.get("/api/v1/offres")  # warm-up: what is loaded once per process
    one, page = _statements(client, "/api/v1/offres?par_page=1")
    six, whole = _statements(client, "/api/v1/offres?par_page=6")
    assert len(page["resultats"]) == 1 and [o["numero"] for o in whole["resultats"]] == sorted(a.numero for a in offers)
    assert one == six <= MAX_STATEMENTS
    # the labels still come from their tables (read together in one statement)
    publics = dict(db.session.execute(select(PublicVise.code, PublicVise.libelle)).all())
    etats = dict(db.session.execute(select(EtatRecrutement.code, EtatRecrutement.libelle)).all())
    rich = whole["resultats"][0]
    assert rich["publics"] and all(p["libelle"] == publics[p["code"]] for p in rich["publics"])
    assert all(s["etat_recrutement"]["libelle"] == etats[s["etat_recrutement"]["code"]] for s in rich["sessions"])
    assert rich["sessions"][0]["etat_recrutement"]["libelle"]
