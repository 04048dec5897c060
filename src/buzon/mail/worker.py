"""The outbound worker: claims due deliveries and sends them (`buzon worker`).

The contract (docs/outbound.md, "The worker"):

- Claim: up to BATCH deliveries that are `queued` or `deferred` and due, or `sending`
  with an expired lease, become `sending`, claimed by this worker for LEASE seconds —
  the lease queue's contract (`buzon.mail.leasequeue`): any number of workers on any
  number of machines never claim the same delivery.
- Send: the batch goes out over the relay connections (BUZON_RELAY_CONNECTIONS),
  reused across batches while there is work; the next batch is claimed while the
  last half of this one is on the wire (for up to TURN_SECONDS per turn). Outcomes
  are recorded only for deliveries still claimed by this worker; a long batch
  renews its lease.
- Crash: a worker that dies leaves its claimed deliveries `sending`; once the lease
  runs out they are claimable again and are sent (again, if the relay had already
  accepted them before the outcome was recorded: at-least-once, same Message-ID).
- Stop (SIGTERM/SIGINT): finishes the message in flight, records, releases the rest
  of the batch for immediate pick-up, says QUIT and exits 0.
- SQLite: SKIP LOCKED does not exist there, so one worker per database is the rule,
  enforced with a lock file next to the database.

The same loop also works the inbound queue (stored messages: replies and bounces) with
the same claim/lease contract, one batch of each per turn (`queues`, default both;
docs/inbound.md).
"""

from __future__ import annotations

import fcntl
import logging
import os
import secrets
import signal
import socket
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connection
from django.db.models import Case, Value, When
from django.utils import timezone

from buzon.deliveries.models import CLAIMABLE_STATES, Delivery, DeliveryState
from buzon.deliveries.recording import settle_stale_delays
from buzon.deliveries.suppression import expire_suppressions
from buzon.domains.schedule import run_daily_if_due
from buzon.mail.inbound.processor import InboundProcessor
from buzon.mail.inbound.processor import prune as inbound_prune
from buzon.mail.leasequeue import LeaseQueue
from buzon.mail.relay import RelayConfig, RelayUnavailable, SmtpRelay
from buzon.mail.sending import CLAIMED_FIELDS, CLAIMED_PAST, BatchSender, Claimed, Transport

log = logging.getLogger("buzon.mail.worker")

HOUSEKEEPING_EVERY = 60.0
# One turn of the loop sends batch after batch for this long at most (then the
# inbound queue and housekeeping get their turn).
TURN_SECONDS = 1.0


QUEUES = ("outbound", "inbound")

OUTBOUND_QUEUE = LeaseQueue(
    Delivery, CLAIMABLE_STATES, DeliveryState.SENDING, relaxed_commit=True
)  # a forgotten claim is only claimed again


class _NoTransport:
    """The transport of a worker that only works the inbound queue."""

    name = "none"

    def open(self) -> None:
        pass

    def close(self) -> None:
        pass

    def send(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("a worker of the inbound queue alone sends no mail")


class WorkerLockError(RuntimeError):
    """Another worker already runs against this SQLite database."""


def make_transport() -> Transport:
    """The relay (BUZON_RELAY_*) or, when BUZON_OUTBOUND_BACKEND names one, an ESP."""
    backend = settings.OUTBOUND_BACKEND.strip()
    if backend in ("", "smtp"):
        return SmtpRelay(RelayConfig.from_settings())
    from buzon.mail.esp import EspRelay

    return EspRelay(backend)


class Worker:
    def __init__(
        self,
        *,
        batch_size: int | None = None,
        lease: float | None = None,
        poll: float | None = None,
        transport: Transport | None = None,
        worker_id: str | None = None,
        relay_wait: float | None = None,
        inbound_lease: float | None = None,
        queues: tuple[str, ...] = QUEUES,
        connections: int | None = None,
    ) -> None:
        unknown = set(queues) - set(QUEUES)
        if unknown or not queues:
            raise ValueError(f"queues must be among {', '.join(QUEUES)}, not {queues!r}")
        self.queues = tuple(queues)
        self.batch_size = batch_size or settings.WORKER_BATCH
        self.lease = lease or settings.WORKER_LEASE
        self.poll = poll or settings.WORKER_POLL
        self.outbound = "outbound" in self.queues
        self.transport = transport or (make_transport() if self.outbound else _NoTransport())
        self.relay_wait = settings.WORKER_RELAY_WAIT if relay_wait is None else relay_wait
        self.id = worker_id or f"{socket.gethostname()[:60]}:{os.getpid()}:{secrets.token_hex(3)}"
        self.sender = BatchSender(
            self.transport,
            self.id,
            on_flush=self._renew_if_due,
            connections=connections or settings.RELAY_CONNECTIONS,
        )
        self.stopping = False
        self._wake = threading.Event()
        self._renewed_at = 0.0
        self._housekept_at = 0.0
        self._lock_file: Any = None
        self.inbound = (
            InboundProcessor(self.id, lease=inbound_lease) if "inbound" in self.queues else None
        )

    @property
    def tally(self) -> Counter[str]:
        return self.sender.tally

    # ------------------------------------------------------------------- claim

    def claim(self) -> list[Claimed]:
        now = timezone.now()
        # Plain values, returned by the claim itself: a model per row cost about half
        # as much as sending it, and a second read of the rows as much as the claim.
        rows = OUTBOUND_QUEUE.claim_rows(
            self.id,
            self.batch_size,
            self.lease,
            CLAIMED_FIELDS,
            past=CLAIMED_PAST,
            now=now,
            updated_at=now,
        )
        if rows:
            self._renewed_at = time.monotonic()
        return [Claimed(*row) for row in rows]

    def _renew_if_due(self) -> None:
        if time.monotonic() - self._renewed_at < self.lease / 3:
            return
        OUTBOUND_QUEUE.renew(self.id, self.lease)
        self._renewed_at = time.monotonic()

    def release(self, deliveries: list[Claimed]) -> int:
        """Give claimed, unsent deliveries back, due now (for a stopping worker)."""
        return OUTBOUND_QUEUE.release(
            self.id,
            [d.pk for d in deliveries],
            state=Case(
                When(attempts=0, then=Value(DeliveryState.QUEUED)),
                default=Value(DeliveryState.DEFERRED),
            ),
            updated_at=timezone.now(),
        )

    # -------------------------------------------------------------------- loop

    def run_once(self) -> int:
        """One turn: a batch of each queue; how many deliveries and messages were claimed."""
        claimed = self.send_once() if self.outbound else 0
        if self.inbound is not None and not self.stopping:
            before = Counter(self.inbound.tally)
            taken = self.inbound.run_batch(should_stop=lambda: self.stopping)
            if taken:
                done = self.inbound.tally - before
                log.info(
                    "inbound batch of %d: %s",
                    taken,
                    ", ".join(f"{n} {what}" for what, n in sorted(done.items())) or "none done",
                )
            claimed += taken
        return claimed

    def send_once(self) -> int:
        """Claim a batch of deliveries and send it, and the next ones while there are
        any, for up to TURN_SECONDS; the number claimed."""
        deliveries = self.claim()
        if not deliveries:
            return 0
        claimed = len(deliveries)
        turn_ends = time.monotonic() + TURN_SECONDS

        def more() -> list[Claimed]:
            nonlocal claimed
            if self.stopping or time.monotonic() >= turn_ends:
                return []
            batch = self.claim()
            claimed += len(batch)
            return batch

        before = Counter(self.tally)
        left = self.sender.send_batch(deliveries, should_stop=lambda: self.stopping, more=more)
        released = self.release(left)
        done = self.tally - before
        log.info(
            "%d claimed: %s%s",
            claimed,
            ", ".join(f"{n} {what}" for what, n in sorted(done.items())) or "nothing recorded",
            f", {released} released" if released else "",
        )
        return claimed

    def pending(self) -> bool:
        """Is anything still to be sent (or received mail to process), now or later?"""
        if self.inbound is not None and self.inbound.pending():
            return True
        return self.outbound and OUTBOUND_QUEUE.pending()

    def run(
        self,
        *,
        once: bool = False,
        until_idle: bool = False,
        until_done: bool = False,
        max_seconds: float | None = None,
    ) -> Counter[str]:
        """The loop. `once`: one batch. `until_idle`: stop when nothing is due now.
        `until_done`: stop when nothing is pending at all (waits for retries).
        Otherwise runs until SIGTERM/SIGINT."""
        self._install_signal_handlers()
        self._acquire_single_worker_lock()
        started = time.monotonic()
        failures = 0
        try:
            if self.outbound:
                self._wait_for_relay()
            while not self.stopping:
                if max_seconds is not None and time.monotonic() - started > max_seconds:
                    log.info("stopping after %.0f seconds", max_seconds)
                    break
                try:
                    self._housekeeping()
                    claimed = self.run_once()
                    failures = 0
                except Exception:
                    failures += 1
                    log.exception("worker loop error (%d in a row); retrying", failures)
                    self.sender.close()
                    self._refresh_db_connection(force=True)
                    self._sleep(min(self.poll * 2**failures, 30.0))
                    continue
                if once:
                    break
                if claimed:
                    continue
                self.sender.close()  # idle: do not hold the relay's connection
                if until_idle or (until_done and not self.pending()):
                    break
                self._refresh_db_connection()
                self._sleep(self.poll)
        finally:
            self.sender.close()
            self._release_single_worker_lock()
        return self.tally

    @staticmethod
    def _refresh_db_connection(force: bool = False) -> None:
        """Drop a broken or too old database connection (Django does this per request;
        a worker has no requests). Not inside a transaction (tests run us in one)."""
        if connection.in_atomic_block:
            return
        if force:
            connection.close()
        else:
            close_old_connections()

    def stop(self, *args: Any) -> None:
        self.stopping = True
        self._wake.set()

    def _sleep(self, seconds: float) -> None:
        self._wake.wait(seconds)

    def _wait_for_relay(self) -> None:
        """At start, give the relay a moment to come up (under `buzon run` the sandbox
        starts alongside the worker) rather than defer everything at once. After
        `relay_wait` seconds the worker goes on: deliveries are then deferred."""
        deadline = time.monotonic() + self.relay_wait
        while not self.stopping:
            try:
                self.transport.open()
                return
            except RelayUnavailable as exc:
                if time.monotonic() >= deadline:
                    log.warning("relay unavailable (%s); deliveries will be deferred", exc)
                    return
                log.info("waiting for the relay: %s", exc)
                self._sleep(min(0.5, self.relay_wait))

    def _housekeeping(self) -> None:
        if time.monotonic() - self._housekept_at < HOUSEKEEPING_EVERY:
            return
        self._housekept_at = time.monotonic()
        expired = expire_suppressions()
        settled = settle_stale_delays()
        pruned = inbound_prune() if self.inbound is not None else 0
        if self.outbound:
            run_daily_if_due()  # the deliverability check (buzon.domains.schedule)
        if expired or settled or pruned:
            log.info(
                "housekeeping: %d suppressions expired, %d delays settled, "
                "%d old received messages deleted",
                expired,
                settled,
                pruned,
            )

    def _install_signal_handlers(self) -> None:
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, self.stop)
            signal.signal(signal.SIGINT, self.stop)

    def _acquire_single_worker_lock(self) -> None:
        if connection.vendor != "sqlite":
            return
        path = Path(f"{connection.settings_dict['NAME']}.worker.lock")
        handle = path.open("a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise WorkerLockError(
                f"another worker is already running on the SQLite database "
                f"{connection.settings_dict['NAME']}. SQLite allows one worker; to run "
                "several, use PostgreSQL (DATABASE_URL)."
            ) from None
        self._lock_file = handle

    def _release_single_worker_lock(self) -> None:
        if self._lock_file is not None:
            fcntl.flock(self._lock_file, fcntl.LOCK_UN)
            self._lock_file.close()
            self._lock_file = None
