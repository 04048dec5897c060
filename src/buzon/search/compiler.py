"""A parsed `Query` as Django querysets: `compile_tickets` and `compile_users`.

Pure ORM, the same on SQLite and PostgreSQL, except free text, which is answered
from the search index (see `buzon.search.fulltext`). Everything that looks at another
table is an `Exists`, an `IN (subquery)` or an `IN (ids)`, never a join, so a ticket
is never counted twice and `-term` is a plain NOT. Compiling reads the database only
to turn people (`_user_ids`), tags (`_has_tag`) and free text into ids when there
are few enough to write into the query.

How terms combine: every term must hold, except that several non-excluded `:`
terms with the same keyword match ANY of their values (`tags:a tags:b`,
`status:new status:open`). Free text words and `subject:` words must all be found.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, tzinfo
from functools import reduce
from operator import or_
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db.models import Case, Exists, IntegerField, Model, OuterRef, Q, QuerySet, Value, When
from django.utils import timezone

from buzon.search.errors import QueryError
from buzon.search.fulltext import AnyOf, tickets_with_text
from buzon.search.parser import EQUALS, Named, Person, Query, Term, parse_query
from buzon.tickets.models import (
    ORDERED_FIELDS,
    Comment,
    Group,
    Organization,
    Ticket,
    TicketTag,
    TicketType,
    User,
    UserIdentity,
)

# Up to this many users matched by a person term are written into the query as ids.
MAX_LISTED_USERS = 200
# Up to this many tickets with a tag are written into the query as ids.
MAX_LISTED_TAGGED = 2000

# Keywords whose terms must all hold even when they repeat (every word must be found).
ALL_OF_FIELDS = {"text", "subject"}

# Ticket fields whose values have a natural order (for `<`, `>` and sorting).
VALUE_ORDERS: dict[str, list[str]] = {**ORDERED_FIELDS, "ticket_type": list(TicketType.values)}
ORDER_COLUMNS = {"priority": "priority", "status": "status", "ticket_type": "type"}


@dataclass(frozen=True)
class Context:
    """What a query is resolved against: who searches, their time zone, and now."""

    user: User | None
    tz: tzinfo
    now: datetime

    @property
    def sees_private_comments(self) -> bool:
        return self.user is not None and self.user.is_agent

    def me(self, term: Term) -> int:
        if self.user is None or self.user.pk is None:
            raise QueryError("'me' needs a signed-in user", term.position)
        return self.user.pk


# Builds the condition for terms of one keyword that match ANY of them.
Filter = Callable[[list[Term], Context], Q]


def compile_tickets(
    query: Query | str, *, user: User | None = None, base: QuerySet[Ticket] | None = None
) -> QuerySet[Ticket]:
    """The tickets that match, in the query's order; `base` limits what can match."""
    query = parse_query(query) if isinstance(query, str) else query
    tickets = Ticket.objects.all() if base is None else base
    if not query.finds_tickets:
        return tickets.none()
    condition = _combine(query.terms, TICKET_FILTERS, _context(user))
    return tickets.filter(condition).order_by(*_ticket_order(query))


def compile_users(
    query: Query | str, *, user: User | None = None, base: QuerySet[User] | None = None
) -> QuerySet[User]:
    """The users that match, in the query's order; `base` limits what can match."""
    query = parse_query(query) if isinstance(query, str) else query
    users = User.objects.all() if base is None else base
    if not query.finds_users:
        return users.none()
    condition = _combine(query.terms, USER_FILTERS, _context(user))
    return users.filter(condition).order_by(*_time_order(query))


def _context(user: User | None) -> Context:
    return Context(user=user, tz=_time_zone(user), now=timezone.now())


def _time_zone(user: User | None) -> tzinfo:
    """Days in a query are the searcher's days."""
    if user is not None and user.time_zone:
        try:
            return ZoneInfo(user.time_zone)
        except (ZoneInfoNotFoundError, ValueError, OSError):  # unknown or malformed name
            pass
    return timezone.get_default_timezone()


def _combine(terms: Iterable[Term], filters: dict[str, Filter], context: Context) -> Q:
    condition = Q()
    alternatives: dict[str, list[Term]] = {}
    for term in terms:
        if term.negated:
            condition &= ~filters[term.field]([term], context)
        elif term.operator == EQUALS and term.field not in ALL_OF_FIELDS:
            alternatives.setdefault(term.field, []).append(term)
        else:
            condition &= filters[term.field]([term], context)
    for field, group in alternatives.items():
        condition &= filters[field](group, context)
    return condition


def _any(conditions: Iterable[Q]) -> Q:
    return reduce(or_, conditions)


# --- Order -------------------------------------------------------------------------


def _ticket_order(query: Query) -> list[Any]:
    if query.order_by not in ORDER_COLUMNS:
        return _time_order(query)
    column = ORDER_COLUMNS[query.order_by]
    rank = Case(
        *(
            When(**{column: value}, then=Value(i))
            for i, value in enumerate(VALUE_ORDERS[query.order_by])
        ),
        default=Value(-1),  # no priority / no type: below every value
        output_field=IntegerField(),
    )
    if query.sort == "asc":
        return [rank.asc(), "pk"]
    return [rank.desc(), "-pk"]


def _time_order(query: Query) -> list[str]:
    column = query.order_by if query.order_by in ("created_at", "updated_at") else None
    if column is None:
        return ["-updated_at", "-pk"]
    if query.sort == "asc":
        return [column, "pk"]
    return [f"-{column}", "-pk"]


# --- Values shared by tickets and users --------------------------------------------


def _choices(column: str) -> Filter:
    """`status:open`, `priority>normal`, `priority:none`...: the values the terms allow."""

    def build(terms: list[Term], context: Context) -> Q:
        allowed: set[str] = set()
        for term in terms:
            allowed.update(_values_for(column, term))
        return Q(**{f"{ORDER_COLUMNS.get(column, column)}__in": sorted(allowed)})

    return build


def _values_for(field: str, term: Term) -> list[str]:
    if term.operator == EQUALS:
        return [term.value]
    order = VALUE_ORDERS[field]
    index = order.index(term.value)
    return {
        "<": order[:index],
        "<=": order[: index + 1],
        ">": order[index + 1 :],
        ">=": order[index:],
    }[term.operator]


def _times(column: str) -> Filter:
    def build(terms: list[Term], context: Context) -> Q:
        return _any(_time_q(column, term, context) for term in terms)

    return build


def _time_q(column: str, term: Term, context: Context) -> Q:
    start, end = term.value.bounds(context.tz, context.now)
    if term.operator == ">":
        return Q(**{f"{column}__gte": end})
    if term.operator == ">=":
        return Q(**{f"{column}__gte": start})
    if term.operator == "<":
        return Q(**{f"{column}__lt": start})
    if term.operator == "<=":
        return Q(**{f"{column}__lt": end})
    return Q(**{f"{column}__gte": start, f"{column}__lt": end})


def _named(column: str, model: type[Model]) -> Filter:
    """`group:` and `organization:`: none, an id, or part of the name."""

    def build(terms: list[Term], context: Context) -> Q:
        return _any(_named_q(column, model, term.value) for term in terms)

    return build


def _named_q(column: str, model: type[Model], named: Named) -> Q:
    if named.kind == "none":
        return Q(**{f"{column}__isnull": True})
    if named.kind == "id":
        return Q(**{f"{column}_id": named.value})
    matching = model._default_manager.filter(name__icontains=named.value).values("pk")
    return Q(**{f"{column}__in": matching})


# --- Tickets -----------------------------------------------------------------------


def _tags(terms: list[Term], context: Context) -> Q:
    """`tags:a tags:b` is a OR b; `tags:"a b"` is a AND b."""
    single = [term.value[0] for term in terms if len(term.value) == 1]
    conditions = [_has_tag(single)] if single else []
    for term in terms:
        if len(term.value) > 1:
            conditions.append(Q(*(_has_tag([tag]) for tag in term.value)))
    return _any(conditions)


def _has_tag(names: list[str]) -> Q:
    """Tickets with any of the tags, from TicketTag's (name, ticket) index.

    Up to MAX_LISTED_TAGGED tickets are looked up while compiling and written into
    the query as ids, for the reason people are (see `_user_ids`): PostgreSQL then
    knows how many there are and fetches those tickets by id, instead of reading
    every ticket to join them with the tags.
    """
    ids = _tagged_ids(names)
    if ids is not None:
        return Q(AnyOf("pk", ids))
    return Q(Exists(TicketTag.objects.filter(name__in=names, ticket=OuterRef("pk"))))


def _tagged_ids(names: list[str]) -> list[int] | None:
    """The ids of the tickets with any of the tags, when there are few enough to list."""
    tagged = TicketTag.objects.filter(name__in=names)
    found = list(tagged.values_list("ticket_id", flat=True)[: MAX_LISTED_TAGGED + 1])
    return sorted(set(found)) if len(found) <= MAX_LISTED_TAGGED else None


def listed_tickets(query: Query) -> list[int] | None:
    """Every matching ticket's id, when the query is only tags (`tags:a tags:b`) with
    few enough tickets to list; else None. The ids are then the whole condition (see
    `tickets_with_ids`) and, counted, the number of results."""
    terms = query.terms
    if not query.finds_tickets or not terms:
        return None
    for term in terms:
        if term.field != "tags" or term.negated or term.operator != EQUALS:
            return None
        if len(term.value) != 1:
            return None
    return _tagged_ids([term.value[0] for term in terms])


def tickets_with_ids(
    query: Query, ids: list[int], base: QuerySet[Ticket] | None = None
) -> QuerySet[Ticket]:
    """What `compile_tickets` returns for a query `listed_tickets` answered with `ids`."""
    tickets = Ticket.objects.all() if base is None else base
    return tickets.filter(Q(AnyOf("pk", ids))).order_by(*_ticket_order(query))


def _people(column: str) -> Filter:
    """`requester:`, `submitter:`, `assignee:` — a column of the ticket."""

    def build(terms: list[Term], context: Context) -> Q:
        return _any(_person_q(column, term, context) for term in terms)

    return build


def _person_q(column: str, term: Term, context: Context) -> Q:
    person: Person = term.value
    if person.kind == "me":
        return Q(**{f"{column}_id": context.me(term)})
    if person.kind == "none":
        return Q(**{f"{column}__isnull": True})
    if person.kind == "id":
        return Q(**{f"{column}_id": person.value})
    return Q(**{f"{column}__in": _user_ids(person)})


def _user_ids(person: Person) -> list[int] | QuerySet[Any]:
    """The ids of the users an email (any of their addresses) or part of a name names.

    Looked up now, while compiling: with the ids written into the query, PostgreSQL
    knows from its statistics how many tickets they have. Behind a subquery it has
    to guess, and for `requester:x ORDER BY updated_at LIMIT 100` it guesses that
    walking every ticket newest first will soon find a hundred. When very many
    users match (a short name), the subquery is kept.
    """
    if person.kind == "email":
        by_email = User.objects.filter(email__lower=person.value).values_list("pk")
        by_identity = UserIdentity.objects.filter(value__lower=person.value)
        # UNION (not ALL): each user once, so the count below is a count of users.
        matching = by_email.order_by().union(by_identity.values_list("user_id").order_by())
    else:
        matching = User.objects.filter(name__icontains=str(person.value)).values_list("pk")
    ids = {pk for (pk,) in matching[: MAX_LISTED_USERS + 1]}
    return sorted(ids) if len(ids) <= MAX_LISTED_USERS else matching


def _related_people(rows: Callable[[Context], QuerySet[Any]], column: str) -> Filter:
    """`cc:` and `commenter:`: someone among the ticket's related rows (or `none`)."""

    def build(terms: list[Term], context: Context) -> Q:
        conditions = []
        for term in terms:
            if term.value.kind == "none":
                conditions.append(~Q(Exists(rows(context))))
            else:
                conditions.append(Q(Exists(rows(context).filter(_person_q(column, term, context)))))
        return _any(conditions)

    return build


def _cc_rows(context: Context) -> QuerySet[Any]:
    return Ticket.email_ccs.through.objects.filter(ticket=OuterRef("pk"))


def _comment_rows(context: Context) -> QuerySet[Comment]:
    return _visible_comments(context).filter(ticket=OuterRef("pk"))


def _visible_comments(context: Context) -> QuerySet[Comment]:
    """The comments a searcher may look into: end users never see private notes."""
    comments = Comment.objects.all()
    return comments if context.sees_private_comments else comments.filter(public=True)


def _ticket_text(terms: list[Term], context: Context) -> Q:
    """In the subject or any comment the searcher may see (from the search index)."""
    (term,) = terms
    return tickets_with_text(term.value, public_only=not context.sees_private_comments)


def _subject(terms: list[Term], context: Context) -> Q:
    (term,) = terms
    return tickets_with_text(term.value, public_only=True, subject_only=True)


def _values(column: str) -> Filter:
    def build(terms: list[Term], context: Context) -> Q:
        return Q(**{f"{column}__in": [term.value for term in terms]})

    return build


TICKET_FILTERS: dict[str, Filter] = {
    "status": _choices("status"),
    "priority": _choices("priority"),
    "ticket_type": _choices("ticket_type"),
    "tags": _tags,
    "requester": _people("requester"),
    "submitter": _people("submitter"),
    "assignee": _people("assignee"),
    "cc": _related_people(_cc_rows, "user"),
    "commenter": _related_people(_comment_rows, "author"),
    "group": _named("group", Group),
    "organization": _named("organization", Organization),
    "via": _values("via"),
    "subject": _subject,
    "created": _times("created_at"),
    "updated": _times("updated_at"),
    "text": _ticket_text,
    "id": _values("pk"),
    "encoded_id": _values("encoded_id"),
}


# --- Users -------------------------------------------------------------------------


def _user_names(terms: list[Term], context: Context) -> Q:
    return _any(Q(name__icontains=term.value) for term in terms)


def _user_emails(terms: list[Term], context: Context) -> Q:
    """`email:ana@example.com` is that address; `email:example.com` any address containing it."""
    conditions = []
    for term in terms:
        lookup = "lower" if "@" in term.value else "icontains"
        other_address = UserIdentity.objects.filter(
            user=OuterRef("pk"), **{f"value__{lookup}": term.value}
        )
        conditions.append(Q(**{f"email__{lookup}": term.value}) | Q(Exists(other_address)))
    return _any(conditions)


def _user_text(terms: list[Term], context: Context) -> Q:
    (term,) = terms
    text = term.value.text
    other_address = UserIdentity.objects.filter(user=OuterRef("pk"), value__icontains=text)
    return Q(name__icontains=text) | Q(email__icontains=text) | Q(Exists(other_address))


USER_FILTERS: dict[str, Filter] = {
    "name": _user_names,
    "email": _user_emails,
    "role": _values("role"),
    "organization": _named("organization", Organization),
    "created": _times("created_at"),
    "updated": _times("updated_at"),
    "text": _user_text,
}
