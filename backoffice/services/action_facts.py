"""Reading an action for the workflow: who the user is to it, its indicators, and the facts the
guards need (non-archived session, one still to come, mandatory fields, doublon), computed from the database.

Pure reads, no change and no Flask: shared by services.actions (which fires the events) and by
the fiche (which shows the buttons, the doublon warning, the CPF tag).
"""
from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import exists, inspect, select
from sqlalchemy.orm import Session as DbSession

from .. import permissions, rules
from .. import workflow as W
from ..models import Action, Session, action_certification


def organisme_id_of(action) -> int | None:
    if action.organisme_id is not None:
        return action.organisme_id
    return action.organisme.id if action.organisme is not None else None


def workflow_actor(user, action) -> W.Actor:
    """The user as the workflow sees them, relative to this action (None = the Robot)."""
    role = permissions.role_of(user) if user is not None else None
    if user is None:
        return W.Actor.ROBOT
    if role == permissions.ORGANISME:
        mine = organisme_id_of(action) in permissions.organisme_ids(user)
        return W.Actor.OWNER if mine else W.Actor.OTHER_ORGANISME
    return {permissions.DOCUMENTALISTE: W.Actor.DOCUMENTALISTE, permissions.FINANCEUR: W.Actor.FINANCEUR,
            permissions.SUPPORT: W.Actor.SUPPORT, permissions.ADMIN: W.Actor.ADMIN}.get(role, W.Actor.OTHER_ORGANISME)


def state_of(action) -> W.State:
    return W.State(action.controle or W.Controle.EN_REDACTION, action.publication or W.Publication.BROUILLON,
                   action.etat_fiche or W.EtatFiche.CREE)


def set_state(action, state: W.State) -> None:
    action.controle, action.publication, action.etat_fiche = (
        state.controle.value, state.publication.value, state.fiche.value)


def is_diffusable(action) -> bool:
    """Once diffused (now, or visé at least once), the certification is frozen for the OF."""
    return action.publication == W.Publication.DIFFUSABLE or action.vise_le is not None


def has_active_session(session: DbSession, action) -> bool:
    """At least one non-archived session (the SOUMETTRE guard)."""
    if action.id is None:
        return any(not s.archivee for s in action.sessions)
    with session.no_autoflush:
        return bool(session.scalar(select(exists().where(Session.action_id == action.id,
                                                         Session.archivee.is_(False)))))


PARIS = ZoneInfo("Europe/Paris")


def today() -> date:
    """Today where the offers are (the Robot's nightly jobs run on that calendar too)."""
    return datetime.now(PARIS).date()


def has_future_session(session: DbSession, action, day: date | None = None) -> bool:
    """A non-archived session ending `day` (default today) or later: without one, a submitted action
    has nothing to offer and the Robot would soon archive it again (rules/robot.py). The SOUMETTRE
    guard, and the fiche's prompt after DESARCHIVER."""
    day = day or today()
    if action.id is None:
        return any(not s.archivee and s.date_fin is not None and s.date_fin >= day for s in action.sessions)
    with session.no_autoflush:
        return bool(session.scalar(select(exists().where(Session.action_id == action.id,
                                                         Session.archivee.is_(False),
                                                         Session.date_fin >= day))))


def doublon_of(session: DbSession, action) -> Action | None:
    """The older action of the same organisme sharing a certification (rules.find_doublon), if any.

    "The second action is the doublon": only older actions count. An action's own family
    (its action modulaire, its modules, sibling modules) may share a certification, and an
    action À supprimer is on its way out.
    """
    cert_ids = [c.id for c in action.certifications]
    organisme_id = organisme_id_of(action)
    if not cert_ids or organisme_id is None:
        return None
    link = action_certification.c
    query = (select(Action.numero, link.certification_id)
             .join(action_certification, link.action_id == Action.id)
             .where(Action.organisme_id == organisme_id, link.certification_id.in_(cert_ids),
                    Action.publication != W.Publication.A_SUPPRIMER)
             .order_by(Action.id))
    if action.id is not None:
        query = query.where(Action.id < action.id, Action.parent_id.is_(None) | (Action.parent_id != action.id))
    if action.parent_id is not None:
        query = query.where(Action.id != action.parent_id,
                            Action.parent_id.is_(None) | (Action.parent_id != action.parent_id))
    others: dict[str, set[int]] = {}
    with session.no_autoflush:
        for numero, cert_id in session.execute(query):
            others.setdefault(numero, set()).add(cert_id)
        numero = rules.find_doublon(cert_ids, others.items())
        return session.scalar(select(Action).where(Action.numero == numero)) if numero else None


def mandatory_of(action) -> dict[str, str]:
    return rules.ACCOMPAGNEMENT_MANDATORY if action.type == "accompagnement" else rules.ACTION_MANDATORY


def diffusion_gaps(session: DbSession, action) -> list[str]:
    """What LHEO requires to diffuse the action as it is now and it lacks (French labels): asked
    of the LHEO writer itself, so that a visé action is always one the feed can hold."""
    from ..export import lheo, lheo_data  # the export reads services; imported when used
    with session.no_autoflush:
        offer = lheo_data.offer_for_action(session, action, current=True, keep_empty=True)
    return lheo.gaps(offer)


def facts(session: DbSession, action) -> W.Facts:
    """The guards' facts, from the record and the database."""
    values = {key: getattr(action, key, None) for key in mandatory_of(action)}
    doublon = doublon_of(session, action)
    missing = list(rules.missing_fields(values, mandatory_of(action)))
    missing += [label for label in diffusion_gaps(session, action) if label not in missing]
    return W.Facts(has_active_session=has_active_session(session, action),
                   has_future_session=has_future_session(session, action),
                   missing_fields=tuple(missing),
                   doublon_of=doublon.numero if doublon else None,
                   conventionnee=bool(action.conventionnee))


def title_warnings(action) -> list[str]:
    """Non-blocking: the title should be the exact title of each linked certification."""
    warnings = [rules.title_warning(action.intitule, c.intitule) for c in action.certifications]
    return [w for w in warnings if w]


def old_value(session: DbSession, obj, key: str):
    """The value of column `key` before the caller's unsaved change (None for a new record).

    SQLAlchemy only remembers the old value of an attribute it had loaded; otherwise the
    stored value is read (the services run without autoflush, so it is the old one)."""
    state = inspect(obj)
    if state.transient or state.pending:
        return None
    history = state.attrs[key].history
    if history.deleted:
        return history.deleted[0]
    if not history.added:
        return getattr(obj, key)
    model = type(obj)
    return session.scalar(select(getattr(model, key)).where(model.id == obj.id))
