"""Sessions of an action: create, save, duplicate, archive.

Every change of a session is a change of its action's content: it fires ENREGISTRER on the
action (an OF adding a session to a Visé action sends it back to control while partners keep
the published version; an OF has no hand on an Inactif / À supprimer action). Business rules,
enforced here whatever posted the data: dates (end ≥ start), hours (> 0), the training place
(the action's organisme's address book, in Ile-de-France unless FOAD), apprenticeship fields
(only with a dispositif d'apprentissage, and then the cycle's fields are required), the LHEO
content (prices, inscription and information dates, subcontracting, funders, web address,
lengths: rules.check_session_content; addresses and contact from the organisme's carnets), and
the programme's lock of contractual fields for organisme users on conventionnées. No Flask import.
"""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import inspect
from sqlalchemy.orm import Session as DbSession

from .. import permissions, rules
from .. import workflow as W
from ..models import Action, Session, SessionFinanceur
from .actions import (
    ServiceError,
    apply_save,
    apply_workflow,
    check_allowed,
    intent,
    old_value,
    state_of,
    workflow_actor,
)

APPRENTISSAGE_FIELDS = ("duree_cycle", "annees_apprentissage", "niveau_bac", "rythme", "unites_centre",
                        "unites_entreprise")
APPRENTISSAGE_REQUIRED = {
    "duree_cycle": "La durée du cycle est obligatoire pour un contrat d'apprentissage.",
    "annees_apprentissage": "Indiquez la ou les années d'apprentissage (1 à 5).",
    "niveau_bac": "Indiquez si la formation est pré-bac ou post-bac.",
}
OTHER_ORGANISME_PLACE = "Le lieu de formation doit appartenir au carnet d'adresses de l'organisme de l'action."
OTHER_ORGANISME_ADDRESS = "L'adresse doit appartenir au carnet d'adresses de l'organisme de l'action."
OTHER_ORGANISME_CONTACT = "Le contact doit appartenir au carnet de contacts de l'organisme de l'action."
BOOK_RECORDS = {"adresse_inscription": OTHER_ORGANISME_ADDRESS, "adresse_information": OTHER_ORGANISME_ADDRESS,
                "contact": OTHER_ORGANISME_CONTACT}
NOT_COPIED = frozenset({"id", "numero", "created_at", "updated_at", "last_actor", "version_id",
                        "identifiant_externe", "archivee"})
# The dates of the session a copy is made from: the copy's are the user's to give.
COPY_WITHOUT = ("date_debut", "debut_precision", "date_fin", "fin_precision", "inscription_debut",
                "inscription_fin", "dates_information")


def lock_policy(user, action: Action) -> frozenset[str]:
    """Contractual fields this user may not change on this action's sessions."""
    if user is None:
        return frozenset()
    policy = action.programme.champs_verrouilles if action.programme is not None else None
    return rules.locked_fields(bool(action.conventionnee), policy,
                               permissions.allowed(user, "action", "control"))


def _lock_errors(session: DbSession, user, sess: Session, action: Action | None = None) -> list[tuple[str, str]]:
    locked = lock_policy(user, action or sess.action)
    if not locked:
        return []
    changes = {field: (old_value(session, sess, field), getattr(sess, field)) for field in rules.CONTRACTUAL_FIELDS}
    for field, precision in (("date_debut", "debut_precision"), ("date_fin", "fin_precision")):
        old, new = changes[field]  # a date is also changed by its precision alone (15/09/2027 -> 09/2027)
        if old is not None:
            changes[field] = ((old, old_value(session, sess, precision)), (new, getattr(sess, precision)))
    errors = []
    for field in rules.CONTRACTUAL_FIELDS:
        errors += [(field, m) for m in rules.locked_violations({field: changes[field]}, locked)]
    return errors


def _hours_errors(sess: Session) -> list[tuple[str, str]]:
    errors = []
    if sess.duree_totale is not None and Decimal(sess.duree_totale) <= 0:
        errors.append(("duree_totale", "La durée totale doit être supérieure à 0 heure."))
    for field, label in (("heures_centre", "Le nombre d'heures en centre"),
                         ("heures_entreprise", "Le nombre d'heures en entreprise")):
        value = getattr(sess, field)
        if value is not None and Decimal(value) < 0:
            errors.append((field, f"{label} ne peut pas être négatif."))
    return errors


def _apprentissage_errors(sess: Session) -> list[tuple[str, str]]:
    """Required with a dispositif d'apprentissage; otherwise emptied (never stale data)."""
    if sess.dispositif is None or not sess.dispositif.apprentissage:
        for field in APPRENTISSAGE_FIELDS:
            if getattr(sess, field) not in (None, ""):
                setattr(sess, field, None)
        return []
    return [(field, message) for field, message in APPRENTISSAGE_REQUIRED.items()
            if getattr(sess, field) in (None, "")]


def _content_errors(sess: Session) -> list[tuple[str, str]]:
    """The LHEO content of the session (rules.check_session_content), and its addresses and contact
    taken from its action's organisme's carnets. The SIRET and UAI are stored without spaces."""
    sess.formateur_siret, sess.formateur_uai = rules.normalize_formateur(sess.formateur_siret, sess.formateur_uai)
    financeurs = [(f.financeur.code if f.financeur is not None else f.financeur_code, f.nb_places)
                  for f in sess.financeurs]
    errors = rules.check_session_content({name: getattr(sess, name) for name in rules.SESSION_CONTENT_COLUMNS},
                                         financeurs)
    for field, message in BOOK_RECORDS.items():
        record = getattr(sess, field)
        if record is not None and record.organisme_id != sess.action.organisme_id:
            errors.append((field, message))
    return errors


def check_session(session: DbSession, user, sess: Session) -> None:
    """Every business rule of a session; all failures reported at once, each at its field."""
    errors = []
    dates = rules.check_session_dates(sess.date_debut, sess.date_fin)
    if dates:
        errors.append(("date_fin" if sess.date_debut else "date_debut", dates))
    if sess.duree_totale is None:
        errors.append(("duree_totale", "La durée totale (heures) est obligatoire."))
    errors += _hours_errors(sess)
    lieu = sess.lieu
    if lieu is not None and lieu.organisme_id != sess.action.organisme_id:
        errors.append(("lieu", OTHER_ORGANISME_PLACE))
    modalite = sess.modalite_code or (sess.modalite.code if sess.modalite is not None else None)
    place = rules.check_session_place(modalite or "", lieu)  # its commune's region decides
    if place:
        errors.append(("lieu" if modalite in rules.MODALITES else "modalite", place))
    errors += _apprentissage_errors(sess)
    errors += _content_errors(sess)
    errors += _lock_errors(session, user, sess)
    if errors:
        raise ServiceError(errors=errors)


def _check_editable(user, action: Action) -> None:
    """The user may save this action at all (an OF has no hand on an Inactif / À supprimer one)."""
    check_allowed(user, "action", "edit", action)
    apply_workflow(W.Event.ENREGISTRER, state_of(action), workflow_actor(user, action))


@intent
def create_session(session: DbSession, user, action: Action, sess: Session) -> Session:
    """CREER (onglet SESSION): a new session of `action`, with a new SE_ number."""
    check_allowed(user, "session", "create")
    _check_editable(user, action)
    sess.action = action
    check_session(session, user, sess)
    session.add(sess)
    apply_save(session, user, action)
    session.commit()
    return sess


@intent
def save_session(session: DbSession, user, sess: Session, commit: bool = True) -> Session:
    """Save a session whose fields the caller changed."""
    check_allowed(user, "session", "edit", sess)
    _check_editable(user, sess.action)
    check_session(session, user, sess)
    apply_save(session, user, sess.action)
    if commit:
        session.commit()
    return sess


@intent
def duplicate_session(session: DbSession, user, sess: Session) -> Session:
    """DUPLIQUER (onglet SESSION): a new session pre-filled from `sess` and its funders, NOT saved,
    without its dates (the session's and its inscription and information dates).

    A copy saved at once would be diffused with the dates of the session it copies, often past
    ones (and the Robot archives an action whose sessions are over): the caller shows the copy
    in the creation form, and CREER (create_session) saves it once the user has dated it, with
    every check of a new session. On a conventionnée whose programme locks the contractual
    fields, the copy is a new contractual session: refused to organisme users at once, like any
    change of those fields."""
    check_allowed(user, "session", "create", sess)
    _check_editable(user, sess.action)
    copy = Session(**{attr.key: getattr(sess, attr.key) for attr in inspect(Session).column_attrs
                      if attr.key not in NOT_COPIED})
    # the picked rows too (the form shows them): one-way relationships, the copy joins no collection
    for relation in ("lieu", "adresse_inscription", "adresse_information", "contact", "modalite", "dispositif",
                     "etat_recrutement"):
        setattr(copy, relation, getattr(sess, relation))
    copy.archivee = False
    # by the relationship only: a row with its code would post as a stored row (form_checks)
    copy.financeurs = [SessionFinanceur(financeur=f.financeur, nb_places=f.nb_places) for f in sess.financeurs]
    locked = [m for _f, m in _lock_errors(session, user, copy, sess.action)]
    if locked:
        raise ServiceError(" ".join(locked), forbidden=True)
    for name in COPY_WITHOUT:
        setattr(copy, name, None)
    return copy


@intent
def archive_session(session: DbSession, user, sess: Session, archived: bool = True) -> Session:
    """Archiver (or désarchiver with archived=False) a session: it no longer counts for
    submission nor diffusion."""
    check_allowed(user, "session", "edit", sess)
    _check_editable(user, sess.action)
    if bool(sess.archivee) != archived:
        sess.archivee = archived
        apply_save(session, user, sess.action)
    session.commit()
    return sess


__all__ = ["create_session", "save_session", "duplicate_session", "archive_session", "check_session",
           "lock_policy", "APPRENTISSAGE_FIELDS", "ServiceError"]
