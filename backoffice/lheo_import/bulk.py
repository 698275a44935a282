"""Formations new to the base, written in bulk: what Writer.apply writes for a new action, with
multi-row statements instead of the ORM's one INSERT per record.

For each formation given (its action new to this source; its organisme new, or known and left
unchanged by the feed: the batch sends every other case to the ORM writer):
- the organisme, created as Records.organisme creates one (its contact principal included), or
  only its memory of the feed stored;
- its places and contacts found by their content in the organisme's carnet, or created;
- the action, its collections, its sessions and their funders, the same columns as the ORM
  writer sets (merge.py's rule for a record never imported: every value the feed carries);
- the state the workflow gives an imported action (workflow.apply(IMPORTER), never written here);
- the numbers (OF_/AF_/SE_), one block per batch and prefix from identifier_counter;
- Créé le / Modifié le / Dernier utilisateur and the history rows the ORM listeners write
  (backoffice/models/listeners.py: one "Création" row per record) and the transition row
  (services.actions.record_transition); a known organisme whose carnet grows is modified as the
  ORM sees it (Modifié le, version_id), without a history row, as the listeners do.
On PostgreSQL every row goes in with COPY (the ids taken from the tables' sequences first, a
block per batch); elsewhere INSERT ... RETURNING several rows per statement, and executemany.
Planned in the main thread; write() may run in another one (batch_write): it only executes.
"""
from __future__ import annotations

from collections import Counter
from datetime import date
from decimal import Decimal
from operator import itemgetter
from types import SimpleNamespace

from sqlalchemy import insert, select, text, update
from sqlalchemy.orm import Session as DbSession

from .. import workflow as W
from ..actor import current_actor
from ..models import (
    Action,
    Adresse,
    Contact,
    EtatOrganisme,
    History,
    Organisme,
    Session,
    SessionFinanceur,
)
from ..models.listeners import utcnow
from ..models.search_keys import fill_search_keys
from ..models.sort_keys import organisme_sort_key
from ..rules import format_numero
from .lookups import OrganismeRow, address_key, person_key
from .merge import carried, dumps, loads, merge
from .parser_parts import ADDRESS_KEYS
from .parser_sessions import DEFAULT_INSCRIPTION
from .refs import Referentials
from .resolve import ACTION_COLUMNS, SESSION_COLUMNS
from .writer import COLLECTIONS, DATES, DECIMALS
from .writer_records import ORGANISME_ADDRESS, column, plain

HISTORY_COLUMNS = ("entity", "entity_key", "numero", "op", "field", "old_value", "new_value", "message",
                   "user_id", "actor_label", "at")
IMPORTED = W.apply(W.Event.IMPORTER, W.INITIAL_STATE, W.Actor.IMPORT)


def defaults(model) -> dict:
    """Every column of `model` but its id, at its model default (what an INSERT of a new object
    without that attribute writes)."""
    row = {}
    for col in model.__table__.columns:
        if col.key != "id":
            row[col.key] = col.default.arg if col.default is not None and col.default.is_scalar else None
    return row


_DEFAULTS = {model: defaults(model) for model in (Organisme, Adresse, Contact, Action, Session)}


class Ref:
    """A row to insert; its id once inserted."""
    __slots__ = ("row", "id", "key")

    def __init__(self, row: dict, key=None):
        self.row, self.id, self.key = row, None, key


def ident(value):
    """A foreign key: an id, or the Ref of a row inserted earlier in the batch."""
    return value.id if isinstance(value, Ref) else value


class Bulk:
    """The rows of one batch's new formations, then written at once (write())."""

    def __init__(self, session: DbSession, source: str, refs: Referentials):
        self.session, self.source, self.refs = session, source, refs
        self.now, self.actor = utcnow(), current_actor()
        self.postgresql = session.get_bind().dialect.name == "postgresql"
        self.counts: Counter = Counter()
        self.organismes: dict = {}  # organisme key -> Ref (new) or id (known)
        self.carnets: dict = {}  # organisme key -> ({contact content: Ref | id}, {address content: Ref | id})
        self.rows: dict = {model: [] for model in (Organisme, Contact, Adresse, Action, Session)}
        self.links: dict[str, list] = {key: [] for key in COLLECTIONS}
        self.financeurs: list[tuple] = []
        self.versions: list[tuple] = []  # (model, id, version text): memory stored, record untouched
        # an organisme whose carnet a later formation adds to is modified as the ORM sees it (its
        # contacts / adresses collections): Modifié le, Dernier utilisateur and version_id move
        self.touched: Counter = Counter()
        self.fresh = None  # the organisme the current formation created

    # ------------------------------------------------------------ planning (no SQL)
    def tracked(self, model, values: dict) -> dict:
        return {**_DEFAULTS[model], **values, "created_at": self.now, "updated_at": self.now,
                "last_actor": self.actor.label}

    def organisme(self, key, data: dict, known: OrganismeRow | None, carnet: tuple | None):
        """The organisme of a formation (`key`: how the batch names it): created the first time a
        new one is met, else its memory of the feed stored when it changes."""
        self.fresh = None
        if key in self.organismes:
            return key
        feed = {**data["fields"], "contact": data["contact"]}
        if known is not None:
            self.organismes[key] = known.id
            self.carnets[key] = carnet or ({}, {})
            result = merge(feed, loads(known.version_source), {})
            text_ = dumps(result.version)
            if text_ != known.version_source:
                self.versions.append((Organisme, known.id, text_))
            return key
        version = carried(feed)
        changes = dict(version)
        person = changes.pop("contact", None)
        row = self.tracked(Organisme, {"source": self.source, "identifiant_externe": data["ext_id"],
                                       "etat": EtatOrganisme.BROUILLON.value,
                                       "raison_sociale": data["fields"]["raison_sociale"]})
        row.update({k: column(k, v) for k, v in changes.items()})
        if any(k in changes for k in ORGANISME_ADDRESS):
            place, _reason = self.refs.commune({**{k: plain(column(k, changes.get(k)))
                                                   for k in ORGANISME_ADDRESS}, "_insee": data["_insee"]})
            row["code_insee"], row["region_code"] = place.code_insee, place.region_code
        row["version_source"] = dumps(version)
        ref = self.organismes[key] = Ref(row, key)
        self.fresh = key
        self.rows[Organisme].append(ref)
        self.carnets[key] = ({}, {})
        self.counts["organismes_crees"] += 1
        if person is not None:
            self.contact(key, person).row["principal"] = True
        return key

    def contact(self, key, person: dict):
        contacts = self.carnets[key][0]
        found = contacts.get(person_key(person))
        if found is None:
            found = contacts[person_key(person)] = Ref(self.tracked(Contact, {
                "organisme_id": self.organismes[key], "diffusable": True, "principal": False, **person}))
            self.rows[Contact].append(found)
        return found

    def adresse(self, key, address: dict):
        wanted = {k: address.get(k) for k in ADDRESS_KEYS}
        adresses = self.carnets[key][1]
        found = adresses.get(address_key(wanted))
        if found is None:
            place, _reason = self.refs.commune(address)
            found = adresses[address_key(wanted)] = Ref(self.tracked(Adresse, {
                "organisme_id": self.organismes[key], **{k: column(k, v) for k, v in wanted.items()},
                "code_insee": place.code_insee, "departement_code": place.departement_code,
                "region_code": place.region_code}))
            self.rows[Adresse].append(found)
        return found

    def action(self, key, data: dict, feed: dict, sessions: list, memory: dict | None) -> None:
        """A new action and its sessions (Writer.apply for an action the base does not hold)."""
        carnets = len(self.rows[Contact]) + len(self.rows[Adresse])
        changes = carried(feed)  # also what the feed said, remembered below
        row = self.tracked(Action, {"organisme_id": self.organismes[key], "source": self.source,
                                    "identifiant_externe": data["numero"], "intitule": data["action"]["intitule"]})
        row.update({k: changes[k] for k in ACTION_COLUMNS if k in changes})
        if "contact" in changes:
            row["contact_id"] = self.contact(key, changes["contact"])
        if "programme" in changes:
            row["programme_id"] = self.refs.programmes[changes["programme"]]
        if not row["conventionnee"] and row["programme_id"] is not None:
            row["programme_id"] = None  # schema.sql: a programme only for a conventionnée action
        ref = Ref(row)
        for name in COLLECTIONS:
            self.links[name].extend((ref, value) for value in changes.get(name, ()))
        versions = {ext_id: self.session_row(key, ref, ext_id, values) for ext_id, values in sessions}
        version = {"action": changes, "sessions": versions}
        if memory is not None:
            version["import"] = memory
        row["version_source"] = dumps(version)
        row["controle"], row["publication"], row["etat_fiche"] = (
            IMPORTED.controle.value, IMPORTED.publication.value, IMPORTED.fiche.value)
        if IMPORTED.controle is W.Controle.A_CONTROLER:
            row["soumis_le"] = self.now
        self.rows[Action].append(ref)
        self.counts["actions_creees"] += 1
        if self.fresh != key and len(self.rows[Contact]) + len(self.rows[Adresse]) > carnets:
            self.touched[key] += 1

    def session_row(self, key, action: Ref, ext_id: str, feed: dict) -> dict:
        # Writer.grouped adds nothing to a new session's changes: they hold every value carried
        changes = carried(feed)
        row = self.tracked(Session, {"action_id": action, "identifiant_externe": ext_id})
        for k in SESSION_COLUMNS:
            if k in changes:
                value = changes[k]
                row[k] = date.fromisoformat(value) if k in DATES else (
                    Decimal(value) if k in DECIMALS and value is not None else value)
        if "dispositif" in changes:
            row["dispositif_id"] = self.refs.dispositifs[changes["dispositif"]]
        for k in ("lieu", "adresse_information"):
            if k in changes:
                row[f"{k}_id"] = self.adresse(key, changes[k])
        if "adresse_inscription" in changes and changes["adresse_inscription"] != DEFAULT_INSCRIPTION:
            row["adresse_inscription_id"] = self.adresse(key, changes["adresse_inscription"])
        if "contact" in changes:
            row["contact_id"] = self.contact(key, changes["contact"])
        ref = Ref(row)
        self.financeurs.extend((ref, code, places) for code, places in changes.get("financeurs", ()))
        self.rows[Session].append(ref)
        self.counts["sessions_creees"] += 1
        return changes

    # ------------------------------------------------------------ writing
    def write(self) -> Counter:
        """Insert everything planned (in the caller's transaction); the counts of what was written."""
        for ref in self.rows[Organisme]:
            ref.row["version_id"] += self.touched.pop(ref.key, 0)
        self.number(Organisme, "OF")
        self.number(Action, "AF")
        self.number(Session, "SE")
        history = []
        created = self.created
        # written without the ORM: the search keys the models keep (models/search_keys.py)
        fill_search_keys(self.session, self.rows[Organisme], self.rows[Action])
        self.sort_keys(self.rows[Action])
        for model in (Organisme, Contact, Adresse, Action, Session):
            refs = self.rows[model]
            if refs:
                self.insert(model, refs)
            if model in (Contact, Adresse):  # no number: the history names them as the model does
                history += [created(model, str(ref.id), str(model.__str__(SimpleNamespace(**ref.row)))[:60])
                            for ref in refs]
            else:
                history += [created(model, str(ref.id), ref.row["numero"]) for ref in refs]
        for name, (relation, _model, _attribute) in COLLECTIONS.items():
            table = getattr(Action, relation).property.secondary
            target = [c.key for c in table.columns if c.key != "action_id"][0]
            self.copy(table, ["action_id", target], [(ref.id, value) for ref, value in self.links[name]])
        funders = [(ref.id, code, places) for ref, code, places in self.financeurs]
        self.copy(SessionFinanceur.__table__, ["session_id", "financeur_code", "nb_places"], funders)
        history += [created(SessionFinanceur, f"{sid},{code}", str(SessionFinanceur.__str__(
            SimpleNamespace(financeur=None, financeur_code=code, nb_places=places)))[:60])
            for sid, code, places in funders]
        label, message = W.state_label(IMPORTED), W.EVENT_LABELS[W.Event.IMPORTER]
        user_id, actor, now = self.actor.user_id, self.actor.label, self.now
        history += [(Action.__tablename__, str(ref.id), ref.row["numero"], "transition", "indicateurs", None, label,
                     message, user_id, actor, now) for ref in self.rows[Action]]
        table = Organisme.__table__
        for key, times in self.touched.items():
            self.session.execute(update(table).where(table.c.id == self.organismes[key]).values(
                version_id=table.c.version_id + times, updated_at=self.now, last_actor=self.actor.label))
        for model, record_id, version in self.versions:
            self.session.execute(update(model.__table__).where(model.__table__.c.id == record_id)
                                 .values(version_source=version))
        self.copy(History.__table__, list(HISTORY_COLUMNS), history)
        return self.counts

    def sort_keys(self, actions: list[Ref]) -> None:
        """The list's sort key of new actions (action.organisme_tri, models/sort_keys.py) in their rows,
        before the COPY: what fill_action_sort_keys would set by an UPDATE of each action just
        written, a second version of every row and of its index entries (it doubled PostgreSQL's
        work of the import: bench/RESULTS.md, LHEO import at scale, 2026-12-05)."""
        known = {ref.row["organisme_id"] for ref in actions if not isinstance(ref.row["organisme_id"], Ref)}
        names = {}
        if known:
            table = Organisme.__table__
            names = {row.id: organisme_sort_key(row) for row in self.session.execute(
                select(table.c.id, table.c.nom_usuel, table.c.raison_sociale).where(table.c.id.in_(known)))}
        for ref in actions:
            owner = ref.row["organisme_id"]
            ref.row["organisme_tri"] = (organisme_sort_key(SimpleNamespace(**owner.row)) if isinstance(owner, Ref)
                                        else names.get(owner))

    def insert(self, model, refs: list[Ref]) -> None:
        """Rows whose id the next ones need: ids taken from the table's sequence then COPY on
        PostgreSQL, INSERT ... RETURNING (several rows per statement) elsewhere."""
        table = model.__table__
        columns = list(refs[0].row)
        if self.postgresql:
            ids = self.session.execute(text(f"SELECT nextval(pg_get_serial_sequence('{table.name}', 'id')) "
                                            "FROM generate_series(1, :n)"), {"n": len(refs)}).scalars().all()
            for ref, new_id in zip(refs, ids, strict=True):
                ref.id = new_id
            # a Ref is only ever a foreign key (*_id): the other columns are taken as they are
            keys = [c for c in columns if c.endswith("_id")]
            values = [c for c in columns if not c.endswith("_id")]
            take = itemgetter(*values)
            self.copy(table, ["id", *values, *keys],
                      [(ref.id, *take(ref.row), *[ident(ref.row[c]) for c in keys]) for ref in refs])
            return
        rows = [{c: ident(ref.row[c]) for c in columns} for ref in refs]
        ids = self.session.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True),
                                   rows).scalars().all()
        for ref, new_id in zip(refs, ids, strict=True):
            ref.id = new_id

    def created(self, model, key: str, numero: str) -> tuple:
        """The "Création" history row of a record, in HISTORY_COLUMNS' order."""
        return (model.__tablename__, key, numero, "insert", None, None, None, "Création", self.actor.user_id,
                self.actor.label, self.now)

    def number(self, model, prefix: str) -> None:
        """One block of numbers per batch and prefix (listeners.next_numero takes them one by one)."""
        refs = self.rows[model]
        if not refs:
            return
        last = self.session.execute(text("UPDATE identifier_counter SET last_value = last_value + :n "
                                         "WHERE prefix = :prefix RETURNING last_value"),
                                    {"n": len(refs), "prefix": prefix}).scalar_one()
        for offset, ref in enumerate(refs):
            ref.row["numero"] = format_numero(prefix, last - len(refs) + 1 + offset)

    def copy(self, table, columns: list[str], rows: list[tuple]) -> None:
        """Rows without an id to read back: COPY on PostgreSQL, executemany elsewhere."""
        if not rows:
            return
        if self.postgresql:
            raw = self.session.connection().connection.dbapi_connection
            with raw.cursor() as cursor, cursor.copy(
                    f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        self.session.execute(insert(table), [dict(zip(columns, row, strict=True)) for row in rows])
