"""The worker against a real SMTP server over sockets: each recipient's fate."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from email import message_from_bytes, policy

import pytest
from django.db import connection
from django.utils import timezone
from helpers import free_port
from mailhelpers import make_due, received_pairs, relay_for, run_worker, states

from buzon.deliveries.models import Delivery, Suppression
from buzon.deliveries.recording import Reply, record_handoffs
from buzon.mail.sandbox import Sandbox, SandboxHandler
from buzon.mail.verp import verify_copy_id, verify_return_path
from buzon.mail.worker import Worker, WorkerLockError
from buzon.rules.standard import FAILURE_TAG
from buzon.tickets.models import AuditEvent, Role, User, Via
from buzon.tickets.services import CommentInput, create_ticket


@pytest.fixture
def people(db):
    agent = User.objects.create_user("alicia@helpdesk.test", "Alicia Agente", role=Role.AGENT)
    emails = [
        "ana@example.com", "nadie@invalid.example", "llena@example.net", "pedro@gmial.com",
        "spam@example.org", "grande@example.org", "lento@example.org", "casillena@example.org",
    ]  # fmt: skip
    return agent, {e: User.objects.create_user(e, e.split("@")[0].title()) for e in emails}


def open_ticket(agent, requester, ccs=(), body="Hola, te escribimos por tu pedido."):
    return create_ticket(
        actor=agent,
        via=Via.WEB,
        fields={
            "subject": "Tu pedido",
            "requester_id": requester.pk,
            "email_cc_ids": [u.pk for u in ccs],
        },
        comment=CommentInput(body=body),
    )


def test_each_recipient_gets_its_own_envelope_and_copy_id(sandbox, people):
    agent, users = people
    ticket = open_ticket(agent, users["ana@example.com"], [users["lento@example.org"]])
    run_worker(sandbox)
    make_due()
    run_worker(sandbox)
    received = list(sandbox.handler.received)
    assert len(received) == 2
    deliveries = {d.email: d for d in Delivery.objects.filter(ticket=ticket)}
    for message in received:
        (rcpt,) = message.rcpt_tos
        assert verify_return_path(message.mail_from) == deliveries[rcpt].return_token
        assert message.message_id == deliveries[rcpt].email_notification.message_id
        # Its own copy id on top, signed for its recipient; the rest the same bytes.
        copy_line, rest = message.data.split(b"\r\n", 1)
        name, _, value = copy_line.decode().partition(": ")
        assert name == "X-Buzon-Copy"
        assert verify_copy_id(value, rcpt) == deliveries[rcpt].return_token
        assert rest.rstrip() == deliveries[rcpt].email_notification.raw_message.encode().rstrip()
    assert received[0].data != received[1].data


def test_every_answer_is_recorded_per_recipient(sandbox, people):
    agent, users = people
    ccs = [users[e] for e in ("nadie@invalid.example", "llena@example.net", "pedro@gmial.com",
                              "spam@example.org", "grande@example.org")]  # fmt: skip
    ticket = open_ticket(agent, users["ana@example.com"], ccs)
    worker = run_worker(sandbox)
    rows = {d.email: d for d in Delivery.objects.filter(ticket=ticket)}
    answers = {
        e: (d.state, d.reply_code, d.enhanced_status, d.reason, d.hard, d.zendesk_status_id)
        for e, d in rows.items()
    }
    assert answers == {
        "ana@example.com": ("handed_off", None, "", "", False, 5),  # DELIVERED (handed off)
        "nadie@invalid.example": ("failed", 550, "5.1.1", "userunknown", True, 39),
        "llena@example.net": ("failed", 552, "5.2.2", "mailboxfull", False, 31),
        "pedro@gmial.com": ("failed", 556, "5.1.10", "notaccept", True, 35),
        "spam@example.org": ("failed", 550, "5.7.1", "spamdetected", False, 29),
        "grande@example.org": ("failed", 552, "5.3.4", "mesgtoobig", False, 34),  # MESSAGE_TOO_BIG
    }
    assert rows["nadie@invalid.example"].diagnostic == (
        "<nadie@invalid.example>: Recipient address rejected: User unknown in virtual mailbox table"
    )
    assert rows["nadie@invalid.example"].remote_mta == "sandbox.buzon.test"
    assert rows["ana@example.com"].events.get(kind="handed_off").text.startswith("Ok: queued as")
    assert worker.tally == {"handed_off": 1, "failed": 5}
    assert FAILURE_TAG in ticket.tag_list
    tag_changes = AuditEvent.objects.filter(audit__ticket=ticket, field_name="tags")
    assert tag_changes.filter(type="Change").count() == 1


def test_a_451_is_retried_with_backoff_and_then_accepted(sandbox, people):
    agent, users = people
    open_ticket(agent, users["lento@example.org"])
    started = timezone.now()
    run_worker(sandbox)
    delivery = Delivery.objects.get(email="lento@example.org")
    assert delivery.state == "deferred" and delivery.attempts == 1
    assert delivery.last_error.startswith("451 4.7.1")
    assert started < delivery.next_attempt_at <= timezone.now() + timedelta(seconds=60)
    run_worker(sandbox)  # not due yet: nothing happens
    assert Delivery.objects.get(pk=delivery.pk).state == "deferred"
    make_due()
    run_worker(sandbox)
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts, delivery.last_error) == ("handed_off", 2, "")
    assert [e.kind for e in delivery.events.all()] == ["queued", "deferred", "handed_off"]
    assert sandbox.handler.count == 1


def test_a_temporary_failure_that_never_ends_fails_as_expired(sandbox, people, settings):
    settings.DELIVERY_LIFETIME, settings.RETRY_BASE = 1.5, 0.1
    agent, users = people
    ticket = open_ticket(agent, users["casillena@example.org"])
    Worker(transport=relay_for(sandbox), poll=0.05).run(until_done=True, max_seconds=30)
    delivery = Delivery.objects.get(email="casillena@example.org")
    assert (delivery.state, delivery.failure_source, delivery.reason) == (
        "failed",
        "expired",
        "expired",
    )
    assert (delivery.reply_code, delivery.enhanced_status) == (452, "4.2.2")
    assert delivery.attempts >= 2
    assert "over quota" in delivery.diagnostic and "Gave up" not in delivery.diagnostic
    assert FAILURE_TAG in ticket.tag_list
    assert sandbox.handler.count == 0


def test_an_unreachable_relay_defers_everything_and_fails_nothing(people):
    agent, users = people
    ticket = open_ticket(agent, users["ana@example.com"], [users["llena@example.net"]])
    closed = Sandbox("127.0.0.1", free_port(), SandboxHandler(sink=True))  # never started
    Worker(transport=relay_for(closed), poll=0.05, relay_wait=0).run(until_idle=True)
    assert set(states().values()) == {"deferred"}
    delivery = Delivery.objects.get(email="ana@example.com")
    # No server replied: the cause and the error as raised, no words of ours anywhere.
    assert (delivery.cause, delivery.diagnostic) == ("refused", "")
    assert delivery.cause_detail == delivery.last_error
    assert delivery.cause_detail.startswith("ConnectionRefusedError: ")
    assert delivery.reply_code is None and delivery.attempts == 1
    assert FAILURE_TAG not in ticket.tag_list


def test_a_copy_handed_off_after_an_unreachable_relay_keeps_no_cause(people):
    agent, users = people
    open_ticket(agent, users["ana@example.com"])
    port = free_port()
    closed = Sandbox("127.0.0.1", port, SandboxHandler(sink=True))  # not started yet
    Worker(transport=relay_for(closed), poll=0.05, relay_wait=0).run(until_idle=True)
    assert Delivery.objects.get(email="ana@example.com").cause == "refused"

    make_due()
    with Sandbox("127.0.0.1", port, SandboxHandler(sink=True)) as server:
        Worker(transport=relay_for(server), poll=0.05, relay_wait=0).run(until_idle=True)
    delivery = Delivery.objects.get(email="ana@example.com")
    assert delivery.state == "handed_off" and delivery.attempts == 2
    assert (delivery.cause, delivery.cause_detail, delivery.last_error) == ("", "", "")


class Flaky(SandboxHandler):
    """Drops the connection (without answering) at the n-th RCPT, once per n."""

    def __init__(self, drop_at: set[int], **kw):
        super().__init__(sink=True, **kw)
        self.drop_at = drop_at
        self.rcpts = 0
        self.sessions = 0

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        self.sessions += 1
        session.host_name = hostname
        return responses

    async def handle_RCPT(self, server, session, envelope, address, options):
        self.rcpts += 1
        if self.rcpts in self.drop_at:
            server.transport.close()
            return "421 4.3.0 (never seen: the connection is gone)"
        return await super().handle_RCPT(server, session, envelope, address, options)


def test_a_worker_waits_a_moment_for_a_relay_that_is_starting(people):
    agent, users = people
    open_ticket(agent, users["ana@example.com"])
    port = free_port()
    server = Sandbox("127.0.0.1", port, SandboxHandler(sink=True))
    starter = threading.Timer(0.5, server.start)
    starter.start()
    try:
        Worker(transport=relay_for(server), poll=0.05, relay_wait=20).run(until_idle=True)
        assert states() == {"ana@example.com": "handed_off"}
    finally:
        starter.join()
        server.stop()


@pytest.mark.parametrize(
    ("connections", "drops"),
    [(1, {3, 7}), (4, {3})],  # 4: two drops could hit one message's first and second try
)
def test_the_relay_dropping_mid_session_fails_nothing_and_loses_nothing(people, connections, drops):
    agent, users = people
    for i in range(6):
        open_ticket(agent, users["ana@example.com"], body=f"Mensaje {i}")
    with Sandbox("127.0.0.1", free_port(), Flaky(drops)) as server:
        run_worker(server, connections=connections)
        assert set(Delivery.objects.values_list("state", flat=True)) == {"handed_off"}
        pairs = received_pairs(server)
        assert len(pairs) == 6 and set(pairs.values()) == {1}
        # each connection is opened once at most, and re-opened after each drop
        opened = server.handler.sessions
        assert opened == 3 if connections == 1 else len(drops) < opened <= connections + 1


def test_one_connection_carries_many_messages(people):
    agent, users = people
    for i in range(25):
        open_ticket(agent, users["ana@example.com"], body=f"Mensaje {i}")
    with Sandbox("127.0.0.1", free_port(), Flaky(set())) as server:
        run_worker(server, batch_size=10, connections=1)
        assert server.handler.count == 25 and server.handler.sessions == 1


def test_suppressed_addresses_are_not_contacted_and_say_why(sandbox, people):
    agent, users = people
    open_ticket(agent, users["nadie@invalid.example"])
    run_worker(sandbox)
    assert Suppression.objects.get().address == "nadie@invalid.example"
    ticket = open_ticket(agent, users["ana@example.com"], [users["nadie@invalid.example"]])
    sandbox.handler.received.clear()
    run_worker(sandbox)
    assert [r.rcpt_tos for r in sandbox.handler.received] == [["ana@example.com"]]
    delivery = Delivery.objects.get(ticket=ticket, email="nadie@invalid.example")
    assert (delivery.state, delivery.failure_source, delivery.attempts) == (
        "failed",
        "suppressed",
        0,
    )
    assert (delivery.reply_code, delivery.enhanced_status, delivery.reason) == (
        550,
        "5.1.1",
        "userunknown",
    )
    # The server's words of the failure that caused the suppression, none of ours;
    # since when travels in the event, for the workspace to word it.
    suppression = Suppression.objects.get()
    assert delivery.diagnostic == suppression.diagnostic and "Not sent" not in delivery.diagnostic
    event = AuditEvent.objects.get(audit__ticket=ticket, type="DeliveryFailure")
    assert event.data["source"] == "suppressed" and event.data["reason"] == "userunknown"
    assert event.data["suppressed_since"] == suppression.created_at.isoformat()


def test_bad_input_never_breaks_a_send_and_fails_only_where_it_must(sandbox, people):
    agent, users = people
    weird = User.objects.create_user("weird@example.com", "Ñandú\r\nBcc: spy@evil.example")
    broken = User.objects.create_user("not an address", "Broken")
    also_broken = User.objects.create_user("x@y\r\nRCPT TO:<spy@evil.example>", "Sneaky")
    ticket = create_ticket(
        actor=agent,
        via=Via.WEB,
        fields={
            "subject": "Línea\r\nBcc: spy@evil.example " + "ñ" * 300,
            "requester_id": users["ana@example.com"].pk,
            "email_cc_ids": [weird.pk, broken.pk, also_broken.pk],
        },
        comment=CommentInput(body="z" * 5000 + "\r\n.\r\nQUIT\r\n"),
    )
    worker = run_worker(sandbox)
    rows = {d.email: d for d in Delivery.objects.filter(ticket=ticket)}
    assert rows["ana@example.com"].state == rows["weird@example.com"].state == "handed_off"
    for bad in ("not an address", "x@y\r\nRCPT TO:<spy@evil.example>"):
        assert (rows[bad].state, rows[bad].failure_source) == ("failed", "invalid")
        assert rows[bad].enhanced_status == "5.1.3"
        # Nothing was sent: the checker's verdict is the cause's detail, no server's words.
        assert (rows[bad].cause, rows[bad].diagnostic) == ("invalid_address", "")
        assert rows[bad].cause_detail
    assert worker.tally == {"handed_off": 2, "invalid": 2}
    rcpts = sorted(r for m in sandbox.handler.received for r in m.rcpt_tos)
    assert rcpts == ["ana@example.com", "weird@example.com"]
    message = message_from_bytes(sandbox.handler.received[0].data, policy=policy.default)
    assert message["Bcc"] is None and message["RCPT TO"] is None
    assert message["Subject"].startswith("Línea Bcc: spy@evil.example ñññ")
    text = message.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")
    assert "z" * 5000 + "\n.\nQUIT\n" in text  # no early end of DATA
    assert b"z" * 100 not in sandbox.handler.received[0].data  # wrapped for the wire


def test_a_crashed_workers_claims_are_taken_over_after_its_lease(sandbox, people):
    agent, users = people
    open_ticket(agent, users["ana@example.com"], [users["llena@example.net"]])
    crashed = Worker(transport=relay_for(sandbox), lease=0.5, worker_id="crashed")
    claimed = crashed.claim()  # ... and then it died before sending anything
    assert {d.state for d in Delivery.objects.all()} == {"sending"}
    survivor = Worker(transport=relay_for(sandbox), poll=0.05, worker_id="survivor")
    assert survivor.run_once() == 0  # the lease still holds
    time.sleep(0.6)
    assert survivor.run_once() == 2
    assert states() == {"ana@example.com": "handed_off", "llena@example.net": "failed"}
    # The crashed worker's late report changes nothing: the rows are no longer its.
    assert record_handoffs([(d, Reply(250)) for d in claimed], claimed_by="crashed") == 0
    assert sandbox.handler.count == 1


def test_a_stopping_worker_releases_what_it_did_not_send(sandbox, people):
    agent, users = people
    for i in range(5):
        open_ticket(agent, users["ana@example.com"], body=f"Mensaje {i}")
    worker = Worker(transport=relay_for(sandbox), worker_id="stopping", connections=1)
    deliveries = worker.claim()
    sent = []

    def stop_after_two():
        return len(sent) >= 2 or bool(sent.append(1))

    left = worker.sender.send_batch(deliveries, stop_after_two)
    assert worker.release(left) == 3
    assert sorted(Delivery.objects.values_list("state", flat=True)) == (
        ["handed_off"] * 2 + ["queued"] * 3
    )
    assert not Delivery.objects.filter(state="queued").exclude(claimed_by="").exists()
    assert sandbox.handler.count == 2


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the single-worker rule is for SQLite")
def test_sqlite_refuses_a_second_worker(sandbox):
    first = Worker(transport=relay_for(sandbox))
    first._acquire_single_worker_lock()
    try:
        with pytest.raises(WorkerLockError, match="SQLite allows one worker"):
            Worker(transport=relay_for(sandbox)).run(until_idle=True)
    finally:
        first._release_single_worker_lock()
