"""schema.sql is the source of truth: applied to a real PostgreSQL, it must match the models."""
import pytest
from sqlalchemy import create_engine, inspect
from sqlalchemy.types import Boolean, Date, DateTime, Integer, Numeric, String, Text

import backoffice.models  # noqa: F401  (registers every table on the metadata)
from backoffice.db_schema import create_schema
from backoffice.extensions import db
from tests.conftest import RUN_ID, _pg_admin, _pg_url

# type families: a model type and a reflected type match when they fall in the same family
FAMILIES = [(Boolean, "bool"), (DateTime, "timestamp"), (Date, "date"), (Numeric, "numeric"),
            (Integer, "int"), (Text, "text"), (String, "text")]


def family(sa_type) -> str:
    for cls, name in FAMILIES:
        if isinstance(sa_type, cls):
            return name
    return type(sa_type).__name__


@pytest.fixture(scope="module")
def reflected():
    """schema.sql applied to a throwaway PostgreSQL database, then reflected."""
    name = f"bo_schema_{RUN_ID}"
    with _pg_admin() as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    engine = create_engine(_pg_url(name))
    try:
        create_schema(engine)
        yield inspect(engine)
    finally:
        engine.dispose()
        with _pg_admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_same_tables(reflected):
    """Every table of schema.sql has a model and every model has a table."""
    assert set(reflected.get_table_names()) == set(db.metadata.tables)


@pytest.mark.parametrize("table_name", sorted(db.metadata.tables))
def test_columns_types_nullability_and_keys(reflected, table_name):
    """Columns, type families, nullability, primary and foreign keys agree with the model."""
    table = db.metadata.tables[table_name]
    columns = {c["name"]: c for c in reflected.get_columns(table_name)}
    assert set(columns) == {c.name for c in table.columns}, "column sets differ"
    for column in table.columns:
        db_column = columns[column.name]
        assert family(column.type) == family(db_column["type"]), f"{column.name}: type"
        if isinstance(column.type, String) and column.type.length and not isinstance(column.type, Text):
            assert getattr(db_column["type"], "length", None) == column.type.length, f"{column.name}: length"
        # a column the model declares NOT NULL must be NOT NULL in the schema, and vice versa
        assert column.nullable == db_column["nullable"], f"{column.name}: nullable"
    pk = reflected.get_pk_constraint(table_name)["constrained_columns"]
    assert set(pk) == {c.name for c in table.primary_key.columns}
    db_fks = {(tuple(fk["constrained_columns"]), fk["referred_table"], tuple(fk["referred_columns"]))
              for fk in reflected.get_foreign_keys(table_name)}
    model_fks = {((fk.parent.name,), fk.column.table.name, (fk.column.name,)) for fk in table.foreign_keys}
    assert db_fks == model_fks


def test_schema_applies_to_sqlite(tmp_path):
    """The same schema.sql creates the same tables on SQLite."""
    engine = create_engine(f"sqlite:///{tmp_path / 'schema.sqlite'}")
    create_schema(engine)
    assert set(inspect(engine).get_table_names()) - {"sqlite_sequence"} == set(db.metadata.tables)
    engine.dispose()
