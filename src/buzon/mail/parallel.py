"""Sending over several relay connections at once (BUZON_RELAY_CONNECTIONS).

One thread per connection, each with its own client (`Transport.clone()`), takes the
next envelope from a shared queue and holds the SMTP conversation; the answers come
back to the calling thread, which alone touches the database (Django's connections
are per thread) and records every outcome. While one connection waits for the
relay's answer the others send, so a batch goes out at the speed of the relay rather
than of one round trip after another; each envelope still carries one recipient.

A connection the relay will not open (`RelayUnavailable`: down, or over its limit
of connections) stops its thread and hands its envelope back; the others carry on.
Envelopes no thread could send are returned to the caller, as are those left when
`should_stop` says so (each thread finishes the envelope in flight first).
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from queue import SimpleQueue
from typing import Generic, Protocol, TypeVar

from buzon.mail.relay import Attempt, RelayUnavailable

Job = TypeVar("Job")


class Cloneable(Protocol):
    def open(self) -> None: ...
    def close(self) -> None: ...
    def clone(self) -> Cloneable: ...


_DONE = object()


class ParallelRelay(Generic[Job]):
    def __init__(self, transport: Cloneable, connections: int) -> None:
        if connections < 1:
            raise ValueError(f"BUZON_RELAY_CONNECTIONS must be at least 1, not {connections}")
        self.transports = [transport] + [transport.clone() for _ in range(connections - 1)]

    def close(self) -> None:
        for transport in self.transports:
            transport.close()

    def run(
        self,
        jobs: list[Job],
        send: Callable[[Cloneable, Job], Attempt],
        handle: Callable[[Job, Attempt | BaseException], None],
        should_stop: Callable[[], bool] = lambda: False,
    ) -> list[Job]:
        """Send every job with `send(transport, job)` from the threads, calling
        `handle(job, attempt or exception)` here as each answer arrives. Returns the
        jobs not sent: left when stopping, or handed back by unavailable connections."""
        waiting: deque[Job] = deque(jobs)
        results: SimpleQueue[object] = SimpleQueue()
        stop = threading.Event()
        unsent: list[Job] = []
        threads = [
            threading.Thread(
                target=_work, args=(t, waiting, send, results, stop), daemon=True, name="relay"
            )
            for t in self.transports[: min(len(jobs), len(self.transports))]
        ]
        for thread in threads:
            thread.start()
        running = len(threads)
        try:
            while running:
                item = results.get()
                if item is _DONE:
                    running -= 1
                    continue
                job, outcome = item  # type: ignore[misc]
                if isinstance(outcome, RelayUnavailable):
                    unsent.append(job)
                else:
                    handle(job, outcome)
                if not stop.is_set() and should_stop():
                    stop.set()
        finally:
            # Also when `handle` raised (the database went away): no thread outlives
            # the call; what was sent but not recorded is sent again after the lease.
            stop.set()
            for thread in threads:
                thread.join()
        return unsent + list(waiting)


def _work(
    transport: Cloneable,
    waiting: deque[Job],
    send: Callable[[Cloneable, Job], Attempt],
    results: SimpleQueue[object],
    stop: threading.Event,
) -> None:
    try:
        while not stop.is_set():
            try:
                job = waiting.popleft()
            except IndexError:
                return
            try:
                results.put((job, send(transport, job)))
            except RelayUnavailable as exc:
                results.put((job, exc))
                return  # this connection is out; the others carry on
            except Exception as exc:  # reported, recorded by the caller
                results.put((job, exc))
    finally:
        results.put(_DONE)
