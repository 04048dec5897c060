"""Helpers for outbound mail tests: workers in this process or as real processes,
and what the sandbox received."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from django.db import connection

from buzon.deliveries.models import Delivery
from buzon.mail.relay import RelayConfig, SmtpRelay
from buzon.mail.sandbox import Sandbox
from buzon.mail.worker import Worker

SRC = Path(__file__).resolve().parents[2] / "src"


def relay_for(server: Sandbox, **options) -> SmtpRelay:
    return SmtpRelay(RelayConfig(host="127.0.0.1", port=server.port, timeout=10, **options))


def run_worker(server: Sandbox, **options) -> Worker:
    """Run a worker in this process until nothing is due; return it (see .tally)."""
    worker = Worker(
        transport=relay_for(server),
        poll=0.05,
        batch_size=options.pop("batch_size", 50),
        connections=options.pop("connections", None),
    )
    worker.run(until_idle=True, **options)
    return worker


def make_due(**filters) -> int:
    """Let deferred deliveries be retried now instead of after their back-off."""
    from django.utils import timezone

    return Delivery.objects.filter(state="deferred", **filters).update(
        next_attempt_at=timezone.now()
    )


def states() -> dict[str, str]:
    """{address: state} (for tests where each address has one delivery)."""
    return {d.email: d.state for d in Delivery.objects.order_by("id")}


def received_pairs(server: Sandbox) -> Counter:
    """(Message-ID, recipient) → how many times the server accepted it."""
    return Counter(
        (r.message_id, rcpt) for r in list(server.handler.received) for rcpt in r.rcpt_tos
    )


# --------------------------------------------------------------- real processes


def database_url() -> str:
    """The test database, as a URL another process can use."""
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def worker_env(server: Sandbox, **extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "BUZON_RELAY_HOST": "127.0.0.1",
        "BUZON_RELAY_PORT": str(server.port),
        "BUZON_WORKER_POLL": "0.1",
        "BUZON_LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(SRC),
    }
    env.update(extra)
    return env


def start_worker(server: Sandbox, *args: str, **env: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "buzon.cli", "worker", *args],
        env=worker_env(server, **env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def wait_until(predicate, timeout: float = 60.0, interval: float = 0.1) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s")


# Cross-process tests need committed data (and flush afterwards): keep the seeded
# standard triggers by restoring the serialized database after each test.
live_db = pytest.mark.django_db(transaction=True, serialized_rollback=True)
