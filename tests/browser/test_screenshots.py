"""Screens for a reviewer's eyes: a documentaliste's and an organisme's main screens on the demo base,
photographed in Chromium at 1366×768 into test-artifacts/<test name>/ (gitignored). The test checks that
each picture was taken at that size and is not blank (a page that did not draw gives a small, uniform PNG).

Documentaliste: tableau de bord, file de contrôle, fiche action (légende ouverte) et son onglet SESSION,
historique de la fiche, fiche organisme et ses onglets, programmes, journal, aide.
Organisme: tableau de bord, ses actions, une fiche, le bloc apprentissage d'une session, Mon compte.
"""
import struct
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from backoffice.extensions import db
from backoffice.help.entries import ENTRIES
from backoffice.models import Action, Dispositif, Organisme
from tests.browser.steps import log_in

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("backend", ["postgresql"], indirect=True)]

WIDTH, HEIGHT = 1366, 768
MIN_BYTES = 15_000  # a 1366×768 page with text and a menu weighs well above; a blank one a few kB


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from the PNG's IHDR chunk."""
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", path
    return struct.unpack(">II", header[16:24])


class Camera:
    def __init__(self, page, folder: Path):
        self.page, self.folder, self.taken = page, folder, []

    def shot(self, name: str) -> None:
        self.page.wait_for_load_state("networkidle")
        path = self.folder / f"{len(self.taken) + 1:02d}-{name}.png"
        self.page.screenshot(path=str(path))
        self.taken.append(path)

    def visit(self, url: str, name: str) -> None:
        self.page.goto(url)
        self.shot(name)




def test_main_screens_of_a_documentaliste_and_an_organisme(page, live_server, demo_password, artifacts):
    page.set_viewport_size({"width": WIDTH, "height": HEIGHT})
    page.set_default_timeout(15000)
    camera = Camera(page, artifacts)

    # the documentaliste (demo account cmartin1)
    log_in(page, "cmartin1", demo_password)
    camera.shot("documentaliste-tableau-de-bord")
    camera.visit("/admin/actions/?liste=a_controler", "documentaliste-file-de-controle")
    action = db.session.scalars(select(Action).join(Organisme).where(Organisme.nom_usuel.is_not(None))
                                .order_by(Action.id)).first()
    page.goto(f"/admin/actions/edit/?id={action.id}")
    page.keyboard.press("Tab")  # the skip link shows on focus: photographed once, at the top of a fiche
    camera.shot("documentaliste-lien-evitement")
    page.locator("#legende-fiche summary").click()
    page.locator("#legende-fiche").scroll_into_view_if_needed()
    camera.shot("documentaliste-fiche-action-legende")
    camera.visit(f"/admin/actions/edit/?id={action.id}&onglet=session", "documentaliste-fiche-onglet-session")
    page.goto(f"/admin/actions/edit/?id={action.id}")
    history = page.locator("#fiche-entete a", has_text="Historique").get_attribute("href")
    camera.visit(history, "documentaliste-historique")
    camera.visit(f"/admin/organismes/edit/?id={action.organisme_id}", "documentaliste-fiche-organisme")
    tabs = page.locator("[role=tablist] [role=tab]")  # identité, adresses, contacts, actions
    for n in range(1, tabs.count()):
        tabs.nth(n).click()
        camera.shot(f"documentaliste-fiche-organisme-onglet-{n + 1}")
    camera.visit("/admin/programmes/", "documentaliste-programmes")
    camera.visit("/admin/journal/", "documentaliste-journal")
    camera.visit("/aide/", "documentaliste-aide")
    camera.visit(f"/aide/{ENTRIES[0].slug}", "documentaliste-page-aide")

    # the organisme (demo account jdupont1)
    page.context.clear_cookies()
    log_in(page, "jdupont1", demo_password)
    camera.shot("organisme-tableau-de-bord")
    camera.visit("/admin/actions/", "organisme-actions")
    page.locator("a[title='Ouvrir la fiche']").first.click()
    page.wait_for_url("**/admin/actions/edit/**")
    camera.shot("organisme-fiche-action")
    own = page.url.split("id=")[1].split("&")[0]
    apprenticeship = db.session.scalars(select(Dispositif).where(Dispositif.apprentissage.is_(True))).first()
    page.goto(f"/admin/sessions/new/?action_id={own}")
    page.click("#s2id_dispositif")
    page.keyboard.type(apprenticeship.libelle)
    page.locator(".select2-result-label", has_text=apprenticeship.libelle).first.click()
    block = page.locator("fieldset[data-apprentissage]")
    expect(block).to_be_visible()
    block.scroll_into_view_if_needed()
    camera.shot("organisme-session-bloc-apprentissage")
    camera.visit("/admin/compte/", "organisme-mon-compte")

    assert len(camera.taken) >= 15, camera.taken
    for path in camera.taken:
        assert png_size(path) == (WIDTH, HEIGHT), path
        assert path.stat().st_size > MIN_BYTES, f"{path.name} : {path.stat().st_size} octets, page vide ?"
