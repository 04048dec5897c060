"""Suppression follows blame: only the address's own permanent fault marks it
undeliverable, only the mailbox's temporary faults count towards the ten in a row, and
failures of our setup, our reputation, the content or the way suppress nobody."""

from datetime import timedelta

import pytest
from django.utils import timezone

from buzon.deliveries.models import Delivery, Suppression
from buzon.deliveries.recording import Failure, Reply, record_deferral, record_failure
from buzon.tickets.models import AuditEvent, UserIdentity, Via
from buzon.tickets.services import CommentInput, update_ticket
from buzon_bounces.blame import (
    ADDRESS,
    CONTENT,
    MAILBOX,
    RECIPIENT_POLICY,
    REPUTATION,
    SETUP,
    TRANSIENT,
    UNKNOWN,
)

PTR = (
    "550-5.7.25 [203.0.113.5] The IP address sending this message does not have a PTR "
    "record setup, or the corresponding forward DNS entry does not point to the sending IP."
)


def failure(blame: str, *, hard: bool = True, reason: str = "userunknown") -> Failure:
    return Failure("dsn", 550, "5.7.25", PTR, "gmail-smtp-in.l.google.com", reason, hard, None,
                   None, blame)  # fmt: skip


def requester_deliveries(ticket, agent, requester, n: int) -> list[Delivery]:
    for i in range(n - 1):
        update_ticket(ticket, actor=agent, via=Via.WEB, comment=CommentInput(body=f"Update {i}"))
    return list(Delivery.objects.filter(ticket=ticket, email=requester.email).order_by("id"))


def state(requester) -> tuple[str, int, bool]:
    identity = UserIdentity.objects.get(user=requester)
    return (
        identity.deliverable_state,
        identity.undeliverable_count,
        Suppression.objects.filter(address=requester.email).exists(),
    )


def test_only_the_address_blame_suppresses_at_once(ticket, requester):
    (delivery,) = Delivery.objects.filter(ticket=ticket, email=requester.email)
    record_failure(delivery, failure(ADDRESS))
    assert state(requester) == ("undeliverable", 1, True)
    delivery.refresh_from_db()
    assert delivery.blame == ADDRESS


@pytest.mark.parametrize(
    "blame", [SETUP, REPUTATION, CONTENT, TRANSIENT, RECIPIENT_POLICY, UNKNOWN]
)
def test_other_blames_suppress_nobody_even_when_hard(ticket, agent, requester, blame):
    deliveries = requester_deliveries(ticket, agent, requester, 11)
    for delivery in deliveries:
        assert record_failure(delivery, failure(blame, hard=True)) is True
    assert state(requester) == ("deliverable", 0, False)
    assert set(Delivery.objects.filter(email=requester.email).values_list("blame", flat=True)) == {
        blame
    }
    event = AuditEvent.objects.filter(audit__ticket=ticket, type="DeliveryFailure").first()
    assert event.data["blame"] == blame


def test_only_mailbox_failures_count_towards_the_ten_in_a_row(ticket, agent, requester):
    deliveries = requester_deliveries(ticket, agent, requester, 14)
    for delivery in deliveries[:5]:
        record_failure(delivery, failure(MAILBOX, hard=False, reason="mailboxfull"))
    for delivery in deliveries[5:9]:  # our reputation in between: no count, no reset
        record_failure(delivery, failure(REPUTATION, hard=False, reason="speeding"))
    assert state(requester) == ("deliverable", 5, False)
    for delivery in deliveries[9:13]:
        record_failure(delivery, failure(MAILBOX, hard=False, reason="mailboxfull"))
    assert state(requester) == ("deliverable", 9, False)
    record_failure(deliveries[13], failure(MAILBOX, hard=False, reason="mailboxfull"))
    assert state(requester) == ("undeliverable", 10, True)


def test_without_a_blame_it_is_read_from_the_reason(ticket, requester):
    (delivery,) = Delivery.objects.filter(ticket=ticket, email=requester.email)
    record_failure(delivery, Failure("smtp", 552, "5.3.4", "Too big", "mx", "mesgtoobig", True))
    delivery.refresh_from_db()
    assert delivery.blame == CONTENT and state(requester) == ("deliverable", 0, False)


@pytest.mark.parametrize(
    ("reply", "blame"),
    [
        (Reply(452, "4.2.2", "Mailbox full, try again later", "mx.example.com"), MAILBOX),
        (Reply(None, "", "Connection refused"), TRANSIENT),
    ],
)
def test_expired_takes_the_blame_of_the_last_reply(ticket, requester, reply, blame):
    (delivery,) = Delivery.objects.filter(ticket=ticket, email=requester.email)
    Delivery.objects.filter(pk=delivery.pk).update(expires_at=timezone.now() + timedelta(seconds=5))
    delivery.refresh_from_db()
    assert record_deferral(delivery, reply) == "failed"
    delivery.refresh_from_db()
    assert (delivery.failure_source, delivery.reason, delivery.blame) == (
        "expired",
        "expired",
        blame,
    )
    assert not Suppression.objects.exists()
