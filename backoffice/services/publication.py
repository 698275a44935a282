"""The published version of an action: what partners see, and what changed since the last visa.

SPEC section 3: partners keep seeing the last visé content while a modified version waits for
control; the documentaliste sees what changed since the last visa. VISER stores `snapshot(action)`
as JSON in `action.version_publiee`; the LHEO export reads `published(action) or
snapshot(action)` for diffusable actions; the control screen shows `diff(published, snapshot)`.

The snapshot format is a contract with the LHEO export (backoffice/export/lheo_data.py):
every Action column (dates in ISO format, decimals as text) except `version_publiee`,
"certifications": [ids], "formacodes": [codes], "nsfs": [codes], and "sessions": one dict of
every Session column (lieu_id included) per NON-archived session. No Flask import.
"""
from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import inspect

# Bookkeeping and workflow columns: they change at every save or transition, they are not
# content a partner reads, so the review diff leaves them out.
NOT_CONTENT = frozenset({
    "id", "numero", "version_id", "created_at", "updated_at", "last_actor", "version_publiee",
    "controle", "publication", "etat_fiche", "soumis_le", "vise_le", "completude_le",
    "completude_message", "archive_le", "action_id",
})
ACTION_SECTION = "Action"
SESSION_ADDED = "Session ajoutée"
SESSION_REMOVED = "Session supprimée ou archivée"


def _plain(value):
    """A JSON-safe column value: dates ISO, decimals as text (no float rounding)."""
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _columns(obj) -> dict:
    return {attr.key: _plain(getattr(obj, attr.key)) for attr in inspect(obj).mapper.column_attrs}


def snapshot(action) -> dict:
    """The action's current content, JSON-safe (see the module docstring for the format)."""
    content = _columns(action)
    content.pop("version_publiee", None)
    content["certifications"] = sorted(c.id for c in action.certifications)
    content["formacodes"] = sorted(f.code for f in action.formacodes)
    content["nsfs"] = sorted(n.code for n in action.nsfs)
    content["sessions"] = [_columns(s) for s in sorted(action.sessions, key=lambda s: s.numero or "")
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
    """The last visé content, or None if the action was never visé since this feature exists."""
    if not action.version_publiee:
        return None
    try:
        return json.loads(action.version_publiee)
    except ValueError:  # a hand-edited or truncated value: better no published version than a 500
        return None


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
    both lists its changed fields. `old` None (never visé) gives no rows. The labels map a
    column key to its French label (key itself otherwise).
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


__all__ = ["snapshot", "publish", "published", "diff", "dumps", "NOT_CONTENT"]
