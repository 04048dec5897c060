"""Search: one query language (Zendesk's search syntax) for the agent workspace and the API.

    from buzon.search import parse_query, compile_tickets, search, QueryError

    result = search("type:ticket tags:vip status<solved", user=request.user)

`parse_query` turns text into a `Query` (or raises `QueryError` with the position of
the mistake); `compile_tickets` / `compile_users` turn a `Query` into a queryset;
`search` and `count` do both; `bounded_count` counts a result exactly up to a limit
and estimates above it. docs/search.md describes the syntax.

The names are loaded on first use: Django imports this package while it is still
loading apps, before the models that the parser and compiler need are ready.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from buzon.search.compiler import compile_tickets, compile_users
    from buzon.search.errors import QueryError
    from buzon.search.parser import Query, Term, parse_query
    from buzon.search.results import Count, SearchResult, bounded_count, count, search

_EXPORTS = {
    "QueryError": "buzon.search.errors",
    "Query": "buzon.search.parser",
    "Term": "buzon.search.parser",
    "parse_query": "buzon.search.parser",
    "compile_tickets": "buzon.search.compiler",
    "compile_users": "buzon.search.compiler",
    "SearchResult": "buzon.search.results",
    "Count": "buzon.search.results",
    "bounded_count": "buzon.search.results",
    "search": "buzon.search.results",
    "count": "buzon.search.results",
}

__all__ = [
    "Count",
    "Query",
    "QueryError",
    "SearchResult",
    "Term",
    "bounded_count",
    "compile_tickets",
    "compile_users",
    "count",
    "parse_query",
    "search",
]


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'buzon.search' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
