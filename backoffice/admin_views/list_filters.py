"""The filters the big lists offer, each one answered through an index (every one is
measured by bench/bench_search.py at 400,000 actions / 1,200,000 sessions / 2,000,000 history rows).

Flask-Admin derives from each column seven operations (contient, ne contient pas, vaut, ne vaut pas,
vide, dans la liste, hors de la liste), joins for a dotted column, and reads "vide" on a joined
column as an inner join with IS NULL (nothing, after a scan of the base). Here each filter is one
condition on the list's own table that an index of schema.sql serves in the list's order:
- a related record by its identifier or label: its id looked up first (organisme, action, programme,
  dispositif, modalité), then the list's own index on that key;
- the organisme by the name the list shows: action.organisme_tri and its index;
- coded values and flags: equality, indexed with the list's order after it (schema.sql);
- "Date de fin avant": also bounds the start date (a session ends after it starts, CHECK of
  schema.sql), so that the list, ordered by its start date, reads the matching rows first.
Not offered, because no index serves them in the list's order: "ne contient pas", "ne vaut pas",
"vide" (on a column never empty), "dans la liste", "Date de fin entre", "contient" inside long texts.
"""
from flask_admin.contrib.sqla import filters as sqla
from flask_admin.contrib.sqla.filters import BooleanEqualFilter, FilterEqual
from sqlalchemy import select

from ..models import Action, Dispositif, Modalite, Organisme, Programme
from ..models import Session as FormationSession
from ..services.search_text import contains, text_condition


def equals(column, value):
    return column == value


def organisme_words(_column, value):
    """Organismes with every word typed in their names, accents and case aside, through their
    search key's trigram index (services/search_text.py); a scan of the wide organisme table costs
    100 ms at 50,000 organismes."""
    condition = text_condition(Organisme, value)
    return condition if condition is not None else contains(Organisme.raison_sociale, value)


class LookupFilter(sqla.BaseSQLAFilter):
    """The rows whose key (a column of the list's own table: no join) points at a record matching
    the value, looked up first in its (small or indexed) table: an organisme by raison sociale or
    identifiant, a programme, a dispositif, a modalité, a type of financeur by its label."""

    def __init__(self, key, name, target_key, target, matches=equals, operation: str = "vaut"):
        super().__init__(key, name)
        self.target_key, self.target, self.matches, self._operation = target_key, target, matches, operation

    def apply(self, query, value, alias=None):
        found = select(self.target_key).where(self.matches(self.target, value.strip()))
        return query.filter(self.column.in_(found))

    def operation(self):
        return self._operation


class NumeroFilter(LookupFilter):
    """The rows of the record of this number (unique): equality to its id, which the database reads
    first, so that the list's (key, order) index serves the page (an IN would sort every row of the
    largest organisme: 120 ms at 35,000 actions)."""

    def apply(self, query, value, alias=None):
        found = select(self.target_key).where(self.target == value.strip().upper()).scalar_subquery()
        return query.filter(self.column == found)


def lookups(key, name, target_key, target) -> list:
    """"vaut" and "contient" on a referential's label."""
    return [LookupFilter(key, name, target_key, target), LookupFilter(key, name, target_key, target, contains, "contient")]


class ProgrammeRenseigneFilter(sqla.BaseSQLAFilter, sqla.filters.BaseBooleanFilter):
    """Programme renseigné (oui) or vide (non): programme_id, no join."""

    def apply(self, query, value, alias=None):
        return query.filter(Action.programme_id.is_not(None) if value == "1" else Action.programme_id.is_(None))

    def operation(self):
        return "renseigné"


class FinAvantFilter(sqla.DateSmallerFilter):
    def apply(self, query, value, alias=None):
        return query.filter(FormationSession.date_fin < value, FormationSession.date_debut < value)


def action_filters(controle, publication, etat_fiche):
    """The actions list's filters (the indicators' choices given by the view)."""
    return [
        FilterEqual(Action.controle, "Indicateur de contrôle", options=controle),
        FilterEqual(Action.publication, "Indicateur de publication", options=publication),
        FilterEqual(Action.etat_fiche, "Etat de la fiche", options=etat_fiche),
        BooleanEqualFilter(Action.conventionnee, "Action conventionnée"),
        *lookups(Action.programme_id, "Programme", Programme.id, Programme.intitule),
        ProgrammeRenseigneFilter(Action.programme_id, "Programme"),
        FilterEqual(Action.source, "Source"),
        # the name the list shows, copied on the action (models/sort_keys.py): its index, in the list's order
        FilterEqual(Action.organisme_tri, "Organisme"),
        LookupFilter(Action.organisme_id, "Organisme", Organisme.id, Organisme.search_key, organisme_words, "contient"),
        NumeroFilter(Action.organisme_id, "Organisme (identifiant)", Organisme.id, Organisme.numero),
    ]


def session_filters():
    S = FormationSession
    return [
        BooleanEqualFilter(S.archivee, "Archivée"),
        sqla.DateEqualFilter(S.date_debut, "Date de début"),
        sqla.DateGreaterFilter(S.date_debut, "Date de début"),
        sqla.DateSmallerFilter(S.date_debut, "Date de début"),
        sqla.DateBetweenFilter(S.date_debut, "Date de début"),
        sqla.DateEqualFilter(S.date_fin, "Date de fin"),
        sqla.DateGreaterFilter(S.date_fin, "Date de fin"),
        FinAvantFilter(S.date_fin, "Date de fin"),
        *lookups(S.dispositif_id, "Dispositif", Dispositif.id, Dispositif.libelle),
        *lookups(S.modalite_code, "Modalité", Modalite.code, Modalite.libelle),
        NumeroFilter(S.action_id, "Action (identifiant)", Action.id, Action.numero),
    ]
