"""The documentaliste's review diff: what changed since the last visa, as a person reads it.

`publication.diff(published, snapshot)` gives the changed keys of the published content
(services/publication.py: ISO dates, decimals as text, code and id lists, addresses and
contacts as dicts, funders as [{financeur_code, nb_places}]). Each becomes (rubrique, French
label, before, after): referenced rows by their label, LHEO codes with theirs, Oui/Non, dates
as JJ/MM/AAAA, MM/AAAA or AAAA per their precision (a precision that alone changed shows as a
change of its date), prices in euros, an address or a contact on one line.
"""
from __future__ import annotations

from sqlalchemy import inspect

from .. import rules
from ..extensions import db
from ..models import (
    Action,
    BlocCompetences,
    Certification,
    Formacode,
    Langue,
    ModalitePedagogique,
    Nsf,
    PublicVise,
    Rome,
    Session,
)
from ..services import publication
from . import readable
from .action_fiche import CODED, LHEO_CODED
from .action_fields import NiveauBacField
from .labels import ACTION_LABELS, SESSION_LABELS

COLLECTIONS = {"certifications": Certification, "blocs": BlocCompetences, "formacodes": Formacode, "nsfs": Nsf,
               "romes": Rome, "publics": PublicVise, "langues": Langue,
               "modalites_pedagogiques_codes": ModalitePedagogique}
# A version visé before the codes had their own key kept them under the text's key.
LEGACY_LISTS = {"modalites_pedagogiques": "modalites_pedagogiques_codes"}
PRECISION_OF = {"date_debut": "debut_precision", "date_fin": "fin_precision"}
DATE_OF = {precision: name for name, precision in PRECISION_OF.items()}
LHEO_DATES = ("inscription_debut", "inscription_fin", "dates_information")
HOURS = ("duree_totale", "heures_centre", "heures_entreprise")


def _foreign_keys(model) -> dict[str, type]:
    """column key -> target model, for many-to-one relationships."""
    keys = {}
    for rel in inspect(model).relationships:
        if rel.direction.name == "MANYTOONE":
            for column in rel.local_columns:
                keys[column.key] = rel.mapper.class_
    return keys


def _labels(model, labels: dict) -> dict:
    """Labels by snapshot key: a foreign key column takes its relationship's label."""
    result = dict(labels)
    for rel in inspect(model).relationships:
        for column in rel.local_columns if rel.direction.name == "MANYTOONE" else ():
            result.setdefault(column.key, labels.get(rel.key, column.key))
    return result


def _names(model, keys: list) -> str:
    """Referenced rows by their label (one statement for the whole list)."""
    pk = inspect(model).primary_key[0]
    rows = {getattr(row, pk.key): row for row in db.session.query(model).filter(pk.in_(keys))}
    return ", ".join(str(rows.get(key) or key) for key in keys)


def readable_value(model, key: str, value, record: dict) -> str:
    """One snapshot value of `record` (the action's or a session's content) as a person reads it."""
    if value in (None, "", []):
        return ""
    if key in PRECISION_OF:
        return readable.french_date(value, record.get(PRECISION_OF[key]))
    if isinstance(value, list) and LEGACY_LISTS.get(key, key) in COLLECTIONS:
        return _names(COLLECTIONS[LEGACY_LISTS.get(key, key)], value)
    if key in publication.SESSION_ADDRESSES:
        return readable.address_text(value)
    if key == "contact":
        return readable.contact_text(value)
    if key == "financeurs":
        return readable.financeurs_text(value)
    if key in rules.PRICES:
        return readable.euros(value)
    if key in LHEO_DATES:
        return readable.french_dates(value)
    if key in HOURS:
        return readable.hours(value)
    if key in CODED:
        return CODED[key].get(value, value)
    if key in LHEO_CODED:
        return readable.coded(value, LHEO_CODED[key])
    if key == "niveau_bac":
        return dict(NiveauBacField.CHOICES).get(value, value)
    if isinstance(value, bool):
        return readable.oui_non(value)
    target = _foreign_keys(model).get(key)
    if target is not None:
        return str(db.session.get(target, value) or value)
    return str(value)


def review_rows(action) -> list[tuple[str, str, str, str]]:
    """What changed since the last visa, field by field and session by session (readable)."""
    old = publication.published(action)
    if old is None:
        return []
    new = publication.snapshot(action)
    sessions = ({s.get("numero"): s for s in old.get("sessions") or ()},
                {s.get("numero"): s for s in new.get("sessions") or ()})
    labels = {Action: _labels(Action, ACTION_LABELS), Session: _labels(Session, SESSION_LABELS)}
    rows, seen = [], set()
    for section, key, before, after in publication.diff(old, new):
        if key in (publication.SESSION_ADDED, publication.SESSION_REMOVED):
            rows.append((section, key, before or "", after or ""))
            continue
        if section == publication.ACTION_SECTION:
            model, records = Action, (old, new)
        else:
            numero = section.removeprefix("Session ")
            model, records = Session, (sessions[0].get(numero, {}), sessions[1].get(numero, {}))
        if key in DATE_OF:  # a precision is read with its date
            key = DATE_OF[key]
            before, after = records[0].get(key), records[1].get(key)
        if (section, key) in seen:
            continue
        seen.add((section, key))
        label = labels[model].get(key, key)
        if key in LEGACY_LISTS and isinstance(before, list):
            label = labels[model][LEGACY_LISTS[key]]
        rows.append((section, label, readable_value(model, key, before, records[0]),
                     readable_value(model, key, after, records[1])))
    return rows
