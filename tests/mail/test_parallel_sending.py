"""Sending over several relay connections at once: every recipient still gets its own
envelope and its own outcome, and the relay's per-connection limit holds."""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter
from email import message_from_bytes, policy
from typing import Any

import pytest
from helpers import free_port
from mailhelpers import relay_for

from buzon.deliveries.models import Delivery
from buzon.mail.sandbox import Sandbox, SandboxHandler
from buzon.mail.verp import COPY_HEADER, verify_copy_id, verify_return_path
from buzon.mail.worker import Worker
from buzon.tickets.models import Role, User, Via
from buzon.tickets.services import CommentInput, create_ticket


class CountingRelay(SandboxHandler):
    """Accepts everyone but `refused-*` (550 5.1.1 at RCPT), slowly enough that one
    connection cannot carry everything alone, and counts envelopes per connection.
    With `pipelining`, it offers PIPELINING (aiosmtpd reads pipelined commands in
    order, as any server must)."""

    def __init__(self, *, pipelining: bool) -> None:
        super().__init__(sink=True)
        self.pipelining = pipelining
        self.envelopes_per_connection: Counter[int] = Counter()
        self.sessions = itertools.count()

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        session.number = next(self.sessions)
        self.envelopes_per_connection[session.number] = 0
        if self.pipelining:
            responses.insert(-1, "250-PIPELINING")
        return responses

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        self.envelopes_per_connection[session.number] += 1
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 2.1.0 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("refused-"):
            return f"550 5.1.1 <{address}>: Recipient address rejected: no such user"
        return await super().handle_RCPT(server, session, envelope, address, rcpt_options)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        await asyncio.sleep(0.02)
        return await super().handle_DATA(server, session, envelope)


def queue_mail_to_many(tickets: int = 4, ccs: int = 5) -> None:
    """`tickets` tickets, each to a requester and `ccs` CCs; every third refused."""
    agent = User.objects.create_user("alicia@helpdesk.test", "Alicia Agente", role=Role.AGENT)
    for t in range(tickets):
        people = [
            User.objects.create_user(
                f"{'refused' if (t * 10 + i) % 3 == 0 else 'ok'}-{t}-{i}@example.com", f"P {i}"
            )
            for i in range(ccs + 1)
        ]
        create_ticket(
            actor=agent,
            via=Via.WEB,
            fields={
                "subject": f"Pedido {t}",
                "requester_id": people[0].pk,
                "email_cc_ids": [p.pk for p in people[1:]],
            },
            comment=CommentInput(body="Hola, tu pedido ha salido hoy."),
        )


@pytest.mark.parametrize("pipelining", [True, False], ids=["pipelined", "one-by-one"])
def test_each_recipient_gets_its_own_outcome_over_several_connections(db, pipelining):
    queue_mail_to_many()
    deliveries = {d.email: d for d in Delivery.objects.all()}
    assert len(deliveries) == 24
    with Sandbox("127.0.0.1", free_port(), CountingRelay(pipelining=pipelining)) as server:
        Worker(transport=relay_for(server), connections=4, batch_size=50, poll=0.05).run(
            until_idle=True
        )
        received = list(server.handler.received)
        per_connection = server.handler.envelopes_per_connection
    assert 1 < len(per_connection) <= 4  # several connections, never more than asked
    rows = {d.email: d for d in Delivery.objects.all()}
    refused = {e for e in rows if e.startswith("refused-")}
    assert refused and len(refused) < len(rows)
    for email, d in rows.items():
        if email in refused:
            assert (d.state, d.failure_source, d.reply_code, d.enhanced_status) == (
                "failed", "smtp", 550, "5.1.1",
            ), email  # fmt: skip
            assert email in d.diagnostic and "no such user" in d.diagnostic
        else:
            assert d.state == "handed_off", email
    # Each accepted recipient got exactly one copy, in its own envelope whose return
    # path and copy id are signed for that delivery.
    assert sorted(rcpt for r in received for rcpt in r.rcpt_tos) == sorted(set(rows) - refused)
    for message in received:
        (rcpt,) = message.rcpt_tos
        assert verify_return_path(message.mail_from) == rows[rcpt].return_token
        copy = message_from_bytes(message.data, policy=policy.default)[COPY_HEADER]
        assert verify_copy_id(copy, rcpt) == rows[rcpt].return_token


def test_no_connection_carries_more_than_the_relay_allows(db):
    queue_mail_to_many(tickets=4, ccs=5)
    with Sandbox("127.0.0.1", free_port(), CountingRelay(pipelining=True)) as server:
        transport = relay_for(server, messages_per_connection=5)
        Worker(transport=transport, connections=2, batch_size=50, poll=0.05).run(until_idle=True)
        per_connection = server.handler.envelopes_per_connection
    assert sum(per_connection.values()) == 24  # refused ones are transactions too
    assert max(per_connection.values()) == 5
    assert len(per_connection) >= 5  # 24 envelopes, 5 at most per connection
    assert set(Delivery.objects.values_list("state", flat=True)) == {"handed_off", "failed"}


def test_one_turn_sends_batch_after_batch_each_recipient_once(db, monkeypatch):
    monkeypatch.setattr("buzon.mail.worker.TURN_SECONDS", 60.0)  # a slow machine's turn
    queue_mail_to_many(tickets=4, ccs=5)
    with Sandbox("127.0.0.1", free_port(), CountingRelay(pipelining=True)) as server:
        worker = Worker(transport=relay_for(server), connections=3, batch_size=5, poll=0.05)
        assert worker.run_once() == 24  # five batches of five claimed in one turn
        worker.sender.close()
        received = list(server.handler.received)
    rows = {d.email: d for d in Delivery.objects.all()}
    accepted = {e for e in rows if not e.startswith("refused-")}
    assert sorted(rcpt for r in received for rcpt in r.rcpt_tos) == sorted(accepted)
    assert {e: rows[e].state for e in accepted} == dict.fromkeys(accepted, "handed_off")
    assert {rows[e].state for e in set(rows) - accepted} == {"failed"}
    history = {(d.attempts, *d.events.values_list("kind", flat=True)) for d in rows.values()}
    assert history == {(1, "queued", "handed_off"), (1, "queued", "failed")}  # once each
    assert worker.tally == {"handed_off": len(accepted), "failed": 24 - len(accepted)}


def test_a_worker_stopping_mid_turn_releases_every_batch_it_claimed_and_did_not_send(db):
    queue_mail_to_many(tickets=4, ccs=5)
    with Sandbox("127.0.0.1", free_port(), CountingRelay(pipelining=True)) as server:
        worker = Worker(transport=relay_for(server), connections=2, batch_size=4, poll=0.05)
        answers = 0
        record = worker.sender._record

        def record_then_stop_after_ten(*args: Any) -> None:
            nonlocal answers
            record(*args)
            answers += 1
            if answers == 10:
                worker.stop()

        worker.sender._record = record_then_stop_after_ten  # type: ignore[method-assign]
        worker.run_once()
        worker.sender.close()
        sent = sum(server.handler.envelopes_per_connection.values())
    states = Counter(Delivery.objects.values_list("state", flat=True))
    assert 10 <= states["handed_off"] + states["failed"] == answers < 24
    assert states["queued"] == 24 - answers  # given back, due now, nobody's
    assert not Delivery.objects.filter(state="queued").exclude(claimed_by="").exists()
    assert sent == answers  # the threads finished what was in flight, nothing more
