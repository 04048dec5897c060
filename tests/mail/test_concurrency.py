"""Many workers, and workers that die: every delivery is sent, none twice by two
workers, none lost. Real worker processes, a real SMTP sink, the real database."""

from __future__ import annotations

import asyncio
import re
import signal

import pytest
from django.conf import settings
from django.db import connection
from helpers import free_port
from mailhelpers import live_db, received_pairs, start_worker, wait_until

from buzon.deliveries.models import Delivery, EmailNotification
from buzon.mail.sandbox import Sandbox, SandboxHandler
from buzon.mail.sending import FLUSH_MAX
from buzon.tickets.models import Role, User, Via
from buzon.tickets.services import CommentInput, create_ticket, update_ticket

pytestmark = [live_db, pytest.mark.slow]


class SlowSink(SandboxHandler):
    """Accepts everything, taking `delay` seconds per message (a real relay's pace)."""

    def __init__(self, delay: float) -> None:
        super().__init__(sink=True, keep=None)
        self.delay = delay

    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(self.delay)
        return await super().handle_DATA(server, session, envelope)


def queue_deliveries(tickets: int, comments: int, recipients: int) -> int:
    """tickets × (1 + comments) notifications to `recipients` people each."""
    agent = User.objects.create_user("alicia@helpdesk.test", "Alicia", role=Role.AGENT)
    people = [User.objects.create_user(f"p{i}@example.com", f"P {i}") for i in range(recipients)]
    for t in range(tickets):
        ticket = create_ticket(
            actor=agent,
            via=Via.WEB,
            fields={
                "subject": f"Ticket {t}",
                "requester_id": people[0].pk,
                "email_cc_ids": [p.pk for p in people[1:]],
            },
            comment=CommentInput(body=f"Ticket {t}"),
        )
        for c in range(comments):
            update_ticket(ticket, actor=agent, via=Via.WEB, comment=CommentInput(body=f"C{c}"))
    return Delivery.objects.count()


def expected_pairs() -> set[tuple[str, str]]:
    ids = dict(EmailNotification.objects.values_list("pk", "message_id"))
    return {(ids[e], a) for e, a in Delivery.objects.values_list("email_notification_id", "email")}


def handed_off_by(output: str) -> int:
    match = re.search(r"(\d+) handed_off", output)
    return int(match.group(1)) if match else 0


@pytest.mark.skipif(connection.vendor != "postgresql", reason="several workers need PostgreSQL "
                    "(SKIP LOCKED); on SQLite one worker is the rule")  # fmt: skip
def test_two_workers_send_2000_deliveries_each_exactly_once():
    assert queue_deliveries(tickets=10, comments=9, recipients=20) == 2000
    with Sandbox("127.0.0.1", free_port(), SlowSink(delay=0.002)) as sink:
        workers = [
            start_worker(sink, "--until-idle", "--batch-size", "50", BUZON_LOG_LEVEL="ERROR")
            for _ in range(2)
        ]
        outputs = [w.communicate(timeout=300)[0] for w in workers]
        assert [w.returncode for w in workers] == [0, 0], outputs
        pairs = received_pairs(sink)
    assert set(Delivery.objects.values_list("state", flat=True)) == {"handed_off"}
    assert set(pairs) == expected_pairs() and len(pairs) == 2000
    assert set(pairs.values()) == {1}  # each (Message-ID, recipient) exactly once
    shares = [handed_off_by(o) for o in outputs]
    assert sum(shares) == 2000 and min(shares) > 0, shares  # both did part of the work


def test_a_worker_killed_mid_batch_loses_nothing():
    total = queue_deliveries(tickets=4, comments=9, recipients=10)
    with Sandbox("127.0.0.1", free_port(), SlowSink(delay=0.01)) as sink:
        doomed = start_worker(sink, "--batch-size", "100", "--lease", "2")
        wait_until(lambda: sink.handler.count >= 60, timeout=120)
        doomed.send_signal(signal.SIGKILL)
        doomed.wait(timeout=30)
        in_flight = Delivery.objects.filter(state="sending").count()
        assert in_flight > 0  # it died holding claimed deliveries
        survivor = start_worker(sink, "--until-done", "--max-seconds", "240", "--lease", "2")
        output = survivor.communicate(timeout=300)[0]
        assert survivor.returncode == 0, output
        pairs = received_pairs(sink)
    assert set(Delivery.objects.values_list("state", flat=True)) == {"handed_off"}
    assert set(pairs) == expected_pairs() and len(pairs) == total  # none lost
    resent = sum(n - 1 for n in pairs.values())
    # At-least-once: only what the dead worker had handed off but not yet recorded
    # (one group commit at most, plus a message in flight on each connection) can
    # arrive twice.
    assert resent <= FLUSH_MAX + settings.RELAY_CONNECTIONS, resent
