"""Model instances from hand-written SQL: the hot paths (the study queue, rating a card, token
authentication) run their own statements and still hand model objects to the rest of the app,
loaded as the ORM would load them."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model


@cache
def _converters(alias: str, vendor: str, model: type[Model], name: str) -> tuple:
    """What the ORM applies to this column on this database: SQLite hands back text for dates and
    0/1 for booleans, JSON columns arrive as text. Usually none on PostgreSQL."""
    connection = connections[alias]
    column = model._meta.get_field(name).get_col(model._meta.db_table)
    return tuple(connection.ops.get_db_converters(column) + column.get_db_converters(connection))


@cache
def _field(model: type[Model], name: str):
    return model._meta.get_field(name)


def value_from_db(model: type[Model], name: str, value, *, alias: str = DEFAULT_DB_ALIAS):
    connection = connections[alias]
    for convert in _converters(alias, connection.vendor, model, name):
        value = convert(value, None, connection)
    return value


def value_to_db(model: type[Model], name: str, value, *, alias: str = DEFAULT_DB_ALIAS):
    """A parameter for the column as the ORM would send it (UUIDs as hex on SQLite, JSON wrapped...)."""
    return _field(model, name).get_db_prep_value(value, connections[alias], prepared=False)


def values_to_db(model: type[Model], values: dict, *, alias: str = DEFAULT_DB_ALIAS) -> dict:
    connection = connections[alias]
    return {name: _field(model, name).get_db_prep_value(value, connection, prepared=False)
            for name, value in values.items()}


def instance_from_row(model: type[Model], names: Sequence[str], values: Sequence, *,
                      alias: str = DEFAULT_DB_ALIAS, **known):
    """An instance of `model` from columns `names` (attnames) plus `known` values; fields given
    neither way are deferred, loaded on first access like any deferred field."""
    connection = connections[alias]  # looked up once: each lookup goes through a thread-local
    loaded = dict(known)
    for name, value in zip(names, values, strict=True):
        for convert in _converters(alias, connection.vendor, model, name):
            value = convert(value, None, connection)
        loaded[name] = value
    fields = [field.attname for field in model._meta.concrete_fields if field.attname in loaded]
    return model.from_db(alias, fields, [loaded[name] for name in fields])
