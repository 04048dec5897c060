"""The condition language shared by triggers and views (Zendesk's JSON shape).

    {"all": [{"field": "status", "operator": "less_than", "value": "solved"}],
     "any": [{"field": "current_tags", "operator": "includes", "value": "vip"}]}

A trigger's conditions are evaluated against an `Update` (what is changing now);
a view's are compiled to a database filter (`to_q`). Some fields only make sense
for an update (`update_type`, `comment_is_public`, `role`, ...) and some operators
only for an update (`changed`, ...): `parse_conditions(..., for_view=True)`
refuses them with a message that says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef, Q

from buzon.tickets.changes import Update, split_tags
from buzon.tickets.models import ORDERED_FIELDS, Priority, Status, TicketTag, TicketType, Via


class ConditionError(ValueError):
    """A condition set that cannot be used; the message says which part and why."""


# Zendesk's numeric `via_id`s for the channels Buzón has.
VIA_IDS = {0: Via.WEB, 4: Via.EMAIL, 5: Via.API, 8: Via.RULE, 27: Via.SYSTEM}

CHOICE_VALUES = {
    "status": list(Status.values),
    "priority": list(Priority.values),
    "type": list(TicketType.values),
}
ID_FIELDS = {"assignee_id", "requester_id", "group_id", "organization_id"}
TICKET_FIELDS = set(CHOICE_VALUES) | ID_FIELDS
CHANGE_OPERATORS = {
    "changed", "not_changed", "changed_to", "changed_from", "not_changed_to", "not_changed_from",
}  # fmt: skip
VALUE_OPERATORS = {"is", "is_not"}
ORDER_OPERATORS = {"less_than", "greater_than"}
TAG_OPERATORS = {"includes", "not_includes"}

# Fields that only describe the update in progress, so views cannot use them.
UPDATE_ONLY_FIELDS = {"update_type", "comment_is_public", "role", "current_via_id"}


def operators_for(field: str) -> set[str]:
    if field in ORDERED_FIELDS:
        return VALUE_OPERATORS | ORDER_OPERATORS | CHANGE_OPERATORS
    if field in TICKET_FIELDS:
        return VALUE_OPERATORS | CHANGE_OPERATORS
    if field == "current_tags":
        return TAG_OPERATORS
    if field in {"update_type", "comment_is_public"}:
        return {"is"}
    if field in {"role", "via_id", "current_via_id"}:
        return VALUE_OPERATORS
    return set()


KNOWN_FIELDS = sorted(TICKET_FIELDS | {"current_tags", "via_id"} | UPDATE_ONLY_FIELDS)


@dataclass(frozen=True)
class Condition:
    field: str
    operator: str
    value: Any


@dataclass(frozen=True)
class ConditionSet:
    all: tuple[Condition, ...] = ()
    any: tuple[Condition, ...] = ()

    def matches(self, update: Update) -> bool:
        if not all(evaluate(c, update) for c in self.all):
            return False
        return not self.any or any(evaluate(c, update) for c in self.any)

    def to_q(self, user_id: int | None = None) -> Q:
        q = Q()
        for c in self.all:
            q &= to_q(c, user_id)
        if self.any:
            any_q = Q()
            for c in self.any:
                any_q |= to_q(c, user_id)
            q &= any_q
        return q


def parse_conditions(raw: Any, *, for_view: bool = False) -> ConditionSet:
    """Validate Zendesk-shaped conditions; raise ConditionError saying what is wrong."""
    if raw in (None, ""):
        raw = {}
    if not isinstance(raw, dict):
        raise ConditionError('conditions must be an object with "all" and/or "any" lists')
    extra = set(raw) - {"all", "any"}
    if extra:
        raise ConditionError(f"unknown key(s) in conditions: {', '.join(sorted(extra))}")
    parsed: dict[str, tuple[Condition, ...]] = {}
    for key in ("all", "any"):
        items = raw.get(key) or []
        if not isinstance(items, list):
            raise ConditionError(f'"{key}" must be a list of conditions')
        parsed[key] = tuple(
            _parse_one(item, f"{key}[{i}]", for_view) for i, item in enumerate(items)
        )
    return ConditionSet(**parsed)


def _parse_one(item: Any, where: str, for_view: bool) -> Condition:
    if not isinstance(item, dict) or "field" not in item or "operator" not in item:
        raise ConditionError(f'condition {where} needs "field", "operator" and "value"')
    field, operator, value = item["field"], item["operator"], item.get("value")
    ops = operators_for(field)
    if not ops:
        raise ConditionError(
            f"condition {where}: unknown field {field!r}; known fields: {', '.join(KNOWN_FIELDS)}"
        )
    if operator not in ops:
        raise ConditionError(
            f"condition {where}: operator {operator!r} does not apply to {field!r}; "
            f"use one of {', '.join(sorted(ops))}"
        )
    if for_view and (field in UPDATE_ONLY_FIELDS or operator in CHANGE_OPERATORS):
        raise ConditionError(
            f"condition {where}: {field} {operator} describes an update in progress; "
            "views filter tickets as they are"
        )
    if operator not in {"changed", "not_changed"}:
        value = _clean_value(field, value, where)
    return Condition(field, operator, value)


def _clean_value(field: str, value: Any, where: str) -> Any:
    if field in CHOICE_VALUES:
        if value in (None, "") and field != "status":
            return ""
        if value not in CHOICE_VALUES[field]:
            raise ConditionError(
                f"condition {where}: {field} must be one of {', '.join(CHOICE_VALUES[field])}, "
                f"not {value!r}"
            )
        return value
    if field in ID_FIELDS:
        if value in (None, ""):
            return None
        if value == "current_user" and field in {"assignee_id", "requester_id"}:
            return value
        try:
            return int(value)
        except (TypeError, ValueError):
            raise ConditionError(
                f"condition {where}: {field} must be an id"
                + (' or "current_user"' if field in {"assignee_id", "requester_id"} else "")
                + f", not {value!r}"
            ) from None
    if field == "current_tags":
        try:
            tags = split_tags(value)
        except ValueError as exc:
            raise ConditionError(f"condition {where}: {exc}") from None
        if not tags:
            raise ConditionError(f"condition {where}: give at least one tag")
        return tuple(tags)
    if field == "update_type":
        if value not in ("Create", "Change"):
            raise ConditionError(f'condition {where}: update_type is "Create" or "Change"')
        return value
    if field == "comment_is_public":
        normal = {True: True, "true": True, False: False, "false": False}
        if value in ("not_relevant", "present"):
            return "not_relevant"
        if value not in normal:
            raise ConditionError(
                f'condition {where}: comment_is_public is true, false or "not_relevant"'
            )
        return normal[value]
    if field == "role":
        if value not in ("end_user", "agent", "admin"):
            raise ConditionError(f'condition {where}: role is "end_user", "agent" or "admin"')
        return value
    if field in {"via_id", "current_via_id"}:
        if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
            channel = VIA_IDS.get(int(value))
        else:
            channel = value if value in Via.values else None
        if channel is None:
            raise ConditionError(
                f"condition {where}: {field} must be one of {', '.join(Via.values)}"
            )
        return str(channel)
    raise ConditionError(f"condition {where}: unknown field {field!r}")  # pragma: no cover


def _resolve(value: Any, user_id: int | None) -> Any:
    return user_id if value == "current_user" else value


def evaluate(c: Condition, update: Update) -> bool:
    ticket = update.ticket
    if c.field == "update_type":
        return (c.value == "Create") == update.is_create
    if c.field == "comment_is_public":
        if update.comment is None:
            return False
        return True if c.value == "not_relevant" else update.comment.public == c.value
    if c.field == "role":
        actor_role = "end_user" if not update.actor.is_agent else "agent"
        matched = actor_role == c.value or (c.value == "admin" and update.actor.role == "admin")
        return matched if c.operator == "is" else not matched
    if c.field in {"via_id", "current_via_id"}:
        channel = ticket.via if c.field == "via_id" else update.via
        return (channel == c.value) == (c.operator == "is")
    if c.field == "current_tags":
        tags = set(ticket.tags.values_list("name", flat=True))
        hit = bool(tags & set(c.value))
        return hit if c.operator == "includes" else not hit
    return _evaluate_ticket_field(c, update)


def _evaluate_ticket_field(c: Condition, update: Update) -> bool:
    current = getattr(update.ticket, c.field)
    value = _resolve(c.value, update.actor.pk)
    changed = c.field in update.changes
    previous = update.changes[c.field][0] if changed else current
    op = c.operator
    if op == "is":
        return _same(current, value)
    if op == "is_not":
        return not _same(current, value)
    if op in ORDER_OPERATORS:
        order = ORDERED_FIELDS[c.field]
        if current not in order:
            return False
        if op == "less_than":
            return order.index(current) < order.index(value)
        return order.index(current) > order.index(value)
    if op == "changed":
        return changed
    if op == "not_changed":
        return not changed
    if op == "changed_to":
        return changed and _same(current, value)
    if op == "changed_from":
        return changed and _same(previous, value)
    if op == "not_changed_to":
        return not (changed and _same(current, value))
    if op == "not_changed_from":
        return not (changed and _same(previous, value))
    raise ConditionError(f"unknown operator {op!r}")  # pragma: no cover


def _same(a: Any, b: Any) -> bool:
    if a in (None, "") and b in (None, ""):
        return True
    return a == b


def to_q(c: Condition, user_id: int | None = None) -> Q:
    """The database filter for one view condition."""
    if c.field == "current_tags":
        has = Exists(TicketTag.objects.filter(ticket=OuterRef("pk"), name__in=c.value))
        return Q(has) if c.operator == "includes" else ~Q(has)
    if c.field == "via_id":
        q = Q(via=c.value)
        return q if c.operator == "is" else ~q
    value = _resolve(c.value, user_id)
    if c.operator in ORDER_OPERATORS:
        order = ORDERED_FIELDS[c.field]
        index = order.index(value)
        chosen = order[:index] if c.operator == "less_than" else order[index + 1 :]
        return Q(**{f"{c.field}__in": chosen})
    if value in (None, ""):
        q = Q(**{f"{c.field}__isnull": True}) if c.field in ID_FIELDS else Q(**{c.field: ""})
    else:
        q = Q(**{c.field: value})
    return q if c.operator == "is" else ~q
