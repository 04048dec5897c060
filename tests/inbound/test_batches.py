"""Stored messages are routed several per transaction, each in its own savepoint: one
that raises is rolled back alone and kept as `error` with its raw bytes, the others
commit with the same batch."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from inboundmail import dsn, process_all

from buzon.deliveries import reports
from buzon.deliveries.models import Delivery, Suppression
from buzon.deliveries.recording import Reply, record_failure, record_handoffs
from buzon.mail.inbound import processor as processor_module
from buzon.mail.inbound import store
from buzon.mail.inbound.models import InboundMessage, InboundSource
from buzon.mail.verp import return_path
from buzon.rules.standard import FAILURE_TAG
from buzon.tickets.models import AuditEvent, EventType, TicketTag, User, UserIdentity, Via
from buzon.tickets.services import CommentInput, create_ticket
from buzon_bounces import parse as parse_bounce


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
    # the address writes of a rolled-back message went with it
    assert UserIdentity.objects.get(value=carla.email).undeliverable_count == 0
    assert set(Suppression.objects.values_list("address", flat=True)) == {ana.email, diego.email}


@pytest.mark.django_db
def test_soft_failures_in_one_batch_suppress_at_the_one_that_reaches_the_limit(
    agent, settings, monkeypatch
):
    monkeypatch.setattr(processor_module, "COMMIT_AFTER", 60.0)  # however slow the machine
    settings.SOFT_FAILURE_LIMIT = 3
    person = User.objects.create_user("full@example.org", "Full Mailbox")
    for n in range(5):
        create_ticket(
            actor=agent,
            via=Via.WEB,
            fields={"subject": f"Pedido {n}", "requester_id": person.pk},
            comment=CommentInput(body="Hola, su pedido."),
        )
    copies = list(Delivery.objects.filter(email=person.email).order_by("id"))
    record_handoffs([(d, Reply(250)) for d in copies])
    for d in copies:
        raw = dsn(d, code=452, status="4.2.2", text="Mailbox full")
        store.store(raw, "", [return_path(d.return_token)], source=InboundSource.SMTP)

    processor = process_all()

    assert processor.tally["processed:recorded"] == 5
    identity = UserIdentity.objects.get(value=person.email)
    assert (identity.undeliverable_count, identity.deliverable_state) == (5, "undeliverable")
    suppression = Suppression.objects.get(address=person.email)
    assert suppression.delivery_id == copies[2].pk  # the third failure in a row
    assert suppression.reason == "mailboxfull"


ROUTINE = ("SAVEPOINT", "RELEASE SAVEPOINT", "BEGIN", "COMMIT")


def bounced_before(agent, count: int) -> list[Delivery]:
    """`count` tickets, each with a requester and nine CCs (the same ten people), whose
    copies went out. Each ticket's first copy has failed already (each ticket has the
    failure tag), and so has every copy of the first ticket (all ten people are
    suppressed). The other copies, in id order."""
    people = [User.objects.create_user(f"person{i}@example.org", f"Person {i}") for i in range(10)]
    tickets = [
        create_ticket(
            actor=agent,
            via=Via.WEB,
            fields={
                "subject": f"Pedido {n}",
                "requester_id": people[0].pk,
                "email_cc_ids": [p.pk for p in people[1:]],
            },
            comment=CommentInput(body="Hola, su pedido."),
        )
        for n in range(count)
    ]
    copies = list(Delivery.objects.filter(ticket__in=tickets).order_by("id"))
    record_handoffs([(d, Reply(250)) for d in copies])
    first = [Delivery.objects.filter(ticket=t).order_by("id").first() for t in tickets]
    for d in [*first, *copies[1:10]]:
        reports.apply(d, parse_bounce(dsn(d))[0], f"before:{d.pk}")
    failed = set(Delivery.objects.filter(state="failed").values_list("pk", flat=True))
    return [d for d in copies if d.pk not in failed]


@pytest.mark.django_db
def test_a_batch_of_bounces_costs_at_most_six_statements_each_with_all_written(agent, monkeypatch):
    monkeypatch.setattr(processor_module, "COMMIT_AFTER", 60.0)  # however slow the machine
    copies = bounced_before(agent, 4)
    for d in copies:
        store.store(dsn(d), "", [return_path(d.return_token)], source=InboundSource.SMTP)

    with CaptureQueriesContext(connection) as captured:
        processor = process_all()

    ran = [q["sql"] for q in captured.captured_queries]
    ran = [s for s in ran if not s.upper().startswith(ROUTINE)]
    assert processor.tally["processed:recorded"] == len(copies) == 27
    # claiming, reading, locking and saving the messages included; the events, the
    # identities and the suppressions written once for the batch
    assert len(ran) <= 6 * len(copies), "\n".join(ran)
    assert Delivery.objects.filter(pk__in=[d.pk for d in copies], state="failed").count() == 27
    for ticket_id in {d.ticket_id for d in copies}:
        events = AuditEvent.objects.filter(
            audit__ticket_id=ticket_id, type=EventType.DELIVERY_FAILURE
        )
        assert events.count() == 10  # one per copy: the one before and nine from the batch
        tags = TicketTag.objects.filter(ticket_id=ticket_id).values_list("name", flat=True)
        assert list(tags) == [FAILURE_TAG]
    for identity in UserIdentity.objects.filter(value__startswith="person"):
        assert identity.undeliverable_count == 4  # one failure per ticket
        assert identity.deliverable_state == "undeliverable"
    assert Suppression.objects.filter(address__startswith="person").count() == 10


@pytest.mark.django_db
def test_a_batch_tags_a_ticket_once_and_its_other_copies_do_not_read_its_tags(agent, monkeypatch):
    monkeypatch.setattr(processor_module, "COMMIT_AFTER", 60.0)  # however slow the machine
    people = [User.objects.create_user(f"reader{i}@example.org", f"Reader {i}") for i in range(5)]
    ticket = create_ticket(
        actor=agent,
        via=Via.WEB,
        fields={
            "subject": "Pedido",
            "requester_id": people[0].pk,
            "email_cc_ids": [p.pk for p in people[1:]],
        },
        comment=CommentInput(body="Hola, su pedido."),
    )
    copies = list(Delivery.objects.filter(ticket=ticket).order_by("id"))
    record_handoffs([(d, Reply(250)) for d in copies])
    for d in copies:
        store.store(dsn(d), "", [return_path(d.return_token)], source=InboundSource.SMTP)

    with CaptureQueriesContext(connection) as captured:
        processor = process_all()

    assert processor.tally["processed:recorded"] == len(copies) == 5
    tag_reads = [
        q["sql"]
        for q in captured.captured_queries
        if q["sql"].startswith('SELECT "tickets_tickettag"')
    ]
    assert len(tag_reads) == 1, "\n".join(tag_reads)  # the first failure's, to add the tag
    assert list(TicketTag.objects.filter(ticket=ticket).values_list("name", flat=True)) == [
        FAILURE_TAG
    ]
    tag_changes = AuditEvent.objects.filter(
        audit__ticket=ticket, type=EventType.CHANGE, field_name="tags"
    )
    assert [e.value for e in tag_changes] == [[FAILURE_TAG]]
    failures = AuditEvent.objects.filter(audit__ticket=ticket, type=EventType.DELIVERY_FAILURE)
    assert failures.count() == 5
