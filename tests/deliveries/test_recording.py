"""Recording what happened to a delivery: the one failure path, hand-offs, retries."""

from datetime import timedelta

import pytest
from django.utils import timezone

from buzon.deliveries.models import Delivery, DeliveryEvent, Suppression
from buzon.deliveries.recording import (
    Delay,
    Failure,
    Reply,
    backoff,
    record_deferral,
    record_delay,
    record_delivered,
    record_failure,
    record_handoffs,
)
from buzon.deliveries.suppression import active_suppressions
from buzon.rules.standard import FAILURE_TAG
from buzon.smtpcodes import zendesk_status_by_id
from buzon.tickets.models import AuditEvent, UserIdentity, Via
from buzon.tickets.services import SYSTEM_EMAIL, CommentInput, update_ticket

TRIGGER = "Notify requester of new proactive ticket"


def deliveries(ticket) -> list[Delivery]:
    return list(Delivery.objects.filter(ticket=ticket).order_by("id"))


def unknown_user(**overrides) -> Failure:
    fields = {
        "source": "smtp",
        "reply_code": 550,
        "enhanced_status": "5.1.1",
        "diagnostic": "<x@example.com>: Recipient address rejected: User unknown",
        "remote_mta": "mx.example.com",
        "reason": "userunknown",
        "hard": True,
    }
    return Failure(**{**fields, **overrides})


def mailbox_full(**overrides) -> Failure:
    return unknown_user(
        reply_code=552,
        enhanced_status="5.2.2",
        diagnostic="Mailbox full",
        reason="mailboxfull",
        hard=False,
        **overrides,
    )


def tag_events(ticket):
    return AuditEvent.objects.filter(audit__ticket=ticket, type="Change", field_name="tags")


def test_a_public_comment_queues_one_delivery_per_recipient(ticket, requester, cc_users):
    rows = deliveries(ticket)
    assert [(d.email, d.kind, d.state) for d in rows] == [
        (requester.email, "to", "queued"),
        (cc_users[0].email, "cc", "queued"),
        (cc_users[1].email, "cc", "queued"),
    ]
    assert len({d.email_notification_id for d in rows}) == 1
    assert all(d.next_attempt_at is not None and d.expires_at > d.created_at for d in rows)
    assert all(d.events.get().kind == "queued" for d in rows)


def test_a_failure_records_the_codes_the_zendesk_status_and_the_history(ticket):
    delivery = deliveries(ticket)[0]
    assert record_failure(delivery, unknown_user()) is True
    delivery.refresh_from_db()
    assert delivery.state == "failed" and delivery.failed_at is not None
    assert (delivery.reply_code, delivery.enhanced_status, delivery.reason, delivery.hard) == (
        550,
        "5.1.1",
        "userunknown",
        True,
    )
    assert delivery.diagnostic.endswith("User unknown")
    assert (delivery.zendesk_status_id, delivery.zendesk_status_name) == (39, "USER_DOES_NOT_EXIST")
    assert delivery.zendesk_status_code == "550 5.1.1"
    assert delivery.next_attempt_at is None and delivery.attempts == 1
    assert (
        zendesk_status_by_id(delivery.zendesk_status_id)
        .message("es")
        .startswith("La dirección de correo no existe")
    )
    event = delivery.events.get(kind="failed")
    assert (event.source, event.reply_code, event.enhanced_status) == ("smtp", 550, "5.1.1")


def test_the_ticket_gets_the_tag_once_and_an_audit_naming_recipient_codes_and_trigger(
    ticket, requester, cc_users
):
    first, second, _ = deliveries(ticket)
    record_failure(first, unknown_user())
    record_failure(second, mailbox_full())
    assert FAILURE_TAG in ticket.tag_list
    changes = list(tag_events(ticket))
    assert len(changes) == 1 and FAILURE_TAG in changes[0].value
    failures = list(AuditEvent.objects.filter(audit__ticket=ticket, type="DeliveryFailure"))
    assert len(failures) == 2
    data = failures[0].data
    assert data["recipient"] == {
        "email": requester.email,
        "user_id": requester.pk,
        "name": requester.name,
        "kind": "to",
    }
    assert (data["reply_code"], data["enhanced_status"], data["reason"]) == (
        550,
        "5.1.1",
        "userunknown",
    )
    assert data["trigger"]["title"] == TRIGGER and data["trigger"]["id"]
    assert data["delivery_status"]["name"] == "USER_DOES_NOT_EXIST"
    assert data["delivery_status"]["message"]["es"]
    assert data["notification_id"] == first.email_notification.notification_id
    assert data["comment_id"] == first.email_notification.comment_id is not None
    assert data["delivery_id"] == first.pk and data["source"] == "smtp"
    assert failures[1].data["recipient"]["email"] == cc_users[0].email
    audit = failures[0].audit
    assert audit.via == "system" and audit.author.email == SYSTEM_EMAIL
    assert audit.metadata == {"delivery_failure_depth": 1}


def test_recording_the_same_failure_twice_changes_nothing(ticket):
    delivery = deliveries(ticket)[0]
    assert record_failure(delivery, unknown_user(source="dsn", dedupe_key="dsn:1")) is True
    audits = ticket.audits.count()
    assert record_failure(delivery, unknown_user(source="dsn", dedupe_key="dsn:1")) is False
    assert record_failure(delivery, mailbox_full(source="dsn", dedupe_key="dsn:2")) is False
    assert ticket.audits.count() == audits
    assert delivery.events.filter(kind="failed").count() == 1
    assert UserIdentity.objects.get(value=delivery.email).undeliverable_count == 1


def test_a_hard_failure_makes_the_address_undeliverable_and_suppressed(ticket, requester):
    record_failure(deliveries(ticket)[0], unknown_user())
    identity = UserIdentity.objects.get(user=requester)
    assert (identity.deliverable_state, identity.undeliverable_count) == ("undeliverable", 1)
    suppression = active_suppressions([requester.email.upper()]).get(requester.email)
    assert suppression is not None
    assert (suppression.reason, suppression.reply_code, suppression.enhanced_status) == (
        "userunknown",
        550,
        "5.1.1",
    )
    days = (suppression.expires_at - suppression.created_at).days
    assert days == 60


def test_ten_soft_failures_in_a_row_make_an_address_undeliverable(ticket, agent, requester):
    for i in range(9):
        update_ticket(ticket, actor=agent, via=Via.WEB, comment=CommentInput(body=f"Update {i}"))
    requester_deliveries = [d for d in deliveries(ticket) if d.email == requester.email]
    assert len(requester_deliveries) == 10
    for delivery in requester_deliveries[:9]:
        record_failure(delivery, mailbox_full())
    identity = UserIdentity.objects.get(user=requester)
    assert (identity.deliverable_state, identity.undeliverable_count) == ("deliverable", 9)
    assert requester.email not in active_suppressions([requester.email])
    record_failure(requester_deliveries[9], mailbox_full())
    identity.refresh_from_db()
    assert (identity.deliverable_state, identity.undeliverable_count) == ("undeliverable", 10)
    assert active_suppressions([requester.email])[requester.email].reason == "mailboxfull"


def test_a_successful_hand_off_resets_the_count(ticket, agent, requester):
    update_ticket(ticket, actor=agent, via=Via.WEB, comment=CommentInput(body="Again"))
    first, later = [d for d in deliveries(ticket) if d.email == requester.email]
    record_failure(first, mailbox_full())
    assert UserIdentity.objects.get(user=requester).undeliverable_count == 1
    assert record_handoffs([(later, Reply(250, "2.0.0", "Ok: queued as ABC"))]) == 1
    identity = UserIdentity.objects.get(user=requester)
    assert (identity.deliverable_state, identity.undeliverable_count) == ("deliverable", 0)
    later.refresh_from_db()
    assert later.state == "handed_off" and later.handed_off_at and later.attempts == 1
    assert (later.zendesk_status_id, later.zendesk_status_name) == (5, "DELIVERED")
    assert later.events.get(kind="handed_off").text == "Ok: queued as ABC"


def test_a_delay_shows_as_deferred_not_failed_and_can_still_end_delivered_or_failed(ticket):
    delayed, bounced, _ = deliveries(ticket)
    for d in (delayed, bounced):
        record_handoffs([(d, Reply(250, "2.0.0", "Ok"))])
    report = Delay(enhanced_status="4.4.1", diagnostic="No answer from host", dedupe_key="dsn:7")
    assert record_delay(delayed, report) is True
    assert record_delay(delayed, report) is False  # the same report again
    delayed.refresh_from_db()
    assert delayed.state == "deferred" and delayed.last_error == "No answer from host"
    assert delayed.next_attempt_at is None  # the later hop retries, not Buzón
    assert FAILURE_TAG not in ticket.tag_list
    assert not AuditEvent.objects.filter(audit__ticket=ticket, type="DeliveryFailure").exists()
    assert record_delivered(delayed, text="250 2.0.0 delivered to mailbox") is True
    delayed.refresh_from_db()
    assert delayed.state == "delivered" and delayed.delivered_at is not None
    assert record_delay(bounced, Delay(enhanced_status="4.4.1")) is True
    assert record_failure(bounced, unknown_user(source="dsn", dedupe_key="dsn:8")) is True
    bounced.refresh_from_db()
    assert bounced.state == "failed" and bounced.failure_source == "dsn"
    assert bounced.attempts == 1  # the DSN is not another attempt of ours


def test_deferrals_back_off_and_end_expired_with_the_last_answer(ticket):
    delivery = deliveries(ticket)[0]
    error = Reply(451, "4.3.0", "Try again later", "mx.example.com")
    before = timezone.now()
    assert record_deferral(delivery, error) == "deferred"
    delivery.refresh_from_db()
    assert delivery.state == "deferred" and delivery.attempts == 1
    assert delivery.last_error == "451 4.3.0 Try again later"
    wait = delivery.next_attempt_at - before
    assert timedelta(seconds=25) < wait < timedelta(seconds=60)
    event = delivery.events.get(kind="deferred")
    assert (event.reply_code, event.enhanced_status) == (451, "4.3.0")
    # The next retry would fall after the lifetime: it fails as expired instead.
    Delivery.objects.filter(pk=delivery.pk).update(expires_at=timezone.now() + timedelta(seconds=5))
    delivery.refresh_from_db()
    assert record_deferral(delivery, error) == "failed"
    delivery.refresh_from_db()
    assert (delivery.state, delivery.failure_source, delivery.reason) == (
        "failed",
        "expired",
        "expired",
    )
    assert (delivery.reply_code, delivery.enhanced_status) == (451, "4.3.0")
    # The last answer as the server gave it, none of our words around it.
    assert delivery.attempts == 2 and "Try again later" in delivery.diagnostic
    assert "Gave up" not in delivery.diagnostic
    assert delivery.zendesk_status_name == "UNRECOGNIZED_EXTERNAL_ERROR"
    assert FAILURE_TAG in ticket.tag_list


def test_the_backoff_starts_within_a_minute_doubles_and_is_capped(settings):
    settings.RETRY_BASE, settings.RETRY_MAX = 30, 3600
    waits = [backoff(n).total_seconds() for n in range(1, 12)]
    assert 27 <= waits[0] <= 33 and 54 <= waits[1] <= 66 and 108 <= waits[2] <= 132
    assert max(waits) <= 3600 * 1.1 and waits[-1] >= 3600 * 0.9


def test_a_suppressed_failure_does_not_count_or_refresh_the_suppression(ticket, agent, requester):
    update_ticket(ticket, actor=agent, via=Via.WEB, comment=CommentInput(body="Again"))
    first, later = [d for d in deliveries(ticket) if d.email == requester.email]
    record_failure(first, unknown_user())
    suppression = Suppression.objects.get()
    record_failure(later, unknown_user(source="suppressed", diagnostic="Not sent: suppressed"))
    assert UserIdentity.objects.get(user=requester).undeliverable_count == 1
    assert Suppression.objects.get().created_at == suppression.created_at
    later.refresh_from_db()
    assert later.failure_source == "suppressed" and later.attempts == 0
    assert later.events.get(kind="suppressed").text == "Not sent: suppressed"


@pytest.mark.parametrize("text", ["bad\x00byte", "a\r\nb", "x" * 10_000])
def test_hostile_diagnostics_are_stored_safely(ticket, text):
    delivery = deliveries(ticket)[0]
    record_failure(delivery, unknown_user(diagnostic=text))
    delivery.refresh_from_db()
    assert "\x00" not in delivery.diagnostic and "\r" not in delivery.diagnostic
    assert len(delivery.diagnostic) <= 4000
    assert DeliveryEvent.objects.filter(delivery=delivery, kind="failed").exists()


def test_a_group_of_hand_offs_takes_the_same_statements_whatever_its_size(ticket, agent, requester):
    """One statement on PostgreSQL (update, events and identities' reset together), three
    on SQLite; only the deliveries still claimed by the worker are recorded."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for i in range(11):
        update_ticket(ticket, actor=agent, via=Via.WEB, comment=CommentInput(body=f"Again {i}"))
    ours = [d for d in deliveries(ticket) if d.email == requester.email]
    record_failure(ours.pop(0), mailbox_full())  # the identity's count is 1
    Delivery.objects.filter(pk__in=[d.pk for d in ours]).update(state="sending", claimed_by="w1")
    lost = ours.pop()  # its lease ran out: another worker holds it now
    Delivery.objects.filter(pk=lost.pk).update(claimed_by="w2")
    counts = []
    for group in (ours[:3], ours[3:]):
        replies = [(d, Reply(250, "2.0.0", f"Ok: queued as Q{d.pk}")) for d in group]
        with CaptureQueriesContext(connection) as captured:
            assert record_handoffs([*replies, (lost, Reply(250))], claimed_by="w1") == len(group)
        counts.append(
            len([q for q in captured.captured_queries if "SAVEPOINT" not in q["sql"].upper()])
        )
    expected = 1 if connection.vendor == "postgresql" else 4  # SQLite: + the SELECT of ours
    assert counts == [expected, expected]
    for d in ours:
        d.refresh_from_db()
        assert (d.state, d.claimed_by, d.attempts, d.zendesk_status_id) == ("handed_off", "", 1, 5)
        assert d.events.get(kind="handed_off").text == f"Ok: queued as Q{d.pk}"
    lost.refresh_from_db()
    assert (lost.state, lost.claimed_by) == ("sending", "w2")
    assert not lost.events.filter(kind="handed_off").exists()
    identity = UserIdentity.objects.get(user=requester)
    assert (identity.deliverable_state, identity.undeliverable_count) == ("deliverable", 0)
