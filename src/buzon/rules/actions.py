"""Trigger actions (Zendesk's JSON shape): `[{"field": "status", "value": "open"}, ...]`.

Field actions change the ticket through `buzon.tickets.changes`, so they record the
same events as a person's change, marked with the trigger as their source.
Notification actions are collected while the trigger cycle runs and rendered once it
ends (so placeholders show the ticket as the update leaves it): see `engine`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from buzon.rules.placeholders import TemplateError, parse
from buzon.tickets.changes import (
    TicketChangeError,
    Update,
    apply_fields,
    clean_fields,
    record_event,
)
from buzon.tickets.models import EventType, Priority, Status, TicketType


class ActionError(ValueError):
    """An action list that cannot be used; the message says which action and why."""


FIELD_ACTIONS = {
    "status": list(Status.values),
    "priority": list(Priority.values),
    "type": list(TicketType.values),
    "group_id": None,
    "assignee_id": None,
}
TAG_ACTIONS = {"set_tags": "tags", "current_tags": "additional_tags", "remove_tags": "remove_tags"}
NOTIFY_USER_TARGETS = {
    "requester_id",
    "requester_and_ccs",
    "assignee_id",
    "current_user",
    "all_agents",
}
NOTIFY_ACTIONS = {"notification_user", "notification_group"}
KNOWN_ACTIONS = sorted(set(FIELD_ACTIONS) | set(TAG_ACTIONS) | NOTIFY_ACTIONS | {"cc"})


@dataclass(frozen=True)
class Action:
    field: str
    value: Any


@dataclass(frozen=True)
class NotifyAction:
    """An email to send: `target` is a user id, a group id or one of the named targets."""

    kind: str  # "user" or "group"
    target: Any
    subject: str
    body: str


def parse_actions(raw: Any) -> list[Action | NotifyAction]:
    if raw in (None, ""):
        return []
    if not isinstance(raw, list):
        raise ActionError('actions must be a list of {"field": ..., "value": ...} objects')
    return [_parse_one(item, i) for i, item in enumerate(raw)]


def _parse_one(item: Any, i: int) -> Action | NotifyAction:
    where = f"action {i}"
    if not isinstance(item, dict) or "field" not in item:
        raise ActionError(f'{where} needs "field" and "value"')
    field, value = item["field"], item.get("value")
    if field in FIELD_ACTIONS:
        choices = FIELD_ACTIONS[field]
        if choices is not None and value not in choices:
            raise ActionError(
                f"{where}: {field} must be one of {', '.join(choices)}, not {value!r}"
            )
        if choices is None and value not in (None, "", "current_user") and not _is_id(value):
            raise ActionError(f'{where}: {field} must be an id, "current_user" or empty')
        return Action(field, value)
    if field in TAG_ACTIONS:
        if not isinstance(value, str | list):
            raise ActionError(f"{where}: {field} needs tags as text or a list")
        return Action(field, value)
    if field == "cc":
        if value != "current_user" and not _is_id(value):
            raise ActionError(f'{where}: cc needs a user id or "current_user"')
        return Action(field, value)
    if field in NOTIFY_ACTIONS:
        return _parse_notify(field, value, where)
    raise ActionError(
        f"{where}: unknown action {field!r}; known actions: {', '.join(KNOWN_ACTIONS)}"
    )


def _is_id(value: Any) -> bool:
    return (isinstance(value, int) and not isinstance(value, bool)) or (
        isinstance(value, str) and value.isdigit()
    )


def _parse_notify(field: str, value: Any, where: str) -> NotifyAction:
    if not isinstance(value, list | tuple) or len(value) != 3:
        raise ActionError(f"{where}: {field} needs [recipient, subject, body]")
    target, subject, body = value
    if field == "notification_user":
        if target not in NOTIFY_USER_TARGETS and not _is_id(target):
            raise ActionError(
                f"{where}: recipient must be a user id or one of "
                + ", ".join(sorted(NOTIFY_USER_TARGETS))
            )
    elif target != "group_id" and not _is_id(target):
        raise ActionError(f'{where}: recipient must be a group id or "group_id"')
    if not isinstance(subject, str) or not subject.strip():
        raise ActionError(f"{where}: the email needs a subject")
    if not isinstance(body, str) or not body.strip():
        raise ActionError(f"{where}: the email needs a body")
    for part, source in (("subject", subject), ("body", body)):
        try:
            parse(source)
        except TemplateError as exc:
            raise ActionError(f"{where}: the {part} template is invalid: {exc}") from None
    kind = "user" if field == "notification_user" else "group"
    target = int(target) if _is_id(target) else target
    return NotifyAction(kind, target, subject, body)


def apply_action(action: Action, update: Update, source: dict[str, Any]) -> None:
    """Apply one field action; one that cannot apply records an Error event instead."""
    value = action.value
    if value == "current_user":
        value = update.actor.pk
    if action.field in TAG_ACTIONS:
        fields = {TAG_ACTIONS[action.field]: value}
    elif action.field == "cc":
        fields = {"additional_email_cc_ids": [value]}
    else:
        fields = {action.field: value}
    try:
        apply_fields(update, clean_fields(fields), source)
    except TicketChangeError as exc:
        record_event(
            update.audit,
            EventType.ERROR,
            data={"message": f"{source['source']['from']['title']}: {exc}", "via": source},
        )
