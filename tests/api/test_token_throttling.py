"""Guessing API tokens is throttled like passwords at the sign-in page: per account
(the email of Basic token auth) and per client address, with the same counters."""

from __future__ import annotations

import base64

import pytest
from axes.models import AccessAttempt
from django.test import Client

from api.apihelpers import basic_auth

pytestmark = pytest.mark.django_db

LIMIT = 5


def call(client: Client, authorization: str, address: str = "198.51.100.7"):
    return client.get(
        "/api/v2/users/me.json", HTTP_AUTHORIZATION=authorization, REMOTE_ADDR=address
    )


def test_wrong_tokens_lock_the_account_out_then_even_the_right_token_is_refused(api):
    for _ in range(LIMIT - 1):
        assert call(api.client, basic_auth(api.user.email, "wrong-token")).status_code == 401
    locked = call(api.client, basic_auth(api.user.email, "wrong-token"))
    assert locked.status_code == 429
    assert locked.json()["error"] == "TooManyFailedAttempts"
    assert int(locked["Retry-After"]) == 15 * 60
    # From another address too, and with the right token: the account is locked.
    refused = call(Client(), api.auth, "192.0.2.9")
    assert refused.status_code == 429
    assert "Too many failed authentication attempts" in refused.json()["description"]


def test_the_sign_in_page_and_the_api_share_the_account_counter(api, client):
    for _ in range(LIMIT - 1):
        client.post(
            "/login/", {"username": api.user.email, "password": "x"}, REMOTE_ADDR="203.0.113.1"
        )
    assert call(Client(), basic_auth(api.user.email, "nope"), "203.0.113.2").status_code == 429


def test_bearer_guesses_lock_out_the_address_only(api):
    for _ in range(LIMIT):
        call(api.client, "Bearer not-a-token", "198.51.100.66")
    assert call(api.client, f"Bearer {api.token}", "198.51.100.66").status_code == 429
    # Another client's bearer token still works: no account was named, none is locked.
    ok = Client().get(
        "/api/v2/users/me.json",
        HTTP_AUTHORIZATION=f"Bearer {api.token}",
        REMOTE_ADDR="198.51.100.67",
    )
    assert ok.status_code == 200


def test_an_admin_unlocks_the_api_client(api):
    for _ in range(LIMIT):
        call(api.client, basic_auth(api.user.email, "wrong"))
    assert call(api.client, api.auth).status_code == 429
    AccessAttempt.objects.all().delete()  # what the admin site's delete does
    assert call(api.client, api.auth).status_code == 200


def test_a_good_token_is_not_slowed_down_and_counts_nothing(api):
    for _ in range(3 * LIMIT):
        assert call(api.client, api.auth).status_code == 200
    assert not AccessAttempt.objects.exists()
    malformed = "Basic " + base64.b64encode(b"no-colon").decode()
    assert call(api.client, malformed).status_code == 401
