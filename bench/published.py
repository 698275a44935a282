"""The published version of a generated action, built from its rows as VISER would store it.

The generator keeps every row it writes as a dict of all the columns of its model (`columns`):
the COPY writes those values and this module turns the same dicts into the content of
backoffice.services.publication.snapshot(): every action column but the two JSON versions (dates
in ISO format, decimals as text), the sorted ids / codes of its collections (publication.COLLECTIONS), its "contact" embedded, its non-archived sessions by numero, each with
every session column, its addresses (publication.SESSION_ADDRESSES) and "contact" embedded
without their bookkeeping columns (publication.EMBEDDED_BOOKKEEPING), and its "financeurs".
The text is publication.dumps() of it. tests/integration/test_bench_generate.py compares it with
snapshot() read through the ORM for every diffusable action of a small generated base.

Values must come back from the database as they were written for the two to agree: decimals
carry their column's scale, timestamps have no microseconds (bench/rows.py sees to both).
"""
from __future__ import annotations

from sqlalchemy import Date, DateTime, Numeric, inspect

from backoffice.models import Action, Session
from backoffice.services import publication


def columns(model) -> list[str]:
    """Every column of a model (attribute keys are the column names in this code base)."""
    return [attr.key for attr in inspect(model).column_attrs]


def full_row(model, values: dict) -> dict:
    """A row of every column of `model`: `values`, else the model's scalar default, else None (a
    NOT NULL column left so fails the COPY loudly, rather than a database default that the
    published content built from the row would not know)."""
    row = {}
    for attr in inspect(model).column_attrs:
        default = attr.columns[0].default
        row[attr.key] = values.pop(attr.key) if attr.key in values else (
            default.arg if default is not None and default.is_scalar else None)
    if values:
        raise RuntimeError(f"{model.__name__} has no column {sorted(values)}")
    return row


class Plain:
    """publication.plain() of a whole row of `model`, converting only its date and numeric columns
    (a million session rows: the per-value type tests would cost more than the rest of their content)."""

    def __init__(self, model, skip=frozenset()):
        self.keys = [k for k in columns(model) if k not in skip]
        typed = {attr.key: attr.columns[0].type for attr in inspect(model).column_attrs}
        self.dates = [k for k in self.keys if isinstance(typed[k], (Date, DateTime))]
        self.numbers = [k for k in self.keys if isinstance(typed[k], Numeric)]

    def __call__(self, row: dict) -> dict:
        content = {k: row[k] for k in self.keys}
        for k in self.dates:
            if content[k] is not None:
                content[k] = content[k].isoformat()
        for k in self.numbers:
            if content[k] is not None:
                content[k] = str(content[k])
        return content


class Embedded:
    """The content of the addresses or contacts written so far, by id, as snapshot() embeds them
    (one dict per record, shared by every version that embeds it: read, never changed)."""

    def __init__(self, model):
        self.plain = Plain(model, publication.EMBEDDED_BOOKKEEPING)
        self.rows: dict[int, dict] = {}

    def keep(self, row: dict) -> None:
        self.rows[row["id"]] = self.plain(row)

    def get(self, record_id: int | None) -> dict | None:
        return None if record_id is None else self.rows[record_id]


def session_content(row: dict, addresses: Embedded, contacts: Embedded,
                    financeurs: list[tuple[str, int | None]]) -> dict:
    """publication.session_content() of a session row; `financeurs` are (code, places) pairs."""
    content = _plain_session(row)
    for key in publication.SESSION_ADDRESSES:
        content[key] = addresses.get(row[f"{key}_id"])
    content["contact"] = contacts.get(row["contact_id"])
    content["financeurs"] = [{"financeur_code": code, "nb_places": places} for code, places in sorted(financeurs)]
    return content


def action_version(row: dict, collections: dict[str, list], contacts: Embedded, sessions: list[dict]) -> str:
    """The text VISER stores in version_publiee for an action row, its collections (Action
    relationship -> ids or codes), and the session_content() of its sessions (archived ones are
    left out here)."""
    relationships = {relation: key for key, (relation, _attribute) in publication.COLLECTIONS.items()}
    if collections.keys() != relationships.keys():
        raise RuntimeError(f"the generator fills {sorted(collections)}, the published version holds "
                           f"{sorted(relationships)}: bench/offer_rows.py must follow")
    content = _plain_action(row)
    content.update({relationships[relation]: sorted(values) for relation, values in collections.items()})
    content["contact"] = contacts.get(row["contact_id"])
    content["sessions"] = sorted((s for s in sessions if not s["archivee"]), key=lambda s: s["numero"])
    return publication.dumps(content)


_plain_session = Plain(Session)
_plain_action = Plain(Action, frozenset({"version_publiee", "version_source", "search_key", "organisme_tri"}))
