"""Recording a failure touches each row once: a bounded number of SQL statements per
recorded failure, with the audit, tag, events and suppression written as before."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from buzon.deliveries.models import Delivery, Suppression
from buzon.deliveries.recording import Failure, record_failure
from buzon.rules.models import Trigger
from buzon.rules.standard import FAILURE_TAG
from buzon.tickets.models import AuditEvent, UserIdentity

LIMIT = 8


def unknown_user() -> Failure:
    return Failure(
        source="dsn",
        reply_code=550,
        enhanced_status="5.1.1",
        diagnostic="User unknown",
        remote_mta="mx.example.com",
        reason="userunknown",
        hard=True,
    )


def statements(delivery: Delivery) -> list[str]:
    """The statements one recorded failure ran, savepoints aside (they mark the nested
    transaction, not a row touched; the caller's own transaction decides them)."""
    with CaptureQueriesContext(connection) as captured:
        assert record_failure(delivery, unknown_user()) is True
    sql = [q["sql"] for q in captured.captured_queries]
    return [s for s in sql if "SAVEPOINT" not in s.upper()]


def warm(ticket) -> list[Delivery]:
    """The first failure on the process reads the triggers and the system user once."""
    first, *rest = Delivery.objects.filter(ticket=ticket).order_by("id")
    record_failure(first, unknown_user())
    return rest


@pytest.mark.django_db
def test_a_recorded_failure_on_an_already_tagged_ticket_takes_at_most_eight_statements(ticket):
    second, third = warm(ticket)
    ran = statements(second)
    assert len(ran) <= LIMIT, "\n".join(ran)
    assert not any(s.startswith("SELECT") and "rules_trigger" in s.split("FROM")[1] for s in ran)
    second.refresh_from_db()
    assert second.state == "failed"
    assert Suppression.objects.filter(address=second.email).exists()
    assert UserIdentity.objects.get(value=second.email).deliverable_state == "undeliverable"
    events = AuditEvent.objects.filter(audit__ticket=ticket, type="DeliveryFailure")
    assert sorted(e.data["delivery_id"] for e in events) == [second.pk - 1, second.pk]
    assert len(statements(third)) <= LIMIT


@pytest.mark.django_db
def test_tagging_an_untagged_ticket_costs_three_statements_more(ticket):
    second, _ = warm(ticket)
    ticket.tags.all().delete()
    ran = statements(second)
    # reading the tags, the new tag and its Change event
    assert len(ran) <= LIMIT + 3, "\n".join(ran)
    assert list(ticket.tags.values_list("name", flat=True)) == [FAILURE_TAG]


@pytest.mark.django_db
def test_a_trigger_saved_between_two_failures_applies_to_the_second(ticket):
    second, third = warm(ticket)
    record_failure(second, unknown_user())
    Trigger.objects.create(
        title="Escalate failures",
        position=0,
        conditions={"all": [{"field": "current_via_id", "operator": "is", "value": "system"}]},
        actions=[{"field": "priority", "value": "urgent"}],
    )
    record_failure(third, unknown_user())
    ticket.refresh_from_db()
    assert ticket.priority == "urgent"
