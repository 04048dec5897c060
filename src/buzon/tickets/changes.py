"""Field-level changes to a ticket, each recorded as an event in the current audit.

This module knows which ticket fields exist, how to validate a value for each and
how to apply it. It is used by `services` (changes asked for by a person or a
channel) and by the trigger actions in `buzon.rules` (changes made by a rule), so
that both record the same events. It never runs triggers itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from buzon.tickets.models import (
    Audit,
    AuditEvent,
    Comment,
    EventType,
    Group,
    Organization,
    Priority,
    Role,
    Status,
    Ticket,
    TicketTag,
    TicketType,
    User,
    insert_row,
)


class TicketChangeError(ValueError):
    """A change that cannot be applied; the message says what is wrong."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


# The fields a change may name (Zendesk's API names), and what each one holds.
CHOICE_FIELDS: dict[str, list[str]] = {
    "status": list(Status.values),
    "priority": list(Priority.values),
    "type": list(TicketType.values),
}
USER_FIELDS = {"requester_id", "assignee_id"}
OTHER_FK_FIELDS: dict[str, type[Group | Organization]] = {
    "group_id": Group,
    "organization_id": Organization,
}
TAG_FIELDS = {"tags", "additional_tags", "remove_tags"}
CC_FIELDS = {"email_cc_ids", "additional_email_cc_ids", "remove_email_cc_ids"}
FIELD_NAMES = (
    {"subject"}
    | set(CHOICE_FIELDS)
    | USER_FIELDS
    | set(OTHER_FK_FIELDS)
    | TAG_FIELDS
    | CC_FIELDS
    | {"follower_ids"}
)
NULLABLE_FIELDS = {"assignee_id", "group_id", "organization_id", "priority", "type"}

TAG_RE = re.compile(r"^[^\s,\"'<>&]{1,80}$")


@dataclass
class Update:
    """What one create or update is doing, as triggers and actions need to see it.

    `changes` maps each field changed so far in this update (by the person or by
    rules) to `(previous, current)`; for a new ticket every field set at creation
    is a change from `None`.
    """

    ticket: Ticket
    audit: Audit
    actor: User
    via: str
    is_create: bool
    comment: Comment | None = None
    changes: dict[str, tuple[Any, Any]] = field(default_factory=dict)


def split_tags(value: str | list[str] | None) -> list[str]:
    """Tags from a space/comma separated string or a list, lower-cased, deduplicated."""
    if value is None:
        return []
    items = value.replace(",", " ").split() if isinstance(value, str) else list(value)
    tags: list[str] = []
    for item in items:
        if not isinstance(item, str):
            raise TicketChangeError(f"a tag must be text, not {item!r}", "tags")
        tag = item.strip().lower()
        if not tag:
            continue
        if not TAG_RE.match(tag):
            raise TicketChangeError(
                f"invalid tag {tag!r}: tags are up to 80 characters, without spaces, "
                "commas, quotes or angle brackets",
                "tags",
            )
        if tag not in tags:
            tags.append(tag)
    return tags


def clean_fields(fields: dict[str, Any]) -> dict[str, Any]:
    """Validate every field before anything is applied; raise on the first problem."""
    unknown = sorted(set(fields) - FIELD_NAMES)
    if unknown:
        raise TicketChangeError(
            f"unknown ticket field(s): {', '.join(unknown)}; "
            f"known fields are {', '.join(sorted(FIELD_NAMES))}",
            unknown[0],
        )
    cleaned: dict[str, Any] = {}
    for name, value in fields.items():
        cleaned[name] = clean_value(name, value)
    return cleaned


def clean_value(name: str, value: Any) -> Any:
    if value in (None, "") and name in NULLABLE_FIELDS:
        return None if name.endswith("_id") else ""
    if name == "subject":
        if not isinstance(value, str) or not value.strip():
            raise TicketChangeError("the subject must be non-empty text", name)
        return " ".join(value.split())[:255]
    if name in CHOICE_FIELDS:
        if value not in CHOICE_FIELDS[name]:
            raise TicketChangeError(
                f"invalid {name} {value!r}; one of {', '.join(CHOICE_FIELDS[name])}", name
            )
        return value
    if name in USER_FIELDS:
        user = _user(value, name)
        if name == "assignee_id" and not user.is_agent:
            raise TicketChangeError(f"user {user.pk} is not an agent and cannot be assignee", name)
        return user.pk
    if name in OTHER_FK_FIELDS:
        model = OTHER_FK_FIELDS[name]
        pk = _int(value, name)
        if not model.objects.filter(pk=pk).exists():
            raise TicketChangeError(f"no {model.__name__.lower()} with id {pk}", name)
        return pk
    if name in TAG_FIELDS:
        return split_tags(value)
    if name in CC_FIELDS or name == "follower_ids":
        if not isinstance(value, list | tuple):
            raise TicketChangeError(f"{name} must be a list of user ids", name)
        users = [_user(v, name) for v in value]
        if name == "follower_ids" and any(not u.is_agent for u in users):
            raise TicketChangeError("followers must be agents", name)
        return list(dict.fromkeys(u.pk for u in users))
    raise TicketChangeError(f"unknown ticket field: {name}", name)  # pragma: no cover


def _int(value: Any, name: str) -> int:
    if isinstance(value, bool):
        raise TicketChangeError(f"{name} must be an id, not {value!r}", name)
    try:
        return int(value)
    except (TypeError, ValueError):
        raise TicketChangeError(f"{name} must be an id, not {value!r}", name) from None


def _user(value: Any, name: str) -> User:
    if isinstance(value, User):
        return value
    pk = _int(value, name)
    user = User.objects.filter(pk=pk, is_active=True).first()
    if user is None:
        raise TicketChangeError(f"no active user with id {pk}", name)
    return user


def record_event(audit: Audit, type: str, **kwargs: Any) -> AuditEvent:
    event = AuditEvent(audit=audit, type=type, **kwargs)
    insert_row(event)
    return event


def apply_fields(update: Update, cleaned: dict[str, Any], source: dict | None = None) -> None:
    """Apply validated fields, recording a Change (or Create) event for each difference.

    `source` is the Zendesk-style `via` of the events (e.g. the trigger that made the
    change); it is stored in each event's data.
    """
    event_type = EventType.CREATE if update.is_create else EventType.CHANGE
    data = {"via": source} if source else {}
    ticket = update.ticket
    for name, value in cleaned.items():
        if name in TAG_FIELDS:
            _apply_tags(update, name, value, data)
        elif name in CC_FIELDS:
            _apply_ccs(update, name, value, data)
        elif name == "follower_ids":
            previous = sorted(ticket.followers.values_list("pk", flat=True))
            ticket.followers.set(value)
            if previous != sorted(value):
                _note_change(update, name, previous, sorted(value))
        else:
            attname = name
            previous = getattr(ticket, attname)
            if previous == value and not update.is_create:
                continue
            setattr(ticket, attname, value)
            _note_change(update, name, previous, value)
            record_event(
                update.audit,
                event_type,
                field_name=name,
                previous_value=None if update.is_create else _jsonable(previous),
                value=_jsonable(value),
                data=data,
            )


def _jsonable(value: Any) -> Any:
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


def _note_change(update: Update, name: str, previous: Any, current: Any) -> None:
    first_previous = update.changes.get(name, (previous, None))[0]
    update.changes[name] = (first_previous, current)


def current_tags(ticket: Ticket) -> list[str]:
    return sorted(TicketTag.objects.filter(ticket=ticket).values_list("name", flat=True))


def _apply_tags(update: Update, name: str, tags: list[str], data: dict) -> None:
    ticket = update.ticket
    before = current_tags(ticket)
    if name == "tags":
        after = sorted(set(tags))
    elif name == "additional_tags":
        after = sorted(set(before) | set(tags))
    else:
        after = sorted(set(before) - set(tags))
    if after == before and not (update.is_create and after):
        return
    if set(before) - set(after):
        TicketTag.objects.filter(ticket=ticket).exclude(name__in=after).delete()
    TicketTag.objects.bulk_create(
        [TicketTag(ticket=ticket, name=t) for t in after if t not in before],
        ignore_conflicts=True,
    )
    _note_change(update, "tags", before, after)
    record_event(
        update.audit,
        EventType.CREATE if update.is_create else EventType.CHANGE,
        field_name="tags",
        previous_value=None if update.is_create else before,
        value=after,
        data=data,
    )


def _apply_ccs(update: Update, name: str, user_ids: list[int], data: dict) -> None:
    ticket = update.ticket
    before = sorted(ticket.email_ccs.values_list("pk", flat=True))
    if name == "email_cc_ids":
        after = sorted(set(user_ids))
    elif name == "additional_email_cc_ids":
        after = sorted(set(before) | set(user_ids))
    else:
        after = sorted(set(before) - set(user_ids))
    # The requester is never their own CC.
    after = [pk for pk in after if pk != ticket.requester_id]
    if after == before:
        return
    ticket.email_ccs.set(after)
    _note_change(update, "email_cc_ids", before, after)
    record_event(
        update.audit,
        EventType.EMAIL_CC_CHANGE,
        data={**data, "previous_email_ccs": before, "current_email_ccs": after},
    )


def agents() -> list[User]:
    return list(User.objects.filter(role__in=[Role.AGENT, Role.ADMIN], is_active=True))
