"""Writes that are not ticket changes (users, identities, triggers) are recorded in
Django's admin log (`LogEntry`), marked as made through the API, so each object's
history page in the admin shows who changed it and how. Ticket changes have their
own audit (via "api")."""

from __future__ import annotations

from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.db.models import Model

from buzon.api.router import Call

ACTIONS = {"create": ADDITION, "update": CHANGE, "delete": DELETION}


def record(call: Call, obj: Model, action: str, what: str = "") -> None:
    via = (call.caller.token and f"token {call.caller.token.prefix}…") or call.caller.method
    message = f"Via API ({via}): {action}" + (f" {what}" if what else "")
    LogEntry.objects.log_actions(
        user_id=call.user.pk,
        queryset=[obj],
        action_flag=ACTIONS[action],
        change_message=message[:1000],
        single_object=True,
    )
