"""Model instances from hand-written SQL: the hot paths (the study queue, rating a card) run their own
statements and still hand model objects to the rest of the app, loaded as the ORM would load them."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

from django.db import connection
from django.db.models import Model


@cache
def _converters(vendor: str, model: type[Model], name: str) -> tuple:
    """What the ORM applies to this column on this database: SQLite hands back text for dates and
    0/1 for booleans, JSON columns arrive as text."""
    column = model._meta.get_field(name).get_col(model._meta.db_table)
    return tuple(connection.ops.get_db_converters(column) + column.get_db_converters(connection))


def value_from_db(model: type[Model], name: str, value):
    for convert in _converters(connection.vendor, model, name):
        value = convert(value, None, connection)
    return value


def value_to_db(model: type[Model], name: str, value):
    """A parameter for the column as the ORM would send it (UUIDs as hex on SQLite, JSON wrapped...)."""
    return model._meta.get_field(name).get_db_prep_value(value, connection, prepared=False)


def instance_from_row(model: type[Model], names: Sequence[str], values: Sequence, **known):
    """An instance of `model` from columns `names` (attnames) plus `known` values; fields given
    neither way are deferred, loaded on first access like any deferred field."""
    loaded = dict(known)
    loaded.update((name, value_from_db(model, name, value)) for name, value in zip(names, values, strict=True))
    fields = [field.attname for field in model._meta.concrete_fields if field.attname in loaded]
    return model.from_db(connection.alias, fields, [loaded[name] for name in fields])
