"""`search` and `count`: parse a query and compile it for every kind it can find."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from django.db.models import QuerySet

from buzon.search.compiler import compile_tickets, compile_users
from buzon.search.parser import Query, parse_query
from buzon.tickets.models import Ticket, User


@dataclass
class SearchResult:
    """Both querysets (one is empty when the query cannot find that kind) and counts.

    The querysets are lazy: slice them to paginate. Counts are computed on first use.
    """

    query: Query
    tickets: QuerySet[Ticket]
    users: QuerySet[User]

    @cached_property
    def ticket_count(self) -> int:
        return self.tickets.count() if self.query.finds_tickets else 0

    @cached_property
    def user_count(self) -> int:
        return self.users.count() if self.query.finds_users else 0

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
    return SearchResult(
        query=query,
        tickets=compile_tickets(query, user=user, base=tickets),
        users=compile_users(query, user=user, base=users),
    )


def count(text: str, user: User | None = None) -> int:
    """How many tickets and users match; raise QueryError when the query is malformed."""
    return search(text, user=user).count
