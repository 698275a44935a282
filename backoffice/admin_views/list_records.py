"""A list page's rows as plain records instead of ORM objects (issue 7, bench/RESULTS.md).

Turning a row of the page's statement into an ORM object costs ~15 µs, and a joined relation as
much again: its instance state, identity map entry and a loader callable for every column left
unloaded. The grid only reads a few columns, and never writes: for a view that names them
(`list_load_only`), the statement selects exactly those columns (its relations outer-joined) and
each row becomes a record, whose attributes are those columns and whose properties are the
model's own (Organisme.nom reads nom_usuel and raison_sociale as on the model). An export or any
other caller of the query still gets ORM objects.

A column the grid reads but the view did not name is an AttributeError on the record (a 500 in
the tests), never a silent empty cell: tests/integration/test_list_records.py compares every such
list with its ORM rendering.
"""
from __future__ import annotations

from sqlalchemy import inspect
from sqlalchemy.orm import aliased


def columns_by_relation(paths) -> dict[tuple, list[str]]:
    """("numero", "organisme.nom_usuel") -> {(): ["numero"], ("organisme",): ["nom_usuel"]}."""
    columns: dict[tuple, list[str]] = {}
    for path in paths:
        *relations, column = path.split(".")
        columns.setdefault(tuple(relations), []).append(column)
    return columns


class Record:
    """One row of a list page: the columns it was given, read-only by convention."""

    def __repr__(self):
        return f"<{type(self).__name__} {self.__dict__}>"


def _record_class(model) -> type:
    """Record with the model's properties (computed attributes) over the same names."""
    properties = {}
    for klass in reversed(model.__mro__):
        properties.update({name: value for name, value in vars(klass).items() if isinstance(value, property)})
    return type(f"{model.__name__}Record", (Record,), properties)


class _Part:
    """The columns of one entity of the row: the listed model, or one of its relations (aliased)."""

    def __init__(self, model, entity, names: list[str], relation: str | None = None, parent: _Part | None = None):
        self.cls, self.entity, self.relation, self.parent = _record_class(model), entity, relation, parent
        key = inspect(model).primary_key[0].key  # always read: a relation's tells "no related row"
        self.names = [key] + [name for name in names if name != key]
        self.columns = [getattr(entity, name) for name in self.names]
        self.start = 0  # position of its first column in the row


class RecordShape:
    """How a view's list_load_only paths ("numero", "organisme.raison_sociale") become the
    columns of the page's statement, and its rows records."""

    def __init__(self, model, paths):
        names_by_path = columns_by_relation(paths)
        names_by_path.setdefault((), [])
        for relations in list(names_by_path):
            for depth in range(len(relations)):  # a relation of a relation needs its parent's key
                names_by_path.setdefault(relations[:depth], [])
        self.parts: dict[tuple, _Part] = {}
        self.joins = []  # relationship attributes (of_type their alias), in join order
        for path in sorted(names_by_path, key=len):
            if not path:
                self.parts[path] = _Part(model, model, names_by_path[path])
                continue
            parent = self.parts[path[:-1]]
            attr = getattr(parent.entity, path[-1])
            target = attr.property.mapper.class_
            alias = aliased(target)
            self.joins.append(attr.of_type(alias))
            self.parts[path] = _Part(target, alias, names_by_path[path], path[-1], parent)
        start = 0
        for part in self.parts.values():
            part.start, start = start, start + len(part.names)
        self.width = start
        self.columns = [column for part in self.parts.values() for column in part.columns]

    def select(self, query, limit: int | None, offset: int):
        """`query` (the page's ORM query: scope, filters, search, order) selecting these columns."""
        query = query.limit(None).offset(None).with_entities(*self.columns)
        for attr in self.joins:
            query = query.outerjoin(attr)
        return query.limit(limit or None).offset(offset or None)

    def build(self, row) -> Record:
        """The record of a row (its first `width` values), its relations' records as attributes."""
        records = {}
        for path, part in self.parts.items():
            values = row[part.start:part.start + len(part.names)]
            parent = records[path[:-1]] if path else None
            if path and (parent is None or values[0] is None):
                record = None  # no related row (outer join)
            else:
                record = object.__new__(part.cls)
                record.__dict__.update(zip(part.names, values))
            if parent is not None:
                setattr(parent, part.relation, record)
            records[path] = record
        return records[()]
