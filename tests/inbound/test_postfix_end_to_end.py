"""Acceptance through a real MTA (scripts/postfix-sandbox.sh): Buzón relays through
Postfix; the fake remote MX refuses some recipients; Postfix's own DSNs come back to
Buzón's inbound SMTP server, and the worker records each failure on the right
recipient of the right comment. Replies arrive over SMTP and their notifications go
out through Postfix to everyone but their sender.

Needs root and Postfix (`make test` as root installs it); skips loudly otherwise."""

from __future__ import annotations

import fcntl
import os
import shutil
import socket
import subprocess
from pathlib import Path

import pytest
from helpers import free_port
from inboundmail import email_of, live_db, message, process_all, reply, wait_until

from buzon.deliveries.models import Delivery, Suppression
from buzon.mail.inbound.models import InboundMessage
from buzon.mail.inbound.smtpd import InboundServer
from buzon.mail.relay import RelayConfig, SmtpRelay
from buzon.mail.sandbox import Sandbox, SandboxHandler
from buzon.mail.worker import Worker
from buzon.rules.standard import FAILURE_TAG
from buzon.tickets.models import AuditEvent, EventType, Role, Ticket, User, Via
from buzon.tickets.services import CommentInput, create_ticket

SCRIPT = Path(
    os.environ.get(
        "BUZON_POSTFIX_SANDBOX",
        str(Path(__file__).resolve().parents[2] / "scripts" / "postfix-sandbox.sh"),
    )
)
SUPPORT = "support@helpdesk.test"
REASON = (
    "!! SKIPPED: the real-MTA acceptance tests need root and Postfix "
    "(run `make test` as root, which installs it) and scripts/postfix-sandbox.sh"
)

pytestmark = [
    pytest.mark.mta,
    pytest.mark.slow,
    live_db,
    pytest.mark.skipif(
        os.geteuid() != 0 or not shutil.which("postfix") or not SCRIPT.exists(), reason=REASON
    ),
]


def listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def mta(settings):
    """Postfix relaying to a fake remote MX (the sandbox's rules), and handing mail for
    the bounce domain to Buzón's real inbound SMTP server."""
    with open("/tmp/buzon-postfix-sandbox.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one Postfix sandbox at a time
        inbound = InboundServer("127.0.0.1", free_port()).start()
        remote_mx = Sandbox("127.0.0.1", free_port(), SandboxHandler(dsn_port=inbound.port))
        remote_mx.start()
        relay_port = free_port()
        env = {
            **os.environ,
            "RELAY_PORT": str(relay_port),
            "REMOTE_MX_PORT": str(remote_mx.port),
            "INBOUND_PORT": str(inbound.port),
            "INBOUND_DOMAIN": settings.BOUNCE_DOMAIN,
            "DELAY_WARNING": "10s",
        }
        subprocess.run(["bash", str(SCRIPT), "start"], env=env, check=True, timeout=120)
        try:
            wait_until(lambda: listening(relay_port), timeout=30)
            yield relay_port, inbound, remote_mx
        finally:
            subprocess.run(["bash", str(SCRIPT), "stop"], env=env, timeout=60)
            remote_mx.stop()
            inbound.stop()


def send_all(relay_port: int) -> None:
    transport = SmtpRelay(RelayConfig("127.0.0.1", relay_port, timeout=30))
    Worker(transport=transport, poll=0.05, queues=("outbound",)).run(until_idle=True)


def settled(pks: dict[str, int], want: dict[str, str]) -> bool:
    process_all()  # the worker's inbound queue
    states = {e: Delivery.objects.get(pk=pk).state for e, pk in pks.items()}
    return all(states[e] == s for e, s in want.items())


def test_postfix_dsns_become_failures_on_the_right_recipient_and_a_delay_stays_deferred(mta):
    relay_port, _, _ = mta
    agent = User.objects.create_user("alicia@helpdesk.test", "Alicia", role=Role.AGENT)
    people = {
        e: User.objects.create_user(e, e.split("@")[0].title())
        for e in ("nadie@invalid.example", "tom@example.org", "grande@example.net",
                  "llena@example.net", "casillena@example.net")
    }  # fmt: skip
    first = create_ticket(
        actor=agent, via=Via.WEB,
        fields={"subject": "Primero", "requester_id": people["nadie@invalid.example"].pk,
                "email_cc_ids": [people["tom@example.org"].pk, people["grande@example.net"].pk]},
        comment=CommentInput(body="Hola"),
    )  # fmt: skip
    second = create_ticket(
        actor=agent, via=Via.WEB,
        fields={"subject": "Segundo", "requester_id": people["llena@example.net"].pk,
                "email_cc_ids": [people["casillena@example.net"].pk]},
        comment=CommentInput(body="Hola otra vez"),
    )  # fmt: skip
    send_all(relay_port)
    deliveries = {d.email: d.pk for d in Delivery.objects.all()}
    assert set(Delivery.objects.values_list("state", flat=True)) == {"handed_off"}
    want = {
        "nadie@invalid.example": "failed",
        "grande@example.net": "failed",
        "llena@example.net": "failed",
        "casillena@example.net": "deferred",
    }
    wait_until(lambda: settled(deliveries, want), timeout=150, interval=1.0)

    nadie = Delivery.objects.get(pk=deliveries["nadie@invalid.example"])
    assert (nadie.failure_source, nadie.reply_code, nadie.enhanced_status) == ("dsn", 550, "5.1.1")
    assert nadie.zendesk_status_name == "USER_DOES_NOT_EXIST" and nadie.reason == "userunknown"
    assert nadie.email_notification.comment == first.comments.get()
    llena = Delivery.objects.get(pk=deliveries["llena@example.net"])
    assert (llena.reply_code, llena.enhanced_status, llena.reason) == (552, "5.2.2", "mailboxfull")
    grande = Delivery.objects.get(pk=deliveries["grande@example.net"])
    assert (grande.reply_code, grande.enhanced_status) == (552, "5.3.4")
    assert grande.zendesk_status_name == "MESSAGE_TOO_BIG"
    assert Delivery.objects.get(pk=deliveries["tom@example.org"]).state == "handed_off"
    casillena = Delivery.objects.get(pk=deliveries["casillena@example.net"])
    assert casillena.failed_at is None and casillena.events.filter(kind="delayed").exists()
    # Suppression follows blame: only the address that does not exist is suppressed.
    assert (nadie.blame, llena.blame, grande.blame) == ("address", "mailbox", "content")
    assert set(Suppression.objects.values_list("address", flat=True)) == {"nadie@invalid.example"}

    for ticket, failed in ((first, {"nadie@invalid.example", "grande@example.net"}),
                           (second, {"llena@example.net"})):  # fmt: skip
        ticket.refresh_from_db()
        assert FAILURE_TAG in ticket.tag_list
        events = AuditEvent.objects.filter(audit__ticket=ticket, type=EventType.DELIVERY_FAILURE)
        assert {e.data["recipient"]["email"] for e in events} == failed
        assert {e.data["trigger"]["title"] for e in events} == {
            "Notify requester of new proactive ticket"
        }
        assert {e.data["source"] for e in events} == {"dsn"}
    dsns = InboundMessage.objects.filter(kind__in=["bounce", "delay"])
    assert dsns.exists() and all("signed return path" in d.detail for d in dsns)
    assert not InboundMessage.objects.filter(state__in=["error", "unmatched"]).exists()


def test_replies_over_smtp_notify_the_others_through_postfix_but_not_the_sender(mta):
    import smtplib

    relay_port, inbound, remote_mx = mta
    agent = User.objects.create_user("alicia@helpdesk.test", "Alicia", role=Role.AGENT)
    ana = User.objects.create_user("ana@example.com", "Ana")
    carla = User.objects.create_user("carla@example.com", "Carla")
    ticket = create_ticket(
        actor=agent, via=Via.WEB,
        fields={"subject": "Factura", "requester_id": ana.pk, "email_cc_ids": [carla.pk]},
        comment=CommentInput(body="Hola Ana"),
    )  # fmt: skip
    send_all(relay_port)
    plus = f"support+id{ticket.encoded_id.replace('-', '')}@helpdesk.test"
    mails = [
        ("ana@example.com", reply(email_of(ticket), "Ana <ana@example.com>"), SUPPORT),
        ("carla@example.com", message(sender="carla@example.com",
         subject=f"Re: [{ticket.encoded_id}] Factura", body="Yo también"), SUPPORT),
        ("ana@example.com", message(sender="ana@example.com", subject="Otra cosa",
         body="Una pregunta más", to=plus), plus),
    ]  # fmt: skip
    for sender, raw, rcpt in mails:
        with smtplib.SMTP("127.0.0.1", inbound.port, timeout=10) as smtp:
            assert smtp.sendmail(sender, [rcpt], raw) == {}
        before = remote_mx.handler.count
        process_all()
        comment = ticket.comments.order_by("-id").first()
        assert comment.public and comment.author.email == sender
        send_all(relay_port)
        others = {"ana@example.com", "carla@example.com"} - {sender}
        wait_until(lambda b=before: remote_mx.handler.count > b, timeout=60, interval=0.2)
        copies = {d.email for d in Delivery.objects.filter(email_notification__comment=comment)}
        assert copies == others  # the trigger excludes the person who made the update
    assert Ticket.objects.count() == 1
    assert set(InboundMessage.objects.values_list("outcome", flat=True)) == {"comment"}
