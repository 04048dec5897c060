"""Triggers (business rules run on every ticket update) and views (saved filters)."""

from __future__ import annotations

import copy
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import QuerySet
from django.utils import timezone

from buzon.rules.actions import ActionError, NotifyAction, parse_actions
from buzon.rules.conditions import ConditionError, ConditionSet, parse_conditions
from buzon.rules.placeholders import unknown_placeholders
from buzon.tickets.models import Ticket


class Trigger(models.Model):
    title = models.CharField(max_length=255)
    description = models.TextField(blank=True)
    active = models.BooleanField(default=True)
    position = models.PositiveIntegerField(default=0)
    conditions = models.JSONField(default=dict, blank=True)
    actions = models.JSONField(default=list)
    # Placeholders the templates use that Buzón does not provide; they render empty.
    template_warnings = models.JSONField(default=list, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.title

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Validate on every save, not only in forms: a broken trigger must never be
        # stored, whichever way it arrives (admin, API, shell).
        self.clean()
        self.template_warnings = self._unknown_placeholders()
        super().save(*args, **kwargs)

    def clean(self) -> None:
        errors: dict[str, list[str]] = {}
        try:
            parse_conditions(self.conditions)
        except ConditionError as exc:
            errors["conditions"] = [str(exc)]
        try:
            actions = parse_actions(self.actions)
        except ActionError as exc:
            errors["actions"] = [str(exc)]
        else:
            if not actions:
                errors["actions"] = ["a trigger needs at least one action"]
        if not self.title.strip():
            errors["title"] = ["a trigger needs a title"]
        if errors:
            raise ValidationError(errors)

    def _unknown_placeholders(self) -> list[str]:
        found: set[str] = set()
        for action in parse_actions(self.actions):
            if isinstance(action, NotifyAction):
                found.update(unknown_placeholders(action.subject))
                found.update(unknown_placeholders(action.body))
        return sorted(found)

    @property
    def condition_set(self) -> ConditionSet:
        """The parsed conditions, parsed again only when `conditions` changed: the
        trigger cycle asks each cached active trigger for them on every update."""
        parsed: tuple[Any, ConditionSet] | None = self.__dict__.get("_parsed_conditions")
        if parsed is None or parsed[0] != self.conditions:
            parsed = (copy.deepcopy(self.conditions), parse_conditions(self.conditions))
            self.__dict__["_parsed_conditions"] = parsed
        return parsed[1]


DEFAULT_COLUMNS = ["id", "subject", "requester", "status", "updated_at"]
VIEW_COLUMNS = {
    "id", "subject", "requester", "assignee", "group", "status", "priority", "type",
    "created_at", "updated_at", "tags",
}  # fmt: skip
SORTABLE = {"id", "subject", "status", "priority", "type", "created_at", "updated_at"}


class View(models.Model):
    title = models.CharField(max_length=255)
    active = models.BooleanField(default=True)
    position = models.PositiveIntegerField(default=0)
    conditions = models.JSONField(default=dict, blank=True)
    columns = models.JSONField(default=list, blank=True)
    sort_by = models.CharField(max_length=32, default="updated_at")
    sort_order = models.CharField(
        max_length=4, choices=[("asc", "Ascending"), ("desc", "Descending")], default="desc"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.title

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.clean()
        if not self.columns:
            self.columns = list(DEFAULT_COLUMNS)
        super().save(*args, **kwargs)

    def clean(self) -> None:
        errors: dict[str, list[str]] = {}
        try:
            parse_conditions(self.conditions, for_view=True)
        except ConditionError as exc:
            errors["conditions"] = [str(exc)]
        unknown = [c for c in self.columns or [] if c not in VIEW_COLUMNS]
        if unknown:
            errors["columns"] = [
                f"unknown column(s) {', '.join(map(str, unknown))}; "
                f"choose from {', '.join(sorted(VIEW_COLUMNS))}"
            ]
        if self.sort_by not in SORTABLE:
            errors["sort_by"] = [
                f"cannot sort by {self.sort_by!r}; one of {', '.join(sorted(SORTABLE))}"
            ]
        if errors:
            raise ValidationError(errors)

    def tickets(self, user_id: int | None = None) -> QuerySet[Ticket]:
        """The tickets this view shows, sorted; `user_id` resolves "current_user"."""
        q = parse_conditions(self.conditions, for_view=True).to_q(user_id)
        order = self.sort_by if self.sort_order == "asc" else f"-{self.sort_by}"
        return Ticket.objects.filter(q).order_by(order, "-id")

    def count(self, user_id: int | None = None) -> int:
        return self.tickets(user_id).count()
