"""The active triggers, read once per process and again only when they change.

Every ticket update runs the trigger cycle, and most updates (a recorded bounce above
all) find the triggers as they were. The list is kept per process with the version it
was read at: the number of triggers and their latest `updated_at` (every save stamps
it; a delete lowers the count). A caller asks for the list with the version it read —
cheaply, as a column of a query it makes anyway (`version_sql`) — or lets this module
read it (one small query). A save or delete in this process also drops the list at
once (signals), so an admin's change applies to the very next update here, and to the
next update of every other process.
"""

from __future__ import annotations

import threading

from django.db import connection
from django.db.models.expressions import RawSQL
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from buzon.rules.models import Trigger

_lock = threading.Lock()
_cached: tuple[str, list[Trigger]] | None = None


def _version_query() -> str:
    table = connection.ops.quote_name(Trigger._meta.db_table)
    return f"SELECT COUNT(*) || ':' || COALESCE(CAST(MAX(updated_at) AS TEXT), '') FROM {table}"


def version_sql() -> RawSQL:
    """The triggers' version as an expression, to annotate onto another query."""
    return RawSQL(_version_query(), ())


def current_version() -> str:
    with connection.cursor() as cursor:
        cursor.execute(_version_query())
        return str(cursor.fetchone()[0])


def active_triggers(version: str | None = None) -> list[Trigger]:
    """The active triggers in position order (treat them as read-only)."""
    global _cached
    version = current_version() if version is None else version
    cached = _cached
    if cached is not None and cached[0] == version:
        return cached[1]
    triggers = list(Trigger.objects.filter(active=True).order_by("position", "id"))
    with _lock:
        _cached = (version, triggers)
    return triggers


@receiver(post_save, sender=Trigger)
@receiver(post_delete, sender=Trigger)
def forget(**kwargs: object) -> None:
    global _cached
    with _lock:
        _cached = None
