"""Models as Zendesk's JSON: one small function per resource.

Each `*_json` reads only what its `*_queryset` helper loaded (prefetches and
annotations), so a page of 100 costs a fixed number of queries.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast, overload

from django.db import connection
from django.db.models import CharField, Exists, Func, OuterRef, Prefetch, QuerySet, Subquery

from buzon.api import types as t
from buzon.api.router import Call
from buzon.rules.models import Trigger, View
from buzon.tickets.models import (
    Audit,
    AuditEvent,
    Comment,
    EventType,
    Ticket,
    TicketTag,
    User,
    UserIdentity,
)

ZENDESK_LOCALE_IDS = {"en": 1, "es": 2}
LOCALE_NAMES = {"en": "en-US", "es": "es"}


@overload
def stamp(value: datetime) -> str: ...
@overload
def stamp(value: datetime | None) -> str | None: ...
def stamp(value: datetime | None) -> str | None:
    """Zendesk's timestamps: UTC, whole seconds, `Z`."""
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def via_json(channel: str, source: dict[str, Any] | None = None) -> t.Via:
    return {"channel": channel, "source": source or {"from": {}, "to": {}, "rel": None}}


# -------------------------------------------------------------------------- tickets


@dataclass
class TicketExtras:
    """What a ticket's JSON needs from other tables, for a whole page at once (plain
    value queries: no model instances or related managers per ticket)."""

    tags: dict[int, list[str]] = field(default_factory=dict)
    cc_ids: dict[int, list[int]] = field(default_factory=dict)
    follower_ids: dict[int, list[int]] = field(default_factory=dict)
    public: set[int] = field(default_factory=set)


# The kinds of rows `ticket_extras` reads in its one statement.
_TAG, _CC, _FOLLOWER, _PUBLIC = range(4)


def ticket_extras(ids: list[int]) -> TicketExtras:
    """Tags, CCs, followers and whether a comment is public, for a page of tickets:
    one statement (four SELECTs in a UNION ALL), not one per kind."""
    extras = TicketExtras()
    if not ids:
        return extras
    sql, page = _extras_sql(ids)
    with connection.cursor() as cursor:
        cursor.execute(sql, [page, page, page, True, page])
        rows = cursor.fetchall()
    for kind, ticket_id, value in rows:
        if kind == _TAG:
            extras.tags.setdefault(ticket_id, []).append(value)
        elif kind == _PUBLIC:
            extras.public.add(ticket_id)
        else:
            target = extras.cc_ids if kind == _CC else extras.follower_ids
            target.setdefault(ticket_id, []).append(int(value))
    for names in extras.tags.values():
        names.sort()
    for user_ids in (*extras.cc_ids.values(), *extras.follower_ids.values()):
        user_ids.sort()
    return extras


def _extras_sql(ids: list[int]) -> tuple[str, Any]:
    """`ticket_extras`' statement and how the page's ids are passed to it.

    Written as SQL, the ids passed as one value: built with the ORM, the union and
    its four lists of a hundred ids each cost more CPU than the rest of the page.
    On PostgreSQL the ids are an array literal (`= ANY(%s::bigint[])`, written here:
    psycopg dumps a list as an array in Python, slowly), elsewhere a JSON list.
    """
    if connection.vendor == "postgresql":
        literal = "{" + ",".join(str(int(pk)) for pk in ids) + "}"
        return _EXTRAS_SQL.format(page="= ANY(%s::bigint[])"), literal
    return _EXTRAS_SQL.format(page="IN (SELECT value FROM json_each(%s))"), json.dumps(ids)


# One public comment is enough: EXISTS stops at the first (the description, usually)
# instead of reading every comment of the page's tickets.
_EXTRAS_SQL = (
    f"SELECT {_TAG}, ticket_id, name FROM {TicketTag._meta.db_table} WHERE ticket_id {{page}} "
    f"UNION ALL SELECT {_CC}, ticket_id, CAST(user_id AS varchar(20)) "
    f"FROM {Ticket.email_ccs.through._meta.db_table} WHERE ticket_id {{page}} "
    f"UNION ALL SELECT {_FOLLOWER}, ticket_id, CAST(user_id AS varchar(20)) "
    f"FROM {Ticket.followers.through._meta.db_table} WHERE ticket_id {{page}} "
    f"UNION ALL SELECT {_PUBLIC}, t.id, '' FROM {Ticket._meta.db_table} t WHERE EXISTS "
    f"(SELECT 1 FROM {Comment._meta.db_table} c WHERE c.ticket_id = t.id AND c.public = %s) "
    f"AND t.id {{page}}"
)


# The columns a ticket's JSON reads; `ticket_rows` adds its two timestamps as text.
TICKET_COLUMNS = (
    "id",
    "subject",
    "description",
    "status",
    "priority",
    "type",
    "via",
    "requester_id",
    "submitter_id",
    "assignee_id",
    "organization_id",
    "group_id",
    "encoded_id",
)


class Stamp(Func):
    """A timestamp column written by the database as `stamp` writes it (UTC, whole
    seconds, `Z`): a page of 100 tickets is then read without parsing 200 timestamps
    into datetimes in Python only to format them again."""

    output_field = CharField()

    def as_sql(self, compiler: Any, connection: Any, **extra_context: Any) -> tuple[str, list]:  # type: ignore[override]
        # SQLite stores a timestamp as UTC text, 'YYYY-MM-DD HH:MM:SS[.ffffff]'.
        (column,) = self.get_source_expressions()
        sql, params = compiler.compile(column)
        return f"strftime('%%Y-%%m-%%dT%%H:%%M:%%SZ', {sql})", params

    def as_postgresql(
        self, compiler: Any, connection: Any, **extra_context: Any
    ) -> tuple[str, list]:
        (column,) = self.get_source_expressions()
        sql, params = compiler.compile(column)
        return f"to_char({sql} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')", params


def ticket_rows(tickets: QuerySet[Ticket], *also: str) -> QuerySet[Any]:
    """`tickets` as the plain rows `ticket_json` reads (and the columns `also` names,
    e.g. a cursor's), not model instances."""
    extra = [name for name in also if name not in TICKET_COLUMNS]
    return tickets.values(
        *TICKET_COLUMNS, *extra, created=Stamp("created_at"), updated=Stamp("updated_at")
    )


def ticket_row(ticket: Ticket) -> dict[str, Any]:
    """A ticket instance as the row `ticket_rows` would read."""
    row = {name: getattr(ticket, name) for name in TICKET_COLUMNS}
    row["created"] = stamp(ticket.created_at)
    row["updated"] = stamp(ticket.updated_at)
    return row


def tickets_json(call: Call, tickets: Iterable[Ticket | dict[str, Any]]) -> list[t.Ticket]:
    """A page of tickets (instances, or rows from `ticket_rows`) as JSON: the page's
    query plus one, however many tickets."""
    rows = [x if isinstance(x, dict) else ticket_row(x) for x in tickets]
    extras = ticket_extras([row["id"] for row in rows])
    return [_ticket_json(call, row, extras) for row in rows]


def ticket_json(call: Call, ticket: Ticket) -> t.Ticket:
    return _ticket_json(call, ticket_row(ticket), ticket_extras([ticket.pk]))


def _ticket_json(call: Call, row: dict[str, Any], extras: TicketExtras) -> t.Ticket:
    """`is_public` is Zendesk's: whether any comment is public."""
    pk = row["id"]
    cc_ids = extras.cc_ids.get(pk, [])
    follower_ids = extras.follower_ids.get(pk, [])
    return {
        "id": pk,
        "url": call.url(f"tickets/{pk}"),
        "external_id": None,
        "via": via_json(row["via"]),
        "created_at": row["created"],
        "updated_at": row["updated"],
        # The model's choices are these literals; its fields are typed as plain str.
        "type": cast("t.TicketTypeName | None", row["type"] or None),
        "subject": row["subject"],
        "raw_subject": row["subject"],
        "description": row["description"],
        "priority": cast("t.TicketPriority | None", row["priority"] or None),
        "status": cast(t.TicketStatus, row["status"]),
        "recipient": None,
        "requester_id": row["requester_id"],
        "submitter_id": row["submitter_id"],
        "assignee_id": row["assignee_id"],
        "organization_id": row["organization_id"],
        "group_id": row["group_id"],
        "collaborator_ids": sorted(set(cc_ids) | set(follower_ids)),
        "follower_ids": follower_ids,
        "email_cc_ids": cc_ids,
        "has_incidents": False,
        "is_public": pk in extras.public,
        "due_at": None,
        "tags": extras.tags.get(pk, []),
        "custom_fields": [],
        "fields": [],
        "satisfaction_rating": None,
        "sharing_agreement_ids": [],
        "followup_ids": [],
        "problem_id": None,
        "brand_id": None,
        "allow_channelback": False,
        "allow_attachments": True,
        "from_messaging_channel": False,
        "encoded_id": row["encoded_id"],
    }


def comment_queryset(comments: QuerySet[Comment]) -> QuerySet[Comment]:
    audit_id = AuditEvent.objects.filter(comment_id=OuterRef("pk")).values("audit_id")[:1]
    return comments.annotate(audit_id=Subquery(audit_id))


def comment_json(comment: Comment) -> t.Comment:
    return {
        "id": comment.pk,
        "type": "Comment",
        "author_id": comment.author_id,
        "body": comment.body,
        "html_body": comment.html_body,
        "plain_body": comment.body,
        "public": comment.public,
        "attachments": list(comment.attachments or []),
        "audit_id": getattr(comment, "audit_id", None),
        "via": via_json(comment.via),
        "metadata": {"system": {}, "custom": dict(comment.metadata or {})},
        "created_at": stamp(comment.created_at),
    }


def audit_queryset(
    audits: QuerySet[Audit], event_types: list[str] | None = None
) -> QuerySet[Audit]:
    events = AuditEvent.objects.select_related("comment").order_by("id")
    if event_types:
        events = events.filter(type__in=event_types)
        audits = audits.filter(
            Exists(AuditEvent.objects.filter(audit=OuterRef("pk"), type__in=event_types))
        )
    return audits.prefetch_related(Prefetch("events", queryset=events))


def audit_json(audit: Audit) -> t.Audit:
    return {
        "id": audit.pk,
        "ticket_id": audit.ticket_id,
        "created_at": stamp(audit.created_at),
        "author_id": audit.author_id,
        "metadata": {"system": {}, "custom": dict(audit.metadata or {})},
        "via": via_json(audit.via),
        "events": [event_json(event) for event in audit.events.all()],
    }


def event_json(event: AuditEvent) -> t.AuditEvent:
    data: dict[str, Any] = dict(event.data or {})
    body: dict[str, Any] = {"id": event.pk, "type": event.type}
    source = data.pop("via", None)
    if event.type in (EventType.CREATE, EventType.CHANGE):
        body["field_name"] = event.field_name
        body["value"] = event.value
        if event.type == EventType.CHANGE:
            body["previous_value"] = event.previous_value
    elif event.type == EventType.COMMENT and event.comment is not None:
        comment = event.comment
        body.update(
            author_id=comment.author_id,
            body=comment.body,
            html_body=comment.html_body,
            plain_body=comment.body,
            public=comment.public,
            attachments=list(comment.attachments or []),
            audit_id=event.audit_id,
        )
    else:
        body = {**data, "id": event.pk, "type": event.type}
    if isinstance(source, dict) and "channel" in source:
        body["via"] = via_json(source["channel"], source.get("source"))
    # Built key by key for the event's type: the shape t.AuditEvent describes.
    return cast(t.AuditEvent, body)


# -------------------------------------------------------------------------- users


def user_queryset(users: QuerySet[User]) -> QuerySet[User]:
    return users.annotate(
        any_verified=Exists(UserIdentity.objects.filter(user=OuterRef("pk"), verified=True))
    )


def user_json(call: Call, user: User) -> t.User:
    return {
        "id": user.pk,
        "url": call.url(f"users/{user.pk}"),
        "name": user.name,
        "email": user.email,
        "created_at": stamp(user.created_at),
        "updated_at": stamp(user.updated_at),
        "time_zone": user.time_zone,
        "iana_time_zone": user.time_zone,
        "phone": None,
        "photo": None,
        "locale_id": ZENDESK_LOCALE_IDS.get(user.locale, 1),
        "locale": LOCALE_NAMES.get(user.locale, user.locale),
        "organization_id": user.organization_id,
        "role": cast(t.UserRole, user.role),  # the field's choices are these literals
        "verified": bool(getattr(user, "any_verified", False)),
        "external_id": None,
        "tags": [],
        "alias": "",
        "active": user.is_active,
        "shared": False,
        "shared_agent": False,
        "last_login_at": stamp(user.last_login),
        "signature": None,
        "details": "",
        "notes": user.notes,
        "moderator": user.is_agent,
        "ticket_restriction": None if user.is_agent else "requested",
        "only_private_comments": False,
        "restricted_agent": False,
        "suspended": False,
        "default_group_id": None,
        "user_fields": {},
    }


def identity_json(call: Call, identity: UserIdentity) -> t.Identity:
    return {
        "id": identity.pk,
        "url": call.url(f"users/{identity.user_id}/identities/{identity.pk}"),
        "user_id": identity.user_id,
        "type": "email",
        "value": identity.value,
        "verified": identity.verified,
        "primary": identity.primary,
        "deliverable_state": identity.deliverable_state,
        "undeliverable_count": identity.undeliverable_count,
        "created_at": stamp(identity.created_at),
        "updated_at": stamp(identity.updated_at),
    }


# -------------------------------------------------------------------------- rules


def conditions_json(conditions: dict[str, Any] | None) -> t.Conditions:
    conditions = conditions or {}
    return {"all": list(conditions.get("all") or []), "any": list(conditions.get("any") or [])}


def view_json(call: Call, view: View) -> t.View:
    columns = view.columns or []
    return {
        "id": view.pk,
        "url": call.url(f"views/{view.pk}"),
        "title": view.title,
        "raw_title": view.title,
        "description": None,
        "active": view.active,
        "position": view.position,
        "default": False,
        "restriction": None,
        "conditions": conditions_json(view.conditions),
        "execution": {
            "sort_by": view.sort_by,
            "sort_order": view.sort_order,
            "group_by": None,
            "group_order": None,
            "columns": [{"id": c, "title": c.replace("_", " ").capitalize()} for c in columns],
        },
        "created_at": stamp(view.created_at),
        "updated_at": stamp(view.updated_at),
    }


def trigger_json(call: Call, trigger: Trigger) -> t.Trigger:
    return {
        "id": trigger.pk,
        "url": call.url(f"triggers/{trigger.pk}"),
        "title": trigger.title,
        "raw_title": trigger.title,
        "description": trigger.description,
        "active": trigger.active,
        "position": trigger.position,
        "default": False,
        "category_id": None,
        "conditions": conditions_json(trigger.conditions),
        "actions": list(trigger.actions or []),
        "created_at": stamp(trigger.created_at),
        "updated_at": stamp(trigger.updated_at),
    }
