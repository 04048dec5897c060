"""Sending over several relay connections at once (BUZON_RELAY_CONNECTIONS).

One thread per connection, each with its own client (`Transport.clone()`), takes the
next envelope from a shared queue and holds the SMTP conversation; the answers come
back to the calling thread, which alone touches the database (Django's connections
are per thread) and records every outcome. While one connection waits for the
relay's answer the others send, so a batch goes out at the speed of the relay rather
than of one round trip after another; each envelope still carries one recipient.
The threads are started with the first batch and kept while there is work (`close`,
which the worker calls when idle, ends them and closes the connections). The caller
can hand over its next batch while the threads still send the last half of this
one (`more`), so that the connections do not wait while it claims and prepares.

A connection the relay will not open (`RelayUnavailable`: down, or over its limit
of connections) hands its envelope back and tries again with its next one; the
others carry on. Envelopes no connection could send are returned to the caller, as
are those not yet sent when `should_stop` says so (each thread finishes the envelope
in flight first).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from queue import SimpleQueue
from typing import Any, Generic, Protocol, TypeVar

from buzon.mail.relay import Attempt, RelayUnavailable

Job = TypeVar("Job")


class Cloneable(Protocol):
    def open(self) -> None: ...
    def close(self) -> None: ...
    def clone(self) -> Cloneable: ...


# A job as the threads take it: the job and how to send it; None tells a thread to end.
# An outcome: the relay's answer, the exception sending raised, or None for a job not
# sent because the caller is stopping.
Outcome = Attempt | BaseException | None


class ParallelRelay(Generic[Job]):
    def __init__(self, transport: Cloneable, connections: int) -> None:
        if connections < 1:
            raise ValueError(f"BUZON_RELAY_CONNECTIONS must be at least 1, not {connections}")
        self.transports = [transport] + [transport.clone() for _ in range(connections - 1)]
        self.jobs: SimpleQueue[tuple[Job, Callable[[Any, Job], Attempt]] | None] = SimpleQueue()
        self.results: SimpleQueue[tuple[Job, Outcome]] = SimpleQueue()
        self.stopping = threading.Event()
        self.threads: list[threading.Thread] = []

    def close(self) -> None:
        """End the threads (between runs) and close every connection."""
        for _ in self.threads:
            self.jobs.put(None)
        for thread in self.threads:
            thread.join()
        self.threads = []
        for transport in self.transports:
            transport.close()

    def run(
        self,
        jobs: list[Job],
        send: Callable[[Any, Job], Attempt],
        handle: Callable[[Job, Attempt | BaseException], None],
        should_stop: Callable[[], bool] = lambda: False,
        *,
        more: Callable[[], list[Job]] | None = None,
        low_water: int = 0,
    ) -> list[Job]:
        """Send every job with `send(transport, job)` from the threads, calling
        `handle(job, attempt or exception)` here as each answer arrives; whenever no
        more than `low_water` jobs are left unanswered, `more()` is asked for the next
        ones (until it gives none), which the threads take up as they finish these.
        Returns the jobs not sent: left when stopping, or handed back by unavailable
        connections."""
        if not self.threads:  # started once, kept while there is work
            self.threads = [
                threading.Thread(target=self._work, args=(t,), daemon=True, name="relay")
                for t in self.transports
            ]
            for thread in self.threads:
                thread.start()
        self.stopping.clear()
        unsent: list[Job] = []
        waiting = 0  # jobs given to the threads and not answered yet
        try:
            while True:
                if more is not None and waiting <= low_water and not self.stopping.is_set():
                    jobs = jobs or more()
                    if not jobs:
                        more = None
                for job in jobs:
                    self.jobs.put((job, send))
                waiting += len(jobs)
                jobs = []
                if not waiting:
                    return unsent
                job, outcome = self.results.get()
                waiting -= 1
                if outcome is None or isinstance(outcome, RelayUnavailable):
                    unsent.append(job)
                else:
                    handle(job, outcome)
                if not self.stopping.is_set() and should_stop():
                    self.stopping.set()
        except BaseException:
            # `handle` or `more` raised (the database went away): the threads skip
            # the rest, and this run's answers are drained so that none is taken for
            # the next. What was sent but not recorded is sent again after the lease.
            self.stopping.set()
            for _ in range(waiting):
                self.results.get()
            raise

    def _work(self, transport: Cloneable) -> None:
        while True:
            item = self.jobs.get()
            if item is None:
                return
            job, send = item
            if self.stopping.is_set():
                self.results.put((job, None))
                continue
            outcome: Outcome
            try:
                outcome = send(transport, job)
            except Exception as exc:  # RelayUnavailable or unexpected: the caller decides
                outcome = exc
            self.results.put((job, outcome))
