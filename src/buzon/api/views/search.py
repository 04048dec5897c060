"""Search (Zendesk's Search API) over tickets and users, with `buzon.search`."""

from __future__ import annotations

from typing import Any

from buzon.api import serializers as s
from buzon.api import types as t
from buzon.api.access import visible_tickets, visible_users
from buzon.api.errors import ApiError, bad_request
from buzon.api.pagination import MAX_PAGE_SIZE, OFFSET_PARAMS
from buzon.api.router import Call, Param, api, page_of
from buzon.search import QueryError, search
from buzon.search.results import SearchResult, page_and_count

TAG = "Search"
SearchPage = page_of("results", t.SearchResult, "SearchResultsPage")
SORT_BY = {"updated_at", "created_at", "priority", "status", "ticket_type"}
# As Zendesk's: the first 1,000 results of a query can be paged through (ask a narrower
# query for more); deeper offsets would make every page cost more than the last.
RESULT_LIMIT = 1000
QUERY = Param(
    "query",
    str,
    "The search, e.g. type:ticket tags:system_email_notification_failure status<solved",
    required=True,
)


def _run(call: Call) -> SearchResult:
    text = call.param("query")
    if not text:
        raise bad_request("give a query, e.g. query=type:ticket status:open", "query")
    sort_by = call.param("sort_by")
    sort_order = call.param("sort_order")
    if sort_by:
        if sort_by not in SORT_BY:
            raise bad_request(f"sort_by must be one of {', '.join(sorted(SORT_BY))}", "sort_by")
        text = f"{text} order_by:{sort_by}"
    if sort_order:
        if sort_order not in ("asc", "desc"):
            raise bad_request("sort_order must be asc or desc", "sort_order")
        text = f"{text} sort:{sort_order}"
    try:
        return search(
            text,
            user=call.user,
            tickets=visible_tickets(call.caller),
            users=visible_users(call.caller),
        )
    except QueryError as error:
        raise ApiError(
            400,
            "InvalidQuery",
            str(error),
            {"query": [{"description": str(error), "position": error.position}]},
        ) from None


@api.get(
    "search",
    response=SearchPage,
    summary="Search tickets and users",
    tag=TAG,
    access="user",
    query=[
        QUERY,
        *OFFSET_PARAMS,
        Param("sort_by", str, "updated_at, created_at, priority, status or ticket_type"),
        Param("sort_order", str, "asc or desc"),
    ],
)
def search_view(call: Call) -> dict[str, Any]:
    """The query language of docs/search.md (Zendesk's search syntax for tickets and
    users). Tickets come before users; without order_by, most recently updated first.
    A malformed query answers 400 with where it went wrong (`details.query[].position`).
    The first 1,000 results can be paged through; `count` is exact up to 1,000 and
    an estimate above."""
    result = _run(call)
    page = call.int_param("page", 1, high=100_000) or 1
    per_page = call.int_param("per_page", MAX_PAGE_SIZE, high=MAX_PAGE_SIZE) or MAX_PAGE_SIZE
    start, end = (page - 1) * per_page, page * per_page
    if start >= RESULT_LIMIT:
        raise bad_request(
            f"Invalid search: only the first {RESULT_LIMIT:,} results can be paged through; "
            "narrow the query (e.g. by created or updated dates)",
            "page",
        )
    end = min(end, RESULT_LIMIT)
    results: list[dict[str, Any]] = []
    ticket_count = 0
    if result.query.finds_tickets:
        tickets, counted = page_and_count(result.tickets, start, end, s.ticket_rows)
        ticket_count = counted.value
        results += [{**x, "result_type": "ticket"} for x in s.tickets_json(call, tickets)]
    user_count = 0
    if result.query.finds_users:
        users, counted = page_and_count(
            result.users, max(0, start - ticket_count), end - ticket_count, s.user_queryset
        )
        user_count = counted.value
        results += [{**s.user_json(call, x), "result_type": "user"} for x in users]
    total = ticket_count + user_count
    more = end < total and end < RESULT_LIMIT
    return {
        "results": results,
        "facets": None,
        "next_page": call.this_url(page=page + 1) if more else None,
        "previous_page": call.this_url(page=page - 1) if page > 1 else None,
        "count": total,
    }


@api.get(
    "search/count",
    response=t.SearchCountResponse,
    summary="Count search results",
    tag=TAG,
    access="user",
    query=[QUERY],
)
def search_count(call: Call) -> t.SearchCountResponse:
    result = _run(call)
    return {"count": result.count}
