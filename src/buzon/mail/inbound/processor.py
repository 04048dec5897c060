"""The inbound queue: claiming stored messages and routing each exactly once.

Run by `buzon worker` (alongside the outbound queue) or `buzon inbound process`.
The contract (docs/inbound.md, "The queue-worker contract"):

- Claim: up to BUZON_INBOUND_BATCH rows that are `received` and due, or `processing`
  with an expired lease, become `processing`, claimed by this worker for
  BUZON_INBOUND_LEASE seconds, `attempts + 1` — the lease queue's contract
  (`buzon.mail.leasequeue`).
- Process: the claimed rows are read and parsed first, outside any transaction
  (`routing.prepare`: MIME, bounce report, visible text, sanitised HTML — the costly
  part, never under the database's write lock). Then one transaction re-reads them
  `FOR UPDATE`, keeps those still `processing` and ours, and routes each
  (`routing.route`) in its own savepoint, saving its final state there; after
  COMMIT_AFTER seconds it commits and the next transaction takes the rest. Whatever
  routing did (comment, recorded failure, new ticket, the notifications the triggers
  queued) commits with the state, or not at all: a message that raises is rolled back
  to its savepoint alone and marked `error`; a worker killed mid-batch leaves its rows
  `processing` with nothing of their effects, and the next worker to claim them after
  the lease processes them — exactly once. On PostgreSQL that commit does not wait
  for the WAL flush: a commit lost in a database crash loses the effects with the
  state, and the rows are routed again after the lease.
- Errors: hostile or broken input (`parsing.Unreadable`) and any bug go to the `error`
  state with what went wrong; the raw bytes stay. A database error (connection lost,
  lock timeout) puts the row back to `received` with a back-off, up to
  BUZON_INBOUND_MAX_ATTEMPTS tries, then `error`. Nothing crashes the worker.
"""

from __future__ import annotations

import logging
import time
import traceback
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection, transaction
from django.utils import timezone

from buzon.deliveries.recording import locked_for_failures, relax_durability
from buzon.mail.inbound.models import CLAIMABLE, InboundKind, InboundMessage, InboundState
from buzon.mail.inbound.parsing import Unreadable
from buzon.mail.inbound.routing import Outcome, Prepared, prepare, prepare_batch, route
from buzon.mail.leasequeue import LeaseQueue
from buzon.tickets.models import update_columns

log = logging.getLogger("buzon.mail.inbound")

# Routing in one transaction stops taking more rows after this long: the lock it
# holds (a ticket's row; all of SQLite) is never held for long.
COMMIT_AFTER = 0.25

INBOUND_QUEUE = LeaseQueue(InboundMessage, CLAIMABLE, InboundState.PROCESSING, counted="attempts")

SAVED_FIELDS = [
    "state", "kind", "outcome", "detail", "ticket", "comment", "delivery_ids", "error",
    "sender", "subject", "claimed_by", "lease_expires_at", "next_attempt_at", "processed_at",
]  # fmt: skip


class InboundProcessor:
    def __init__(
        self, worker_id: str, *, batch_size: int | None = None, lease: float | None = None
    ) -> None:
        self.id = worker_id
        self.batch_size = batch_size or settings.INBOUND_BATCH
        self.lease = lease or settings.INBOUND_LEASE
        self.tally: Counter[str] = Counter()
        self._fits = 8  # rows one transaction takes (see `_route_batch`)

    def claim(self) -> list[int]:
        return INBOUND_QUEUE.claim(self.id, self.batch_size, self.lease)

    def run_batch(self, should_stop: Callable[[], bool] = lambda: False) -> int:
        """Claim and process one batch; how many rows were claimed."""
        ids = self.claim()
        prepared: list[tuple[InboundMessage, Prepared]] = []
        for n, row in enumerate(INBOUND_QUEUE.mine(self.id, ids).order_by("id")):
            if should_stop():
                self.release(ids[n:])
                break
            try:
                prepared.append((row, prepare(row)))
            except Unreadable as exc:
                self._fail(row.pk, f"Unreadable message: {exc}")
            except Exception as exc:
                log.exception("inbound message %s could not be read", row.pk)
                self._fail(row.pk, _describe(exc))
        prepare_batch([row for row, _ in prepared], [ready for _, ready in prepared])
        while prepared:
            prepared = prepared[self._route_batch(prepared) :]
        return len(ids)

    def _route_batch(self, prepared: list[tuple[InboundMessage, Prepared]]) -> int:
        """Route prepared rows in one transaction, each in its own savepoint: a message
        that raises is rolled back alone and marked `error`; the others commit together.
        The deliveries the rows' return paths name are locked first, with their tickets,
        in id order (`recording.locked_for_failures`); what the failures write to their
        addresses is written at the end, before the commit (and before routing anything
        but a report), less what a rolled-back message wrote. The transaction
        ends after COMMIT_AFTER seconds of routing (SQLite's one writer, the SMTP
        server's sessions among others, waits for it), and takes about as many rows as the
        last one managed in that time: what it locks up front it mostly uses. A
        database error loses the transaction: each row is then tried alone. How many
        rows were taken."""
        chunk = prepared[: self._fits]
        done: list[InboundMessage] = []
        failed: list[tuple[int, str]] = []
        taken = 0
        deadline = time.monotonic() + COMMIT_AFTER
        try:
            with transaction.atomic():
                # A lost commit only means routing again: its effects are lost with it.
                relax_durability()
                ours = set(
                    INBOUND_QUEUE.mine(self.id, [row.pk for row, _ in chunk])
                    .select_for_update()
                    .values_list("pk", flat=True)
                )
                named = {
                    ready.known[path].pk
                    for row, ready in chunk
                    if row.pk in ours
                    for path in row.rcpt_tos
                    if path in ready.known
                }
                with locked_for_failures(named) as locked:
                    for row, ready in chunk:
                        if taken and time.monotonic() > deadline:
                            break
                        taken += 1
                        if row.pk not in ours:
                            continue
                        if not ready.is_report:  # it may read what the failures write
                            locked.settle()
                        mark = locked.mark()
                        error = self._route_in_savepoint(row, ready)
                        if error:
                            locked.undo_since(mark)
                            locked.discard()  # its rows may hold what was rolled back
                            self._mark_error(row.pk, error)
                            failed.append((row.pk, error))
                        else:
                            if row.kind != InboundKind.BOUNCE:  # it may have changed a ticket
                                locked.discard()
                            done.append(row)
        except (OperationalError, InterfaceError) as exc:
            log.warning("inbound batch lost (%s): each message again, alone", exc)
            for row, _ in chunk:
                self.process(row.pk)
            return len(chunk)
        # Out of time: next time as many as this one managed; else twice as many.
        fits = taken if taken < len(chunk) else self._fits * 2
        self._fits = max(1, min(fits, self.batch_size))
        for pk, error in failed:
            self.tally["error"] += 1
            log.warning("inbound %s: error: %s", pk, error.splitlines()[0][:300])
        for row in done:
            self.tally[f"{row.state}:{row.outcome}"] += 1
            log.info("inbound %s: %s %s — %s", row.pk, row.state, row.outcome, row.detail[:200])
        return taken

    def _route_in_savepoint(self, row: InboundMessage, ready: Prepared) -> str:
        """Route one row and save its outcome; "" or what went wrong (rolled back)."""
        try:
            with transaction.atomic():
                self._save_outcome(row, route(row, ready))
        except (OperationalError, InterfaceError):
            raise
        except Unreadable as exc:
            return f"Unreadable message: {exc}"
        except Exception as exc:
            log.exception("inbound message %s could not be processed", row.pk)
            return _describe(exc)
        return ""

    def process(self, pk: int) -> str:
        """Route one claimed row; its final state ("" if it was not ours any more)."""
        try:
            mine = INBOUND_QUEUE.mine(self.id, [pk])
            row = mine.first()
            if row is None:
                return ""
            prepared = prepare(row)
            with transaction.atomic():
                row = mine.select_for_update().defer("raw").first()
                if row is None:
                    return ""
                self._save_outcome(row, route(row, prepared))
        except Unreadable as exc:
            return self._fail(pk, f"Unreadable message: {exc}")
        except (OperationalError, InterfaceError) as exc:
            return self._retry(pk, exc)
        except Exception as exc:
            log.exception("inbound message %s could not be processed", pk)
            return self._fail(pk, _describe(exc))
        self.tally[f"{row.state}:{row.outcome}"] += 1
        log.info("inbound %s: %s %s — %s", pk, row.state, row.outcome, row.detail[:200])
        return row.state

    @staticmethod
    def _save_outcome(row: InboundMessage, outcome: Outcome) -> None:
        row.state = outcome.state
        row.kind = outcome.kind
        row.outcome = outcome.outcome
        row.detail = outcome.detail[:10_000]
        row.ticket = outcome.ticket
        if outcome.ticket is None:
            row.ticket_id = outcome.ticket_id
        row.comment = outcome.comment
        row.delivery_ids = outcome.delivery_ids
        row.error = ""
        row.claimed_by = ""
        row.lease_expires_at = None
        row.next_attempt_at = None
        row.processed_at = timezone.now()
        update_columns(row, SAVED_FIELDS)  # never rewrites the raw bytes

    def _mark_error(self, pk: int, error: str) -> None:
        """The `error` state with what went wrong; the raw bytes stay."""
        InboundMessage.objects.filter(pk=pk, claimed_by=self.id).update(
            state=InboundState.ERROR,
            error=error[:10_000],
            claimed_by="",
            lease_expires_at=None,
            next_attempt_at=None,
            processed_at=timezone.now(),
        )

    def _fail(self, pk: int, error: str) -> str:
        self._mark_error(pk, error)
        self.tally["error"] += 1
        log.warning("inbound %s: error: %s", pk, error.splitlines()[0][:300])
        return InboundState.ERROR

    def _retry(self, pk: int, exc: Exception) -> str:
        """A database problem: back to `received` with a back-off, or `error` at last."""
        log.warning("inbound %s: database error, will retry: %s", pk, exc)
        if not connection.in_atomic_block:
            connection.close()
        try:
            row = InboundMessage.objects.filter(pk=pk, claimed_by=self.id).first()
            if row is None:
                return ""
            if row.attempts >= settings.INBOUND_MAX_ATTEMPTS:
                return self._fail(pk, f"gave up after {row.attempts} attempts: {_describe(exc)}")
            delay = min(5 * 2**row.attempts, 600)
            InboundMessage.objects.filter(pk=pk, claimed_by=self.id).update(
                state=InboundState.RECEIVED,
                claimed_by="",
                lease_expires_at=None,
                next_attempt_at=timezone.now() + timedelta(seconds=delay),
                error=_describe(exc)[:2000],
            )
        except Exception:  # the database is still away: the lease will bring it back
            log.exception("inbound %s: could not schedule the retry", pk)
        self.tally["retry"] += 1
        return InboundState.RECEIVED

    def release(self, ids: list[int]) -> int:
        """Give claimed, unprocessed rows back, due now (a stopping worker)."""
        return INBOUND_QUEUE.release(self.id, ids, state=InboundState.RECEIVED)

    @staticmethod
    def pending() -> bool:
        return INBOUND_QUEUE.pending()


def _describe(exc: BaseException) -> str:
    lines = traceback.format_exception(type(exc), exc, exc.__traceback__)
    return f"{type(exc).__name__}: {exc}\n\n" + "".join(lines[-6:])


def prune(now: datetime | None = None) -> int:
    """Delete processed messages older than BUZON_INBOUND_RETENTION_DAYS (0: keep all).
    Unmatched, held and error rows are kept until an admin deals with them; what a
    processed message became (comment, recorded failure) stays on its ticket."""
    days = settings.INBOUND_RETENTION_DAYS
    if days <= 0:
        return 0
    cutoff = (now or timezone.now()) - timedelta(days=days)
    old = InboundMessage.objects.filter(state=InboundState.PROCESSED, received_at__lt=cutoff)
    deleted, _ = InboundMessage.objects.filter(
        pk__in=list(old.values_list("pk", flat=True)[:5000])
    ).delete()
    return deleted


def replay(pks: list[int]) -> int:
    """Put messages back in the queue (after a fix, or to release held ones)."""
    now = timezone.now()
    return (
        InboundMessage.objects.filter(pk__in=pks)
        .exclude(state=InboundState.PROCESSING)
        .update(
            state=InboundState.RECEIVED,
            next_attempt_at=now,
            attempts=0,
            claimed_by="",
            lease_expires_at=None,
            error="",
            outcome="",
            detail=f"replayed at {now.isoformat(timespec='seconds')}",
        )
    )
