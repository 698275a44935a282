"""The changes feed lets a partner rebuild the offer: full feed + every changes feed = today's full feed.

A small reference consumer (the behaviour documented in backoffice/export/README.md) keeps one
canonical <formation> per AF_ number: a full feed replaces everything, a changes feed replaces the
formations it holds and removes the withdrawn ones (<extras info="retraits">, or a <retraits>
document when nothing else changed).
"""
from datetime import date, timedelta

import pytest
from lxml import etree
from sqlalchemy import select

from backoffice.actor import SYSTEM, acting_as
from backoffice.export.feed import RETRAITS_NS
from backoffice.extensions import db
from backoffice.models import Action, Contact, PublicVise, Session
from backoffice.models.listeners import utcnow
from backoffice.services import actions, publication, sessions
from jobs import robot
from seeds.demo import load_demo
from tests.conftest import login
from tests.lheo_helpers import NS, assert_valid, enable_partner

L = f"{{{NS['l']}}}"


class Consumer:
    """What a partner keeps of the offer: AF_ number -> the canonical text of its <formation>."""

    def __init__(self):
        self.formations: dict[str, bytes] = {}

    @staticmethod
    def formations_of(root) -> dict[str, bytes]:
        return {el.get("numero"): etree.tostring(el, method="c14n") for el in root.iter(f"{L}formation")}

    def full(self, document: bytes) -> None:
        self.formations = self.formations_of(assert_valid(document))

    def changes(self, document: bytes) -> list[str]:
        """Apply a changes feed; returns the withdrawn formation numbers."""
        root = etree.fromstring(document)
        if root.tag == f"{{{RETRAITS_NS}}}retraits":
            withdrawn = [el.get("numero") for el in root if el.tag == f"{{{RETRAITS_NS}}}formation"]
        else:
            assert_valid(document)
            self.formations.update(self.formations_of(root))
            withdrawn = [el.text for el in root.findall("l:extras[@info='retraits']/l:extra[@info='formation']", NS)]
        for numero in withdrawn:
            self.formations.pop(numero, None)
        return withdrawn


def _moment() -> str:
    return utcnow().isoformat() + "Z"


def _feed(client, headers, depuis=None) -> bytes:
    response = client.get("/lheo/offre.xml", query_string={"depuis": depuis} if depuis else None, headers=headers)
    assert response.status_code == 200, response.status_code
    return response.data


def _diffusable(numero_filter=None) -> list[Action]:
    query = select(Action).where(Action.publication == "diffusable").order_by(Action.numero)
    return [a for a in db.session.scalars(query) if numero_filter is None or numero_filter(a)]


def test_full_feed_plus_changes_feeds_equals_todays_full_feed(app, client, make):
    """Creations, edits visé, an archive, an inactivation, a contact made non-diffusable and a deleted
    session between three moments: the consumer's offer equals the full feed each time."""
    with acting_as(SYSTEM):
        load_demo(db.session)
        db.session.commit()
    headers = enable_partner(app)
    doc = make.user("documentaliste")
    consumer = Consumer()
    consumer.full(_feed(client, headers))
    t0 = _moment()
    assert consumer.formations, "the demo base diffuses offers"

    # --- between T0 and T1: a creation, an organisme's edit visé, an archive, a contact made non-diffusable
    organisme = make.organisme()
    of_user = make.user("organisme", organismes=[organisme])
    created = actions.create_action(db.session, of_user, make_action_values(organisme))
    sessions.create_session(db.session, of_user, created, Session(
        date_debut=date.today() + timedelta(days=40), date_fin=date.today() + timedelta(days=120),
        duree_totale=140, modalite_code="foad", rythme_formation="Temps partiel", dispositif_id=None))
    actions.submit_action(db.session, of_user, created)
    actions.vise_action(db.session, doc, created)
    edited, archived = _diffusable()[:2]
    edited.objectif = "Objectif révisé par l'organisme puis visé."
    actions.save_action(db.session, doc, edited)
    actions.archive_action(db.session, doc, archived)
    diffused_organismes = {a.organisme_id for a in _diffusable()} - {organisme.id}
    principal = db.session.scalars(select(Contact).where(Contact.principal.is_(True), Contact.diffusable.is_(True),
                                                         Contact.organisme_id.in_(diffused_organismes))).first()
    with acting_as(SYSTEM):
        principal.diffusable = False
        db.session.commit()
    s1 = _feed(client, headers, t0)
    t1 = _moment()
    withdrawn = consumer.changes(s1)
    assert archived.numero in withdrawn and created.numero in consumer.formations
    assert principal.nom.encode() not in s1 and principal.nom.encode() not in b"".join(consumer.formations.values())
    assert consumer.formations == Consumer.formations_of(assert_valid(_feed(client, headers)))

    # --- between T1 and T2: the Robot inactivates, a session is deleted, an edit waits for control
    to_fix = db.session.scalar(select(Action).where(Action.controle == "a_modifier",
                                                    Action.publication == "diffusable"))
    assert to_fix is not None, "the demo has an À modifier / Diffusable action"
    robot.inactivate_stale_actions(date.today() + timedelta(days=200))
    with_two = next(a for a in _diffusable() if len([s for s in a.sessions if not s.archivee]) >= 2)
    gone = sorted((s for s in with_two.sessions if not s.archivee), key=lambda s: s.numero)[-1]
    login(client, doc.identifiant)
    response = client.post("/admin/sessions/delete/", data={"id": str(gone.id), "url": "/admin/sessions/"})
    assert response.status_code == 302 and db.session.get(Session, gone.id) is None
    client.post("/deconnexion")
    pending = _diffusable(lambda a: a.id not in (with_two.id, created.id))[0]
    pending.contenu = "Contenu modifié, en attente de contrôle."
    actions.save_action(db.session, make.user("organisme", organismes=[pending.organisme]), pending)
    assert pending.controle == "a_controler"
    s2 = _feed(client, headers, t1)
    withdrawn = consumer.changes(s2)
    assert to_fix.numero in withdrawn
    assert gone.numero.encode() not in consumer.formations[with_two.numero]
    assert b"en attente de contr" not in consumer.formations[pending.numero]
    assert consumer.formations == Consumer.formations_of(assert_valid(_feed(client, headers)))

    # --- between T2 and T3: nothing but a withdrawal -> a <retraits> document, never a 204
    last = _diffusable()[0]
    t2 = _moment()
    actions.archive_action(db.session, doc, last)
    s3 = _feed(client, headers, t2)
    assert etree.fromstring(s3).tag == f"{{{RETRAITS_NS}}}retraits"
    assert consumer.changes(s3) == [last.numero]
    assert consumer.formations == Consumer.formations_of(assert_valid(_feed(client, headers)))


def make_action_values(organisme) -> Action:
    return Action(organisme=organisme, intitule="Préparation au code de la route", objectif="Réussir le code",
                  contenu="Séances de code", resultats_attendus="Passage de l'examen", niveau_sortie_code="0",
                  publics=[db.session.get(PublicVise, "83056")])


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_a_withdrawal_is_listed_once_and_a_bad_depuis_is_refused(app, client, make):
    """Nothing changed: an empty <retraits> document; `depuis` accepts a date or a timestamp, else 400."""
    headers = enable_partner(app)
    nothing = _feed(client, headers, "2999-01-01")
    root = etree.fromstring(nothing)
    assert root.tag == f"{{{RETRAITS_NS}}}retraits" and len(root) == 0
    for bad in ("hier", "2026-13-01", "2026-12-01T25:00:00"):
        response = client.get("/lheo/offre.xml", query_string={"depuis": bad}, headers=headers)
        assert response.status_code == 400 and "AAAA-MM-JJ" in response.get_data(as_text=True)
    assert client.get("/lheo/offre.xml?depuis=2026-12-01T10:00:00%2B01:00", headers=headers).status_code == 200


def test_backfill_freezes_what_partners_already_see(app, make, tmp_path):
    """`flask backfill-published` completes a version stored in the old format with the content of its
    place and contact as they are now (what the feed used to read live), without publishing the
    action's unreviewed edits."""
    from tests.lheo_helpers import simple_offer
    action = simple_offer(make, intitule="Visé autrefois")
    old = publication.published(action)
    old.pop("contact")
    for session in old["sessions"]:
        for key in ("lieu", "adresse_inscription", "adresse_information", "contact", "financeurs"):
            session.pop(key)
    action.version_publiee = publication.dumps(old)
    action.intitule = "Modifié depuis, jamais visé"
    with acting_as(SYSTEM):
        db.session.commit()
    action_id = action.id
    result = app.test_cli_runner().invoke(args=["backfill-published"])
    assert result.exit_code == 0 and "1 version" in result.output, result.output
    db.session.expire_all()
    action = db.session.get(Action, action_id)
    stored = publication.published(action)
    assert publication.is_current_format(stored) and stored["intitule"] == "Visé autrefois"
    place = action.sessions[0].lieu
    assert stored["sessions"][0]["lieu"] == publication.embedded(place)
    again = app.test_cli_runner().invoke(args=["backfill-published"])
    assert "et 0 version" in again.output
