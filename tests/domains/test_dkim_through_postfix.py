"""Through a real MTA: Postfix relays Buzón's signed notification to a (fake) remote MX,
and the copy that arrives there still verifies with Mail::DKIM — Postfix passes the
signature on intact."""

from __future__ import annotations

import fcntl
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest
from domainhelpers import needs_mail_dkim, verify
from helpers import free_port

from buzon.deliveries.models import Delivery, EmailNotification
from buzon.domains import dkimkeys
from buzon.mail.relay import RelayConfig, SmtpRelay
from buzon.mail.sandbox import Sandbox, SandboxHandler
from buzon.mail.worker import Worker
from buzon.tickets.models import Via
from buzon.tickets.services import CommentInput, update_ticket

SCRIPT = Path(
    os.environ.get(
        "BUZON_POSTFIX_SANDBOX",
        str(Path(__file__).resolve().parents[2] / "scripts" / "postfix-sandbox.sh"),
    )
)

pytestmark = [
    pytest.mark.mta,
    pytest.mark.django_db,
    pytest.mark.slow,
    needs_mail_dkim,
    pytest.mark.skipif(
        os.geteuid() != 0 or not shutil.which("postfix") or not SCRIPT.exists(),
        reason="needs root, Postfix and the Postfix sandbox recipe (BUZON_POSTFIX_SANDBOX)",
    ),
]


def _listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def _wait(condition, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.2)


@pytest.fixture
def postfix_to_remote_mx(settings):
    """Postfix on a free loopback port relaying to a fake remote MX that accepts all."""
    with open("/tmp/buzon-postfix-sandbox.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one Postfix sandbox user at a time
        inbound = Sandbox("127.0.0.1", free_port(), SandboxHandler(sink=True)).start()
        remote_mx = Sandbox("127.0.0.1", free_port(), SandboxHandler(sink=True)).start()
        relay_port = free_port()
        env = {
            **os.environ,
            "RELAY_PORT": str(relay_port),
            "REMOTE_MX_PORT": str(remote_mx.port),
            "INBOUND_PORT": str(inbound.port),
            "INBOUND_DOMAIN": settings.BOUNCE_DOMAIN,
        }
        subprocess.run(["bash", str(SCRIPT), "start"], env=env, check=True, timeout=120)
        try:
            _wait(lambda: _listening(relay_port), timeout=30)
            yield relay_port, remote_mx
        finally:
            subprocess.run(["bash", str(SCRIPT), "stop"], env=env, timeout=60)
            remote_mx.stop()
            inbound.stop()


def test_postfix_passes_the_signature_on_intact(ticket, agent, dns_server, postfix_to_remote_mx):
    relay_port, remote_mx = postfix_to_remote_mx
    key = dkimkeys.generate("helpdesk.test", selector="mta", activate=True)
    server = dns_server({"helpdesk.test": dkimkeys.record_for(key).zone_line()})
    update_ticket(ticket, actor=agent, via=Via.WEB, comment=CommentInput(body="Hola, ¿qué tal?"))
    email = EmailNotification.objects.latest("id")
    relay = SmtpRelay(RelayConfig("127.0.0.1", relay_port, timeout=30))
    Worker(transport=relay, poll=0.05).run(until_idle=True)
    assert set(
        Delivery.objects.filter(email_notification=email).values_list("state", flat=True)
    ) == {"handed_off"}
    expected = email.deliveries.count()
    _wait(
        lambda: (
            sum(r.message_id == email.message_id for r in remote_mx.handler.received) >= expected
        ),
        timeout=90,
    )
    copies = [r for r in remote_mx.handler.received if r.message_id == email.message_id]
    for copy in copies:
        assert b"Received: " in copy.data  # it went through Postfix
        result, signatures = verify(copy.data, server.address)
        assert result == "pass", signatures
        assert signatures == ["signature pass d=helpdesk.test s=mta pass"]
