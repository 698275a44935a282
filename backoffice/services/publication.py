"""The published version of an action: what partners see, and what changed since the last visa.

Partners only ever see content a documentaliste visé (README.md, « What partners receive »). VISER stores
`snapshot(action)` as JSON in `action.version_publiee` (a CHECK of schema.sql makes a diffusable
action without it impossible); the LHEO feed, the single-action XML and the partner API read
only that stored version; the control screen shows `diff(published, snapshot)`.

The snapshot holds every piece of content an organisme can change, so that no edit reaches
partners before the next visa, whichever screen it comes from:
- every Action column (dates in ISO format, decimals as text) but the two JSON versions;
- the codes of its collections: "certifications" and "blocs" (ids), "formacodes", "nsfs",
  "romes", "publics", "langues", "modalites_pedagogiques_codes" (codes);
- "contact": the content of the action's contact (its carnet de contacts row), or None;
- "sessions": one dict per NON-archived session, every Session column plus the content of its
  addresses ("lieu", "adresse_inscription", "adresse_information"), of its "contact", and its
  "financeurs" ([{financeur_code, nb_places}]).
Withdrawals are not versioned: a session archived or deleted, a contact no longer diffusable
or deleted leave the feed at once (backoffice/export/lheo_data.py). No Flask import.
"""
from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal

import orjson
from sqlalchemy import inspect
from sqlalchemy.orm import object_session

# Bookkeeping and workflow columns: they change at every save or transition, they are not
# content a partner reads, so the review diff leaves them out. The *_id keys of embedded
# records are compared through the embedded content instead.
NOT_CONTENT = frozenset({
    "id", "numero", "version_id", "created_at", "updated_at", "last_actor", "version_publiee",
    "version_source", "controle", "publication", "etat_fiche", "soumis_le", "vise_le", "completude_le",
    "completude_message", "archive_le", "action_id", "lieu_id", "adresse_inscription_id",
    "adresse_information_id", "contact_id", "identifiant_externe", "action_externe", "source",
})
# Columns of an embedded address or contact that are not content.
EMBEDDED_BOOKKEEPING = frozenset({"created_at", "updated_at", "last_actor", "version_id", "organisme_id"})
COLLECTIONS = {  # snapshot key -> (relationship, attribute kept)
    "certifications": ("certifications", "id"), "blocs": ("blocs", "id"),
    "formacodes": ("formacodes", "code"), "nsfs": ("nsfs", "code"), "romes": ("romes", "code"),
    "publics": ("publics", "code"), "langues": ("langues", "code"),
    "modalites_pedagogiques_codes": ("modalites_pedagogiques_codes", "code"),
}
SESSION_ADDRESSES = ("lieu", "adresse_inscription", "adresse_information")
ACTION_SECTION = "Action"
SESSION_ADDED = "Session ajoutée"
SESSION_REMOVED = "Session supprimée ou archivée"


def plain(value):
    """A JSON-safe column value: dates ISO, decimals as text (no float rounding)."""
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _columns(obj, skip=frozenset()) -> dict:
    return {attr.key: plain(getattr(obj, attr.key)) for attr in inspect(obj).mapper.column_attrs
            if attr.key not in skip}


def embedded(obj) -> dict | None:
    """The content of an address or a contact, as a session or an action shows it."""
    return None if obj is None else _columns(obj, EMBEDDED_BOOKKEEPING)


def session_content(session) -> dict:
    content = _columns(session)
    for key in SESSION_ADDRESSES:
        content[key] = embedded(getattr(session, key))
    content["contact"] = embedded(session.contact)
    content["financeurs"] = [{"financeur_code": f.financeur_code, "nb_places": f.nb_places}
                             for f in sorted(session.financeurs, key=lambda f: f.financeur_code)]
    return content


def snapshot(action) -> dict:
    """The action's current content, JSON-safe (see the module docstring for the format)."""
    content = _columns(action, frozenset({"version_publiee", "version_source", "organisme_tri", "search_key"}))
    for key, (relation, attribute) in COLLECTIONS.items():
        content[key] = sorted(getattr(item, attribute) for item in getattr(action, relation))
    content["contact"] = embedded(action.contact)
    content["sessions"] = [session_content(s) for s in sorted(action.sessions, key=lambda s: s.numero or "")
                           if not s.archivee]
    return content


def dumps(content: dict) -> str:
    """The JSON stored in action.version_publiee."""
    return json.dumps(content, ensure_ascii=False, sort_keys=True)


def publish(action) -> dict:
    """Store the current content as the published version (VISER); returns it."""
    content = snapshot(action)
    action.version_publiee = dumps(content)
    return content


def published(action) -> dict | None:
    """The last visé content, or None if the action was never visé."""
    return loads(action.version_publiee)


def loads(text: str | None) -> dict | None:
    """A stored version (JSON) as a dict; read by orjson: the full feed parses one per offer, and
    the standard module's parser was a tenth of the export's time (bench/RESULTS.md)."""
    if not text:
        return None
    try:
        return orjson.loads(text)
    except ValueError:  # a hand-edited or truncated value: better no published version than a 500
        return None


def is_current_format(content: dict) -> bool:
    """False for a version stored before addresses and contacts were part of it (a session with a
    place but no embedded "lieu"): `flask backfill-published` stores it again."""
    return "contact" in content and all("lieu" in s for s in content.get("sessions") or ())


def _normalise(value):
    """Equal contents compare equal: '' and None, unordered lists."""
    if value == "":
        return None
    if isinstance(value, list):
        return sorted(value, key=str)
    return value


def _field_changes(section: str, old: dict, new: dict, labels: dict) -> list[tuple]:
    rows = []
    for key in sorted(set(old) | set(new), key=lambda k: (labels.get(k, k), k)):
        if key in NOT_CONTENT or key == "sessions":
            continue
        before, after = _normalise(old.get(key)), _normalise(new.get(key))
        if before != after:
            rows.append((section, labels.get(key, key), before, after))
    return rows


def diff(old: dict | None, new: dict, action_labels: dict | None = None,
         session_labels: dict | None = None) -> list[tuple]:
    """(section, field label, old, new) for every content change from `old` to `new`.

    Action fields first, then sessions matched by numero: a session only in `new` is
    "Session ajoutée", one only in `old` "Session supprimée ou archivée", and a session in
    both lists its changed fields. Embedded records (addresses, contacts) compare as a whole.
    `old` None (never visé) gives no rows. The labels map a column key to its French label
    (the key itself otherwise).
    """
    if old is None:
        return []
    action_labels, session_labels = action_labels or {}, session_labels or {}
    rows = _field_changes(ACTION_SECTION, old, new, action_labels)
    before = {s.get("numero"): s for s in old.get("sessions", [])}
    after = {s.get("numero"): s for s in new.get("sessions", [])}
    for numero in sorted(set(before) | set(after), key=str):
        section = f"Session {numero}"
        if numero not in before:
            rows.append((section, SESSION_ADDED, None, numero))
        elif numero not in after:
            rows.append((section, SESSION_REMOVED, numero, None))
        else:
            rows.extend(_field_changes(section, before[numero], after[numero], session_labels))
    return rows


def needs_backfill(action) -> bool:
    """A diffusable action whose published version is missing or in the old format."""
    content = published(action)
    return content is None or not is_current_format(content)


def backfill(action) -> dict:
    """Store, for a diffusable action, the version partners see at this moment (and return it):
    its current content when no version was stored (the feed used to fall back on it), else
    the stored one completed with what the feed used to read live: the content of its places
    and contact, and the keys that did not exist when it was stored. Nothing unreviewed is
    published: only what partners were already shown is frozen."""
    old = published(action)
    current = snapshot(action)
    if old is None:
        action.version_publiee = dumps(current)
        return current
    from ..models import Adresse, Contact  # models import services' siblings: no cycle at call time
    db = object_session(action)
    content = {**{k: v for k, v in current.items() if k not in old}, **old}
    if "contact" not in old:
        content["contact"] = embedded(db.get(Contact, old["contact_id"])) if old.get("contact_id") else None
    sessions = []
    for session in old.get("sessions") or ():
        session = dict(session)
        for key in SESSION_ADDRESSES:
            if key not in session:
                address_id = session.get(f"{key}_id")
                session[key] = embedded(db.get(Adresse, address_id)) if address_id else None
        session.setdefault("contact", None)
        session.setdefault("financeurs", [])
        sessions.append(session)
    content["sessions"] = sessions
    action.version_publiee = dumps(content)
    return content


__all__ = ["snapshot", "publish", "published", "diff", "dumps", "loads", "embedded", "session_content",
           "needs_backfill", "backfill", "NOT_CONTENT"]
