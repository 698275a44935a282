"""LHEO 2.3 export: XSD-valid feeds, only diffusable data, the published version, access rules."""
import hashlib
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from backoffice.extensions import db
from backoffice.models import Action
from backoffice.models.listeners import utcnow
from tests.lheo_helpers import NS, VENDORED_XSD, assert_valid, enable_partner, numeros, rich_offer, save, simple_offer


def test_vendored_xsd_is_the_declared_one():
    """The schema vendored in the repository is the one its SOURCE.txt names (by its sha256)."""
    declared = next(line.split(":", 1)[1].strip() for line in
                    (VENDORED_XSD.parent / "SOURCE.txt").read_text(encoding="utf-8").splitlines()
                    if line.startswith("sha256:"))
    assert hashlib.sha256(VENDORED_XSD.read_bytes()).hexdigest() == declared


def test_demo_base_feed_is_valid_and_holds_every_diffusable_action(app, client):
    """The full feed of the demo base validates against lheo.xsd and holds exactly its diffusable actions."""
    from backoffice.actor import SYSTEM, acting_as
    from seeds.demo import load_demo
    with acting_as(SYSTEM):
        load_demo(db.session)
        db.session.commit()
    response = client.get("/lheo/offre.xml", headers=enable_partner(app))
    assert response.status_code == 200
    assert response.mimetype == "application/xml"
    root = assert_valid(response.data)
    diffusable = set(db.session.scalars(select(Action.numero).where(Action.publication == "diffusable")))
    exported = numeros(root, "formation")
    assert exported == sorted(exported) and len(exported) == len(set(exported))
    assert set(exported) <= diffusable and len(exported) >= 1
    missing = diffusable - set(exported)
    for numero in missing:  # only an action left without a non-archived session may be missing
        action = db.session.scalar(select(Action).where(Action.numero == numero))
        assert all(s.archivee for s in action.sessions), numero


def test_rich_offer_maps_codes_identifiers_and_dates(app, client, make):
    """Identifiers in @numero, YYYYMMDD dates, LHEO codes, grouped sessions, extras and CPF."""
    action = rich_offer(make)
    response = client.get(f"/lheo/action/{action.numero}.xml", headers=enable_partner(app))
    root = assert_valid(response.data)
    formation = root.find("l:offres/l:formation", NS)
    assert formation.get("numero") == action.numero
    assert formation.findtext("l:certifiante", namespaces=NS) == "1"
    assert formation.findtext("l:parcours-de-formation", namespaces=NS) == "3"
    assert formation.findtext("l:code-niveau-entree", namespaces=NS) == "3"
    assert formation.find("l:certification/l:code-RNCP", NS) is not None
    lheo_actions = formation.findall("l:action", NS)
    # the two apprentissage sessions share their place, hours, prices...; the FOAD and the mixte ones do not
    assert len(lheo_actions) == 3
    assert {a.findtext("l:modalites-enseignement", namespaces=NS) for a in lheo_actions} == {"0", "1", "2"}
    sessions = [s for a in lheo_actions for s in a.findall("l:session", NS)]
    assert sorted(s.get("numero") for s in sessions) == sorted(s.numero for s in action.sessions)
    assert all(s.findtext("l:periode/l:debut", namespaces=NS).isdigit() for s in sessions)
    assert {"20270104", "20270900"} <= {s.findtext("l:periode/l:debut", namespaces=NS) for s in sessions}
    cycle = root.find(".//l:session/l:cycle", NS)
    assert cycle.findtext("l:type-cycle", namespaces=NS) == "1"
    assert [y.text for y in cycle.findall("l:annee-cycle", NS)] == ["1", "2"]
    assert root.findtext(".//l:organisme-financeur/l:code-financeur", namespaces=NS) == action.programme.financeur_code
    assert root.find("l:offres/l:formation/l:organisme-formation-responsable", NS).get("numero") == action.organisme.numero
    extras = {e.get("info"): e.text for e in formation.findall("l:extras/l:extra", NS)}
    assert extras["eligible-cpf"] == ("1" if action.eligible_cpf else "0")
    assert extras["type-action"] == "action"
    exact = {e.get("info"): e.text for e in root.iter(f"{{{NS['l']}}}extra")}
    assert exact["duree-totale-exacte"] == "35.5"


def test_non_diffusable_data_never_leaves(app, client, make):
    """Planted non-diffusable contacts, actions and archived sessions appear nowhere in the feed."""
    organisme = make.organisme(raison_sociale="Organisme témoin")
    secret_principal = make.contact(organisme, nom="Secretprincipal", courriel="cache1@secret.fr",
                                    diffusable=False, principal=True)
    secret_contact = make.contact(organisme, nom="Secretcontact", courriel="cache2@secret.fr", diffusable=False)
    shown = simple_offer(make, organisme, contact=secret_contact, intitule="Action diffusée témoin")
    archived = make.session(shown, date_debut=date(2027, 5, 3), archivee=True)
    hidden = make.action(organisme, intitule="Brouillon confidentiel XYZ")
    make.session(hidden)
    to_fix = simple_offer(make, organisme, intitule="Action renvoyée en modification")
    to_fix.controle, to_fix.publication = "a_modifier", "en_redaction"
    archived_action = simple_offer(make, organisme, intitule="Action archivée témoin")
    archived_action.publication, archived_action.etat_fiche = "archive", "archive"
    save(to_fix, archived_action)
    headers = enable_partner(app)
    body = client.get("/lheo/offre.xml", headers=headers).data
    root = assert_valid(body)
    text = body.decode()
    assert numeros(root, "formation") == [shown.numero]
    for planted in (secret_principal.nom, secret_principal.courriel, secret_contact.nom, secret_contact.courriel,
                    archived.numero, hidden.numero, hidden.intitule, to_fix.numero, archived_action.numero):
        assert planted not in text
    assert client.get(f"/lheo/action/{hidden.numero}.xml", headers=headers).status_code == 404
    assert client.get(f"/lheo/action/{archived_action.numero}.xml", headers=headers).status_code == 404


def test_published_version_is_served_while_a_modification_waits(app, client, make, login_as):
    """Partners get the last visé content; the fiche's EXPORTER gives the current one."""
    action = simple_offer(make, intitule="Titre visé")
    action.intitule, action.controle = "Titre modifié en attente", "a_controler"
    new_session = make.session(action, date_debut=date(2027, 9, 6))
    save(action)
    feed = client.get("/lheo/offre.xml", headers=enable_partner(app)).data
    assert_valid(feed)
    assert "Titre visé".encode() in feed and b"Titre modifi" not in feed
    assert new_session.numero.encode() not in feed
    login_as("documentaliste")
    fiche = client.get(f"/lheo/action/{action.numero}.xml")
    assert fiche.status_code == 200
    assert_valid(fiche.data)
    assert "Titre modifié en attente".encode() in fiche.data and new_session.numero.encode() in fiche.data


def test_changes_since_a_date_and_withdrawals(app, client, make):
    """?depuis= holds what changed since the date and lists the actions withdrawn from diffusion."""
    headers = enable_partner(app)
    old = simple_offer(make, intitule="Ancienne offre")
    recent = simple_offer(make, intitule="Offre récente")
    gone = simple_offer(make, intitule="Offre retirée")
    past = utcnow() - timedelta(days=30)
    db.session.execute(Action.__table__.update().where(Action.id == old.id).values(updated_at=past, vise_le=past))
    from backoffice.models import Organisme, Session
    db.session.execute(Session.__table__.update().where(Session.action_id == old.id).values(updated_at=past))
    db.session.execute(Organisme.__table__.update().where(Organisme.id == old.organisme_id).values(updated_at=past))
    db.session.commit()
    gone.publication, gone.etat_fiche = "archive", "archive"
    save(gone)
    since = (utcnow() - timedelta(days=1)).date().isoformat()
    body = client.get(f"/lheo/offre.xml?depuis={since}", headers=headers).data
    root = assert_valid(body)
    assert numeros(root, "formation") == [recent.numero]
    withdrawn = [e.text for e in root.findall("l:extras[@info='retraits']/l:extra", NS)]
    assert withdrawn == [gone.numero]
    nothing = client.get("/lheo/offre.xml?depuis=2999-01-01", headers=headers)
    assert nothing.status_code == 200 and b"<retraits" in nothing.data and b"<formation" not in nothing.data
    bad = client.get("/lheo/offre.xml?depuis=hier", headers=headers)
    assert bad.status_code == 400 and "AAAA-MM-JJ" in bad.get_data(as_text=True)


def test_feed_and_fiche_export_access(app, client, make, login_as):
    """Feed: key or documentaliste; fiche export: permissions.can(..., 'export', action), 404 outside scope."""
    mine = simple_offer(make)
    other = simple_offer(make)
    assert client.get("/lheo/offre.xml").status_code == 401
    assert client.get("/lheo/offre.xml", headers={"X-API-Key": "mauvaise-cle-0123456789"}).status_code == 401
    login_as("organisme", organismes=[mine.organisme])
    assert client.get("/lheo/offre.xml").status_code == 403
    assert client.get(f"/lheo/action/{mine.numero}.xml").status_code == 200
    assert client.get(f"/lheo/action/{other.numero}.xml").status_code == 404
    assert client.get("/lheo/action/AF_9999999999.xml").status_code == 404
    client.post("/deconnexion")
    login_as("support")
    assert client.get(f"/lheo/action/{mine.numero}.xml").status_code == 403


def test_fiche_export_without_session_says_why(app, client, make, login_as):
    """An action without a non-archived session cannot be written in LHEO: a French message, no 500."""
    organisme = make.organisme()
    action = make.action(organisme)
    login_as("organisme", organismes=[organisme])
    response = client.get(f"/lheo/action/{action.numero}.xml", headers={"Referer": "http://localhost/admin/"})
    assert response.status_code == 302
    page = client.get(response.headers["Location"], follow_redirects=True).get_data(as_text=True)
    assert "au moins une session non archivée" in page or response.headers["Location"].endswith("/admin/")


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_cli_export_writes_a_valid_file(app, make, tmp_path):
    """flask lheo-export --output writes the feed; --depuis limits it (nothing changed: a <retraits>
    document without any withdrawal)."""
    first = simple_offer(make)
    second = simple_offer(make)
    out = tmp_path / "offre.xml"
    result = app.test_cli_runner().invoke(args=["lheo-export", "--output", str(out)])
    assert result.exit_code == 0, result.output
    root = assert_valid(out.read_bytes())
    assert numeros(root, "formation") == [first.numero, second.numero]
    empty = tmp_path / "vide.xml"
    result = app.test_cli_runner().invoke(args=["lheo-export", "--output", str(empty), "--depuis", "2999-01-01"])
    assert result.exit_code == 0 and b"<retraits" in empty.read_bytes() and "0 formation" in result.output


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_nothing_publishable_answers_204(app, client, make):
    """A diffusable action whose visé sessions are all archived since (its new one not visé yet)
    leaves nothing to publish: 204, since LHEO cannot express an empty feed."""
    action = simple_offer(make)
    first = action.sessions[0]
    first.archivee = True
    make.session(action, date_debut=date(2027, 11, 8))
    save(first)
    assert client.get("/lheo/offre.xml", headers=enable_partner(app)).status_code == 204


def public(value):
    """Offers without what the renderer notes on them under private keys ("_lheo_..."): values it
    derived once from a record (lheo_parts.memo), present on an organisme shared by a batch or not."""
    if isinstance(value, dict):
        return {k: public(v) for k, v in value.items() if not k.startswith("_")}
    if isinstance(value, list):
        return [public(v) for v in value]
    return value


def test_bounded_caches_and_small_batches_give_the_same_offers(app, monkeypatch):
    """The export keeps organismes and certifications between batches only up to a bound (flat
    memory on a big base): emptied at every batch, with batches of 2 actions, the offers are the same."""
    from backoffice.actor import SYSTEM, acting_as
    from backoffice.export import lheo_data
    from seeds.demo import load_demo
    with acting_as(SYSTEM):
        load_demo(db.session)
        db.session.commit()
    usual = list(lheo_data.diffusable_offers(db.engine))
    assert len(usual) >= 3 and any(offer["action"].get("certifications") for offer in usual)
    monkeypatch.setattr(lheo_data, "_ORG_CACHE_MAX", 0)
    monkeypatch.setattr(lheo_data, "_CERT_CACHE_MAX", 0)
    assert public(list(lheo_data.diffusable_offers(db.engine, batch_size=2))) == public(usual)
