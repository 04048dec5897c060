"""Through a real MTA: Buzón relays via Postfix, which asks the (sandbox) remote server,
and the bounce Postfix writes comes back to the delivery's signed return path with
our envelope id and the original recipient (RFC 3461), ready for the inbound side."""

from __future__ import annotations

import fcntl
import os
import shutil
import socket
import subprocess
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from helpers import free_port
from mailhelpers import wait_until

from buzon.deliveries.models import Delivery
from buzon.mail.relay import RelayConfig, SmtpRelay
from buzon.mail.sandbox import Sandbox, SandboxHandler
from buzon.mail.verp import envelope_id, verify_envelope_id, verify_return_path
from buzon.mail.worker import Worker
from buzon.tickets.models import Role, User, Via
from buzon.tickets.services import CommentInput, create_ticket

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
    pytest.mark.skipif(
        os.geteuid() != 0 or not shutil.which("postfix") or not SCRIPT.exists(),
        reason="needs root, Postfix and the Postfix sandbox recipe (BUZON_POSTFIX_SANDBOX)",
    ),
]


@pytest.fixture
def postfix(settings):
    """Postfix on a free loopback port, relaying to a sandbox 'remote MX' and handing
    mail for the bounce domain to a sink standing in for Buzón's inbound server."""
    with open("/tmp/buzon-postfix-sandbox.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one Postfix sandbox user at a time
        inbound = Sandbox("127.0.0.1", free_port(), SandboxHandler(sink=True)).start()
        remote_mx = Sandbox("127.0.0.1", free_port(), SandboxHandler(dsn_port=inbound.port))
        remote_mx.start()
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
            wait_until(lambda: _listening(relay_port), timeout=30)
            yield relay_port, inbound
        finally:
            subprocess.run(["bash", str(SCRIPT), "stop"], env=env, timeout=60)
            remote_mx.stop()
            inbound.stop()


def _listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def test_a_rejection_behind_postfix_comes_back_as_a_dsn_to_the_signed_return_path(postfix):
    relay_port, inbound = postfix
    agent = User.objects.create_user("alicia@helpdesk.test", "Alicia", role=Role.AGENT)
    nadie = User.objects.create_user("nadie@invalid.example", "Nadie Existe")
    create_ticket(
        actor=agent,
        via=Via.WEB,
        fields={"subject": "Hola", "requester_id": nadie.pk},
        comment=CommentInput(body="Hola"),
    )
    transport = SmtpRelay(RelayConfig("127.0.0.1", relay_port, timeout=30))
    Worker(transport=transport, poll=0.05).run(until_idle=True)
    delivery = Delivery.objects.get(email="nadie@invalid.example")
    assert delivery.state == "handed_off"  # Postfix took it: the failure comes later
    wait_until(lambda: inbound.handler.count >= 1, timeout=90, interval=0.5)
    (dsn,) = inbound.handler.received
    assert verify_return_path(dsn.rcpt_tos[0]) == delivery.return_token
    report = message_from_bytes(dsn.data, policy=policy.default)
    fields = list(report.iter_parts())[1].as_string()
    # our ENVID, signed: a report that lost the return path is still authentic
    assert f"Original-Envelope-Id: {envelope_id(delivery.return_token)}" in fields
    assert verify_envelope_id(envelope_id(delivery.return_token)) == delivery.return_token
    assert "Original-Recipient: rfc822;nadie@invalid.example" in fields  # our ORCPT
    assert "Action: failed" in fields and "Status: 5.1.1" in fields
    assert delivery.email_notification.message_id in dsn.data.decode("ascii", "replace")
