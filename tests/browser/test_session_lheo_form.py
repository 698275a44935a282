"""The session fiche's LHEO blocks in a real Chromium, under the app's Content-Security-Policy: partial dates
typed as users know them, an address picked in the organisme's carnet, funders added as rows with the
"Ajouter" button (Flask-Admin's inline rows), and a refused price shown at its field; screenshots in
test-artifacts/<test name>/."""
from datetime import date
from decimal import Decimal

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from backoffice.extensions import db
from backoffice.models import Dispositif
from backoffice.models import Session as FormationSession
from tests.browser.steps import log_in, pick

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("backend", ["postgresql"], indirect=True)]



def test_session_form_partial_dates_carnet_address_and_funder_rows(page, live_server, make, unique, artifacts):
    """An organisme user creates a session with a start known to the month, an inscription address from its
    carnet and two funders added as rows; a negative price is shown at its field; the dates come back as typed."""
    organisme = make.organisme(nom_usuel=f"OF Sessions {unique}")
    make.adresse(organisme, libelle=f"Site {unique}")
    make.adresse(organisme, libelle=f"Inscriptions {unique}", voie="rue de la Gare", numero_voie="3")
    action = make.action(organisme)
    user = make.user("organisme", organismes=[organisme], identifiant=f"ofsess{unique}")
    dispositif = db.session.scalars(select(Dispositif).where(Dispositif.apprentissage.is_(False))).first()
    page.set_default_timeout(15000)
    log_in(page, user.identifiant)

    page.goto(f"{live_server}/admin/sessions/new/?action_id={action.id}")
    page.fill("#date_debut", "09/2027")
    page.fill("#date_fin", "30/06/2028")
    page.fill("#duree_totale", "600")
    pick(page, "lieu", f"Site {unique}")
    pick(page, "adresse_inscription", f"Inscriptions {unique}")
    pick(page, "dispositif", dispositif.libelle)
    page.fill("#rythme_formation", "Temps plein")
    page.fill("#prix_total_ttc", "-10")
    for row, (financeur, places) in enumerate((("Conseil régional", "10"), ("Pôle emploi", "4"))):
        page.click("#financeurs-button")
        pick(page, f"financeurs-{row}-financeur", financeur)
        page.fill(f"#financeurs-{row}-nb_places", places)
    page.screenshot(path=str(artifacts / "01-saisie.png"), full_page=True)
    with page.expect_navigation():
        page.click("#btn-enregistrer-session")

    message = page.locator("#prix_total_ttc ~ .invalid-feedback")
    expect(message).to_be_visible()
    expect(message).to_contain_text("Le prix total TTC ne peut pas être négatif.")
    expect(page.locator("#date_debut")).to_have_value("09/2027")  # what was typed is kept
    page.screenshot(path=str(artifacts / "02-prix-refuse.png"), full_page=True)
    page.fill("#prix_total_ttc", "1 250,50")
    with page.expect_navigation():
        page.click("#btn-enregistrer-session")
    expect(page.locator("#liste-sessions tr.session")).to_have_count(1)
    expect(page.locator("#liste-sessions")).to_contain_text("09/2027")

    db.session.expire_all()
    sess = db.session.scalars(select(FormationSession).where(FormationSession.action_id == action.id)).one()
    assert (sess.date_debut, sess.debut_precision, sess.prix_total_ttc) == (date(2027, 9, 1), "mois", Decimal("1250.50"))
    assert sess.adresse_inscription.libelle == f"Inscriptions {unique}"
    assert {(f.financeur_code, f.nb_places) for f in sess.financeurs} == {("2", 10), ("4", 4)}
    page.goto(f"{live_server}/admin/sessions/edit/?id={sess.id}")
    expect(page.locator("#date_debut")).to_have_value("09/2027")
    expect(page.locator("#prix_total_ttc")).to_have_value("1 250,50")
    page.screenshot(path=str(artifacts / "03-relue.png"), full_page=True)


def test_action_fiche_lheo_blocks_and_conventionnement(page, live_server, make, unique, artifacts):
    """On its conventionnée action, the organisme user reads the programme and the locked session fields, picks
    public visé codes in the multiple select and a ROME code in the referential's search, and saves."""
    organisme = make.organisme(nom_usuel=f"OF Fiche {unique}")
    programme = make.programme(intitule=f"Programme {unique}", financeur_code="2", champs_verrouilles="date_debut")
    action = make.action(organisme, conventionnee=True, programme=programme)
    user = make.user("organisme", organismes=[organisme], identifiant=f"offiche{unique}")
    page.set_default_timeout(15000)
    log_in(page, user.identifiant)
    page.goto(f"{live_server}/admin/actions/edit/?id={action.id}")
    expect(page.locator("#conventionnement")).to_contain_text(f"Programme {unique}")
    expect(page.locator("#champs-verrouilles")).to_have_text("Date de début")
    pick(page, "publics", "80006 - Demandeur d'emploi")
    pick(page, "romes", "G1602")
    page.fill("#url_formation", "https://www.greta-95.fr/cap-cuisine")
    page.screenshot(path=str(artifacts / "01-fiche.png"), full_page=True)
    with page.expect_navigation():
        page.click("#btn-enregistrer")
    db.session.expire_all()
    db.session.refresh(action)
    assert "80006" in {p.code for p in action.publics} and [r.code for r in action.romes] == ["G1602"]
    assert action.url_formation == "https://www.greta-95.fr/cap-cuisine"
