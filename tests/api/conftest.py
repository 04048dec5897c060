"""Fixtures for API tests: tokens, and a client that speaks to /api/v2/ with one."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from api.apihelpers import Api, api_for
from buzon.tickets.models import Role, User


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api(agent: User) -> Api:
    """The agent Alicia's token."""
    return api_for(agent)


@pytest.fixture
def admin_api(db) -> Api:
    return api_for(User.objects.create_user("admin@helpdesk.test", "Ada Admin", role=Role.ADMIN))


@pytest.fixture
def end_user_api(requester: User) -> Api:
    """Ana (an end user, the requester of `ticket`) with a token of her own."""
    return api_for(requester)
