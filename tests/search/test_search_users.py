"""compile_users: `type:user` queries find exactly the right people."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from buzon.search import compile_users, search
from buzon.tickets.models import Role, User, UserIdentity

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(agent, other_agent, admin_user, requester, cc_users, acme):
    carla, diego = cc_users
    requester.organization = acme
    requester.save()
    UserIdentity.objects.create(user=diego, value="diego@acme.example")
    return {
        "agent": agent,
        "bruno": other_agent,
        "rosa": admin_user,
        "ana": requester,
        "carla": carla,
        "diego": diego,
    }


def emails(*names: str) -> set[str]:
    addresses = {
        "agent": "agent@helpdesk.test",
        "bruno": "bruno@helpdesk.test",
        "rosa": "root@helpdesk.test",
        "ana": "ana@example.com",
        "carla": "carla@example.com",
        "diego": "diego@example.net",
    }
    return {addresses[n] for n in names}


def test_role(people, find_users):
    assert find_users("type:user role:agent") == emails("agent", "bruno")
    assert find_users("role:admin") == emails("rosa")
    assert find_users("role:end-user") == emails("ana", "carla", "diego")
    assert find_users("-role:end-user") == emails("agent", "bruno", "rosa")
    assert find_users("role:agent role:admin") == emails("agent", "bruno", "rosa")


def test_email(people, find_users):
    assert find_users("email:ana@example.com") == emails("ana")
    assert find_users("email:ANA@example.com") == emails("ana")
    assert find_users("email:diego@acme.example") == emails("diego")
    assert find_users("email:example.com") == emails("ana", "carla")
    assert find_users("email:helpdesk.test -role:admin") == emails("agent", "bruno")


def test_name(people, find_users):
    assert find_users("name:ana") == emails("ana")
    assert find_users('name:"Bruno Agent"') == emails("bruno")
    assert find_users("name:agent") == emails("agent", "bruno")
    assert find_users("name:ana name:carla") == emails("ana", "carla")


def test_organization(people, find_users):
    assert find_users("type:user organization:acme") == emails("ana")
    assert find_users("type:user organization:none role:end-user") == emails("carla", "diego")


def test_free_text_over_name_email_and_addresses(people, find_users):
    assert find_users("type:user carla") == emails("carla")
    assert find_users("type:user example.net") == emails("diego")
    assert find_users("type:user acme.example") == emails("diego")
    assert find_users('type:user "Ana Cliente"') == emails("ana")
    assert find_users("type:user -helpdesk") == emails("ana", "carla", "diego")


def test_created(people, find_users):
    User.objects.filter(email="ana@example.com").update(
        created_at=datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    )
    assert find_users("type:user created<2025-01-01") == emails("ana")
    assert find_users("type:user created:2024-05-01") == emails("ana")
    assert "ana@example.com" not in find_users("type:user created>2025-01-01")


def test_order(people, agent):
    for days, name in enumerate(["ana", "carla", "diego"]):
        User.objects.filter(pk=people[name].pk).update(
            created_at=datetime(2024, 1, 1 + days, tzinfo=UTC)
        )
    ordered = compile_users("role:end-user order_by:created_at sort:asc", user=agent)
    assert [u.email for u in ordered] == [
        "ana@example.com",
        "carla@example.com",
        "diego@example.net",
    ]


def test_ticket_queries_find_no_users(people, agent):
    assert list(compile_users("type:ticket", user=agent)) == []
    assert list(compile_users("status:open", user=agent)) == []


def test_plain_text_searches_users_too(people, agent):
    result = search("diego", user=agent)
    assert list(result.users) == [people["diego"]]
    assert result.user_count == 1


def test_base_limits_users(people, agent):
    only_agents = User.objects.filter(role=Role.AGENT)
    found = compile_users("type:user helpdesk", user=agent, base=only_agents)
    assert {u.email for u in found} == emails("agent", "bruno")
