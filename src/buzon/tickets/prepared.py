"""Single-row lookups that every request makes, compiled to SQL once per process.

Building a query with the ORM (filters, joins, the select list, converters) costs
more CPU than running it: a few hundred microseconds for a session or a user by
key, on every request. A `RowQuery` lets the ORM compile its queryset once per
database connection, then runs the same SQL with each request's parameters and
builds the instance with the ORM's own converters, so the row is what `.get()`
would have returned.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Generic, TypeVar

from django.db import connections
from django.db.models import Model, QuerySet

ModelT = TypeVar("ModelT", bound=Model)


class _Compiled:
    def __init__(self, queryset: QuerySet, alias: str, example: tuple[Any, ...]) -> None:
        compiler = queryset.query.get_compiler(using=alias)
        self.sql, params = compiler.as_sql()
        # The ORM may order the parameters otherwise than the example (it sorts
        # keyword filters): find where each example value went.
        adapted = [_adapt(connections[alias], value) for value in example]
        if len(set(map(repr, adapted))) != len(adapted) or sorted(map(repr, params)) != sorted(
            map(repr, adapted)
        ):
            name = queryset.model.__name__
            raise ValueError(f"{name}: give distinct example parameters, all of them used")
        self.order = [adapted.index(param) for param in params]
        expressions = [expression for expression, _, _ in compiler.select]
        self.converters = compiler.get_converters(expressions)
        self.compiler = compiler
        self.attnames = [expression.target.attname for expression in expressions]


class RowQuery(Generic[ModelT]):
    """`build(*example)` is a queryset on one model, without joins, whose only
    parameters are the (distinct) `example` values; `get(*values)` runs it with
    `values` in their place and returns the first row's instance, or None."""

    def __init__(self, build: Callable[..., QuerySet[ModelT]], example: Sequence[Any]) -> None:
        self.build = build
        self.example = tuple(example)
        self.model: type[ModelT] = build(*example).model
        self.compiled: dict[tuple[str, str], _Compiled] = {}

    def _compiled(self, alias: str) -> _Compiled:
        connection = connections[alias]
        key = (alias, connection.vendor)
        compiled = self.compiled.get(key)
        if compiled is None:
            compiled = _Compiled(self.build(*self.example), alias, self.example)
            self.compiled[key] = compiled
        return compiled

    def get(self, *values: Any, using: str = "default") -> ModelT | None:
        compiled = self._compiled(using)
        connection = connections[using]
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, [_adapt(connection, values[i]) for i in compiled.order])
            row = cursor.fetchone()
        if row is None:
            return None
        if compiled.converters:
            row = next(iter(compiled.compiler.apply_converters([row], compiled.converters)))
        return self.model.from_db(using, compiled.attnames, tuple(row))


def _adapt(connection: Any, value: Any) -> Any:
    """A parameter as the ORM passes it to the driver (datetimes are the only kind
    that differ between backends)."""
    if isinstance(value, datetime):
        return connection.ops.adapt_datetimefield_value(value)
    return value
