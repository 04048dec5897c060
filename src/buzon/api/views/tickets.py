"""Tickets, their tags, comments and audits (Zendesk's Tickets, Ticket Comments and
Ticket Audits APIs). Every change goes through `tickets.services` with via="api"."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import JsonResponse

from buzon.api import serializers as s
from buzon.api import types as t
from buzon.api.access import get_ticket, visible_tickets
from buzon.api.errors import bad_request, conflict, not_found, record_invalid
from buzon.api.pagination import PAGE_PARAMS, paginate
from buzon.api.people import clean_email, find_or_create_end_user, user_by_email
from buzon.api.router import Call, Param, api, page_of
from buzon.tickets.html import sanitize_html
from buzon.tickets.models import Audit, Comment, Ticket, Via
from buzon.tickets.services import CommentInput, create_ticket, update_ticket

TAG = "Tickets"
TicketsPage = page_of("tickets", t.Ticket, "TicketsPage")
CommentsPage = page_of("comments", t.Comment, "CommentsPage")
AuditsPage = page_of("audits", t.Audit, "AuditsPage")

SORTS = {"id", "created_at", "updated_at"}
OFFSET_SORTS = SORTS | {"status", "priority", "subject"}


def _ticket_ordering(call: Call) -> list[str]:
    sort = call.param("sort")
    if sort:
        name = sort.lstrip("-")
        if name not in SORTS:
            raise bad_request(
                f"sort must be one of {', '.join(sorted(SORTS))} (with - for descending)", "sort"
            )
        return [sort, "-id" if sort.startswith("-") else "id"] if name != "id" else [sort]
    sort_by = call.param("sort_by") or "id"
    if sort_by not in OFFSET_SORTS:
        raise bad_request(f"sort_by must be one of {', '.join(sorted(OFFSET_SORTS))}", "sort_by")
    descending = (call.param("sort_order") or "asc") == "desc"
    prefix = "-" if descending else ""
    return [f"{prefix}{sort_by}"] + ([f"{prefix}id"] if sort_by != "id" else [])


SORT_PARAMS = [
    Param("sort", str, "id, created_at or updated_at; prefix - for descending"),
    Param(
        "sort_by", str, "Offset pagination: id, created_at, updated_at, status, priority, subject"
    ),
    Param("sort_order", str, "asc or desc"),
]


@api.get(
    "tickets",
    response=TicketsPage,
    summary="List tickets",
    tag=TAG,
    access="user",
    query=PAGE_PARAMS + SORT_PARAMS,
)
def list_tickets(call: Call) -> dict[str, Any]:
    """All tickets for agents; an end user sees the tickets they requested or are CC'd on."""
    ordering = _ticket_ordering(call)
    page = paginate(
        call,
        s.ticket_rows(visible_tickets(call.caller), *(o.lstrip("-") for o in ordering)),
        ordering,
        cursor=_cursorable(ordering),
    )
    return {"tickets": s.tickets_json(call, page.items), **page.envelope}


def _cursorable(ordering: list[str]) -> bool:
    return all(o.lstrip("-") in SORTS for o in ordering)


@api.get(
    "tickets/show_many",
    response=page_of("tickets", t.Ticket, "TicketsPage"),
    summary="Show many tickets",
    tag=TAG,
    access="user",
    query=[Param("ids", str, "Comma-separated ticket ids (at most 100)", required=True)],
)
def show_many_tickets(call: Call) -> dict[str, Any]:
    ids = call.ids_param("ids")
    tickets = visible_tickets(call.caller).filter(pk__in=ids).order_by("id")
    return {"tickets": s.tickets_json(call, s.ticket_rows(tickets))}


@api.get(
    "tickets/{ticket_id}",
    response=t.TicketResponse,
    summary="Show a ticket",
    tag=TAG,
    access="user",
)
def show_ticket(call: Call, ticket_id: int) -> t.TicketResponse:
    get_ticket(call.caller, ticket_id)
    ticket = Ticket.objects.get(pk=ticket_id)
    return {"ticket": s.ticket_json(call, ticket)}


@api.post(
    "tickets",
    body=t.TicketCreateRequest,
    response=t.TicketWithAuditResponse,
    status=201,
    summary="Create a ticket",
    tag=TAG,
)
def create_ticket_view(call: Call) -> Any:
    """Needs a `comment` (the description). `requester: {email, name}` finds the user with
    that address or creates an end user; `email_ccs` likewise for CCs."""
    data: dict[str, Any] = call.body["ticket"]
    comment = _comment(call, data.get("comment"))  # sanitised before the transaction
    with transaction.atomic():
        fields = _fields(call, data, ticket=None)
        if comment is None:
            raise record_invalid("comment", "a new ticket needs a comment (its description)")
        ticket = create_ticket(actor=call.user, via=Via.API, fields=fields, comment=comment)
    audit = Audit.objects.filter(ticket=ticket).order_by("id").first()
    response = _ticket_with_audit(call, ticket, audit)
    response.status_code = 201
    response["Location"] = call.url(f"tickets/{ticket.pk}")
    return response


@api.put(
    "tickets/{ticket_id}",
    body=t.TicketUpdateRequest,
    response=t.TicketWithAuditResponse,
    summary="Update a ticket",
    tag=TAG,
)
def update_ticket_view(call: Call, ticket_id: int) -> Any:
    """Change fields and/or add a `comment` (`public: false` for an internal note). With
    `safe_update: true` and the `updated_stamp` you read, a ticket changed meanwhile
    answers 409 instead of being overwritten."""
    ticket = get_ticket(call.caller, ticket_id)
    data: dict[str, Any] = call.body["ticket"]
    if data.get("safe_update") and data.get("updated_stamp") != s.stamp(ticket.updated_at):
        raise conflict("The ticket was updated since you read it (updated_stamp differs)")
    comment = _comment(call, data.get("comment"))  # sanitised before the transaction
    with transaction.atomic():
        fields = _fields(call, data, ticket=ticket)
        audit = update_ticket(ticket, actor=call.user, via=Via.API, fields=fields, comment=comment)
    return _ticket_with_audit(call, ticket, audit)


def _ticket_with_audit(call: Call, ticket: Ticket, audit: Audit | None) -> Any:
    ticket = Ticket.objects.get(pk=ticket.pk)
    audit_body = None
    if audit is not None:
        audit_body = s.audit_json(s.audit_queryset(Audit.objects.filter(pk=audit.pk)).get())
    return JsonResponse(
        {"ticket": s.ticket_json(call, ticket), "audit": audit_body},
        json_dumps_params={"ensure_ascii": False},
    )


PLAIN_FIELDS = (
    "subject",
    "status",
    "priority",
    "type",
    "group_id",
    "organization_id",
    "assignee_id",
    "requester_id",
)


def _fields(call: Call, data: dict[str, Any], ticket: Ticket | None) -> dict[str, Any]:
    """Zendesk's ticket fields as `tickets.services` field names."""
    fields: dict[str, Any] = {name: data[name] for name in PLAIN_FIELDS if name in data}
    for name in ("priority", "type"):
        if name in fields and fields[name] is None:
            fields[name] = ""
    if "requester" in data and "requester_id" not in data:
        requester = data["requester"]
        if "email" not in requester:
            raise record_invalid("requester", "give the requester's email (or requester_id)")
        user = find_or_create_end_user(
            requester["email"], requester.get("name", ""), "requester", requester.get("locale_id")
        )
        fields["requester_id"] = user.pk
    if "assignee_email" in data and "assignee_id" not in data:
        assignee = user_by_email(clean_email(data["assignee_email"], "assignee_email"))
        if assignee is None:
            raise record_invalid("assignee_email", "no agent has this address")
        fields["assignee_id"] = assignee.pk
    for name in ("tags", "additional_tags", "remove_tags", "email_cc_ids", "follower_ids"):
        if name in data:
            fields[name] = data[name]
    if "email_ccs" in data:
        put, delete = _people_actions(data["email_ccs"], "email_ccs", create=True)
        if ticket is None:
            fields["email_cc_ids"] = sorted(set(fields.get("email_cc_ids", [])) | set(put))
        else:
            if put:
                fields["additional_email_cc_ids"] = put
            if delete:
                fields["remove_email_cc_ids"] = delete
    if "followers" in data:
        put, delete = _people_actions(data["followers"], "followers", create=False)
        current = [] if ticket is None else list(ticket.followers.values_list("pk", flat=True))
        base = fields.get("follower_ids", current)
        fields["follower_ids"] = [pk for pk in dict.fromkeys([*base, *put]) if pk not in delete]
    return fields


def _people_actions(
    items: list[dict[str, Any]], field: str, *, create: bool
) -> tuple[list[int], list[int]]:
    put: list[int] = []
    delete: list[int] = []
    for item in items:
        if "user_id" in item:
            pk = item["user_id"]
        elif "user_email" in item:
            if create and item.get("action", "put") == "put":
                pk = find_or_create_end_user(
                    item["user_email"], item.get("user_name", ""), field
                ).pk
            else:
                user = user_by_email(clean_email(item["user_email"], field))
                if user is None:
                    raise record_invalid(field, f"no user has the address {item['user_email']!r}")
                pk = user.pk
        else:
            raise record_invalid(field, "each entry needs user_id or user_email")
        (delete if item.get("action", "put") == "delete" else put).append(pk)
    return put, delete


def _comment(call: Call, data: dict[str, Any] | None) -> CommentInput | None:
    if data is None:
        return None
    author_id = data.get("author_id")
    if author_id is not None and author_id != call.user.pk:
        raise record_invalid(
            "comment.author_id", "comments are written by the user of the API token"
        )
    body = data.get("body", "")
    html_body = data.get("html_body", "")
    if not (body or html_body).strip():
        raise record_invalid("comment", "a comment needs a body or html_body")
    return CommentInput(
        body=body,
        html_body=sanitize_html(html_body) if html_body else "",
        public=data.get("public", True),
    )


# -------------------------------------------------------------------------- tags


@api.get(
    "tickets/{ticket_id}/tags",
    response=t.TagsResponse,
    summary="List a ticket's tags",
    tag=TAG,
    access="user",
)
def list_ticket_tags(call: Call, ticket_id: int) -> t.TagsResponse:
    ticket = get_ticket(call.caller, ticket_id)
    return {"tags": sorted(ticket.tags.values_list("name", flat=True))}


def _change_tags(call: Call, ticket_id: int, field: str) -> t.TagsResponse:
    ticket = get_ticket(call.caller, ticket_id)
    tags = call.body["tags"]
    update_ticket(ticket, actor=call.user, via=Via.API, fields={field: tags})
    return {"tags": sorted(ticket.tags.values_list("name", flat=True))}


@api.post(
    "tickets/{ticket_id}/tags",
    body=t.TagsRequest,
    response=t.TagsResponse,
    summary="Set tags (replacing all)",
    tag=TAG,
)
def set_ticket_tags(call: Call, ticket_id: int) -> t.TagsResponse:
    return _change_tags(call, ticket_id, "tags")


@api.put(
    "tickets/{ticket_id}/tags",
    body=t.TagsRequest,
    response=t.TagsResponse,
    summary="Add tags",
    tag=TAG,
)
def add_ticket_tags(call: Call, ticket_id: int) -> t.TagsResponse:
    return _change_tags(call, ticket_id, "additional_tags")


@api.delete(
    "tickets/{ticket_id}/tags",
    body=t.TagsRequest,
    response=t.TagsResponse,
    summary="Remove tags",
    tag=TAG,
)
def remove_ticket_tags(call: Call, ticket_id: int) -> t.TagsResponse:
    return _change_tags(call, ticket_id, "remove_tags")


# -------------------------------------------------------------------------- comments and audits


@api.get(
    "tickets/{ticket_id}/comments",
    response=CommentsPage,
    summary="List a ticket's comments",
    tag=TAG,
    access="user",
    query=[
        *PAGE_PARAMS,
        Param("sort_order", str, "asc (oldest first, the default) or desc"),
        Param("sort", str, "created_at or -created_at"),
    ],
)
def list_ticket_comments(call: Call, ticket_id: int) -> dict[str, Any]:
    """End users see public comments only."""
    ticket = get_ticket(call.caller, ticket_id)
    comments = Comment.objects.filter(ticket=ticket)
    if not call.caller.is_agent:
        comments = comments.filter(public=True)
    descending = call.param("sort_order") == "desc" or call.param("sort") == "-created_at"
    ordering = ["-created_at", "-id"] if descending else ["created_at", "id"]
    page = paginate(call, s.comment_queryset(comments), ordering)
    return {"comments": [s.comment_json(c) for c in page.items], **page.envelope}


EVENT_FILTER = Param(
    "filter_events[]",
    str,
    "Only audits with events of these types, and only those events "
    "(e.g. Notification, Comment, Change)",
)


@api.get(
    "tickets/{ticket_id}/audits",
    response=AuditsPage,
    summary="List a ticket's audits",
    tag=TAG,
    query=[*PAGE_PARAMS, EVENT_FILTER],
)
def list_ticket_audits(call: Call, ticket_id: int) -> dict[str, Any]:
    """Oldest first. `filter_events[]=Notification` keeps the audits that sent email
    notifications, each with only its Notification events."""
    ticket = get_ticket(call.caller, ticket_id)
    event_types = call.list_param("filter_events")
    audits = s.audit_queryset(Audit.objects.filter(ticket=ticket), event_types or None)
    page = paginate(call, audits, ["created_at", "id"])
    return {"audits": [s.audit_json(a) for a in page.items], **page.envelope}


@api.get(
    "tickets/{ticket_id}/audits/{audit_id}",
    response=t.AuditResponse,
    summary="Show an audit",
    tag=TAG,
)
def show_ticket_audit(call: Call, ticket_id: int, audit_id: int) -> dict[str, Any]:
    ticket = get_ticket(call.caller, ticket_id)
    audit = s.audit_queryset(Audit.objects.filter(ticket=ticket, pk=audit_id)).first()
    if audit is None:
        raise not_found()
    return {"audit": s.audit_json(audit)}
