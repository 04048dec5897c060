"""Single-row lookups that every request makes, compiled to SQL once per process.

Building a query with the ORM (filters, joins, the select list, converters) costs
more CPU than running it: a few hundred microseconds for a session or a user by
key, on every request. A `RowQuery` is a queryset without filters (its select list
and joins, `select_related` included) plus a WHERE clause written in SQL: the ORM
compiles the queryset once per database connection, and each `get` runs that SQL
with the WHERE clause and its parameters, then builds the instance (and its
`select_related` ones) with the ORM's own converters and populators, so the row is
what `.filter(…).first()` would have returned.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Generic, TypeVar

from django.db import connections
from django.db.models import Model, QuerySet
from django.db.models.query import (  # type: ignore[attr-defined]  # ModelIterable's helper, not in the stubs
    get_related_populators,
)

ModelT = TypeVar("ModelT", bound=Model)


class _Compiled:
    """One queryset's SQL on one connection, and how to turn its row into instances."""

    def __init__(self, queryset: QuerySet, alias: str, where: str) -> None:
        compiler = queryset.order_by().query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        if params:
            name = queryset.model.__name__
            raise ValueError(f"{name}: filter in the WHERE clause, not in the queryset")
        self.sql = f"{sql} WHERE {where} LIMIT 1"
        select, klass_info = compiler.select, compiler.klass_info
        self.converters = compiler.get_converters([column for column, _, _ in select])
        self.compiler = compiler
        self.model = queryset.model
        fields = klass_info["select_fields"]
        self.own = slice(fields[0], fields[-1] + 1)
        self.attnames = [column.target.attname for column, _, _ in select[self.own]]
        self.populators = get_related_populators(klass_info, select, alias)


class RowQuery(Generic[ModelT]):
    """`queryset()` gives the rows' model (with `select_related` if wanted) and no
    filter; `where` is SQL with `%s` placeholders, its columns named as the compiled
    query names them (`"table"."column"`). `get(*params)` returns the first row's
    instance, or None. It is compiled at its first `get`, when the models are ready."""

    def __init__(self, queryset: Callable[[], QuerySet[ModelT]], where: str) -> None:
        self.queryset = queryset
        self.where = where
        self.compiled: dict[tuple[str, str], _Compiled] = {}

    def _compiled(self, alias: str) -> _Compiled:
        key = (alias, connections[alias].vendor)
        compiled = self.compiled.get(key)
        if compiled is None:
            compiled = _Compiled(self.queryset(), alias, self.where)
            self.compiled[key] = compiled
        return compiled

    def get(self, *params: Any, using: str = "default") -> ModelT | None:
        compiled = self._compiled(using)
        connection = connections[using]
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, [_adapt(connection, value) for value in params])
            row = cursor.fetchone()
        if row is None:
            return None
        if compiled.converters:
            row = next(iter(compiled.compiler.apply_converters([row], compiled.converters)))
        own = tuple(row[compiled.own])
        instance: ModelT = compiled.model.from_db(using, compiled.attnames, own)
        for populator in compiled.populators:
            populator.populate(row, instance)
        return instance


def _adapt(connection: Any, value: Any) -> Any:
    """A parameter as the ORM passes it to the driver (datetimes are the only kind
    that differ between backends)."""
    if isinstance(value, datetime):
        return connection.ops.adapt_datetimefield_value(value)
    return value
