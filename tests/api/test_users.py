"""Users: list, show, create, update, search by email."""

from __future__ import annotations

import pytest

from api.apihelpers import USER_KEYS
from buzon.tickets.models import Role, User, UserIdentity

pytestmark = pytest.mark.django_db


def test_list_and_show_users(api, requester, agent):
    body = api.get("users.json").json()
    assert {u["email"] for u in body["users"]} >= {"ana@example.com", "agent@helpdesk.test"}
    assert body["count"] == User.objects.count()
    user = api.get(f"users/{requester.pk}.json").json()["user"]
    assert set(user) >= USER_KEYS
    assert user["role"] == "end-user" and user["locale_id"] == 1 and user["locale"] == "en-US"
    agents = api.get("users?role[]=agent&role[]=admin").json()["users"]
    assert {u["id"] for u in agents} == {agent.pk}


def test_create_an_end_user(api):
    response = api.post(
        "users.json", {"user": {"name": "Roger Wilco", "email": "roge@example.org", "locale_id": 2}}
    )
    assert response.status_code == 201, response.content
    user = response.json()["user"]
    assert user["role"] == "end-user" and user["locale"] == "es"
    assert UserIdentity.objects.get(value="roge@example.org").primary


def test_duplicate_email_is_422(api, requester):
    response = api.post("users", {"user": {"name": "Ana bis", "email": "ana@example.com"}})
    assert response.status_code == 422
    assert "email" in response.json()["details"]


def test_only_admins_create_agents(api, admin_api):
    body = {"user": {"name": "New Agent", "email": "new@helpdesk.test", "role": "agent"}}
    assert api.post("users", body).status_code == 403
    created = admin_api.post("users", body)
    assert created.status_code == 201 and created.json()["user"]["role"] == "agent"


def test_update_a_user(api, requester):
    response = api.put(
        f"users/{requester.pk}.json",
        {"user": {"name": "Ana María", "time_zone": "Europe/Madrid", "notes": "VIP"}},
    )
    assert response.status_code == 200, response.content
    user = response.json()["user"]
    assert (user["name"], user["time_zone"], user["notes"]) == ("Ana María", "Europe/Madrid", "VIP")
    bad = api.put(f"users/{requester.pk}", {"user": {"time_zone": "Mars/Olympus"}})
    assert bad.status_code == 422 and "time_zone" in bad.json()["details"]


def test_update_email_makes_it_primary(api, requester):
    response = api.put(f"users/{requester.pk}", {"user": {"email": "ana.nueva@example.com"}})
    assert response.json()["user"]["email"] == "ana.nueva@example.com"
    identities = {i.value: i.primary for i in requester.identities.all()}
    assert identities == {"ana@example.com": False, "ana.nueva@example.com": True}


def test_agents_cannot_change_other_agents_or_roles(api, other_agent, requester):
    assert api.put(f"users/{other_agent.pk}", {"user": {"name": "x"}}).status_code == 403
    assert api.put(f"users/{requester.pk}", {"user": {"role": "admin"}}).status_code == 403
    assert User.objects.get(pk=requester.pk).role == Role.END_USER


def test_search_users_by_email(api, requester, cc_users):
    found = api.get("users/search.json?query=ana@example.com").json()
    assert [u["id"] for u in found["users"]] == [requester.pk]
    # Any of the user's addresses finds them.
    UserIdentity.objects.create(user=requester, value="ana@trabajo.example")
    found = api.get("users/search.json?query=ANA@trabajo.example").json()
    assert [u["id"] for u in found["users"]] == [requester.pk]
    by_name = api.get("users/search?query=Diego").json()
    assert [u["email"] for u in by_name["users"]] == ["diego@example.net"]
    assert api.get("users/search?query=").status_code == 400


def test_show_many_users(api, requester, agent):
    body = api.get(f"users/show_many?ids={agent.pk},{requester.pk}").json()
    assert [u["id"] for u in body["users"]] == sorted([agent.pk, requester.pk])


def test_listing_users_takes_a_fixed_number_of_queries(
    api, cc_users, django_assert_max_num_queries
):
    for n in range(10):
        User.objects.create_user(f"u{n}@example.com", f"U{n}")
    with django_assert_max_num_queries(5):
        assert len(api.get("users").json()["users"]) == 13
