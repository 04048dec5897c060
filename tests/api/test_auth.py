"""Who may call what: tokens, bearer, session, roles, rate limits and token management."""

from __future__ import annotations

import base64
import io

import pytest
from django.contrib.admin.models import LogEntry
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from api.apihelpers import api_for, basic_auth
from buzon.api.models import ApiToken
from buzon.tickets.models import Audit, Role, User, Via

pytestmark = pytest.mark.django_db


def test_no_credentials_is_401_with_zendesk_error(client):
    response = client.get("/api/v2/tickets.json")
    assert response.status_code == 401
    assert response.json()["error"] == "Couldn't authenticate you"
    assert response["WWW-Authenticate"].startswith("Basic")


@pytest.mark.parametrize(
    "header",
    [
        "Basic " + base64.b64encode(b"agent@helpdesk.test/token:wrong").decode(),
        "Basic " + base64.b64encode(b"agent@helpdesk.test:password").decode(),
        "Basic !!!notbase64",
        "Bearer wrong",
        "Digest abc",
    ],
)
def test_bad_credentials_are_401(api, header):
    response = api.client.get("/api/v2/tickets.json", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401


def test_token_of_someone_else_with_my_email_is_401(api, other_agent):
    response = api.client.get(
        "/api/v2/tickets", HTTP_AUTHORIZATION=basic_auth(other_agent.email, api.token)
    )
    assert response.status_code == 401


def test_basic_token_and_bearer_token_both_work(api):
    assert api.get("users/me").json()["user"]["id"] == api.user.pk
    bearer = api.client.get("/api/v2/users/me", HTTP_AUTHORIZATION=f"Bearer {api.token}")
    assert bearer.status_code == 200
    assert ApiToken.objects.get(user=api.user).last_used_at is not None


def test_revoked_token_and_inactive_user_are_401(api):
    ApiToken.objects.get(user=api.user).revoke()
    assert api.get("users/me").status_code == 401
    fresh = api_for(api.user)
    User.objects.filter(pk=api.user.pk).update(is_active=False)
    assert fresh.get("users/me").status_code == 401


def test_session_works_for_the_browser_and_writes_need_csrf(agent, ticket):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(agent)
    assert browser.get("/api/v2/tickets.json").status_code == 200
    write = browser.put(
        f"/api/v2/tickets/{ticket.pk}.json", data='{"ticket": {"status": "open"}}',
        content_type="application/json",
    )  # fmt: skip
    assert write.status_code == 403
    assert "CSRF" in write.json()["description"]
    browser.get("/settings/api-tokens/")  # sets the CSRF cookie
    csrf = browser.cookies["csrftoken"].value
    write = browser.put(
        f"/api/v2/tickets/{ticket.pk}.json", data='{"ticket": {"status": "open"}}',
        content_type="application/json", HTTP_X_CSRFTOKEN=csrf,
    )  # fmt: skip
    assert write.status_code == 200


def test_agent_cannot_write_triggers(api):
    trigger = {
        "trigger": {
            "title": "x",
            "conditions": {"all": [{"field": "status", "operator": "is", "value": "open"}]},
            "actions": [{"field": "priority", "value": "high"}],
        }
    }
    response = api.post("triggers.json", trigger)
    assert response.status_code == 403
    assert response.json()["error"] == "Forbidden"
    assert api.get("triggers.json").status_code == 200  # reading is fine


def test_end_user_sees_only_their_own_tickets(end_user_api, ticket, agent, cc_users):
    from buzon.tickets.services import CommentInput, create_ticket

    other = create_ticket(
        actor=agent, via=Via.WEB, fields={"subject": "De otro", "requester_id": cc_users[0].pk},
        comment=CommentInput(body="privado de Carla"),
    )  # fmt: skip
    listed = end_user_api.get("tickets").json()["tickets"]
    assert [t["id"] for t in listed] == [ticket.pk]
    assert end_user_api.get(f"tickets/{other.pk}").status_code == 404
    assert end_user_api.get(f"tickets/{other.pk}/comments").status_code == 404
    found = end_user_api.get("search?query=privado").json()
    assert found["count"] == 0
    assert end_user_api.get(f"users/{agent.pk}").status_code == 404
    assert end_user_api.get("users/me").json()["user"]["role"] == "end-user"


def test_end_user_cannot_write_or_read_agent_things(end_user_api, ticket):
    body = {"ticket": {"comment": {"body": "hola"}}}
    assert end_user_api.put(f"tickets/{ticket.pk}", body).status_code == 403
    assert end_user_api.get(f"tickets/{ticket.pk}/audits").status_code == 403
    assert end_user_api.get("views").status_code == 403
    assert end_user_api.get("email_notifications?filter[ticket_id]=1").status_code == 403
    assert end_user_api.get("users").status_code == 403


def test_end_user_sees_public_comments_only(api, end_user_api, ticket):
    api.put(f"tickets/{ticket.pk}", {"ticket": {"comment": {"body": "secreto", "public": False}}})
    comments = end_user_api.get(f"tickets/{ticket.pk}/comments").json()["comments"]
    assert all(c["public"] for c in comments) and len(comments) == 1


def test_every_ticket_write_is_audited_with_the_api_channel(api, ticket):
    api.put(f"tickets/{ticket.pk}", {"ticket": {"priority": "high"}})
    api.put(f"tickets/{ticket.pk}/tags", {"tags": ["vip"]})
    audits = list(Audit.objects.filter(ticket=ticket).order_by("id"))[1:]
    assert [a.via for a in audits] == [Via.API, Via.API]
    assert all(a.author_id == api.user.pk for a in audits)


def test_user_and_trigger_writes_land_in_the_admin_log(api, admin_api):
    created = api.post("users", {"user": {"name": "Nuevo", "email": "nuevo@example.com"}})
    assert created.status_code == 201
    entry = LogEntry.objects.get(object_id=str(created.json()["user"]["id"]))
    assert entry.user_id == api.user.pk and entry.change_message.startswith("Via API")


def test_rate_limit_answers_429_with_retry_after(api, settings):
    settings.API_RATE_LIMIT = 3
    statuses = [api.get("users/me").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    response = api.get("users/me")
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    assert response.json()["error"] == "TooManyRequests"
    # Per token: another token of another user is not affected.
    other = api_for(User.objects.create_user("otra@helpdesk.test", "Otra", role=Role.AGENT))
    ok = other.get("users/me")
    assert ok.status_code == 200 and ok["X-Rate-Limit-Remaining"] == "2"


def test_create_api_token_command_prints_a_working_token(agent):
    out = io.StringIO()
    call_command("create_api_token", "AGENT@helpdesk.test".lower(), stdout=out)
    token = out.getvalue().strip()
    assert len(token) == 40
    client = Client()
    response = client.get("/api/v2/users/me", HTTP_AUTHORIZATION=basic_auth(agent.email, token))
    assert response.status_code == 200
    assert not ApiToken.objects.filter(digest=token).exists()  # only its digest is stored


def test_create_api_token_command_refuses_unknown_users(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("create_api_token", "nobody@example.com", stdout=io.StringIO())


def test_tokens_page_lists_creates_and_revokes(client, agent):
    client.force_login(agent)
    page = client.post("/settings/api-tokens/", {"action": "create", "description": "zapier"})
    token = page.context["new_token"]
    assert token and token in page.content.decode()
    row = ApiToken.objects.get(user=agent)
    assert row.description == "zapier"
    listed = client.get("/settings/api-tokens/").content.decode()
    assert row.prefix in listed and token not in listed
    client.post("/settings/api-tokens/", {"action": "revoke", "token": row.pk})
    row.refresh_from_db()
    assert row.revoked_at is not None


def test_agents_cannot_revoke_other_peoples_tokens(client, agent, other_agent):
    row, _ = ApiToken.create_for(other_agent)
    client.force_login(agent)
    client.post("/settings/api-tokens/", {"action": "revoke", "token": row.pk})
    row.refresh_from_db()
    assert row.revoked_at is None


def test_admin_lists_and_revokes_tokens(admin_client, agent):
    row, _ = ApiToken.create_for(agent, "ci")
    listing = admin_client.get("/admin/api/apitoken/")
    assert listing.status_code == 200 and row.prefix in listing.content.decode()
    admin_client.post(
        "/admin/api/apitoken/", {"action": "revoke", "_selected_action": [row.pk]}, follow=True
    )
    row.refresh_from_db()
    assert row.revoked_at is not None


def test_unknown_endpoint_and_method_answer_json(api):
    missing = api.get("no_such_thing.json")
    assert missing.status_code == 404 and missing.json()["error"] == "RecordNotFound"
    wrong = api.request("PATCH", "tickets.json")
    assert wrong.status_code == 405 and "GET" in wrong["Allow"]


def test_a_token_request_reads_the_lock_out_counts_then_the_token_with_its_user(api):
    api.client.get("/api/v2/users/me.json", HTTP_AUTHORIZATION=api.auth)  # last_used_at written
    with CaptureQueriesContext(connection) as captured:
        assert (
            api.client.get("/api/v2/users/me.json", HTTP_AUTHORIZATION=api.auth).status_code == 200
        )
    first, second = (q["sql"].split(" FROM ")[1].split()[0].strip('"') for q in captured[:2])
    assert (first, second) == ("axes_accessattempt", "api_apitoken")
    assert 'JOIN "tickets_user"' in captured[1]["sql"]


def test_a_client_without_an_address_is_still_served(api):
    # An empty client address is no IP address: the lock-out check must not choke on it
    # (PostgreSQL's inet column refuses '').
    response = api.client.get("/api/v2/users/me.json", HTTP_AUTHORIZATION=api.auth, REMOTE_ADDR="")
    assert response.status_code == 200
