"""What an LHEO import wrote under one source, without what differs between two runs of the same
file (ids, numbers, Créé le / Modifié le, the source's name): to compare the bulk path with the ORM
writer, record by record and history row by history row."""
from sqlalchemy import inspect, select

from backoffice.extensions import db
from backoffice.lheo_import.merge import loads
from backoffice.lheo_import.writer import COLLECTIONS
from backoffice.models import Action, Adresse, Contact, History, Organisme, Session

IDS = {"id", "numero", "organisme_id", "action_id", "contact_id", "programme_id", "lieu_id", "adresse_inscription_id",
       "adresse_information_id", "dispositif_id", "created_at", "updated_at", "soumis_le", "source",
       "version_source"}


def _columns(obj, *skip) -> dict:
    return {a.key: getattr(obj, a.key) for a in inspect(type(obj)).column_attrs if a.key not in IDS | set(skip)}


def _content(obj) -> tuple | None:
    return None if obj is None else tuple(sorted(_columns(obj).items(), key=lambda kv: kv[0]))


def records_of(source: str) -> dict:
    """{"organismes", "actions", "history"} of the records an import made under `source`."""
    keys = []
    organismes = {}
    for org in db.session.scalars(select(Organisme).where(Organisme.source == source)):
        keys.append(("organisme", str(org.id)))
        keys += [("contact", str(c.id)) for c in org.contacts] + [("adresse", str(a.id)) for a in org.adresses]
        organismes[(org.identifiant_externe, org.siret)] = {
            **_columns(org), "version": loads(org.version_source),
            "contacts": sorted(map(repr, (_content(c) for c in org.contacts))),
            "adresses": sorted(map(repr, (_content(a) for a in org.adresses)))}
    actions = {}
    for action in db.session.scalars(select(Action).where(Action.source == source)):
        keys.append(("action", str(action.id)))
        sessions = {}
        for s in action.sessions:
            keys.append(("session", str(s.id)))
            keys += [("session_financeur", f"{s.id},{f.financeur_code}") for f in s.financeurs]
            sessions[s.identifiant_externe] = {
                **_columns(s), "dispositif": s.dispositif.code if s.dispositif else None,
                "lieu": _content(s.lieu), "inscription": _content(s.adresse_inscription),
                "information": _content(s.adresse_information), "contact": _content(s.contact),
                "financeurs": [(f.financeur_code, f.nb_places) for f in s.financeurs]}
        actions[action.identifiant_externe] = {
            **_columns(action), "organisme": (action.organisme.identifiant_externe, action.organisme.siret),
            "programme": action.programme.code if action.programme else None, "contact": _content(action.contact),
            "version": loads(action.version_source), "sessions": sessions,
            **{key: sorted(str(getattr(x, attribute)) for x in getattr(action, relation))
               for key, (relation, _model, attribute) in COLLECTIONS.items()}}
    wanted = set(keys)
    history = sorted(
        (h.entity, h.op, h.field, h.old_value, h.new_value, h.message, h.actor_label, h.user_id,
         h.numero if h.entity in ("adresse", "contact", "session_financeur") else None)
        for h in db.session.scalars(select(History)) if (h.entity, h.entity_key) in wanted)
    return {"organismes": organismes, "actions": actions, "history": history}


def count_of(model) -> int:
    return len(db.session.scalars(select(model.id)).all())


__all__ = ["records_of", "count_of", "Action", "Adresse", "Contact", "Session"]
