"""`search` and `count`: parse a query and compile it for every kind it can find.

Counts are bounded, as Zendesk's are: exact up to `COUNT_LIMIT` results, an
estimate above (never below the limit). Counting every match of a word that is in
every ticket would read the whole index; counting up to a limit reads as many
matches as the limit, and the estimate costs a query plan, not a scan.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from django.db import connections
from django.db.models import QuerySet

from buzon.search.compiler import (
    compile_tickets,
    compile_users,
    listed_tickets,
    tickets_with_ids,
)
from buzon.search.fulltext import AnyOf, estimating
from buzon.search.parser import Query, parse_query
from buzon.tickets.models import Ticket, User

# Counts are exact up to this many results.
COUNT_LIMIT = 1000


@dataclass(frozen=True)
class Count:
    """How many results: `value` is exact when `exact`, else an estimate above the limit."""

    value: int
    exact: bool


def bounded_count(queryset: QuerySet[Any], limit: int | None = None) -> Count:
    """Count up to `limit` (COUNT_LIMIT) matches exactly; estimate when there are more.

    The estimate is PostgreSQL's planner's. SQLite keeps no statistics to estimate
    from: there the rest is counted too (and the count is exact).
    """
    limit = COUNT_LIMIT if limit is None else limit
    unordered = queryset.order_by()
    if connections[queryset.db].vendor != "postgresql":
        return Count(unordered.count(), exact=True)
    found = unordered[: limit + 1].count()
    if found <= limit:
        return Count(found, exact=True)
    return Count(max(found, planner_estimate(unordered)), exact=False)


def page_and_count(
    queryset: QuerySet[Any],
    start: int,
    end: int,
    rows: Callable[[QuerySet[Any]], QuerySet[Any]] | None = None,
) -> tuple[list[Any], Count]:
    """The rows from `start` to `end` of `queryset` and its bounded count.

    On PostgreSQL, within the first COUNT_LIMIT + 1 matches, the conditions run
    once: the ids of the matches are read in order up to the limit (which counts
    them), and the page's rows are then fetched by id. `rows` turns a queryset of
    the model into the one to fetch them from (select_related, annotations, or
    `values()` with the primary key's column among them).
    """
    if end <= start:
        return [], bounded_count(queryset)
    if end > COUNT_LIMIT + 1 or connections[queryset.db].vendor != "postgresql":
        # SQLite counts every match anyway (it cannot estimate), so reading the first
        # 1,001 in order would only add work: the page and the count apart.
        page = list((rows or _same)(queryset)[start:end])
        if 0 < len(page) < end - start or (start == 0 and not page):
            # The page is the last one: the count is known without counting.
            return page, Count(start + len(page), exact=True)
        return page, bounded_count(queryset)
    ids = list(queryset.values_list("pk", flat=True)[: COUNT_LIMIT + 1])
    wanted = ids[start:end]
    # One array parameter, not an IN list the ORM prepares id by id.
    plain = queryset.model._default_manager.filter(AnyOf("pk", wanted))
    pk = queryset.model._meta.pk.attname
    by_id = {_key(row, pk): row for row in (rows(plain) if rows else plain)}
    page = [by_id[pk] for pk in wanted if pk in by_id]
    if len(ids) <= COUNT_LIMIT:
        return page, Count(len(ids), exact=True)
    return page, Count(max(len(ids), planner_estimate(queryset.order_by())), exact=False)


def _same(queryset: QuerySet[Any]) -> QuerySet[Any]:
    return queryset


def _key(row: Any, pk: str) -> Any:
    return row[pk] if isinstance(row, dict) else row.pk


def planner_estimate(queryset: QuerySet[Any]) -> int:
    """How many rows PostgreSQL's planner expects `queryset` to return."""
    with estimating():  # free text written for the planner's estimate
        plan = json.loads(queryset.explain(format="json"))
    return int(plan[0]["Plan"]["Plan Rows"])


@dataclass
class SearchResult:
    """Both querysets (one is empty when the query cannot find that kind) and counts.

    The querysets are lazy: slice them to paginate. Counts are computed on first use
    and bounded (see `bounded_count`).
    """

    query: Query
    tickets: QuerySet[Ticket]
    users: QuerySet[User]
    # Every matching ticket's id, when compiling found them all (see `listed_tickets`).
    ticket_ids: list[int] | None = None

    @cached_property
    def ticket_counted(self) -> Count:
        if not self.query.finds_tickets:
            return Count(0, exact=True)
        if self.known_ticket_count is not None:
            return self.known_ticket_count
        return bounded_count(self.tickets)

    @property
    def known_ticket_count(self) -> Count | None:
        """The ticket count without counting: the listed ids, within the exact limit."""
        if self.ticket_ids is None or len(self.ticket_ids) > COUNT_LIMIT:
            return None
        return Count(len(self.ticket_ids), exact=True)

    @cached_property
    def user_counted(self) -> Count:
        if not self.query.finds_users:
            return Count(0, exact=True)
        return bounded_count(self.users)

    @property
    def ticket_count(self) -> int:
        return self.ticket_counted.value

    @property
    def user_count(self) -> int:
        return self.user_counted.value

    @property
    def count(self) -> int:
        return self.ticket_count + self.user_count


def search(
    text: str,
    *,
    user: User | None,
    tickets: QuerySet[Ticket] | None = None,
    users: QuerySet[User] | None = None,
) -> SearchResult:
    """Run a query as `user` (who `me` is); raise QueryError when it is malformed.

    `tickets` / `users` limit what can be found (e.g. to what the searcher may see).
    """
    query = parse_query(text)
    # Only when nothing limits what can be found: the listed ids are then the results.
    ids = None if tickets is not None and tickets.query.has_filters() else listed_tickets(query)
    return SearchResult(
        query=query,
        tickets=(
            compile_tickets(query, user=user, base=tickets)
            if ids is None
            else tickets_with_ids(query, ids, base=tickets)
        ),
        users=compile_users(query, user=user, base=users),
        ticket_ids=ids,
    )


def count(text: str, user: User | None = None) -> int:
    """How many tickets and users match (bounded: see `bounded_count`); raise
    QueryError when the query is malformed."""
    return search(text, user=user).count
