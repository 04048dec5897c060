"""`buzon run` (what `make run` starts), end to end: the sandbox accepts the demo's
`rebota@example.org` copy, sends a DSN to `buzon smtpd` a few seconds later, and the
worker records the failure on the right ticket; `retrasa@example.net` stays deferred."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys

import pytest
from helpers import free_port
from inboundmail import wait_until


def state_of(db: str, email: str) -> tuple[str, str, int | None, str] | None:
    try:
        with sqlite3.connect(db, timeout=5) as conn:
            return conn.execute(
                "SELECT state, failure_source, reply_code, enhanced_status "
                "FROM deliveries_delivery WHERE email = ?",
                (email,),
            ).fetchone()
    except sqlite3.Error:
        return None


@pytest.mark.slow
def test_make_run_turns_a_sandbox_bounce_into_a_recorded_failure(tmp_path):
    db = tmp_path / "run.sqlite3"
    sandbox = str(free_port())
    env = {
        **os.environ,
        "BUZON_DATA_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{db}",
        "BUZON_WEB_PORT": str(free_port()),
        "BUZON_SMTPD_PORT": str(free_port()),
        "BUZON_SANDBOX_PORT": sandbox,
        "BUZON_RELAY_PORT": sandbox,
        "BUZON_WEB_WORKERS": "1",
        "BUZON_SANDBOX_BOUNCE_DELAY": "1",
    }
    with open(tmp_path / "run.log", "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "buzon.cli", "run"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_until(
            lambda: (state_of(str(db), "rebota@example.org") or ("",))[0] == "failed",
            timeout=120,
            interval=0.5,
        )
        wait_until(
            lambda: (state_of(str(db), "retrasa@example.net") or ("",))[0] == "deferred",
            timeout=60,
            interval=0.5,
        )
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=30)
    print((tmp_path / "run.log").read_text()[-3000:])
    assert code == 0
    assert state_of(str(db), "rebota@example.org") == ("failed", "dsn", 550, "5.1.1")
    with sqlite3.connect(db) as conn:
        tags = conn.execute(
            "SELECT t.name FROM tickets_tickettag t JOIN deliveries_delivery d "
            "ON d.ticket_id = t.ticket_id WHERE d.email = 'rebota@example.org'"
        ).fetchall()
    assert ("system_email_notification_failure",) in tags
