"""Stored messages are routed several per transaction, each in its own savepoint: one
that raises is rolled back alone and kept as `error` with its raw bytes, the others
commit with the same batch."""

from __future__ import annotations

import pytest
from django.conf import settings
from inboundmail import dsn, process_all

from buzon.deliveries import reports
from buzon.deliveries.models import Delivery
from buzon.deliveries.recording import Reply, record_failure, record_handoffs
from buzon.mail.inbound import store
from buzon.mail.inbound.models import InboundMessage, InboundSource
from buzon.mail.verp import return_path
from buzon.tickets.models import AuditEvent, EventType


@pytest.fixture
def copies(ticket) -> list[Delivery]:
    """The three copies of the ticket's notification, handed off to the relay."""
    record_handoffs([(d, Reply(250)) for d in Delivery.objects.filter(ticket=ticket)])
    return list(Delivery.objects.filter(ticket=ticket).order_by("id"))


def test_a_message_that_raises_is_rolled_back_alone_and_the_batch_commits(
    copies, ticket, monkeypatch
):
    ana, carla, diego = copies

    def fails_after_writing_for_carla(delivery, failure, **kwargs):
        done = record_failure(delivery, failure, **kwargs)
        if delivery.email == carla.email:
            raise RuntimeError("a bug after the writes")
        return done

    monkeypatch.setattr(reports, "record_failure", fails_after_writing_for_carla)
    raws = [dsn(d) for d in copies]
    rows = [
        store.store(raw, "", [return_path(d.return_token)], source=InboundSource.SMTP)
        for raw, d in zip(raws, copies, strict=True)
    ]
    assert len(rows) <= settings.INBOUND_BATCH

    processor = process_all()

    states = {
        r.pk: (r.state, r.outcome)
        for r in InboundMessage.objects.filter(pk__in=[r.pk for r in rows])
    }
    assert states[rows[0].pk] == states[rows[2].pk] == ("processed", "recorded")
    assert states[rows[1].pk][0] == "error"
    kept = InboundMessage.objects.get(pk=rows[1].pk)
    assert "RuntimeError: a bug after the writes" in kept.error
    assert bytes(kept.raw) == raws[1]
    failed = set(Delivery.objects.filter(state="failed").values_list("email", flat=True))
    assert failed == {ana.email, diego.email}  # carla's writes went with her savepoint
    events = AuditEvent.objects.filter(audit__ticket=ticket, type=EventType.DELIVERY_FAILURE)
    assert sorted(e.data["recipient"]["email"] for e in events) == [ana.email, diego.email]
    assert processor.tally["error"] == 1
