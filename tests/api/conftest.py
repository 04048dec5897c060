"""Fixtures for API tests: tokens, and a client that speaks to /api/v2/ with one."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from buzon.api.models import ApiToken
from buzon.tickets.models import Role, User


def basic_auth(email: str, token: str) -> str:
    raw = f"{email}/token:{token}".encode()
    return "Basic " + base64.b64encode(raw).decode()


@dataclass
class Api:
    """A test client authenticated with one API token, speaking JSON."""

    client: Client
    user: User
    token: str

    @property
    def auth(self) -> str:
        return basic_auth(self.user.email, self.token)

    def request(self, method: str, path: str, body: Any = None, **extra: Any) -> Any:
        url = path if path.startswith("/") else f"/api/v2/{path}"
        kwargs: dict[str, Any] = {"HTTP_AUTHORIZATION": self.auth, **extra}
        if body is not None:
            kwargs["data"] = json.dumps(body)
            kwargs["content_type"] = "application/json"
        return getattr(self.client, method.lower())(url, **kwargs)

    def get(self, path: str, **extra: Any) -> Any:
        return self.request("GET", path, **extra)

    def post(self, path: str, body: Any = None, **extra: Any) -> Any:
        return self.request("POST", path, body, **extra)

    def put(self, path: str, body: Any = None, **extra: Any) -> Any:
        return self.request("PUT", path, body, **extra)

    def delete(self, path: str, body: Any = None, **extra: Any) -> Any:
        return self.request("DELETE", path, body, **extra)


def api_for(user: User) -> Api:
    _, token = ApiToken.create_for(user, "tests")
    return Api(Client(), user, token)


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
