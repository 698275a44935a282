"""GÉRER SES PROGRAMMES in a real Chromium: a documentaliste reaches the screen from the menu, creates a
programme (financeur and dispositif picked in Select2, lock boxes ticked), sees its policy in the list,
and the organisme user of a conventionnée action of that programme finds exactly those session fields
read-only; axe-core finds no serious violation on the programme's form. Screenshots (1366×768) in
test-artifacts/<test name>/."""
import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect
from sqlalchemy import select

from backoffice.extensions import db
from backoffice.models import Dispositif, Programme
from tests.browser.steps import log_in, pick

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("backend", ["postgresql"], indirect=True)]


def _serious_violations(page) -> list[str]:
    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a",
                                                                             "wcag21aa"]},
                                       "resultTypes": ["violations"]})
    return [f"{v['id']}: {v['help']}" for v in results.response["violations"] if v["impact"] in ("serious", "critical")]


def test_locks_ticked_on_the_programme_screen_apply_to_the_organismes_sessions(page, live_server, make, unique,
                                                                               artifacts):
    dispositif = Dispositif(code=f"PJ_{unique.upper()}", libelle=f"Dispositif du parcours {unique}")
    db.session.add(dispositif)
    db.session.commit()
    doc = make.user("documentaliste", identifiant=f"docprog{unique}")
    page.set_viewport_size({"width": 1366, "height": 768})
    page.set_default_timeout(15000)
    log_in(page, doc.identifiant)

    page.click("text=Gérer ses programmes")
    with page.expect_navigation():
        page.click("a.dropdown-item:has-text('Programmes')")
    page.goto(f"{live_server}/admin/programmes/new/")
    page.fill("#code", f"PJ-{unique.upper()}")
    page.fill("#intitule", f"Programme du parcours {unique}")
    pick(page, "financeur", "Conseil régional")
    pick(page, "dispositif", f"Dispositif du parcours {unique}")
    page.fill("#annee", "2032")
    page.get_by_role("checkbox", name="Date de fin").uncheck()  # ticked by default with Date de début
    page.get_by_role("checkbox", name="Durée totale (heures)").check()
    expect(page.get_by_role("checkbox", name="Date de début")).to_be_checked()
    assert _serious_violations(page) == []
    page.screenshot(path=str(artifacts / "01-programme-verrous.png"), full_page=True)
    with page.expect_navigation():
        page.click("input[type=submit][value='Enregistrer']")
    expect(page.locator(".alert-success")).to_contain_text(f"Programme « Programme du parcours {unique} (2032) » créé")
    row = page.locator("tr", has_text=f"PJ-{unique.upper()}")
    expect(row).to_contain_text("Date de début, Durée totale (heures)")
    page.screenshot(path=str(artifacts / "02-liste-des-programmes.png"), full_page=True)

    programme = db.session.scalars(select(Programme).where(Programme.code == f"PJ-{unique.upper()}")).one()
    assert programme.champs_verrouilles == "date_debut,duree_totale" and programme.financeur_code == "2"
    organisme = make.organisme(nom_usuel=f"OF Programme {unique}")
    action = make.action(organisme, conventionnee=True, programme=programme)
    sess = make.session(action, dispositif_id=dispositif.id)
    of_user = make.user("organisme", organismes=[organisme], identifiant=f"ofprog{unique}")
    page.context.clear_cookies()
    log_in(page, of_user.identifiant)
    expect(page.locator("text=Gérer ses programmes")).to_have_count(0)
    page.goto(f"{live_server}/admin/sessions/edit/?id={sess.id}")
    for name in ("date_debut", "duree_totale"):
        expect(page.locator(f"#{name}")).to_have_attribute("readonly", "")
    for name in ("date_fin", "heures_centre"):
        expect(page.locator(f"#{name}")).not_to_have_attribute("readonly", "")
    page.screenshot(path=str(artifacts / "03-session-verrouillee.png"), full_page=True)
