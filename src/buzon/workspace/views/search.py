"""The search results page, on the one query language the API uses (`buzon.search`)."""

from __future__ import annotations

import math
from typing import Any

from django.http import HttpResponse
from django.shortcuts import render

from buzon.search import QueryError, bounded_count, compile_tickets, compile_users, parse_query
from buzon.workspace.access import AgentRequest, agent_required
from buzon.workspace.views.ticket_lists import PAGE_SIZE, Page, page_number, with_related

EXAMPLES = [
    "tags:system_email_notification_failure",
    "status<solved",
    "requester:ana@example.com",
    "type:ticket factura",
    "type:user gmial.com",
]


RESULT_COLUMNS = ["id", "subject", "requester", "status", "tags", "updated_at"]


@agent_required
def search_page(request: AgentRequest) -> HttpResponse:
    text = request.GET.get("q", "").strip()
    context: dict[str, Any] = {
        "q": text,
        "examples": EXAMPLES,
        "columns": RESULT_COLUMNS,
    }
    if not text:
        return render(request, "workspace/search.html", context)
    try:
        query = parse_query(text)
    except QueryError as exc:
        context["error"] = exc
        context["error_before"] = text[: exc.position]
        context["error_at"] = text[exc.position : exc.position + 1] or " "
        context["error_after"] = text[exc.position + 1 :]
        return render(request, "workspace/search.html", context, status=400)
    number = page_number(request)
    if query.finds_tickets:
        tickets = compile_tickets(query, user=request.user)
        # Exact up to a thousand, estimated above ("About 5,800 tickets").
        counted = bounded_count(tickets)
        total = counted.value
        page = Page(min(number, max(1, math.ceil(total / PAGE_SIZE))), PAGE_SIZE, total)
        context["ticket_page"] = page
        context["ticket_count_exact"] = counted.exact
        context["tickets"] = list(with_related(tickets)[page.start : page.start + page.size])
    if query.finds_users:
        users = compile_users(query, user=request.user)
        context["show_users"] = True
        counted_users = bounded_count(users)
        context["user_total"] = counted_users.value
        context["user_count_exact"] = counted_users.exact
        context["users"] = list(users.select_related("organization")[:PAGE_SIZE])
    return render(request, "workspace/search.html", context)
