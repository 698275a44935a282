"""The session fiche's apprenticeship block in a real Chromium at 1366x768: every box of « Année(s)
apprentissage » can be ticked with a real click (nothing of the next field lies over them), and the
Pré-bac / post-bac select still opens; screenshot in test-artifacts/<test name>/."""
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from backoffice.extensions import db
from backoffice.models import Dispositif
from tests.browser.steps import log_in, pick

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("backend", ["postgresql"], indirect=True)]



def test_every_apprenticeship_year_can_be_ticked(page, live_server, make, unique, artifacts):
    organisme = make.organisme(nom_usuel=f"OF Apprentissage {unique}")
    action = make.action(organisme)
    user = make.user("organisme", organismes=[organisme], identifiant=f"ofappr{unique}")
    dispositif = db.session.scalars(select(Dispositif).where(Dispositif.apprentissage.is_(True))).first()
    assert dispositif is not None, "the seeded referential has an apprenticeship dispositif"
    page.set_viewport_size({"width": 1366, "height": 768})
    page.set_default_timeout(15000)
    log_in(page, user.identifiant)

    page.goto(f"{live_server}/admin/sessions/new/?action_id={action.id}")
    block = page.locator("fieldset[data-apprentissage]")
    expect(block).to_be_hidden()  # no apprenticeship dispositif chosen yet
    pick(page, "dispositif", dispositif.libelle)
    expect(block).to_be_visible()
    boxes = block.locator("input[type=checkbox][name=annees_apprentissage]")
    expect(boxes).to_have_count(5)
    for n in range(5):
        box = boxes.nth(n)
        box.scroll_into_view_if_needed()
        box.click()  # a real click: Playwright refuses it if another element would receive it
        expect(box).to_be_checked()
    for n in range(5):
        label = block.locator(f"label[for={boxes.nth(n).get_attribute('id')}]")
        label.click()  # the label toggles its own box, not the next field
        expect(boxes.nth(n)).not_to_be_checked()
        label.click()
        expect(boxes.nth(n)).to_be_checked()
    page.select_option("#niveau_bac", "post_bac")  # the next field still answers
    expect(page.locator("#niveau_bac")).to_have_value("post_bac")
    expect(boxes.nth(4)).to_be_checked()
    block.scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "apprentissage-1366x768.png"))
