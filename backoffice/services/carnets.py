"""Carnet d'adresses and carnet de contacts of an organisme, and the fiche organisme that edits
them inline: one function per user intent.

An address or a contact is content of the offer: a session shows its places (lieu, adresse
d'inscription, adresse d'information) and its contact, an action its contact, and the published
version embeds them (services/publication.py). Hence, whatever screen the change comes from:
- an address's commune is resolved from its postal code and town (services/communes.py), at the
  field when it fails;
- changing an address or a contact in use is a change of every action showing it: ENREGISTRER on
  each (actions.apply_save): an organisme user's edit of a Visé action sends it back to control
  while partners keep the published version, a documentaliste's is published;
- an address that is the place of a session stays in Ile-de-France: a change that would move one
  out is refused with the list of those sessions;
- one in use cannot be deleted (the database refuses it too): the message lists the users; the
  links of archived sessions and actions are cleared, then the record is deleted;
- one contact principal per organisme (schema.sql's ux_contact_principal, said in French here);
- a record changed by someone else since the page was opened is refused (version_id).
"In use" means by a non-archived session, or (a contact) by an action whose fiche is not
archived. Refusals raise ServiceError, after which the caller rolls back. No Flask import.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import or_, select
from sqlalchemy.orm import Session as DbSession
from sqlalchemy.orm import joinedload

from .. import permissions, rules
from .. import workflow as W
from ..models import Action, Adresse, Contact, Organisme, Session
from . import communes, organisme_publication
from .action_facts import old_value
from .actions import ServiceError, apply_save, check_allowed, intent
from .concurrency import lost_race_refused
from .organisme_identity import identity_problems

ADDRESS_LINKS = ("lieu", "adresse_inscription", "adresse_information")
MAX_LISTED = 10
STALE = {
    "adresse": ("Cette adresse a été modifiée par un autre utilisateur depuis que vous l'avez ouverte : vos "
                "modifications n'ont pas été enregistrées. Rechargez la page et recommencez."),
    "contact": ("Ce contact a été modifié par un autre utilisateur depuis que vous l'avez ouvert : vos "
                "modifications n'ont pas été enregistrées. Rechargez la page et recommencez."),
    "organisme": ("Cette fiche (ou une ligne de ses carnets) a été modifiée par un autre utilisateur depuis que "
                  "vous l'avez ouverte : vos modifications n'ont pas été enregistrées. Rechargez la page et "
                  "recommencez."),
}
IN_USE = {"adresse": "Cette adresse est utilisée par", "contact": "Ce contact est utilisé par"}
OTHER_ORGANISME = {
    "adresse": "Une adresse reste dans le carnet de son organisme : créez-la dans celui de l'autre organisme.",
    "contact": "Un contact reste dans le carnet de son organisme : créez-le dans celui de l'autre organisme.",
}
ORGANISME_REQUIRED = "L'organisme est obligatoire."


@dataclass
class _Plan:
    """What a save will do once every check passed: the actions to re-save (ENREGISTRER), the links
    of archived records to clear; and the refusals found on the way."""

    actions: dict[int, Action] = field(default_factory=dict)
    unlink: list[tuple[object, str]] = field(default_factory=list)
    errors: list[tuple[str | None, str]] = field(default_factory=list)
    organismes: dict[int, Organisme] = field(default_factory=dict)  # whose published fiche may change


def _kind(record) -> str:
    return "adresse" if isinstance(record, Adresse) else "contact"


def _listed(numeros: list[str]) -> str:
    numeros = sorted(numeros)
    shown = ", ".join(numeros[:MAX_LISTED])
    return shown + (f" et {len(numeros) - MAX_LISTED} autre(s)" if len(numeros) > MAX_LISTED else "")


def _sessions_using(db: DbSession, record) -> list[tuple[Session, str]]:
    """(session, link) for every session that shows this address or contact, and how."""
    if record.id is None:
        return []
    links = ADDRESS_LINKS if isinstance(record, Adresse) else ("contact",)
    columns = {link: getattr(Session, f"{link}_id") for link in links}
    sessions = db.scalars(select(Session).where(or_(*(c == record.id for c in columns.values())))
                          .options(joinedload(Session.action)).order_by(Session.numero)).all()
    return [(s, link) for s in sessions for link in links if getattr(s, f"{link}_id") == record.id]


def _actions_using(db: DbSession, record) -> list[Action]:
    if record.id is None or not isinstance(record, Contact):
        return []
    return list(db.scalars(select(Action).where(Action.contact_id == record.id).order_by(Action.numero)))


def _archived(action: Action) -> bool:
    return action.etat_fiche == W.EtatFiche.ARCHIVE


# ---------------------------------------------------------------- one record's checks

def _check_version(record, expected, required: bool = False) -> None:
    """`expected`: the version the page showed; none given is no check, unless `required` (a page
    always sends it: a row posted without it cannot be told fresh)."""
    if expected in (None, "") and not required:
        return
    if str(expected) != str(record.version_id):
        raise ServiceError(STALE[_kind(record)])


def _check_owner(db: DbSession, user, record, verb: str) -> None:
    """Permission on the record, in the user's scope, and never moved to another organisme."""
    kind = _kind(record)
    check_allowed(user, kind, verb)
    organisme = record.organisme or (db.get(Organisme, record.organisme_id) if record.organisme_id else None)
    if organisme is None:
        raise ServiceError(ORGANISME_REQUIRED, field="organisme")
    if user is not None and not permissions.in_scope(user, organisme):
        raise ServiceError(W.NOT_ALLOWED_MESSAGE, field="organisme", forbidden=True)
    if record.id is not None and old_value(db, record, "organisme_id") != organisme.id:
        raise ServiceError(OTHER_ORGANISME[kind], field="organisme")


def _plan_adresse(db: DbSession, adresse: Adresse, plan: _Plan) -> None:
    """Resolve the commune; if the address changed, keep its sessions in the region and plan the
    ENREGISTRER of their actions."""
    if not (adresse.libelle or "").strip():
        plan.errors.append(("libelle", "Le libellé de l'adresse est obligatoire."))
    match = communes.apply_to_adresse(db, adresse)
    if match.message:
        plan.errors.append((match.field, match.message))
        return
    if adresse.id is None or not db.is_modified(adresse):
        return
    live = [(s, link) for s, link in _sessions_using(db, adresse) if not s.archivee]
    out = {}
    for sess, link in live:
        message = rules.check_session_place(sess.modalite_code, adresse) if link == "lieu" else None
        if message:
            out.setdefault(message, []).append(sess.numero)
    for message, numeros in out.items():
        plan.errors.append(("code_postal", f"{message} Cette adresse est le lieu de formation de {len(numeros)} "
                                           f"session(s) : {_listed(numeros)} ; modifiez-les d'abord."))
    for sess, _link in live:
        if not _archived(sess.action):  # an archived fiche is not saved (workflow: ENREGISTRER)
            plan.actions[sess.action_id] = sess.action


def _plan_contact(db: DbSession, contact: Contact, plan: _Plan) -> None:
    """If the contact changed (made non-diffusable included), plan the ENREGISTRER of the actions
    that show it, directly or through one of their sessions."""
    if not (contact.nom or "").strip():
        plan.errors.append(("nom", "Le nom du contact est obligatoire."))
    if contact.principal or (contact.id is not None and old_value(db, contact, "principal")):
        organisme = contact.organisme or db.get(Organisme, contact.organisme_id)
        if organisme is not None and organisme.id is not None:
            plan.organismes[organisme.id] = organisme
    if contact.id is None or not db.is_modified(contact):
        return
    for action in _actions_using(db, contact):
        if not _archived(action):
            plan.actions[action.id] = action
    for sess, _link in _sessions_using(db, contact):
        if not sess.archivee and not _archived(sess.action):
            plan.actions[sess.action_id] = sess.action


def _plan_removal(db: DbSession, record, plan: _Plan) -> None:
    """Refuse the deletion of a record in use (listing the users); plan the clearing of the links
    of archived sessions and actions."""
    sessions = _sessions_using(db, record)
    actions = _actions_using(db, record)
    live_sessions = sorted({s.numero for s, _link in sessions if not s.archivee})
    live_actions = sorted({a.numero for a in actions if not _archived(a)})
    if live_sessions or live_actions:
        parts = ([f"{len(live_actions)} action(s) : {_listed(live_actions)}"] if live_actions else []) + \
                ([f"{len(live_sessions)} session(s) : {_listed(live_sessions)}"] if live_sessions else [])
        plan.errors.append((None, f"{IN_USE[_kind(record)]} {' et '.join(parts)} ; modifiez-les d'abord."))
        return
    plan.unlink += [(s, link) for s, link in sessions] + [(a, "contact") for a in actions]
    if isinstance(record, Contact) and record.principal and record.organisme_id is not None:
        plan.organismes[record.organisme_id] = record.organisme


def _one_principal(db: DbSession, organisme_id: int | None, contacts: list[Contact], plan: _Plan,
                   at: str) -> None:
    """At most one contact principal per organisme. `contacts`: those being saved (their values as
    edited); the organisme's other contacts are read from the database."""
    saved_ids = [c.id for c in contacts if c.id is not None]
    stored = []
    if organisme_id is not None:
        query = select(Contact).where(Contact.organisme_id == organisme_id, Contact.principal.is_(True))
        if saved_ids:
            query = query.where(Contact.id.not_in(saved_ids))
        stored = list(db.scalars(query))
    principals = [c for c in contacts if c.principal and c not in db.deleted] + stored
    if len(principals) > 1:
        names = ", ".join(sorted(str(c) or c.nom or "?" for c in principals))
        plan.errors.append((at, f"Un seul contact principal par organisme (cochés : {names}) : décochez-en un."))


# ---------------------------------------------------------------- carrying out

def _carry_out(db: DbSession, user, plan: _Plan, kind: str, delete=None) -> None:
    """Refuse with every error found, else clear the archived links, ENREGISTRER the actions
    concerned, delete `delete` if given, and commit. Any of these writes finding a row changed by
    someone else since it was read is refused with the French message (services/concurrency.py)."""
    if plan.errors:
        raise ServiceError(errors=plan.errors)
    with lost_race_refused(db, STALE[kind]):
        for obj, link in plan.unlink:
            setattr(obj, link, None)
        for action in sorted(plan.actions.values(), key=lambda a: a.numero):
            try:
                apply_save(db, user, action)
            except W.WorkflowError as exc:
                raise ServiceError(f"Ce changement modifie l'action {action.numero}, qui le refuse : "
                                   f"{exc.message}") from None
        if delete is not None:
            db.delete(delete)
        if plan.organismes:
            db.flush()  # the organisme's contacts as they will be, for what partners would see
        for organisme in plan.organismes.values():
            db.expire(organisme, ["contacts"])
            organisme_publication.after_edit(user, organisme)
        db.commit()


# ---------------------------------------------------------------- intents

@intent
def create_adresse(db: DbSession, user, adresse: Adresse) -> Adresse:
    """Créer an address in an organisme's carnet (its commune resolved)."""
    _check_owner(db, user, adresse, "create")
    plan = _Plan()
    _plan_adresse(db, adresse, plan)
    db.add(adresse)
    _carry_out(db, user, plan, "adresse")
    return adresse


@intent
def save_adresse(db: DbSession, user, adresse: Adresse, expected_version=None) -> Adresse:
    """Enregistrer an address whose fields the caller changed: a change of the sessions using it."""
    _check_owner(db, user, adresse, "edit")
    _check_version(adresse, expected_version)
    plan = _Plan()
    _plan_adresse(db, adresse, plan)
    _carry_out(db, user, plan, "adresse")
    return adresse


@intent
def delete_adresse(db: DbSession, user, adresse: Adresse, expected_version=None) -> None:
    """Supprimer an address, refused while a non-archived session uses it."""
    _check_owner(db, user, adresse, "delete")
    _check_version(adresse, expected_version)
    plan = _Plan()
    _plan_removal(db, adresse, plan)
    _carry_out(db, user, plan, "adresse", delete=adresse)


@intent
def create_contact(db: DbSession, user, contact: Contact) -> Contact:
    """Créer a contact in an organisme's carnet."""
    _check_owner(db, user, contact, "create")
    plan = _Plan()
    _plan_contact(db, contact, plan)
    organisme_id = contact.organisme.id if contact.organisme is not None else contact.organisme_id
    _one_principal(db, organisme_id, [contact], plan, "principal")
    db.add(contact)
    _carry_out(db, user, plan, "contact")
    return contact


@intent
def save_contact(db: DbSession, user, contact: Contact, expected_version=None) -> Contact:
    """Enregistrer a contact whose fields the caller changed: a change of the actions showing it."""
    _check_owner(db, user, contact, "edit")
    _check_version(contact, expected_version)
    plan = _Plan()
    _plan_contact(db, contact, plan)
    _one_principal(db, contact.organisme_id, [contact], plan, "principal")
    _carry_out(db, user, plan, "contact")
    return contact


@intent
def delete_contact(db: DbSession, user, contact: Contact, expected_version=None) -> None:
    """Supprimer a contact, refused while a non-archived action or session shows it."""
    _check_owner(db, user, contact, "delete")
    _check_version(contact, expected_version)
    plan = _Plan()
    _plan_removal(db, contact, plan)
    _carry_out(db, user, plan, "contact", delete=contact)


@intent
def save_organisme_fiche(db: DbSession, user, organisme: Organisme,
                         versions: dict[tuple[str, int], object] | None = None) -> Organisme:
    """Enregistrer the fiche organisme (created when new) with its inline carnet rows, as the caller
    set them: rows added, changed, or marked for deletion (db.delete). `versions`: the version of
    each row the page showed, by ("adresse" | "contact", id), refused if it changed since (or
    if the page gave none for a row it changes: the whole save is refused, nothing written).

    The main address's commune is resolved (its region is the organisme's); each row follows the
    rules of its own intent above, its refusals reported on "adresses" / "contacts"."""
    if organisme.id is None:
        check_allowed(user, "organisme", "create")
    else:
        check_allowed(user, "organisme", "edit", organisme)
    required, versions = versions is not None, versions or {}
    plan = _Plan()
    seat = communes.apply_to_organisme(db, organisme)
    if seat.message:
        plan.errors.append((seat.field, seat.message))
    if organisme.site_internet and rules.validate_url(organisme.site_internet):
        # partners receive it (LHEO <web>): a javascript: or data: address is refused here
        plan.errors.append(("site_internet", rules.validate_url(organisme.site_internet)))
    plan.errors += identity_problems(organisme)  # a validated organisme keeps its SIRET and NDA
    for at, rows, check in (("adresses", organisme.adresses, _plan_adresse),
                            ("contacts", organisme.contacts, _plan_contact)):
        for row in rows:
            row_plan = _Plan()
            removed = row in db.deleted
            try:
                if row.id is not None and (removed or db.is_modified(row)):
                    _check_version(row, versions.get((_kind(row), row.id)), required)
                if removed:
                    _plan_removal(db, row, row_plan)
                else:
                    check(db, row, row_plan)
            except ServiceError as exc:
                row_plan.errors += exc.errors
            label = (row.libelle if isinstance(row, Adresse) else str(row)) or "Nouvelle ligne"
            plan.errors += [(at, f"« {label} » : {message}") for _f, message in row_plan.errors]
            plan.actions.update(row_plan.actions)
            plan.unlink += row_plan.unlink
            plan.organismes.update(row_plan.organismes)
    _one_principal(db, organisme.id, list(organisme.contacts), plan, "contacts")
    db.add(organisme)
    plan.organismes[organisme.id] = organisme  # (None for a new one: one key is enough)
    _carry_out(db, user, plan, "organisme")
    return organisme


__all__ = ["create_adresse", "save_adresse", "delete_adresse", "create_contact", "save_contact", "delete_contact",
           "save_organisme_fiche", "STALE", "ServiceError"]
