"""The life of an action in a real Chromium, screenshots in test-artifacts/<test name>/:
an organisme creates an action, is refused submission without a session, adds one, submits; a documentaliste
requests changes, the organisme fixes and resubmits, the documentaliste vises; the organisme edits the
diffusable action and the documentaliste sees the diff; archive then désarchive."""
import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from backoffice import workflow as W
from backoffice.extensions import db
from backoffice.models import Action, Dispositif
from tests.factories import TEST_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("backend", ["postgresql"], indirect=True)]


class Journey:
    """The browser and the steps the users take in it."""

    def __init__(self, page, base_url: str, shots):
        self.page, self.base, self.shots, self.step = page, base_url, shots, 0

    def shot(self, name: str):
        self.step += 1
        self.page.screenshot(path=str(self.shots / f"{self.step:02d}-{name}.png"), full_page=True)

    def login(self, identifiant: str):
        self.page.goto(self.base + "/connexion")
        self.page.fill("#identifiant", identifiant)
        self.page.fill("#password", TEST_PASSWORD)
        with self.page.expect_navigation():
            self.page.click("button[type=submit]")

    def logout(self):
        with self.page.expect_navigation():
            self.page.click("text=Se déconnecter")

    def click(self, selector: str):
        """Click something that loads a new page, and wait for it."""
        with self.page.expect_navigation():
            self.page.click(selector)

    def pick(self, field_id: str, text: str):
        """Choose in a select2 picker (an ajax one searches the referential as the user types)."""
        self.page.click(f"#s2id_{field_id}")
        self.page.keyboard.type(text)
        option = self.page.locator(".select2-result-label", has_text=text).first
        option.wait_for()
        option.click()

    def flashes(self) -> str:
        return " ".join(self.page.locator(".alert").all_inner_texts())

    def indicators(self) -> tuple[str, str, str]:
        return tuple(self.page.inner_text(f"#ind-{name}") for name in ("controle", "publication", "fiche"))

    def open_fiche(self, numero: str):
        """From the actions list, searched by its numero, as a user would find it."""
        self.page.goto(f"{self.base}/admin/actions/?search={numero}")
        self.click("a[title='Ouvrir la fiche']")
        expect(self.page.locator(".numero")).to_have_text(numero)


def test_action_journey(page, live_server, make, unique, artifacts):
    """The whole journey of an action, two users, one browser (the base is shared with the other
    browser tests: every record here is the test's own, found by its unique name or numero)."""
    organisme = make.organisme(nom_usuel=f"GRETA Parcours {unique}")
    make.adresse(organisme, libelle=f"Site de Meaux {unique}", code_postal="77100", ville="Meaux",
                 departement_code="77", code_insee="77284")
    code = f"RNCP{int(unique, 16) % 10**6:06d}"
    make.certification(code_rncp=code, intitule="Cuisinier en restauration collective", eligible_cpf=True)
    of_user = make.user("organisme", organismes=[organisme], identifiant=f"ofparcours{unique}")
    doc = make.user("documentaliste", identifiant=f"docparcours{unique}")
    dispositif = db.session.scalars(select(Dispositif).where(Dispositif.code == "HORS_DISPOSITIF")).one()
    j = Journey(page, live_server.rstrip("/"), artifacts)
    page.set_default_timeout(15000)

    # 1. The organisme creates an action, linking the certification through the referential's search.
    j.login(of_user.identifiant)
    page.goto(j.base + "/admin/actions/new/")
    page.fill("#intitule", "Cuisinier en restauration collective")
    page.fill("#objectif", "Former des cuisiniers")
    page.fill("#contenu", "Techniques culinaires, hygiène")
    j.pick("certifications", code)
    j.shot("creation")
    j.click("#btn-enregistrer")
    numero = page.inner_text(".numero")
    assert numero.startswith("AF_") and j.indicators() == ("En rédaction", "Brouillon", "Créé")

    # 2. SOUMETTRE without a session: refused (with the missing fields, LHEO's included).
    j.click("#btn-soumettre")
    assert W.SESSION_MESSAGE in j.flashes() and "Résultats attendus" in j.flashes()
    assert "Public visé (au moins un code)" in j.flashes()
    j.shot("soumission-refusee")

    # 3. The organisme completes the fiche, adds a session from the SESSION tab, submits.
    page.fill("#resultats_attendus", "Titre professionnel")
    j.pick("niveau_sortie", "Niveau 3")
    j.pick("publics", "80006 - Demandeur d'emploi")
    j.click("#btn-enregistrer")
    j.click("#onglet-session")
    j.click("#btn-creer-session")
    page.fill("#date_debut", "2027-09-06")
    page.fill("#date_fin", "2028-06-30")
    page.fill("#duree_totale", "600")
    page.fill("#rythme_formation", "Temps plein")
    j.pick("lieu", f"Site de Meaux {unique}")
    j.pick("dispositif", dispositif.libelle)
    j.shot("nouvelle-session")
    j.click("#btn-enregistrer-session")
    expect(page.locator("#liste-sessions tr.session")).to_have_count(1)
    expect(page.locator("#liste-sessions")).to_contain_text("77100")
    j.shot("onglet-session")
    j.click("#onglet-action")
    j.click("#btn-soumettre")
    assert j.indicators() == ("À contrôler", "En rédaction", "Créé"), j.flashes()
    j.shot("soumise")
    j.logout()

    # 4. The documentaliste finds it in the control queue and asks for changes.
    j.login(doc.identifiant)
    page.goto(f"{j.base}/admin/actions/?liste=a_controler&search={numero}")
    expect(page.locator("#liste-titre")).to_have_text("Actions à contrôler")
    j.click("a[title='Ouvrir la fiche']")
    page.click("#completude summary")
    page.fill("#completude-message", "Précisez l'objectif : publics, prérequis.")
    j.shot("demande-completude")
    j.click("#btn-demander_completude")
    assert j.indicators() == ("À modifier", "En rédaction", "Créé")
    j.logout()

    # 5. The organisme reads the request, fixes and resubmits.
    j.login(of_user.identifiant)
    j.open_fiche(numero)
    expect(page.locator("#message-completude")).to_contain_text("Précisez l'objectif")
    page.fill("#objectif", "Former des cuisiniers de restauration collective, demandeurs d'emploi")
    j.click("#btn-enregistrer")
    j.click("#btn-soumettre")
    assert j.indicators()[0] == "À contrôler"
    j.shot("resoumise")
    j.logout()

    # 6. The documentaliste vises: in diffusion.
    j.login(doc.identifiant)
    j.open_fiche(numero)
    j.click("#btn-viser")
    assert j.indicators() == ("Visé", "Diffusable", "Créé")
    j.shot("visee")
    j.logout()

    # 7. The organisme edits the diffusable action: back to control, still diffusable; its certification is frozen.
    j.login(of_user.identifiant)
    j.open_fiche(numero)
    expect(page.locator("#certifications-gelees")).to_contain_text("dokelio@iledefrance.fr")
    page.fill("#intitule", "Cuisinier en restauration collective (session 2027)")
    j.click("#btn-enregistrer")
    assert j.indicators() == ("À contrôler", "Diffusable", "Créé")
    j.shot("modifiee-apres-visa")
    j.logout()

    # 8. The documentaliste sees what changed since the visa.
    j.login(doc.identifiant)
    j.open_fiche(numero)
    changes = page.locator("#modifications")
    expect(changes).to_contain_text("Cuisinier en restauration collective (session 2027)")
    expect(changes.locator("td.avant", has_text=re.compile(r"^Cuisinier en restauration collective$"))).to_have_count(1)
    j.shot("modifications-depuis-visa")
    j.logout()

    # 9. The organisme archives, then désarchives and is asked to manage its sessions.
    j.login(of_user.identifiant)
    j.open_fiche(numero)
    j.page.click("#btn-archiver-demande")  # ARCHIVER asks first (a <details>: no script needed)
    j.click("#btn-archiver")
    assert j.indicators() == ("À contrôler", "Archivé", "Archivé")
    j.shot("archivee")
    j.click("#btn-desarchiver")
    assert j.indicators() == ("À contrôler", "En rédaction", "Désarchivé")
    expect(page.locator("#gerer-sessions")).to_contain_text("Souhaitez-vous gérer vos sessions ?")
    expect(page.locator("#gerer-sessions")).to_contain_text(W.SESSION_MESSAGE)
    j.shot("desarchivee")
    j.click("#gerer-sessions-oui")
    expect(page.locator("#btn-creer-session")).to_be_visible()
    j.shot("gerer-sessions")

    db.session.expire_all()
    action = db.session.scalars(select(Action).where(Action.numero == numero)).one()
    assert (action.controle, action.publication, action.etat_fiche) == ("a_controler", "en_redaction", "desarchive")

