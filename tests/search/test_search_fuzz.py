"""Properties: any text parses or raises QueryError, and any parsed query runs."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from buzon.search import QueryError, compile_tickets, compile_users, parse_query
from buzon.search.parser import ALIASES, KEYWORDS, SPECIAL_KEYWORDS
from buzon.tickets.models import Priority, Status, TicketType, Via

KEYWORD_NAMES = sorted({*KEYWORDS, *ALIASES, *SPECIAL_KEYWORDS})
OPERATORS = [":", "<", ">", "<=", ">=", "=", ""]
SAMPLE_VALUES = [
    *Status.values,
    *Priority.values,
    *Via.values,
    "none",
    "me",
    "ticket",
    "user",
    "incident",
    "agent",
    "end-user",
    "asc",
    "desc",
    "created_at",
    "priority",
    "ana@example.com",
    "Ana",
    "1",
    "0",
    "99999999999999999999",
    "2026-01-01",
    "2026-02-30",
    "2026-01-01T10:00Z",
    "2026-01-01T10:00:00+05:30",
    "4hours",
    "2days",
    "0minutes",
    "12years",
    "vip",
    "a,b",
    "*",
    "fact*",
    "#12",
    "ABC234-DEF5",
]

words = st.text(
    alphabet=st.characters(exclude_characters='"', exclude_categories=("Cs", "Zs", "Cc")),
    min_size=1,
    max_size=12,
)
samples = st.sampled_from(SAMPLE_VALUES)
values = st.one_of(
    samples,
    samples,
    samples,
    words,
    st.builds(lambda v: f'"{v}"', st.text(alphabet=st.characters(exclude_characters='"'))),
    st.text(max_size=8),
)
terms = st.builds(
    lambda minus, keyword, operator, value: f"{minus}{keyword}{operator}{value}",
    st.sampled_from(["", "", "-"]),
    st.one_of(st.sampled_from(KEYWORD_NAMES), st.sampled_from(["", "", "stauts", "x"])),
    st.sampled_from(OPERATORS),
    values,
)
PEOPLE = ["me", "none", "ana@example.com", "Ana", '"Ana Cliente"', "1", "99"]
NAMED = ["none", "1", "Billing", '"Acme Logistics"']
TIMES = ["2026-01-01", "2026-01-01T10:00Z", "2026-01-01T10:00:30-03:00", "4hours", "2days"]
TEXTS = ["factura", '"dos veces"', "fact*", "ana"]
PLAUSIBLE_VALUES: dict[str, list[str]] = {
    "status": list(Status.values),
    "priority": [*Priority.values, "none"],
    "ticket_type": [*TicketType.values, "none"],
    "tags": ["vip", '"vip billing"', "a,b"],
    **{k: PEOPLE for k in ("requester", "submitter", "assignee", "cc", "commenter")},
    "group": NAMED,
    "organization": NAMED,
    "via": list(Via.values),
    "subject": TEXTS,
    "created": TIMES,
    "updated": TIMES,
    "name": ["ana", '"Ana Cliente"'],
    "email": ["ana@example.com", "example.com"],
    "role": ["agent", "end-user", "admin"],
    "type": ["ticket", "user", "incident"],
    "order_by": ["created_at", "updated_at", "priority", "status", "ticket_type"],
    "sort": ["asc", "desc"],
}


def _plausible_term(keyword: str) -> st.SearchStrategy[str]:
    operators = KEYWORDS[keyword].operators if keyword in KEYWORDS else (":",)
    return st.builds(
        lambda minus, operator, value: f"{minus}{keyword}{operator}{value}",
        st.sampled_from(["", "", "-"] if keyword not in SPECIAL_KEYWORDS else [""]),
        st.sampled_from(operators),
        st.one_of(st.sampled_from(PLAUSIBLE_VALUES[keyword]), words),
    )


plausible_terms = st.sampled_from(sorted(PLAUSIBLE_VALUES)).flatmap(_plausible_term)
free_terms = st.one_of(words, st.sampled_from(TEXTS), st.sampled_from(["#1", "2", "-#1"]))
queries = st.one_of(
    st.text(max_size=80),
    st.lists(terms, max_size=6).map(" ".join),
    st.lists(st.one_of(plausible_terms, plausible_terms, free_terms), max_size=6).map(" ".join),
)


@given(text=st.text(max_size=300))
@settings(max_examples=500, deadline=None)
def test_any_text_parses_or_raises_query_error(text):
    try:
        parse_query(text)
    except QueryError as exc:
        assert 0 <= exc.position <= len(text)
        assert str(exc).startswith(exc.message)


@given(text=queries)
@settings(max_examples=500, deadline=None)
def test_query_like_text_parses_or_raises_query_error(text):
    try:
        parse_query(text)
    except QueryError as exc:
        assert 0 <= exc.position <= len(text)


@pytest.mark.django_db
@given(text=queries)
@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.filter_too_much],
)
def test_every_parsed_query_compiles_and_runs(ticket, agent, text):
    try:
        query = parse_query(text)
    except QueryError:
        return
    tickets = compile_tickets(query, user=agent)
    users = compile_users(query, user=agent)
    list(tickets[:3])
    list(users[:3])
    tickets.count()
    users.count()
