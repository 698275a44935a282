"""The life of an action through services.actions / services.sessions (no HTTP): every intent
changes the indicators as workflow.py's table says, writes its history, and refuses with
French messages. The whole life runs on both databases (JSON snapshot, dates, outbox); the rest on one."""
import json
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from backoffice import workflow as W
from backoffice.extensions import db
from backoffice.models import Action, History, Outbox, PublicVise
from backoffice.models import Session as FormationSession
from backoffice.services import actions, publication, sessions

SQLITE = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def _state(action) -> tuple[str, str, str]:
    db.session.refresh(action)
    return action.controle, action.publication, action.etat_fiche


def _transitions(action) -> list[History]:
    return db.session.scalars(select(History).where(History.entity == "action", History.op == "transition",
                                                    History.entity_key == str(action.id)).order_by(History.id)).all()


def test_whole_life_of_an_action(make):
    """Create, refused submit without session, submit, complétude (mail), resubmit, VISER (published
    snapshot), OF edit keeps the published version, archive, désarchive, save -> À modifier."""
    o = make.organisme()
    of_user = make.user("organisme", organismes=[o], email="of.user@of-test.fr")
    doc = make.user("documentaliste")
    action = actions.create_action(db.session, of_user, Action(organisme=o, intitule="CAP cuisine",
                                                               objectif="o", contenu="c", resultats_attendus="r",
                                                               niveau_sortie_code="4",
                                                               publics=[db.session.get(PublicVise, "83056")]))
    assert action.numero.startswith("AF_") and _state(action) == ("en_redaction", "brouillon", "cree")
    with pytest.raises(W.WorkflowError) as refused:
        actions.submit_action(db.session, of_user, action)
    assert refused.value.message == W.SESSION_MESSAGE
    db.session.rollback()
    assert _state(action) == ("en_redaction", "brouillon", "cree")

    lieu = make.adresse(o, code_postal="77120", ville="Coulommiers", departement_code="77")
    sess = sessions.create_session(db.session, of_user, action, FormationSession(
        date_debut=date(2027, 1, 4), date_fin=date(2027, 6, 30), duree_totale=900, modalite_code="presentiel",
        lieu=lieu, dispositif_id=1, rythme_formation="Temps plein",
        modalites_alternance="1 semaine en centre, 2 semaines en entreprise"))
    assert sess.numero.startswith("SE_")
    actions.submit_action(db.session, of_user, action)
    assert _state(action) == ("a_controler", "en_redaction", "cree") and action.soumis_le is not None

    actions.request_completude(db.session, doc, action, "Précisez le contenu.", fiche_url="http://x/fiche")
    assert _state(action) == ("a_modifier", "en_redaction", "cree")
    assert action.completude_message == "Précisez le contenu." and action.completude_le is not None
    mail = db.session.scalars(select(Outbox)).one()
    assert mail.recipients == "of.user@of-test.fr" and action.numero in mail.subject
    assert "Précisez le contenu." in mail.body_text and "http://x/fiche" in mail.body_text

    actions.submit_action(db.session, of_user, action)
    actions.vise_action(db.session, doc, action)
    assert _state(action) == ("vise", "diffusable", "cree") and action.vise_le is not None
    published = publication.published(action)
    assert published["intitule"] == "CAP cuisine" and [s["numero"] for s in published["sessions"]] == [sess.numero]
    assert published["sessions"][0]["lieu_id"] == lieu.id and published["sessions"][0]["date_debut"] == "2027-01-04"
    json.dumps(published)  # JSON-safe

    action.intitule = "CAP cuisine (nouvelle version)"
    submitted = action.soumis_le
    actions.save_action(db.session, of_user, action)
    assert _state(action) == ("a_controler", "diffusable", "cree") and action.soumis_le > submitted
    assert publication.published(action)["intitule"] == "CAP cuisine"  # partners keep the visé content
    rows = publication.diff(publication.published(action), publication.snapshot(action))
    assert ("Action", "intitule", "CAP cuisine", "CAP cuisine (nouvelle version)") in rows

    actions.archive_action(db.session, of_user, action)
    assert _state(action) == ("a_controler", "archive", "archive") and action.archive_le is not None
    actions.unarchive_action(db.session, of_user, action)
    assert _state(action) == ("a_controler", "en_redaction", "desarchive")
    actions.save_action(db.session, of_user, action)
    assert _state(action) == ("a_modifier", "en_redaction", "cree")

    history = _transitions(action)
    assert [h.message.split(" :")[0] for h in history] == [
        "Création", "SOUMETTRE", "Demande de complétude", "SOUMETTRE", "VISER", "Enregistrement", "ARCHIVER",
        "DESARCHIVER", "Enregistrement"]
    assert history[4].old_value == "À contrôler / En rédaction / Créé" and history[4].new_value == "Visé / Diffusable / Créé"
    assert history[4].actor_label == "Documentaliste" and history[1].actor_label == "Organisme de formation"
    assert history[4].user_id == doc.id and history[2].message == "Demande de complétude : Précisez le contenu."


@SQLITE
def test_guards_list_missing_fields_and_doublon(make):
    """SOUMETTRE lists the missing mandatory fields; a second action with the same certification is a
    doublon of the first (never the reverse), and its submission is refused."""
    o = make.organisme()
    user = make.user("organisme", organismes=[o])
    cert = make.certification()
    first = make.action(o, certifications=[cert])
    second = make.action(o, certifications=[cert], objectif=None, contenu="")
    make.session(second)
    assert actions.doublon_of(db.session, first) is None
    assert actions.doublon_of(db.session, second).id == first.id
    with pytest.raises(W.WorkflowError) as refused:
        actions.submit_action(db.session, user, second)
    assert refused.value.details == ["Objectif", "Contenu"]
    assert any(first.numero in m and "doublon" in m for m in refused.value.messages)
    other = make.action(make.organisme(), certifications=[cert])  # another organisme: no doublon
    assert actions.doublon_of(db.session, other) is None


@SQLITE
def test_organisme_refusals(make):
    """An OF may not create a conventionnée, nor change the certification of a diffused action, nor
    touch another organisme's action; the documentaliste may (and republishes what she saves)."""
    o = make.organisme()
    user = make.user("organisme", organismes=[o])
    doc = make.user("documentaliste")
    programme = make.programme()
    with pytest.raises(W.WorkflowError) as refused:
        actions.create_action(db.session, user, Action(organisme=o, intitule="x", conventionnee=True,
                                                       programme=programme))
    assert refused.value.message == W.CONVENTIONNEE_MESSAGE
    db.session.rollback()
    conv = actions.create_action(db.session, doc, Action(organisme=o, intitule="x", conventionnee=True,
                                                         programme=programme))
    assert conv.conventionnee and conv.programme_id == programme.id

    cert, other_cert = make.certification(), make.certification(eligible_cpf=True)
    diffused = make.action(o, certifications=[cert], controle="vise", publication="diffusable")
    diffused.certifications = [other_cert]
    with pytest.raises(actions.ServiceError) as frozen:
        actions.save_action(db.session, user, diffused)
    assert frozen.value.field == "certifications" and "dokelio@iledefrance.fr" in frozen.value.message
    db.session.rollback()
    diffused.certifications = [other_cert]
    actions.save_action(db.session, doc, diffused)
    assert diffused.eligible_cpf  # CPF follows the certification
    # the documentaliste's own edit of a Visé action is its control: it stays Visé and is published at once
    assert _state(diffused) == ("vise", "diffusable", "cree")
    assert publication.published(diffused)["certifications"] == [other_cert.id]

    foreign = make.action(make.organisme())
    with pytest.raises(actions.ServiceError) as forbidden:
        actions.archive_action(db.session, user, foreign)
    assert forbidden.value.forbidden


@SQLITE
def test_inactif_reactivate_and_duplicate(make):
    """Inactif/À supprimer: the OF can no longer save it; the documentaliste reactivates it. DUPLIQUER
    copies fields, certifications and domains into a new AF_ En rédaction/Brouillon, never the sessions."""
    o = make.organisme()
    user = make.user("organisme", organismes=[o])
    doc = make.user("documentaliste")
    cert = make.certification()
    action = make.action(o, certifications=[cert], controle="inactif", publication="a_supprimer",
                         source="flux-of", identifiant_externe="EXT-1")
    make.session(action)
    with pytest.raises(W.WorkflowError) as refused:
        actions.save_action(db.session, user, action)
    assert "dokelio@iledefrance.fr" in refused.value.message
    db.session.rollback()
    action.completude_le = datetime(2025, 1, 1)
    actions.reactivate_action(db.session, doc, action)
    assert _state(action) == ("a_modifier", "en_redaction", "cree")
    assert action.completude_le.date() >= date.today() - timedelta(days=1)  # a new 120 days, not re-inactivated

    copy = actions.duplicate_action(db.session, user, action)
    assert copy.numero != action.numero and (copy.controle, copy.publication, copy.etat_fiche) == (
        "en_redaction", "brouillon", "cree")
    assert copy.intitule == action.intitule and copy.certifications == [cert] and copy.sessions == []
    assert copy.identifiant_externe is None and copy.version_publiee is None
    assert _transitions(copy)[0].message == f"Duplication de {action.numero}"
    actions.archive_action(db.session, None, copy)  # the Robot (jobs pass no user)
    assert _transitions(copy)[-1].actor_label == "Robot" and copy.last_actor == "Robot"


@SQLITE
def test_session_rules_and_locks(make):
    """Sessions: end ≥ start, hours > 0, place in the action's organisme and in IDF, apprenticeship fields
    required with that dispositif (emptied otherwise), and the programme's locked fields for the OF."""
    from backoffice.models import Dispositif
    o = make.organisme()
    user = make.user("organisme", organismes=[o])
    doc = make.user("documentaliste")
    action = make.action(o)
    far = make.adresse(o, code_postal="69001", ville="Lyon", code_insee="69123", departement_code="69", region_code="84")
    bad = FormationSession(date_debut=date(2027, 3, 1), date_fin=date(2027, 2, 1), duree_totale=0,
                           modalite_code="presentiel", lieu=far, dispositif_id=1)
    with pytest.raises(actions.ServiceError) as refused:
        sessions.create_session(db.session, user, action, bad)
    fields = dict(refused.value.errors)
    assert set(fields) == {"date_fin", "duree_totale", "lieu"} and "69" in fields["lieu"]
    db.session.rollback()

    apprentissage = db.session.scalar(select(Dispositif).where(Dispositif.apprentissage.is_(True)))
    other = db.session.scalar(select(Dispositif).where(Dispositif.apprentissage.is_(False)))
    sess = FormationSession(date_debut=date(2027, 3, 1), date_fin=date(2027, 6, 1), duree_totale=400,
                            modalite_code="foad", dispositif=apprentissage)
    with pytest.raises(actions.ServiceError) as refused:
        sessions.create_session(db.session, user, action, sess)
    assert {f for f, _m in refused.value.errors} == {"duree_cycle", "annees_apprentissage", "niveau_bac"}
    db.session.rollback()
    sess = FormationSession(date_debut=date(2027, 3, 1), date_fin=date(2027, 6, 1), duree_totale=400,
                            modalite_code="foad", dispositif=other, rythme="2 jours / 3 jours", duree_cycle=2)
    sessions.create_session(db.session, user, action, sess)
    assert sess.rythme is None and sess.duree_cycle is None  # not an apprenticeship: emptied

    conv = make.action(o, conventionnee=True, programme=make.programme(champs_verrouilles="date_debut,date_fin"))
    locked = make.session(conv, lieu=make.adresse(o))
    locked.date_fin = date(2027, 12, 31)
    with pytest.raises(actions.ServiceError) as refused:
        sessions.save_session(db.session, user, locked)
    assert refused.value.field == "date_fin" and "contractuelle" in refused.value.message
    db.session.rollback()
    locked.duree_totale = 500  # not locked by this programme
    sessions.save_session(db.session, user, locked)
    locked.date_fin = date(2027, 12, 31)
    sessions.save_session(db.session, doc, locked)  # the CARIF may
    with pytest.raises(actions.ServiceError):
        sessions.duplicate_session(db.session, user, locked)  # a new contractual session
    db.session.rollback()
    copy = sessions.duplicate_session(db.session, doc, locked)  # a draft, dated by the user before CREER
    assert copy.id is None and copy.date_fin is None and copy.duree_totale == 500 and not copy.archivee
    sessions.archive_session(db.session, user, locked)
    assert locked.archivee
