"""Single-row lookups that every request makes, compiled to SQL once per process.

Building a query with the ORM (filters, joins, the select list, converters) costs
more CPU than running it: a few hundred microseconds for a session or a user by
key, on every request. A `RowQuery` lets the ORM compile its queryset once per
database connection, then runs the same SQL with each request's parameters and
builds the instance (and its `select_related` ones) with the ORM's own converters
and populators, so the row is what `.first()` would have returned.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
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

    def __init__(self, queryset: QuerySet, alias: str, example: tuple[Any, ...]) -> None:
        compiler = queryset.query.get_compiler(using=alias)
        self.sql, params = compiler.as_sql()
        # The ORM orders the parameters its own way (it sorts keyword filters), and
        # adds constants of its own (`is_active=True`): find where each example went.
        adapted = [repr(_adapt(connections[alias], value)) for value in example]
        compiled = [repr(param) for param in params]
        if len(set(adapted)) != len(adapted) or any(compiled.count(a) != 1 for a in adapted):
            name = queryset.model.__name__
            raise ValueError(f"{name}: give distinct example parameters, each used once")
        self.slots: list[tuple[int | None, Any]] = [
            (adapted.index(text), None) if text in adapted else (None, param)
            for text, param in zip(compiled, params, strict=True)
        ]
        select, klass_info = compiler.select, compiler.klass_info
        self.converters = compiler.get_converters([column for column, _, _ in select])
        self.compiler = compiler
        self.model = queryset.model
        fields = klass_info["select_fields"]
        self.own = slice(fields[0], fields[-1] + 1)
        self.attnames = [column.target.attname for column, _, _ in select[self.own]]
        self.populators = get_related_populators(klass_info, select, alias)

    def parameters(self, connection: Any, values: Sequence[Any]) -> list[Any]:
        return [
            constant if index is None else _adapt(connection, values[index])
            for index, constant in self.slots
        ]


class RowQuery(Generic[ModelT]):
    """`build(*example)` is a queryset on one model (with `select_related` if
    wanted) in which each of the distinct `example` values is a parameter; `get(*values)`
    runs it with `values` in their place and returns the first row's instance, or None.
    It is compiled at its first `get`, when the models are ready."""

    def __init__(self, build: Callable[..., QuerySet[ModelT]], example: Sequence[Any]) -> None:
        self.build = build
        self.example = tuple(example)
        self.compiled: dict[tuple[str, str], _Compiled] = {}

    def _compiled(self, alias: str) -> _Compiled:
        key = (alias, connections[alias].vendor)
        compiled = self.compiled.get(key)
        if compiled is None:
            compiled = _Compiled(self.build(*self.example), alias, self.example)
            self.compiled[key] = compiled
        return compiled

    def get(self, *values: Any, using: str = "default") -> ModelT | None:
        compiled = self._compiled(using)
        connection = connections[using]
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, compiled.parameters(connection, values))
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
