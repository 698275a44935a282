"""The fiche organisme's tabs and « i » bubbles with the keyboard only, in a real Chromium at 1366x768:
Tab reaches each tab, Enter or Space opens it (its panel shown, the others hidden, the URL hash kept),
Tab reaches a bubble whose text shows on focus, Enter keeps it open, Échap closes it; a field is typed and
saved with Enter on the save button; a refused save comes back on the tab holding the error.
Screenshots in test-artifacts/<test name>/."""
import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from backoffice.admin_views.help_bubbles import ORGANISME_BUBBLES
from backoffice.extensions import db
from backoffice.models import Organisme
from tests.browser.steps import log_in

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("backend", ["postgresql"], indirect=True)]

TABS = ("identite", "adresses", "contacts", "actions")
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
               "resultTypes": ["violations"]}


def blocking_violations(page) -> list[str]:
    """axe-core's serious and critical WCAG A/AA violations inside the fiche's tabs (the open panel)."""
    results = Axe().run(page, context=".organisme-onglets", options=AXE_OPTIONS)
    return [f"{v['id']}: {[n['target'] for n in v['nodes']][:3]}" for v in results.response["violations"]
            if v["impact"] in ("serious", "critical")]


def tab_to(page, selector: str, limit: int = 200) -> None:
    """Press Tab, or Shift+Tab when the target comes before the focus, until `selector` has the focus."""
    before = page.evaluate("""s => {
        const target = document.querySelector(s), focus = document.activeElement;
        return !!(focus && focus !== document.body && target
                  && (focus.compareDocumentPosition(target) & Node.DOCUMENT_POSITION_PRECEDING));
    }""", selector)
    key = "Shift+Tab" if before else "Tab"
    for _ in range(limit):
        if page.evaluate("s => !!document.activeElement && document.activeElement.matches(s)", selector):
            return
        page.keyboard.press(key)
    raise AssertionError(f"{selector} never got the focus with {key}")


def shown_panel(page) -> list[str]:
    return page.evaluate("() => Array.from(document.querySelectorAll('[role=tabpanel]'))"
                         ".filter(p => !p.hidden).map(p => p.id)")


def test_tabs_and_bubbles_with_the_keyboard_only(page, live_server, make, unique, artifacts):
    organisme = make.organisme(nom_usuel=f"OF Onglets {unique}")
    for n in range(12):  # more than a carnet page (organisme_tabs.js: 10 rows)
        make.contact(organisme, nom=f"Contact{n:02d}{unique}")
    make.action(organisme, intitule=f"Action des onglets {unique}")
    user = make.user("organisme", organismes=[organisme], identifiant=f"ofongl{unique}")
    page.set_viewport_size({"width": 1366, "height": 768})
    page.set_default_timeout(15000)
    log_in(page, user.identifiant)
    page.goto(f"{live_server}/admin/organismes/edit/?id={organisme.id}")
    expect(page.locator("#tab-identite")).to_have_attribute("aria-selected", "true")
    assert shown_panel(page) == ["panneau-identite"]
    page.screenshot(path=str(artifacts / "fiche-organisme-1366x768.png"))

    # each tab: Tab to it, Enter (or Space) opens it
    for n, key in enumerate(TABS[1:] + ("identite",)):
        tab_to(page, f"#tab-{key}")
        page.keyboard.press("Enter" if n % 2 == 0 else " ")
        expect(page.locator(f"#tab-{key}")).to_have_attribute("aria-selected", "true")
        assert shown_panel(page) == [f"panneau-{key}"], key
        assert page.evaluate("() => location.hash") == f"#onglet-{key}"
        assert blocking_violations(page) == [], key
        if key == "contacts":
            rows = page.locator("#panneau-contacts .inline-field-list > .inline-field")
            expect(rows).to_have_count(12)
            expect(page.locator("#panneau-contacts .carnet-pages-etat")).to_have_text("Lignes 1 à 10 sur 12")
            expect(rows.nth(9)).to_be_visible()
            expect(rows.nth(10)).to_be_hidden()
            tab_to(page, "#panneau-contacts .carnet-pages button:last-child")
            page.keyboard.press("Enter")
            expect(rows.nth(10)).to_be_visible()
            expect(rows.nth(0)).to_be_hidden()
            expect(page.locator("#panneau-contacts .carnet-pages-etat")).to_have_text("Lignes 11 à 12 sur 12")
        if key == "actions":
            expect(page.locator("#actions-organisme")).to_contain_text(f"Action des onglets {unique}")
            page.screenshot(path=str(artifacts / "onglet-actions-1366x768.png"))
    # the arrow keys move between tabs too
    page.keyboard.press("ArrowRight")
    expect(page.locator("#tab-adresses")).to_be_focused()
    page.keyboard.press("ArrowLeft")
    expect(page.locator("#tab-identite")).to_have_attribute("aria-selected", "true")

    # a bubble: its text on focus, kept open by Enter, closed by Échap
    tab_to(page, "#bulle-siret-bouton")
    tooltip = page.locator("#bulle-siret")
    expect(tooltip).to_be_visible()
    expect(tooltip).to_have_text(ORGANISME_BUBBLES["siret"])
    expect(page.locator("#bulle-siret-bouton")).to_have_attribute("aria-label", "Aide : SIRET")
    page.keyboard.press("Enter")
    expect(page.locator("#bulle-siret-bouton")).to_have_attribute("aria-expanded", "true")
    assert blocking_violations(page) == []  # the open bubble too
    page.screenshot(path=str(artifacts / "fiche-organisme-onglets-1366x768.png"))
    page.keyboard.press("Escape")
    expect(tooltip).to_be_hidden()
    expect(page.locator("#bulle-siret-bouton")).to_be_focused()

    # type a field and save, with the keyboard
    tab_to(page, "#nom_usuel")
    page.keyboard.press("Control+A")
    page.keyboard.type(f"OF Clavier {unique}")
    tab_to(page, "input[type=submit][name=_continue_editing]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    db.session.expire_all()
    assert db.session.get(Organisme, organisme.id).nom_usuel == f"OF Clavier {unique}"
    expect(page.locator("#tab-identite")).to_have_attribute("aria-selected", "true")

    # a refused save comes back on the tab of the error, the field focused
    tab_to(page, "#tab-adresses")
    page.keyboard.press("Enter")
    tab_to(page, "#courriel")
    page.keyboard.press("Control+A")
    page.keyboard.type("pas-un-courriel")
    tab_to(page, "input[type=submit][name=_continue_editing]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator("#tab-adresses")).to_have_attribute("aria-selected", "true")
    assert shown_panel(page) == ["panneau-adresses"]
    expect(page.locator("#courriel")).to_be_focused()
    expect(page.locator("#panneau-adresses")).to_contain_text("courriel")
    page.screenshot(path=str(artifacts / "onglet-en-erreur-1366x768.png"))
