"""Partners only ever see content a documentaliste visé, whatever path changed it.

Starting from the demo base (its diffusable actions were published by the seed), an organisme user
walks every write path of the fiche and of the carnets through the screens — action, session
(edited, created, duplicated), module, address, contact, duplicate, désarchive — and the supplier's
feed is re-imported with a change. After each step the full feed, the changes feed, the
single-action XML and the partner API show exactly what they showed before, and the documentaliste's
"Modifications depuis le dernier visa" shows the pending change.
"""
import html
import json
import re
from io import BytesIO

import pytest
from lxml import etree
from sqlalchemy import select

from backoffice.actor import SYSTEM, acting_as
from backoffice.extensions import db
from backoffice.lheo_import import import_lheo
from backoffice.models import Action, Organisme
from backoffice.models.listeners import utcnow
from seeds.demo import DEMO_PASSWORD, load_demo
from tests.conftest import login
from tests.form_helpers import flashed, form_fields
from tests.lheo_helpers import NS, assert_valid, enable_partner

L = f"{{{NS['l']}}}"


def _formations(document: bytes) -> dict[str, bytes]:
    root = etree.fromstring(document)
    if root.tag != f"{L}lheo":
        return {}
    assert_valid(document)
    return {el.get("numero"): etree.tostring(el, method="c14n") for el in root.iter(f"{L}formation")}


class PartnerView:
    """Everything partners can read of the diffusable offer, to compare before and after a step."""

    def __init__(self, client, headers):
        self.client, self.headers = client, headers

    def feed(self) -> dict[str, bytes]:
        response = self.client.get("/lheo/offre.xml", headers=self.headers)
        assert response.status_code == 200
        return _formations(response.data)

    def since(self, moment: str) -> dict[str, bytes]:
        response = self.client.get("/lheo/offre.xml", query_string={"depuis": moment}, headers=self.headers)
        assert response.status_code == 200
        return _formations(response.data)

    def single(self, numero: str) -> bytes | None:
        response = self.client.get(f"/lheo/action/{numero}.xml", headers=self.headers)
        return _formations(response.data).get(numero) if response.status_code == 200 else None

    def api(self) -> dict[str, dict]:
        offers, page = {}, 1
        while True:
            body = self.client.get("/api/v1/offres", query_string={"page": page, "par_page": 100},
                                   headers=self.headers).get_json()
            offers.update({offer["numero"]: offer for offer in body["resultats"]})
            if not body["suivant"]:
                return offers
            page += 1

    def snapshot(self) -> dict:
        feed = self.feed()
        return {"feed": feed, "single": {n: self.single(n) for n in feed}, "api": self.api()}


def _post_form(client, url: str, changes: dict) -> None:
    """Post the admin form of `url` as a browser would, with `changes`; the save must succeed."""
    data = {**{k: v if len(v) > 1 else v[0] for k, v in form_fields(client.get(url).get_data(as_text=True)).items()},
            **changes}
    response = client.post(url, data=data)
    assert response.status_code == 302, flashed(response.get_data(as_text=True))
    page = client.get(response.location).get_data(as_text=True)
    assert not [m for m in flashed(page) if "refus" in m or "erreur" in m.lower()], flashed(page)


def _action(intitule: str) -> Action:
    return db.session.scalar(select(Action).where(Action.intitule == intitule))


def _numero(numero: str) -> Action:
    return db.session.scalar(select(Action).where(Action.numero == numero))


def _review(client, action: Action) -> str:
    """The documentaliste's fiche: the section "Modifications depuis le dernier visa", as text."""
    page = client.get(f"/admin/actions/edit/?id={action.id}").get_data(as_text=True)
    match = re.search(r'<section[^>]*id="modifications".*?</section>', page, re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", match.group(0))) if match else ""


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_every_write_path_waits_for_the_visa(app, client):
    """Each write path of an organisme user leaves what partners see unchanged and shows in the diff."""
    with acting_as(SYSTEM):
        load_demo(db.session)
        db.session.commit()
    partners = PartnerView(client, enable_partner(app))
    before = partners.snapshot()
    started = utcnow().isoformat() + "Z"
    assert len(before["feed"]) >= 8 and set(before["api"]) == set(before["feed"])

    technicien = _action("Titre professionnel Technicien d'assistance en informatique")
    web = _action("Titre professionnel Développeur web et web mobile")
    paie = _action("Assurer la production de la paie et élaborer les données de synthèse")
    secretaire = _action("Titre professionnel Secrétaire assistant")
    carrosserie = _action("CAP Réparation des carrosseries")
    pending: dict[int, list[str]] = {}  # action id -> texts its diff must show

    login(client, "jdupont1", DEMO_PASSWORD)
    # action fiche
    _post_form(client, f"/admin/actions/edit/?id={technicien.id}", {"objectif": "Objectif réécrit par l'organisme"})
    pending.setdefault(technicien.id, []).append("Objectif réécrit par l'organisme")
    # a session's dates, a new session, a duplicated session
    session = min(web.sessions, key=lambda s: s.numero)
    _post_form(client, f"/admin/sessions/edit/?id={session.id}", {"date_fin": "30/12/2030"})
    pending.setdefault(web.id, []).append("30/12/2030")
    _post_form(client, f"/admin/sessions/new/?action_id={technicien.id}",
               {**{k: v[0] for k, v in form_fields(client.get(
                   f"/admin/sessions/edit/?id={technicien.sessions[0].id}").get_data(as_text=True)).items()
                  if k not in ("fiche_version", "csrf_token")}, "date_debut": "05/01/2031", "date_fin": "30/06/2031"})
    pending[technicien.id].append("Session ajoutée")
    copy = client.post(f"/admin/sessions/{session.id}/dupliquer")  # the creation form, without dates
    assert copy.status_code == 302
    _post_form(client, copy.headers["Location"],
               {**{k: v[0] for k, v in form_fields(client.get(copy.headers["Location"]).get_data(as_text=True)).items()
                   if k not in ("fiche_version", "csrf_token")}, "date_debut": "05/01/2032", "date_fin": "30/06/2032"})
    pending[web.id].append("Session ajoutée")
    # a module of the action modulaire
    _post_form(client, f"/admin/actions/edit/?id={paie.id}", {"contenu": "Contenu du module revu"})
    pending.setdefault(paie.id, []).append("Contenu du module revu")
    # the carnet d'adresses: the street of a training place of a published session
    place = next(s.lieu for s in secretaire.sessions if s.lieu is not None and not s.archivee)
    _post_form(client, f"/admin/adresses/edit/?id={place.id}", {"voie": "rue Nouvelle du Carnet"})
    pending.setdefault(secretaire.id, []).append("rue Nouvelle du Carnet")
    # the carnet de contacts: the phone of the contact of a published action
    contact = secretaire.contact
    _post_form(client, f"/admin/contacts/edit/?id={contact.id}", {"telephone": "01 99 00 99 99"})
    pending[secretaire.id].append("01 99 00 99 99")
    # the fiche organisme itself (partners see its fiche in every offer of the organisme)
    avenir = secretaire.organisme
    _post_form(client, f"/admin/organismes/edit/?id={avenir.id}", {"telephone": "01 99 00 88 88"})
    # DUPLIQUER a published action: a new draft, nothing diffused
    technicien = db.session.get(Action, technicien.id)
    response = client.post(f"/admin/actions/{technicien.id}/transition/dupliquer",
                           data={"fiche_version": str(technicien.version_id)})
    assert response.status_code == 302
    # DESARCHIVER an archived action: back in rédaction, not diffused
    archived = db.session.scalar(select(Action).join(Organisme).where(
        Action.etat_fiche == "archive", Organisme.nom_usuel == "Avenir Compétences"))
    response = client.post(f"/admin/actions/{archived.id}/transition/desarchiver",
                           data={"fiche_version": str(archived.version_id)})
    assert response.status_code == 302
    client.post("/deconnexion")

    # the supplier's own feed changes its objectif: a re-import with a change waits for control too
    supplier_feed = client.get(f"/lheo/action/{carrosserie.numero}.xml", headers=partners.headers).data
    supplier_feed = supplier_feed.replace(f'numero="{carrosserie.numero}"'.encode(),
                                          f'numero="{carrosserie.identifiant_externe}"'.encode())
    supplier_feed = re.sub(rb"<objectif-formation>.*?</objectif-formation>",
                           "<objectif-formation>Objectif changé par le fournisseur</objectif-formation>".encode(),
                           supplier_feed, flags=re.S)
    report = import_lheo(BytesIO(supplier_feed), carrosserie.source)
    assert report.counts["actions_mises_a_jour"] == 1, report.summary()
    pending.setdefault(carrosserie.id, []).append("Objectif changé par le fournisseur")

    db.session.expire_all()
    for action_id in pending:
        action = db.session.get(Action, action_id)
        assert (action.controle, action.publication) == ("a_controler", "diffusable"), action.numero
    after = partners.snapshot()
    assert after["feed"] == before["feed"]
    assert after["single"] == before["single"]
    assert json.dumps(after["api"], sort_keys=True) == json.dumps(before["api"], sort_keys=True)
    resent = partners.since(started)
    assert resent and all(resent[n] == before["feed"][n] for n in resent), "a changes feed re-sends visé content only"
    text = b"".join(after["feed"].values()).decode()
    for expected in [t for texts in pending.values() for t in texts if t != "Session ajoutée"]:
        assert expected not in text, expected

    login(client, "cmartin1", DEMO_PASSWORD)
    for action_id, texts in pending.items():
        review = _review(client, db.session.get(Action, action_id))
        for expected in texts:
            assert expected in review, (db.session.get(Action, action_id).numero, expected, review[:2000])

    # the organisme's own fiche and its contact principal wait for the documentaliste's validation
    assert db.session.get(Organisme, avenir.id).modifications_a_valider
    fiche = client.get(f"/admin/organismes/edit/?id={avenir.id}").get_data(as_text=True)
    waiting = re.search(r'id="modifications-organisme".*?</section>', fiche, re.S).group(0)
    assert "01 99 00 88 88" in waiting and "01 99 00 99 99" in waiting
    organisme = db.session.get(Organisme, avenir.id)
    response = client.post(f"/admin/organismes/{avenir.id}/valider-modifications",
                           data={"fiche_version": str(organisme.version_id)})
    assert response.status_code == 302
    resent = partners.since(started)
    avenir_offers = [n for n, a in ((n, _numero(n)) for n in before["feed"]) if a.organisme_id == avenir.id]
    assert avenir_offers and all(b"01 99 00 88 88" in resent[n] for n in avenir_offers)
    assert all(resent[n] == partners.feed()[n] for n in resent)
