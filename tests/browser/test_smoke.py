"""Smoke journeys in a real Chromium; screenshots in test-artifacts/<test>/.

- A documentaliste logs in, lists the actions, finds one with the list's
  search box, opens its fiche and edits one of its sessions from the SESSION tab.
- An organisme user logs in and sees only their own offer; typing another
  organisme's action URL gives an error page, never that organisme's data.
"""
from decimal import Decimal
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from backoffice.extensions import db
from backoffice.models import Dispositif, Session
from tests.browser.steps import log_in

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("backend", ["postgresql"], indirect=True)]



def click_and_wait(page, selector: str):
    with page.expect_navigation():
        page.click(selector)


def test_documentaliste_lists_actions_opens_a_fiche_and_edits_a_session(page, live_server, make, unique, artifacts):
    """Documentaliste: actions list -> search -> fiche -> SESSION tab -> session form -> saved."""
    organisme = make.organisme(nom_usuel=f"OF Smoke {unique}")
    action = make.action(organisme, intitule=f"Action smoke {unique}")
    dispositif = db.session.scalars(select(Dispositif).where(Dispositif.apprentissage.is_(False))
                                    .order_by(Dispositif.id)).first()
    session = make.session(action, duree_totale=Decimal("350"), dispositif=dispositif)
    documentaliste = make.user("documentaliste")
    page.set_default_timeout(15000)

    log_in(page, documentaliste.identifiant)
    page.goto("/admin/actions/")
    expect(page.locator("table.model-list")).to_be_visible()
    page.screenshot(path=str(artifacts / "01-liste-actions.png"), full_page=True)

    page.fill("input[name=search]", action.numero)
    with page.expect_navigation():
        page.press("input[name=search]", "Enter")
    expect(page.get_by_text(f"Action smoke {unique}")).to_be_visible()
    click_and_wait(page, "a[title='Ouvrir la fiche']")
    expect(page.locator(".numero")).to_have_text(action.numero)
    page.screenshot(path=str(artifacts / "02-fiche-action.png"), full_page=True)

    click_and_wait(page, "#onglet-session")
    row = page.locator(f"#session-{session.numero}")
    expect(row).to_contain_text("350")
    click_and_wait(page, f"#session-{session.numero} a")
    expect(page.locator("#session-form")).to_be_visible()
    page.fill("#duree_totale", "420")
    page.screenshot(path=str(artifacts / "03-session.png"), full_page=True)
    click_and_wait(page, "#btn-enregistrer-session")

    expect(page.locator(f"#session-{session.numero}")).to_contain_text("420")
    page.screenshot(path=str(artifacts / "04-session-enregistree.png"), full_page=True)
    db.session.expire_all()
    assert db.session.get(Session, session.id).duree_totale == Decimal("420")


def test_organisme_user_sees_only_own_offer_and_an_error_for_another_organismes_action(
        page, live_server, make, unique, artifacts):
    """OF user: only their actions are listed; another organisme's fiche URL answers an error page."""
    own = make.organisme(nom_usuel=f"OF Mien {unique}")
    other = make.organisme(nom_usuel=f"OF Autre {unique}")
    own_action = make.action(own, intitule=f"Offre a moi {unique}")
    other_action = make.action(other, intitule=f"Offre d'un autre {unique}")
    user = make.user("organisme", organismes=[own])
    page.set_default_timeout(15000)

    log_in(page, user.identifiant)
    page.goto("/admin/actions/")
    expect(page.get_by_text(own_action.intitule)).to_be_visible()
    listed = page.content()
    assert other_action.intitule not in listed and other_action.numero not in listed
    page.screenshot(path=str(artifacts / "01-mon-offre.png"), full_page=True)

    # the URL of the user's own fiche, as the list links it, with the other organisme's id typed in
    href = page.locator("a[title='Ouvrir la fiche']").first.get_attribute("href")
    parts = urlsplit(href)
    query = parse_qs(parts.query)
    assert query["id"] == [str(own_action.id)]
    query["id"] = [str(other_action.id)]
    typed = urlunsplit(("", "", parts.path, urlencode(query, doseq=True), ""))
    response = page.goto(typed)
    assert response.status in (403, 404)
    shown = page.content()
    assert other_action.intitule not in shown and other_action.numero not in shown
    assert f"OF Autre {unique}" not in shown
    page.screenshot(path=str(artifacts / "02-url-d-un-autre.png"), full_page=True)

    # the same user still reaches their own fiche afterwards
    page.goto(href)
    expect(page.locator(".numero")).to_have_text(own_action.numero)
