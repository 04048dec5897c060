"""Suppression of undeliverable addresses: it expires, and an agent can lift it."""

from datetime import timedelta

from django.utils import timezone

from buzon.deliveries.models import Delivery, Suppression
from buzon.deliveries.recording import Failure, record_failure
from buzon.deliveries.suppression import (
    active_suppressions,
    expire_suppressions,
    lift_suppression,
    suppress,
)
from buzon.tickets.models import UserIdentity


def hard_failure(ticket, email):
    delivery = Delivery.objects.get(ticket=ticket, email=email)
    record_failure(
        delivery,
        Failure("smtp", 550, "5.1.1", "User unknown", "mx", "userunknown", True),
    )


def test_an_agent_can_lift_a_suppression(ticket, requester, agent):
    hard_failure(ticket, requester.email)
    assert lift_suppression(requester.email, by=agent) is True
    assert requester.email not in active_suppressions([requester.email])
    suppression = Suppression.objects.get()
    assert suppression.lifted_by == agent and suppression.lifted_at is not None
    identity = UserIdentity.objects.get(user=requester)
    assert (identity.deliverable_state, identity.undeliverable_count) == ("deliverable", 0)
    assert lift_suppression(requester.email, by=agent) is False  # nothing left to lift


def test_a_suppression_expires_and_housekeeping_makes_the_address_deliverable(ticket, requester):
    hard_failure(ticket, requester.email)
    Suppression.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert requester.email not in active_suppressions([requester.email])
    assert UserIdentity.objects.get(user=requester).deliverable_state == "undeliverable"
    assert expire_suppressions() == 1
    identity = UserIdentity.objects.get(user=requester)
    assert (identity.deliverable_state, identity.undeliverable_count) == ("deliverable", 0)
    assert expire_suppressions() == 0


def test_active_suppressions_answers_for_many_addresses_in_one_query(
    django_assert_num_queries, agent
):
    suppress("ana@example.com", reason="userunknown", source="smtp")
    suppress("carla@example.com", reason="mailboxfull", source="dsn")
    suppress("lifted@example.com", reason="userunknown", source="smtp")
    lift_suppression("lifted@example.com", by=agent)
    expired = suppress("old@example.com", reason="userunknown", source="smtp")
    Suppression.objects.filter(pk=expired.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    asked = [" ANA@example.com", "carla@example.com", "lifted@example.com", "old@example.com"]
    with django_assert_num_queries(1):
        found = active_suppressions([*asked, "never@example.com"])
    assert sorted(found) == ["ana@example.com", "carla@example.com"]
    assert found["carla@example.com"].reason == "mailboxfull"
    assert active_suppressions([]) == {}


def test_the_suppression_period_is_configurable(ticket, requester, settings):
    settings.SUPPRESSION_DAYS = 7
    hard_failure(ticket, requester.email)
    suppression = active_suppressions([requester.email]).get(requester.email)
    assert (suppression.expires_at - suppression.created_at).days == 7


def test_an_admin_lifts_a_suppression_from_the_admin_site(ticket, requester, admin_client):
    hard_failure(ticket, requester.email)
    suppression = Suppression.objects.get()
    page = admin_client.get("/admin/deliveries/suppression/")
    assert page.status_code == 200 and requester.email.lower() in page.content.decode()
    response = admin_client.post(
        "/admin/deliveries/suppression/",
        {"action": "lift", "_selected_action": [suppression.pk]},
        follow=True,
    )
    assert "1 suppression(s) lifted." in response.content.decode()
    assert requester.email not in active_suppressions([requester.email])
    assert Suppression.objects.get().lifted_by.email == "root@helpdesk.test"


def test_the_admin_shows_deliveries_and_their_history_read_only(ticket, admin_client):
    delivery = Delivery.objects.filter(ticket=ticket).first()
    page = admin_client.get(f"/admin/deliveries/delivery/{delivery.pk}/change/")
    assert page.status_code == 200 and "queued" in page.content.decode()
    assert admin_client.get("/admin/deliveries/delivery/add/").status_code == 403
    assert admin_client.get("/admin/deliveries/emailnotification/").status_code == 200
