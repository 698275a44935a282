"""The life of an action de formation: one function per user intent.

Each intent takes the database session and the acting user (None = the Robot, for jobs),
checks the permission (permissions.can), computes the workflow `Facts` from the database,
asks `workflow.apply`, changes the record, writes a "transition" history row and commits.
Refusals raise `workflow.WorkflowError` (a refused transition) or `ServiceError` (a business
rule, with the form field it concerns; or a write that lost a race with another user's, the
action's version_id checked by the database: services/concurrency.py), all with a French
message. Views, the CLI and jobs share these functions; no Flask import here (e-mails go
through services.mail's outbox, in the same transaction).
"""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from sqlalchemy import inspect
from sqlalchemy.orm import Session as DbSession

from .. import permissions, rules, workflow
from ..actor import ROBOT, acting_as, current_actor
from ..actor import Actor as Author
from ..models import Action, History, Organisme, User
from ..models.listeners import utcnow
from . import publication
from .action_facts import (
    doublon_of,
    facts,
    has_active_session,
    has_future_session,
    is_diffusable,
    old_value,
    organisme_id_of,
    set_state,
    state_of,
    title_warnings,
    workflow_actor,
)
from .concurrency import commit_or_refuse
from .errors import ServiceError
from .mail import organisme_users, queue_mail, render_mail, team_address

W = workflow
STALE_MESSAGE = ("Cette action a été modifiée par un autre utilisateur depuis que vous l'avez ouverte : "
                 "l'opération n'a pas été effectuée. Rechargez la fiche et recommencez.")
FORBIDDEN_MESSAGE = W.NOT_ALLOWED_MESSAGE
CERTIFICATION_FROZEN = ("L'action de formation est déjà en diffusion : vous ne pouvez plus modifier ses "
                        "certifications. Veuillez nous contacter")
PROGRAMME_WITHOUT_CONVENTION = "Un programme ne se renseigne que pour une action conventionnée."
CONVENTION_WITHOUT_PROGRAMME = "Une action conventionnée doit être rattachée à un programme."
OTHER_ORGANISME_CONTACT = "Le contact doit appartenir au carnet de contacts de l'organisme de l'action."
PARENT_MISMATCH = "Un module doit appartenir au même organisme que son action modulaire."
COMPLETUDE_REQUIRED = "Le message de la demande de complétude est obligatoire."
COMPLETUDE_MAX = 5000
# Columns a duplicate never copies: identity, workflow state and dates, published version, and the
# external identifiers (unique per source: the copy was made here, not imported).
NOT_COPIED = frozenset({"id", "numero", "controle", "publication", "etat_fiche", "soumis_le", "vise_le",
                        "completude_le", "completude_message", "archive_le", "version_publiee", "version_id",
                        "created_at", "updated_at", "last_actor", "source", "identifiant_externe",
                        "organisme_tri"})


def apply_workflow(event: W.Event, state: W.State, actor: W.Actor, facts: W.Facts = W.Facts()) -> W.State:
    """workflow.apply, whose refusal of an Inactif / À supprimer action gives the team's address."""
    return W.apply(event, state, actor, facts, team_address=team_address())


def certification_frozen_message() -> str:
    """Why the certifications of a diffused action are not the organisme's to change, and whom to write to."""
    team = team_address()
    return f"{CERTIFICATION_FROZEN} par mail à {team}." if team else f"{CERTIFICATION_FROZEN}."


def author(user) -> Author:
    """Who is written in the history: the user's role label, or the Robot."""
    return ROBOT if user is None else Author(user.id, user.role_label)


def intent(fn: Callable) -> Callable:
    """Run a service function as its user (history rows and 'Dernier utilisateur').

    Without autoflush: the business rules compare old and new values through SQLAlchemy's
    attribute history, which a flush triggered by a lazy load would reset."""
    @wraps(fn)
    def run(session, user, *args, **kwargs):
        with session.no_autoflush:  # first: even reading the user's role may flush
            with acting_as(author(user)):
                return fn(session, user, *args, **kwargs)
    return run


# ---------------------------------------------------------------- checks and history

def check_allowed(user, resource: str, verb: str, obj=None) -> None:
    """permissions.can, as a ServiceError (the Robot, user None, is checked by the workflow)."""
    if user is not None and not permissions.can(user, resource, verb, obj):
        raise ServiceError(FORBIDDEN_MESSAGE, forbidden=True)


def check_version(action, expected_version) -> None:
    """Optimistic locking of the buttons: the page's version must still be the record's."""
    if expected_version not in (None, "") and str(expected_version) != str(action.version_id):
        raise ServiceError(STALE_MESSAGE)


def record_transition(session: DbSession, action, old: W.State | None, new: W.State, message: str) -> None:
    """One 'transition' history row: the three indicators before and after, and why."""
    if action.id is None:
        session.flush()
    who = current_actor()
    session.add(History(entity="action", entity_key=str(action.id), numero=action.numero, op="transition",
                        field="indicateurs", old_value=W.state_label(old) if old else None,
                        new_value=W.state_label(new), message=message, user_id=who.user_id,
                        actor_label=who.label, at=utcnow()))


def _transition(session: DbSession, user, action, event: W.Event, expected_version=None, message: str | None = None,
                with_facts: bool = False) -> W.State:
    """Fire one button on an action: permission, page version, workflow (with its guards), new
    indicators, history row. No commit."""
    check_allowed(user, "action", "edit", action)
    check_version(action, expected_version)
    old = state_of(action)
    new = apply_workflow(event, old, workflow_actor(user, action), facts(session, action) if with_facts else W.Facts())
    set_state(action, new)
    record_transition(session, action, old, new, message or W.EVENT_LABELS[event])
    return new


def _certifications_changed(action) -> bool:
    state = inspect(action)
    if state.transient or state.pending:
        return False
    history = state.attrs.certifications.history  # a collection is always loaded before it is replaced
    return {c.id for c in history.added} != {c.id for c in history.deleted}


def _convention_changed(session: DbSession, action) -> bool:
    if bool(old_value(session, action, "conventionnee")) != bool(action.conventionnee):
        return True
    programme_id = action.programme.id if action.programme is not None else None
    return old_value(session, action, "programme_id") != programme_id


def check_content(session: DbSession, user, action) -> None:
    """Business rules of the fiche's content (rules.content) and of its LHEO fields (coded values,
    web addresses, lengths, counts, blocs of its own certifications), whatever posted it."""
    errors = []
    owner_side = user is not None and not permissions.allowed(user, "action", "control")
    existing = action.id is not None
    if owner_side and existing and _convention_changed(session, action):
        errors.append(("conventionnee", W.CONVENTIONNEE_MESSAGE))
    if owner_side and existing and _certifications_changed(action) and is_diffusable(action):
        errors.append(("certifications", certification_frozen_message()))
    if (action.programme is not None or action.programme_id is not None) and not action.conventionnee:
        errors.append(("programme", PROGRAMME_WITHOUT_CONVENTION))
    if action.conventionnee and action.programme is None and action.programme_id is None:
        errors.append(("programme", CONVENTION_WITHOUT_PROGRAMME))
    contact = action.contact
    if contact is not None and contact.organisme_id != organisme_id_of(action):
        errors.append(("contact", OTHER_ORGANISME_CONTACT))
    parent = action.parent
    if parent is not None and parent.organisme_id != organisme_id_of(action):
        errors.append(("parent", PARENT_MISMATCH))
    errors += rules.check_action_content({name: getattr(action, name) for name in rules.ACTION_CONTENT_COLUMNS},
                                         {name: len(getattr(action, name)) for name in rules.ACTION_COLLECTION_LIMITS})
    strangers = rules.foreign_blocs([(b.code, b.certification_id) for b in action.blocs],
                                    [c.id for c in action.certifications])
    if strangers:
        errors.append(("blocs", strangers))
    if errors:
        raise ServiceError(errors=errors)


def apply_save(session: DbSession, user, action) -> tuple[W.State, W.State]:
    """ENREGISTRER on the action (its fiche or one of its sessions was saved). No commit.

    A désarchivée fiche becomes À modifier / En rédaction / Créé; an OF saving a Visé action
    sends it back to control while partners keep its published version; a documentaliste
    saving a Visé / Diffusable action republishes it (their edit is the control).
    """
    old = state_of(action)
    actor = workflow_actor(user, action)
    new = apply_workflow(W.Event.ENREGISTRER, old, actor)
    if new != old:
        set_state(action, new)
        if new.controle is W.Controle.A_CONTROLER:  # an OF's edit of a Visé action: it joins the queue now
            action.soumis_le = utcnow()
        record_transition(session, action, old, new, "Enregistrement")
    if (actor is W.Actor.DOCUMENTALISTE and new.controle is W.Controle.VISE
            and new.publication is W.Publication.DIFFUSABLE and action.id is not None):
        session.flush()  # new sessions get their SE_ number before they are published
        publication.publish(action)
    return old, new


# ---------------------------------------------------------------- intents

@intent
def create_action(session: DbSession, user, action: Action) -> Action:
    """Créer: a new action (or module) En rédaction / Brouillon / Créé, with a new AF_ number.

    `action` is a new, unsaved Action whose fields the caller set (a form, an import).
    Conventionnées are refused to organisme users (workflow guard)."""
    check_allowed(user, "action", "create")
    if organisme_id_of(action) is None:
        raise ServiceError("L'organisme de formation est obligatoire.", field="organisme")
    organisme = action.organisme or session.get(Organisme, organisme_id_of(action))
    if user is not None and not permissions.in_scope(user, organisme):
        raise ServiceError(FORBIDDEN_MESSAGE, field="organisme", forbidden=True)
    if action.parent is not None:
        action.type = "module"
    state = apply_workflow(W.Event.CREER, W.INITIAL_STATE, workflow_actor(user, action),
                    W.Facts(conventionnee=bool(action.conventionnee)))
    check_content(session, user, action)
    set_state(action, state)
    session.add(action)
    session.flush()
    record_transition(session, action, None, state, "Création")
    commit_or_refuse(session, STALE_MESSAGE)
    return action


@intent
def save_action(session: DbSession, user, action: Action, expected_version=None, commit: bool = True) -> W.State:
    """ENREGISTRER the fiche (its fields already changed by the caller); returns the new state."""
    check_allowed(user, "action", "edit", action)
    check_version(action, expected_version)
    check_content(session, user, action)
    _old, new = apply_save(session, user, action)
    if commit:
        commit_or_refuse(session, STALE_MESSAGE)
    return new


@intent
def submit_action(session: DbSession, user, action: Action, expected_version=None) -> W.State:
    """SOUMETTRE: to control. Mandatory fields, a non-archived session, no doublon."""
    new = _transition(session, user, action, W.Event.SOUMETTRE, expected_version, with_facts=True)
    action.soumis_le = utcnow()
    commit_or_refuse(session, STALE_MESSAGE)
    return new


@intent
def vise_action(session: DbSession, user, action: Action, expected_version=None) -> W.State:
    """VISER: Visé / Diffusable; the content becomes the published version."""
    new = _transition(session, user, action, W.Event.VISER, expected_version, with_facts=True)
    action.vise_le = utcnow()
    publication.publish(action)
    commit_or_refuse(session, STALE_MESSAGE)
    return new


def organisme_emails(session: DbSession, organisme_id: int) -> list[str]:
    """E-mails of the active users of an organisme (demande de complétude), sorted."""
    return list(session.scalars(organisme_users(organisme_id).order_by(User.email)))


@intent
def request_completude(session: DbSession, user, action: Action, message: str, fiche_url: str = "",
                       expected_version=None) -> W.State:
    """Demande de complétude: À modifier, with the date and the message; e-mails the organisme's users.

    The e-mail is written to the outbox in the same transaction (sent after the commit)."""
    message = (message or "").strip()
    if not message:
        raise ServiceError(COMPLETUDE_REQUIRED, field="message")
    if len(message) > COMPLETUDE_MAX:
        raise ServiceError(f"Le message ne doit pas dépasser {COMPLETUDE_MAX} caractères.", field="message")
    new = _transition(session, user, action, W.Event.DEMANDER_COMPLETUDE, expected_version,
                      message=f"{W.EVENT_LABELS[W.Event.DEMANDER_COMPLETUDE]} : {message}")
    now = utcnow()
    action.completude_le, action.completude_message = now, message
    recipients = organisme_emails(session, action.organisme_id)
    if recipients:
        limit = rules.inactivation_date(now.date())
        subject, text, html = render_mail(
            "demande_completude", numero=action.numero, intitule=action.intitule,
            organisme=action.organisme.nom, message=message, date_limite=limit.strftime("%d/%m/%Y"),
            url=fiche_url)
        queue_mail(session, recipients, subject, text, html,
                   dedup_key=f"completude-{action.numero}-{now.isoformat()}")
    commit_or_refuse(session, STALE_MESSAGE)
    return new


@intent
def archive_action(session: DbSession, user, action: Action, expected_version=None) -> W.State:
    """ARCHIVER: publication and fiche Archivé (control unchanged); leaves the feed."""
    new = _transition(session, user, action, W.Event.ARCHIVER, expected_version)
    action.archive_le = utcnow()
    commit_or_refuse(session, STALE_MESSAGE)
    return new


@intent
def unarchive_action(session: DbSession, user, action: Action, expected_version=None) -> W.State:
    """DESARCHIVER: publication En rédaction, fiche Désarchivé. The caller then asks
    "Souhaitez-vous gérer vos sessions ?" (a non-archived session is needed to submit)."""
    new = _transition(session, user, action, W.Event.DESARCHIVER, expected_version)
    commit_or_refuse(session, STALE_MESSAGE)
    return new


@intent
def reactivate_action(session: DbSession, user, action: Action, expected_version=None) -> W.State:
    """Réactiver (documentaliste): an Inactif / À supprimer action back to À modifier, with a new
    120-day delay before the Robot's inactivation."""
    new = _transition(session, user, action, W.Event.REACTIVER, expected_version,
                      message=f"{W.EVENT_LABELS[W.Event.REACTIVER]} : nouveau délai de "
                              f"{rules.INACTIVATION_DAYS} jours pour soumettre")
    # À modifier again: the 120 days of the Robot's inactivation start over from today (with the old
    # date, the next night's run would make it Inactif at once).
    action.completude_le = utcnow()
    commit_or_refuse(session, STALE_MESSAGE)
    return new


@intent
def duplicate_action(session: DbSession, user, action: Action) -> Action:
    """DUPLIQUER: a new action (new AF_) En rédaction / Brouillon / Créé with a copy of the fields,
    certifications, domains and the other code lists (ROME, publics, languages, pedagogy, blocs);
    not the sessions nor the modules."""
    check_allowed(user, "action", "view", action)
    check_allowed(user, "action", "create", action)
    state = apply_workflow(W.Event.DUPLIQUER, state_of(action), workflow_actor(user, action),
                    W.Facts(conventionnee=bool(action.conventionnee)))
    copy = Action(**{attr.key: getattr(action, attr.key) for attr in inspect(Action).column_attrs
                     if attr.key not in NOT_COPIED})
    for relation in ("certifications", "formacodes", "nsfs", "romes", "publics", "langues",
                     "modalites_pedagogiques_codes", "blocs"):
        setattr(copy, relation, list(getattr(action, relation)))
    set_state(copy, state)
    session.add(copy)
    session.flush()
    record_transition(session, copy, None, state, f"Duplication de {action.numero}")
    commit_or_refuse(session, STALE_MESSAGE)
    return copy


EVENT_SERVICES = {
    W.Event.SOUMETTRE: submit_action,
    W.Event.VISER: vise_action,
    W.Event.ARCHIVER: archive_action,
    W.Event.DESARCHIVER: unarchive_action,
    W.Event.REACTIVER: reactivate_action,
}

__all__ = [
    "ServiceError", "create_action", "save_action", "submit_action", "vise_action", "request_completude",
    "archive_action", "unarchive_action", "reactivate_action", "duplicate_action", "doublon_of", "facts",
    "state_of", "workflow_actor", "title_warnings", "is_diffusable", "has_active_session", "has_future_session", "apply_save",
    "check_content", "EVENT_SERVICES", "apply_workflow", "certification_frozen_message",
]
