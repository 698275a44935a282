"""Nothing typed on a fiche is lost, in a real Chromium (screenshots in test-artifacts/<test name>/):
SOUMETTRE on a fiche with typed corrections submits them; a correction the fiche refuses keeps the
fiche on screen with its message, nothing submitted; leaving with unsaved changes (SUIVANT, RETOUR,
closing the tab, the session fiche's way back) asks first, and saying no keeps what was typed."""
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from backoffice import workflow as W
from backoffice.extensions import db
from backoffice.models import Action
from tests.browser.steps import log_in

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("backend", ["postgresql"], indirect=True)]

QUESTION = "Vous avez des modifications non enregistrées. Quitter la fiche sans les enregistrer ?"


class Dialogs:
    """The page's dialogs: each one recorded, then accepted or dismissed as the test says."""

    def __init__(self, page):
        self.seen, self.answer = [], False
        page.on("dialog", self._handle)

    def _handle(self, dialog):
        self.seen.append((dialog.type, dialog.message))
        if self.answer:
            dialog.accept()
        else:
            dialog.dismiss()



def click_and_wait(page, selector: str):
    with page.expect_navigation():
        page.click(selector)


def indicators(page) -> tuple[str, str, str]:
    return tuple(page.inner_text(f"#ind-{name}") for name in ("controle", "publication", "fiche"))


def stored(numero: str) -> Action:
    db.session.expire_all()
    return db.session.scalars(select(Action).where(Action.numero == numero)).one()


def test_typed_corrections_are_submitted_or_kept(page, live_server, make, unique, artifacts):
    """An organisme's fiche opened from its list: SUIVANT with typed text asks, and no stays with it;
    SOUMETTRE submits the typed text; on the next fiche, a blanked intitulé and SOUMETTRE: the message at
    the field, the typed text kept, nothing submitted; RETOUR asks, yes leaves."""
    organisme = make.organisme(nom_usuel=f"OF Saisie {unique}")
    first = make.action(organisme, intitule=f"Saisie {unique} A", objectif="Objectif d'origine")
    second = make.action(organisme, intitule=f"Saisie {unique} B", objectif="Objectif d'origine")
    for action in (first, second):
        make.session(action)
    of_user = make.user("organisme", organismes=[organisme], identifiant=f"ofsaisie{unique}")
    page.set_default_timeout(15000)
    dialogs = Dialogs(page)
    log_in(page, of_user.identifiant)
    page.goto(f"/admin/actions/?search=Saisie+{unique}&sort=1")  # by intitulé: A then B
    click_and_wait(page, "a[title='Ouvrir la fiche'] >> nth=0")
    numero = page.inner_text(".numero")
    page.wait_for_load_state("load")

    # SUIVANT with typed text: asked; "no" stays on the fiche, the text still there
    typed = f"Objectif corrigé {unique} : public, prérequis"
    page.fill("#objectif", typed)
    url = page.url
    page.click("#btn-suivant")
    assert dialogs.seen == [("confirm", QUESTION)]
    page.wait_for_timeout(300)  # a navigation, had it started, would be under way
    assert page.url == url and page.input_value("#objectif") == typed
    page.screenshot(path=str(artifacts / "01-suivant-refuse.png"), full_page=True)

    # SOUMETTRE: no question (the form goes with it), the typed text saved, then submitted
    click_and_wait(page, "#btn-soumettre")
    assert len(dialogs.seen) == 1
    assert indicators(page) == ("À contrôler", "En rédaction", "Créé")
    flashes = " ".join(page.locator(".alert").all_inner_texts())
    assert "Vos modifications de la fiche ont été enregistrées." in flashes
    assert "L'action a été soumise au contrôle." in flashes
    assert page.input_value("#objectif") == typed  # the fiche shows the submitted version
    action = stored(numero)
    assert (action.objectif, action.controle) == (typed, W.Controle.A_CONTROLER)
    page.screenshot(path=str(artifacts / "02-soumise-avec-corrections.png"), full_page=True)

    # the next fiche: SUIVANT without changes does not ask
    click_and_wait(page, "#btn-suivant")
    assert len(dialogs.seen) == 1
    other = page.inner_text(".numero")
    assert other != numero
    page.wait_for_load_state("load")

    # the intitulé blanked, an objectif typed, SOUMETTRE: refused at the field, nothing lost or submitted
    page.fill("#intitule", "")
    page.fill("#objectif", "Texte à ne pas perdre")
    click_and_wait(page, "#btn-soumettre")
    expect(page.locator("#intitule").locator("xpath=..")).to_contain_text("L'intitulé est obligatoire.")
    assert page.input_value("#objectif") == "Texte à ne pas perdre"
    assert indicators(page) == ("En rédaction", "Brouillon", "Créé")
    action = stored(other)
    assert (action.intitule, action.objectif, action.controle) == (f"Saisie {unique} B", "Objectif d'origine",
                                                                   W.Controle.EN_REDACTION)
    page.screenshot(path=str(artifacts / "03-soumission-refusee-champ.png"), full_page=True)

    # the page shown again still guards what was typed: RETOUR asks; yes leaves without saving
    page.wait_for_load_state("load")
    dialogs.answer = True
    click_and_wait(page, "#btn-retour")
    assert dialogs.seen[1:] == [("confirm", QUESTION)]
    assert "/admin/actions/" in page.url and "edit" not in page.url
    assert stored(other).objectif == "Objectif d'origine"


def test_closing_the_tab_and_the_session_fiche_ask(page, live_server, make, unique):
    """Closing the tab of a changed fiche asks (the browser's own question); a session fiche's way
    back to its action asks too; ENREGISTRER never asks."""
    organisme = make.organisme(nom_usuel=f"OF Onglet {unique}")
    action = make.action(organisme, intitule=f"Onglet {unique}")
    session = make.session(action)
    user = make.user("organisme", organismes=[organisme], identifiant=f"ofonglet{unique}")
    page.set_default_timeout(15000)
    dialogs = Dialogs(page)
    log_in(page, user.identifiant)

    page.goto(f"/admin/sessions/edit/?id={session.id}")
    page.wait_for_load_state("load")
    page.fill("#rythme_formation", "Temps partiel, le soir")
    page.click("text=Retour à l'action")
    assert dialogs.seen == [("confirm", QUESTION)]
    assert "/admin/sessions/edit/" in page.url and page.input_value("#rythme_formation") == "Temps partiel, le soir"

    dialogs.answer = True  # leaving the session fiche without its change
    page.goto(f"/admin/actions/edit/?id={action.id}")
    page.wait_for_load_state("load")
    dialogs.answer, dialogs.seen = False, []
    page.fill("#contenu", "Contenu tapé")
    page.close(run_before_unload=True)
    page.wait_for_timeout(500)
    assert [kind for kind, _message in dialogs.seen] == ["beforeunload"]
    assert not page.is_closed()  # dismissed: the tab stays
    click_and_wait(page, "#btn-enregistrer")
    assert len(dialogs.seen) == 1
    assert stored(action.numero).contenu == "Contenu tapé"


def test_a_button_on_an_unchanged_fiche_saves_nothing(page, live_server, make, unique):
    """The fiche as the browser posts it untouched (pickers, multiple selects, boxes, text areas) is not
    a change: ARCHIVER on a visé action archives it without sending it back to control first."""
    organisme = make.organisme(nom_usuel=f"OF Intacte {unique}")
    action = make.action(organisme, intitule=f"Intacte {unique}", controle=W.Controle.VISE,
                         publication=W.Publication.DIFFUSABLE, attestation_suivi=True, sessions_par_an=4,
                         conditions_specifiques="Ligne 1\nLigne 2", certifications=[make.certification()])
    make.session(action)
    version = stored(action.numero).version_id
    user = make.user("organisme", organismes=[organisme], identifiant=f"ofintacte{unique}")
    page.set_default_timeout(15000)
    dialogs = Dialogs(page)
    log_in(page, user.identifiant)
    page.goto(f"/admin/actions/edit/?id={action.id}")
    page.wait_for_load_state("load")
    page.click("#btn-archiver-demande")  # ARCHIVER asks first (a <details>: no script needed)
    click_and_wait(page, "#btn-archiver")
    assert dialogs.seen == []
    assert indicators(page) == ("Visé", "Archivé", "Archivé")
    assert "Vos modifications de la fiche ont été enregistrées." not in " ".join(page.locator(".alert").all_inner_texts())
    assert stored(action.numero).version_id == version + 1
