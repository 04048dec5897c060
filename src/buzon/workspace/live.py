"""Versions of what an open page shows, so that its live check costs one query.

An open ticket page (and a view's sidebar) asks every second whether anything it
shows has changed, sending the version it was rendered with. The version is a digest
of the rows that can change it — each (id, updated_at) — so a change is seen even
when a transaction that stamped an older `updated_at` commits after a newer one (a
plain `max(updated_at)` would miss it). The digest is prefixed with the newest
`updated_at`, so that the changed path knows which deliveries moved since.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.utils import timezone

from buzon.tickets.models import Ticket

# An open view recounts at most this often, however busy the help desk (a recount of
# every view costs tens of milliseconds on a large database: docs/workspace.md).
RECOUNT_EVERY = 2.0  # seconds

# A transaction that stamps `updated_at` and commits later than this is not seen by
# the sidebar's check until the next minute's recount.
RECENT = timedelta(seconds=30)

Row = tuple[int, datetime]


def _micros(at: datetime) -> int:
    return int(at.timestamp() * 1_000_000)


def version_of(rows: Iterable[Row], salt: str = "") -> str:
    ordered = sorted((pk, _micros(at)) for pk, at in rows)
    digest = hashlib.blake2b(f"{salt}{ordered}".encode(), digest_size=8).hexdigest()
    newest = max((at for _, at in ordered), default=0)
    return f"{newest}-{digest}"


def newest_of(version: str) -> int | None:
    """The newest `updated_at` (µs) a version was made from; None if it is not one."""
    head, _, _ = version.partition("-")
    return int(head) if head.isdigit() else None


def changed_deliveries(rows: list[Row], previous: str) -> set[int] | None:
    """Deliveries stamped after the previous version; None when every one may have."""
    since = newest_of(previous)
    if since is None:
        return None
    return {pk for pk, at in rows if pk and _micros(at) > since}


def reply_version(recipients: Iterable[tuple[str, str, str]]) -> str:
    """The version of the reply box's "To" line: each recipient's (address, kind,
    warning). The page sends it back with its check; a changed answer replaces the line
    (never the text being typed) only when it differs."""
    return hashlib.blake2b(repr(sorted(recipients)).encode(), digest_size=6).hexdigest()


def recent_ticket_rows() -> list[Row]:
    """One query on the `updated_at` index: tickets changed in the last RECENT."""
    since = timezone.now() - RECENT
    return list(Ticket.objects.filter(updated_at__gte=since).values_list("id", "updated_at"))


def counts_version() -> str:
    """The sidebar's version: recent ticket changes, and the minute (views with time
    conditions, such as "updated more than an hour ago", move with the clock)."""
    minute = timezone.now().strftime("%Y%m%d%H%M")
    return version_of(recent_ticket_rows(), salt=minute)


def counts_token(version: str) -> str:
    """What the sidebar carries: its version and when it was counted (ms)."""
    return f"{version}.{int(timezone.now().timestamp() * 1000)}"


def counts_unchanged(token: str) -> bool:
    """True when the sidebar that sent `token` need not be counted again now: nothing
    changed, or it was counted less than RECOUNT_EVERY ago (the next check will)."""
    version, _, counted_at = token.rpartition(".")
    try:
        age = timezone.now().timestamp() - int(counted_at) / 1000
    except ValueError:
        return False
    if age < RECOUNT_EVERY:
        return True
    return counts_version() == version
