"""A megabyte of hostile HTML (nested, unclosed, thousands of attributes) costs linear
time: the worker processes it by SMTP, and the API takes it, in under 2 s; parsing
and sanitising happen outside the database's write lock, so on SQLite an API write
made meanwhile still succeeds within 2 s.

Timed tests, as the issue's acceptance asks ("under 2 s"). On a loaded machine the
budget grows with the load average (2 s per core's worth of load); bench/html/
prints the figures on a quiet one."""

from __future__ import annotations

import json
import os
import signal
import smtplib
import sqlite3
import subprocess
import sys
import threading
import time
from email import policy
from email.message import EmailMessage

import pytest
from api.apihelpers import api_for
from helpers import free_port, wait_for_http
from inboundmail import live_db, process_all

from buzon.mail.inbound.models import InboundMessage
from buzon.mail.inbound.smtpd import InboundServer
from buzon.tickets.models import Comment

MEGABYTE = 1_000_000
HELLO = "<p>Hello, here is my problem:</p>"
SHAPES = {
    "nested": HELLO + "<div>" * (MEGABYTE // 5 - 10),
    "unclosed": HELLO + "<div " * (MEGABYTE // 5 - 10),
    "attributes": HELLO + "<p " + " ".join(f"a{i}=x" for i in range(MEGABYTE // 9)) + ">",
    "misnested": HELLO + "<div><table><b><a href=x>" * (MEGABYTE // 25),
}


def budget(seconds: float = 2.0) -> float:
    """`seconds` on an idle machine, more while other work keeps its cores busy."""
    load = os.getloadavg()[0] / (os.cpu_count() or 1)
    return seconds * max(1.0, load)


def html_email(html: str, subject: str) -> bytes:
    message = EmailMessage()
    message["From"] = "mallory@example.org"
    message["To"] = "support@helpdesk.test"
    message["Subject"] = subject
    message["Message-ID"] = f"<{subject}@example.org>"
    message.set_content(html, subtype="html")  # quoted-printable: lines stay short
    return message.as_bytes(policy=policy.SMTP)


@live_db
@pytest.mark.slow
@pytest.mark.parametrize("shape", SHAPES)
def test_the_worker_processes_a_megabyte_of_hostile_html_sent_by_smtp(shape):
    raw = html_email(SHAPES[shape], f"hostile-{shape}")
    assert len(raw) > MEGABYTE
    with (
        InboundServer(port=free_port()) as server,
        smtplib.SMTP("127.0.0.1", server.port, timeout=60) as smtp,
    ):
        smtp.sendmail("mallory@example.org", ["support@helpdesk.test"], raw)
    start = time.perf_counter()
    process_all()
    elapsed = time.perf_counter() - start
    row = InboundMessage.objects.get()
    assert (row.state, row.outcome) == ("processed", "new_ticket"), row.error
    comment = Comment.objects.get(ticket=row.ticket)
    print(f"{shape}: {len(raw):,} bytes processed in {elapsed:.2f} s")
    assert elapsed < budget(), f"{shape}: {elapsed:.2f} s"
    assert comment.body.startswith("Hello, here is my problem:")


@pytest.mark.django_db
@pytest.mark.parametrize("shape", SHAPES)
def test_the_api_takes_a_megabyte_of_hostile_html(agent, shape):
    api = api_for(agent)
    body = {
        "ticket": {
            "subject": f"hostile {shape}",
            "requester": {"email": "mallory@example.org", "name": "Mallory"},
            "comment": {"html_body": SHAPES[shape][: MEGABYTE - 2000]},
        }
    }
    assert len(json.dumps(body)) < MEGABYTE  # the API's request limit
    start = time.perf_counter()
    response = api.post("tickets", body)
    elapsed = time.perf_counter() - start
    assert response.status_code == 201, response.content[:300]
    print(f"{shape}: created in {elapsed:.2f} s")
    assert elapsed < budget(), f"{shape}: {elapsed:.2f} s"


# --------------------------------------------------------------------- SQLite lock


def buzon(env: dict[str, str], *args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "buzon.cli", *args],
        env=env,
        check=True,
        capture_output=True,
        text=True,
        **kwargs,
    )


@pytest.mark.slow
def test_on_sqlite_an_api_write_succeeds_within_2_s_while_hostile_html_is_processed(tmp_path):
    database = tmp_path / "buzon.sqlite3"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("BUZON_")},
        "BUZON_DATA_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{database}",
        "BUZON_SMTPD_PORT": str(free_port()),
        "BUZON_API_RATE_LIMIT": "0",
        "BUZON_SANDBOX": "false",
    }
    buzon(env, "migrate", "-v0")
    buzon(
        env,
        "shell",
        "-c",
        "from buzon.tickets.models import User, Role; "
        "User.objects.create_user('agent@helpdesk.test', 'Alicia', role=Role.AGENT)",
    )
    token = buzon(env, "create_api_token", "agent@helpdesk.test").stdout.split()[-1]
    web_port = free_port()
    processes = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "buzon.wsgi:application",
                "--bind",
                f"127.0.0.1:{web_port}",
                "--workers",
                "2",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        ),
        subprocess.Popen(
            [sys.executable, "-m", "buzon.cli", "smtpd"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        ),
    ]
    try:
        wait_for_http(f"http://127.0.0.1:{web_port}/healthz", timeout=60)
        _wait_for_port(int(env["BUZON_SMTPD_PORT"]))
        raw = html_email(SHAPES["nested"], "hostile-lock")
        with smtplib.SMTP("127.0.0.1", int(env["BUZON_SMTPD_PORT"]), timeout=60) as smtp:
            smtp.sendmail("mallory@example.org", ["support@helpdesk.test"], raw)

        writes = _writes_during_processing(env, database, web_port, token)
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)

    during = [w for w in writes if w["while_processing"]]
    print(f"{len(writes)} API writes, {len(during)} while the message was processed:")
    print("  " + ", ".join(f"{w['status']} in {w['seconds']:.2f}s" for w in writes))
    assert during, "no API write happened while the worker processed the message"
    assert all(w["status"] == 201 for w in writes)
    assert max(w["seconds"] for w in during) < 2.0
    with sqlite3.connect(database) as db:
        assert db.execute("select state, outcome from mail_inboundmessage").fetchone() == (
            "processed",
            "new_ticket",
        )


def _wait_for_port(port: int) -> None:
    import socket

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise TimeoutError(port)


def _state(database) -> str:
    with sqlite3.connect(database, timeout=30) as db:
        row = db.execute("select state from mail_inboundmessage").fetchone()
    return row[0] if row else ""


def _writes_during_processing(env, database, web_port, token) -> list[dict]:
    """Start the worker, and write through the API (one ticket after another) until
    the message is processed; each write's status, time and whether the message was
    being processed when it started."""
    import base64
    import http.client

    auth = base64.b64encode(f"agent@helpdesk.test/token:{token}".encode()).decode()
    body = json.dumps({"ticket": {"subject": "written meanwhile", "comment": {"body": "Hola."}}})
    writes: list[dict] = []
    stop = threading.Event()

    def write_until_done() -> None:
        try:
            write_until_stopped()
        except Exception as exc:  # seen by the test, not lost in the thread
            writes.append({"status": repr(exc), "seconds": 0.0, "while_processing": False})

    def write_until_stopped() -> None:
        while not stop.is_set():
            processing = _state(database) == "processing"
            connection = http.client.HTTPConnection("127.0.0.1", web_port, timeout=60)
            start = time.perf_counter()
            connection.request(
                "POST",
                "/api/v2/tickets.json",
                body=body,
                headers={"Authorization": f"Basic {auth}", "Content-Type": "application/json"},
            )
            status = connection.getresponse().status
            writes.append(
                {
                    "status": status,
                    "seconds": time.perf_counter() - start,
                    "while_processing": processing and _state(database) != "received",
                }
            )
            connection.close()

    writer = threading.Thread(target=write_until_done)
    worker = subprocess.Popen(
        [sys.executable, "-m", "buzon.cli", "worker", "--queues", "inbound", "--until-idle"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    writer.start()
    try:
        worker.wait(timeout=300)
    finally:
        stop.set()
        writer.join(timeout=120)
    return writes
