"""Views (saved filters) with live counts, sorting and pagination."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from buzon.rules.models import SORTABLE, View
from buzon.tickets.models import Ticket, TicketTag
from buzon.workspace import live
from buzon.workspace.access import AgentRequest, agent_required

PAGE_SIZE = 30


@dataclass(frozen=True)
class Page:
    """One page of a list whose total is known (search results)."""

    number: int
    size: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.size))

    @property
    def start(self) -> int:
        return (self.number - 1) * self.size

    @property
    def first_shown(self) -> int:
        return 0 if self.total == 0 else self.start + 1

    @property
    def last_shown(self) -> int:
        return min(self.total, self.start + self.size)

    @property
    def previous(self) -> int | None:
        return self.number - 1 if self.number > 1 else None

    @property
    def next(self) -> int | None:
        return self.number + 1 if self.number < self.pages else None


@dataclass(frozen=True)
class OpenPage:
    """One page of a view: no total is counted (the sidebar shows it, loaded apart),
    the page fetches one row more than it shows to know whether a next page exists."""

    number: int
    size: int
    shown: int
    more: bool

    @property
    def start(self) -> int:
        return (self.number - 1) * self.size

    @property
    def first_shown(self) -> int:
        return self.start + 1 if self.shown else 0

    @property
    def last_shown(self) -> int:
        return self.start + self.shown

    @property
    def previous(self) -> int | None:
        return self.number - 1 if self.number > 1 else None

    @property
    def next(self) -> int | None:
        return self.number + 1 if self.more else None

    @property
    def total(self) -> None:
        return None


def page_number(request: HttpRequest) -> int:
    try:
        return max(1, int(request.GET.get("page", "1")))
    except ValueError:
        return 1


def active_views() -> list[View]:
    return list(View.objects.filter(active=True).order_by("position", "id"))


def views_with_counts(user_id: int) -> list[tuple[View, int]]:
    return [(view, view.count(user_id)) for view in active_views()]


def with_related(tickets: QuerySet[Ticket]) -> QuerySet[Ticket]:
    return tickets.select_related("requester", "assignee", "group").prefetch_related("tags")


def tag_names_of(tickets: list[Ticket]) -> dict[int, list[str]]:
    """Each ticket's tag names, in one query of (ticket, name) rows: a prefetch made a
    model instance of every tag and cost a view's page more than its query."""
    names: dict[int, list[str]] = defaultdict(list)
    rows = TicketTag.objects.filter(ticket_id__in=[t.pk for t in tickets]).order_by(
        "ticket_id", "id"
    )
    for ticket_id, name in rows.values_list("ticket_id", "name"):
        names[ticket_id].append(name)
    return names


@agent_required
def home(request: HttpRequest) -> HttpResponse:
    first = View.objects.filter(active=True).order_by("position", "id").first()
    if first is None:
        return render(request, "workspace/no_views.html")
    return redirect("workspace:view", view_id=first.pk)


@agent_required
def view_tickets(request: HttpRequest, view_id: int) -> HttpResponse:
    """A view's tickets. The sidebar's counts load in a second request (htmx), so that
    this page never waits for counting every view over the whole ticket table."""
    views = active_views()
    view = next((v for v in views if v.pk == view_id), None)
    if view is None:
        raise Http404("no such view")
    sort = request.GET.get("sort", view.sort_by)
    if sort not in SORTABLE:
        sort = view.sort_by
    order = request.GET.get("order", view.sort_order if sort == view.sort_by else "asc")
    if order not in ("asc", "desc"):
        order = "desc"
    tickets = view.tickets(request.user.pk).order_by(
        sort if order == "asc" else f"-{sort}", "-id" if order == "desc" else "id"
    )
    number = page_number(request)
    start = (number - 1) * PAGE_SIZE
    rows = list(
        tickets.select_related("requester", "assignee", "group")[start : start + PAGE_SIZE + 1]
    )
    page = OpenPage(number, PAGE_SIZE, min(len(rows), PAGE_SIZE), len(rows) > PAGE_SIZE)
    shown = rows[:PAGE_SIZE]
    return render(
        request,
        "workspace/view.html",
        {
            "sidebar": [(v, None) for v in views],
            "view": view,
            "tickets": shown,
            "tag_names": tag_names_of(shown) if "tags" in view.columns else {},
            "columns": view.columns,
            "sortable": SORTABLE,
            "sort": sort,
            "order": order,
            "page": page,
        },
    )


@agent_required
def view_counts(request: AgentRequest) -> HttpResponse:
    """The sidebar alone. htmx asks every second with the version it shows: 204 (one
    query, none within RECOUNT_EVERY of the last count) until a ticket changes or the
    minute turns, then the counts again."""
    current = request.GET.get("current", "")
    token = request.GET.get("v", "")
    if token and live.counts_unchanged(token):
        return HttpResponse(status=204)
    return render(
        request,
        "workspace/partials/sidebar.html",
        {
            "sidebar": views_with_counts(request.user.pk),
            "current_view_id": current,
            "counted": True,
            "counts_version": live.counts_token(live.counts_version()),
        },
    )
