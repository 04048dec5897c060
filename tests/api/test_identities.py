"""User identities: list, create, update (correct a mistyped address), make primary."""

from __future__ import annotations

import pytest

from api.apihelpers import IDENTITY_KEYS
from buzon.tickets.models import DeliverableState, UserIdentity

pytestmark = pytest.mark.django_db


def test_list_identities_with_deliverability(api, requester):
    UserIdentity.objects.filter(user=requester).update(
        deliverable_state=DeliverableState.UNDELIVERABLE, undeliverable_count=10
    )
    (identity,) = api.get(f"users/{requester.pk}/identities.json").json()["identities"]
    assert set(identity) >= IDENTITY_KEYS
    assert identity["type"] == "email" and identity["primary"] is True
    assert identity["deliverable_state"] == "undeliverable"
    assert identity["undeliverable_count"] == 10


def test_create_and_show_an_identity(api, requester):
    response = api.post(
        f"users/{requester.pk}/identities.json",
        {"identity": {"type": "email", "value": "ana@otro.example"}},
    )
    assert response.status_code == 201, response.content
    created = response.json()["identity"]
    assert created["value"] == "ana@otro.example" and created["primary"] is False
    shown = api.get(f"users/{requester.pk}/identities/{created['id']}").json()["identity"]
    assert shown == created


def test_identity_values_are_validated_and_unique(api, requester, cc_users):
    url = f"users/{requester.pk}/identities"
    assert (
        api.post(url, {"identity": {"type": "email", "value": "not an address"}}).status_code == 422
    )
    assert (
        api.post(url, {"identity": {"type": "email", "value": "carla@example.com"}}).status_code
        == 422
    )
    assert (
        api.post(url, {"identity": {"type": "phone_number", "value": "+34 600"}}).status_code == 422
    )


def test_correcting_a_mistyped_address_resets_its_deliverability(api, requester):
    identity = requester.identities.get()
    UserIdentity.objects.filter(pk=identity.pk).update(
        value="ana@gmial.com",
        deliverable_state=DeliverableState.UNDELIVERABLE,
        undeliverable_count=3,
    )
    response = api.put(
        f"users/{requester.pk}/identities/{identity.pk}.json",
        {"identity": {"value": "ana@gmail.com"}},
    )
    assert response.status_code == 200, response.content
    body = response.json()["identity"]
    assert body["value"] == "ana@gmail.com"
    assert body["deliverable_state"] == "deliverable" and body["undeliverable_count"] == 0
    requester.refresh_from_db()
    assert requester.email == "ana@gmail.com"  # it was the primary


def test_make_primary(api, requester):
    second = UserIdentity.objects.create(user=requester, value="ana@segunda.example")
    response = api.put(f"users/{requester.pk}/identities/{second.pk}/make_primary.json")
    assert response.status_code == 200
    identities = response.json()["identities"]
    assert [(i["value"], i["primary"]) for i in identities] == [
        ("ana@segunda.example", True),
        ("ana@example.com", False),
    ]
    requester.refresh_from_db()
    assert requester.email == "ana@segunda.example"


def test_delete_a_secondary_identity_but_not_the_primary(api, requester):
    second = UserIdentity.objects.create(user=requester, value="ana@segunda.example")
    primary = requester.identities.get(primary=True)
    assert api.delete(f"users/{requester.pk}/identities/{primary.pk}").status_code == 422
    assert api.delete(f"users/{requester.pk}/identities/{second.pk}").status_code == 204
    assert not UserIdentity.objects.filter(pk=second.pk).exists()


def test_identity_of_another_user_is_404(api, requester, cc_users):
    other = cc_users[0].identities.get()
    assert api.get(f"users/{requester.pk}/identities/{other.pk}").status_code == 404
