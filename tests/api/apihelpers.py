"""Helpers for API tests: a JSON client with a token, and the keys Zendesk clients read."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

from django.test import Client

from buzon.api.models import ApiToken
from buzon.tickets.models import User


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


TICKET_KEYS = {
    "id", "url", "external_id", "via", "created_at", "updated_at", "type", "subject",
    "raw_subject", "description", "priority", "status", "recipient", "requester_id",
    "submitter_id", "assignee_id", "organization_id", "group_id", "collaborator_ids",
    "follower_ids", "email_cc_ids", "has_incidents", "is_public", "due_at", "tags",
    "custom_fields", "satisfaction_rating", "sharing_agreement_ids", "fields",
    "followup_ids", "brand_id", "allow_channelback", "allow_attachments",
}  # fmt: skip
USER_KEYS = {
    "id", "url", "name", "email", "created_at", "updated_at", "time_zone", "locale_id",
    "locale", "organization_id", "role", "verified", "active", "tags", "user_fields",
}  # fmt: skip
IDENTITY_KEYS = {
    "id", "url", "user_id", "type", "value", "verified", "primary", "created_at",
    "updated_at", "deliverable_state", "undeliverable_count",
}  # fmt: skip
