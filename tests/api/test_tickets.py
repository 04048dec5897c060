"""Tickets, tags, comments and audits: requests and responses in Zendesk's shapes."""

from __future__ import annotations

import pytest

from api.apihelpers import TICKET_KEYS
from buzon.tickets.models import Audit, Role, Ticket, User, Via

pytestmark = pytest.mark.django_db


def test_create_ticket_for_a_new_requester_with_two_ccs(api):
    """Zendesk's create request: a comment, a requester by email, email_ccs, tags."""
    response = api.post(
        "tickets.json",
        {
            "ticket": {
                "subject": "My printer is on fire!",
                "comment": {"body": "The smoke is very colorful."},
                "requester": {"name": "The Customer", "email": "thecustomer@example.com"},
                "email_ccs": [
                    {"user_email": "cc1@example.com", "user_name": "CC One", "action": "put"},
                    {"user_email": "cc2@example.org", "action": "put"},
                ],
                "priority": "urgent",
                "tags": ["printer", "Fire"],
            }
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    ticket = body["ticket"]
    assert set(ticket) >= TICKET_KEYS
    assert response["Location"] == ticket["url"]
    assert ticket["url"].endswith(f"/api/v2/tickets/{ticket['id']}.json")
    assert ticket["subject"] == "My printer is on fire!"
    assert ticket["description"] == "The smoke is very colorful."
    assert ticket["priority"] == "urgent"
    assert ticket["status"] == "new"
    assert ticket["tags"] == ["fire", "printer"]
    assert ticket["via"]["channel"] == "api"
    assert ticket["submitter_id"] == api.user.pk
    requester = User.objects.get(email="thecustomer@example.com")
    assert requester.role == Role.END_USER and requester.name == "The Customer"
    assert ticket["requester_id"] == requester.pk
    ccs = User.objects.filter(email__in=["cc1@example.com", "cc2@example.org"])
    assert sorted(ticket["email_cc_ids"]) == sorted(u.pk for u in ccs)
    # The audit written by the create comes back with it, as in Zendesk.
    audit = body["audit"]
    assert audit["via"]["channel"] == "api" and audit["author_id"] == api.user.pk
    types = [e["type"] for e in audit["events"]]
    assert "Comment" in types and "Create" in types
    assert Audit.objects.get(pk=audit["id"]).via == Via.API


def test_requester_by_email_reuses_the_existing_user(api, requester):
    response = api.post(
        "tickets",
        {
            "ticket": {
                "subject": "Otra vez",
                "comment": {"body": "Hola"},
                "requester": {"email": "ANA@EXAMPLE.COM".replace("ANA", "ana")},
            }
        },
    )
    assert response.status_code == 201
    assert response.json()["ticket"]["requester_id"] == requester.pk
    assert User.objects.filter(email__iexact="ana@example.com").count() == 1


def test_add_a_public_comment_notifies_and_is_audited_as_api(api, ticket):
    response = api.put(
        f"tickets/{ticket.pk}.json",
        {"ticket": {"comment": {"body": "Ya lo corregimos.", "public": True}, "status": "pending"}},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["ticket"]["status"] == "pending"
    audit = body["audit"]
    assert audit["via"]["channel"] == "api"
    events = {e["type"]: e for e in audit["events"]}
    assert events["Comment"]["public"] is True
    assert events["Comment"]["body"] == "Ya lo corregimos."
    notification = events["Notification"]
    assert (
        notification["via"]["source"]["from"]["title"]
        == "Notify requester and CCs of comment update"
    )
    assert len(notification["recipients"]) == 3  # Ana and her two CCs


def test_private_comment_emails_no_end_user(api, ticket):
    response = api.put(
        f"tickets/{ticket.pk}", {"ticket": {"comment": {"body": "Nota interna", "public": False}}}
    )
    assert response.status_code == 200
    types = [e["type"] for e in response.json()["audit"]["events"]]
    assert "Comment" in types and "Notification" not in types
    comments = api.get(f"tickets/{ticket.pk}/comments").json()["comments"]
    assert [c["public"] for c in comments] == [True, False]


def test_update_that_changes_nothing_has_no_audit(api, ticket):
    response = api.put(f"tickets/{ticket.pk}", {"ticket": {"subject": ticket.subject}})
    assert response.status_code == 200
    assert response.json()["audit"] is None


def test_invalid_field_answers_422_in_zendesk_shape(api, ticket):
    response = api.put(f"tickets/{ticket.pk}", {"ticket": {"status": "bogus"}})
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "RecordInvalid"
    assert body["description"] == "Record validation errors"
    assert "status" in body["details"]
    assert body["details"]["status"][0]["description"]


def test_wrongly_typed_field_answers_422_and_names_it(api, ticket):
    response = api.put(
        f"tickets/{ticket.pk}", {"ticket": {"tags": "not-a-list", "assignee_id": "x"}}
    )
    assert response.status_code == 422
    assert {"tags", "assignee_id"} <= set(response.json()["details"])


def test_a_failed_create_leaves_no_new_user_behind(api):
    response = api.post(
        "tickets",
        {"ticket": {"comment": {"body": "x"}, "requester": {"email": "ghost@example.com"}}},
    )
    assert response.status_code == 422  # no subject
    assert not User.objects.filter(email="ghost@example.com").exists()


def test_create_needs_a_comment(api):
    response = api.post("tickets", {"ticket": {"subject": "Sin texto"}})
    assert response.status_code == 422
    assert "comment" in response.json()["details"]


def test_malformed_json_is_400(api):
    response = api.client.post(
        "/api/v2/tickets.json", data="{nope", content_type="application/json",
        HTTP_AUTHORIZATION=api.auth,
    )  # fmt: skip
    assert response.status_code == 400
    assert response.json()["error"] == "InvalidJSON"


def test_show_and_show_many(api, ticket):
    assert api.get(f"tickets/{ticket.pk}").json()["ticket"]["id"] == ticket.pk
    assert api.get("tickets/999999").status_code == 404
    assert api.get("tickets/999999").json() == {
        "error": "RecordNotFound",
        "description": "Not found",
    }
    many = api.get(f"tickets/show_many.json?ids={ticket.pk},999999").json()
    assert [t["id"] for t in many["tickets"]] == [ticket.pk]


def test_tags_endpoints_set_add_and_remove(api, ticket):
    url = f"tickets/{ticket.pk}/tags.json"
    assert api.post(url, {"tags": ["b", "a"]}).json() == {"tags": ["a", "b"]}
    assert api.put(url, {"tags": ["c"]}).json() == {"tags": ["a", "b", "c"]}
    assert api.delete(url, {"tags": ["a"]}).json() == {"tags": ["b", "c"]}
    assert api.get(url).json() == {"tags": ["b", "c"]}
    audits = Audit.objects.filter(ticket=ticket, via=Via.API)
    assert audits.count() == 3


def test_followers_and_cc_removal_by_action(api, ticket, cc_users, other_agent):
    response = api.put(
        f"tickets/{ticket.pk}",
        {
            "ticket": {
                "email_ccs": [{"user_id": cc_users[0].pk, "action": "delete"}],
                "followers": [{"user_id": other_agent.pk, "action": "put"}],
            }
        },
    )
    assert response.status_code == 200, response.content
    body = response.json()["ticket"]
    assert body["email_cc_ids"] == [cc_users[1].pk]
    assert body["follower_ids"] == [other_agent.pk]


def test_safe_update_refuses_a_stale_write(api, ticket):
    stamp = api.get(f"tickets/{ticket.pk}").json()["ticket"]["updated_at"]
    api.put(f"tickets/{ticket.pk}", {"ticket": {"comment": {"body": "primero"}}})
    Ticket.objects.filter(pk=ticket.pk).update(updated_at=ticket.updated_at.replace(year=2030))
    stale = api.put(
        f"tickets/{ticket.pk}",
        {"ticket": {"status": "solved", "safe_update": True, "updated_stamp": stamp}},
    )
    assert stale.status_code == 409
    assert Ticket.objects.get(pk=ticket.pk).status != "solved"


def test_comment_author_must_be_the_token_owner(api, ticket, other_agent):
    response = api.put(
        f"tickets/{ticket.pk}", {"ticket": {"comment": {"body": "x", "author_id": other_agent.pk}}}
    )
    assert response.status_code == 422


def test_comments_list_shape(api, ticket):
    body = api.get(f"tickets/{ticket.pk}/comments.json").json()
    (comment,) = body["comments"]
    assert comment["type"] == "Comment"
    assert comment["plain_body"] == "Hola Ana, hemos visto la factura duplicada."
    assert comment["audit_id"] is not None
    assert body["count"] == 1


def test_audits_filtered_to_notification_events(api, ticket):
    api.put(f"tickets/{ticket.pk}", {"ticket": {"comment": {"body": "Público"}}})
    api.put(f"tickets/{ticket.pk}", {"ticket": {"comment": {"body": "Nota", "public": False}}})
    body = api.get(f"tickets/{ticket.pk}/audits.json?filter_events[]=Notification").json()
    assert len(body["audits"]) == 2  # the create's receipt and the public comment's
    for audit in body["audits"]:
        assert {e["type"] for e in audit["events"]} == {"Notification"}
        for event in audit["events"]:
            assert event["via"]["source"]["rel"] == "trigger"
            assert event["subject"] and event["recipients"]
    everything = api.get(f"tickets/{ticket.pk}/audits").json()
    assert len(everything["audits"]) == 3


def test_show_one_audit(api, ticket):
    audit = Audit.objects.filter(ticket=ticket).first()
    assert api.get(f"tickets/{ticket.pk}/audits/{audit.pk}").json()["audit"]["id"] == audit.pk
    assert api.get(f"tickets/{ticket.pk}/audits/999999").status_code == 404


def test_listing_tickets_takes_a_fixed_number_of_queries(
    api, agent, requester, django_assert_max_num_queries
):
    from buzon.tickets.services import CommentInput, create_ticket

    for n in range(12):
        create_ticket(
            actor=agent,
            via=Via.API,
            fields={"subject": f"T{n}", "requester_id": requester.pk, "tags": ["x"]},
            comment=CommentInput(body="hola"),
        )
    with django_assert_max_num_queries(9):
        body = api.get("tickets").json()
    assert len(body["tickets"]) == 12
    with django_assert_max_num_queries(9):
        api.get("tickets?page[size]=5")


def test_audits_and_comments_take_a_fixed_number_of_queries(
    api, ticket, django_assert_max_num_queries
):
    for n in range(6):
        api.put(f"tickets/{ticket.pk}", {"ticket": {"comment": {"body": f"c{n}"}}})
    with django_assert_max_num_queries(8):
        assert len(api.get(f"tickets/{ticket.pk}/audits").json()["audits"]) == 7
    with django_assert_max_num_queries(8):
        assert len(api.get(f"tickets/{ticket.pk}/comments").json()["comments"]) == 7


@pytest.mark.parametrize(
    "fields",
    [
        {"subject": "nul \x00 inside", "comment": {"body": "x"}},
        {"subject": "surrogate \ud800", "comment": {"body": "x"}},
        {"subject": "huge id", "comment": {"body": "x"}, "requester_id": 10**30},
    ],
    ids=["nul", "surrogate", "huge-int"],
)
def test_text_and_numbers_no_database_can_store_are_422(api, fields):
    response = api.post("tickets", {"ticket": fields})
    assert response.status_code == 422, response.content


def test_huge_ids_in_the_path_are_404_and_nul_in_parameters_is_400(api):
    assert api.get(f"tickets/{10**25}.json").status_code == 404
    assert api.get("search?query=a%00b").status_code == 400
    assert api.get("users/search?query=a%00b@example.com").status_code == 400


def test_is_public_means_some_comment_is_public(api, agent, requester):
    from buzon.tickets.services import CommentInput, create_ticket

    internal = create_ticket(
        actor=agent,
        via=Via.WEB,
        fields={"subject": "Sólo notas", "requester_id": requester.pk},
        comment=CommentInput(body="nota interna", public=False),
    )
    assert api.get(f"tickets/{internal.pk}").json()["ticket"]["is_public"] is False
    listed = {t["id"]: t["is_public"] for t in api.get("tickets").json()["tickets"]}
    assert listed[internal.pk] is False


def test_a_ticket_reads_the_same_alone_in_lists_and_in_search(api, ticket):
    """Lists read plain rows with timestamps the database formats; the ticket alone is
    read as a model instance: both must give the same JSON, to the second, in UTC."""
    from datetime import UTC, datetime, timedelta, timezone

    madrid_evening = datetime(2026, 3, 1, 23, 59, 59, 999_999, tzinfo=timezone(timedelta(hours=1)))
    Ticket.objects.filter(pk=ticket.pk).update(
        created_at=madrid_evening, updated_at=datetime(2026, 3, 2, 8, 0, 0, 500_000, tzinfo=UTC)
    )
    alone = api.get(f"tickets/{ticket.pk}").json()["ticket"]
    assert alone["created_at"] == "2026-03-01T22:59:59Z"
    assert alone["updated_at"] == "2026-03-02T08:00:00Z"
    listed = [
        t for t in api.get("tickets?page[size]=100").json()["tickets"] if t["id"] == ticket.pk
    ]
    by_offset = [
        t for t in api.get("tickets?per_page=100").json()["tickets"] if t["id"] == ticket.pk
    ]
    many = api.get(f"tickets/show_many?ids={ticket.pk}").json()["tickets"]
    searched = api.get(f"search?query=type:ticket %23{ticket.pk}").json()["results"]
    assert listed == by_offset == many == [alone]
    assert [{k: v for k, v in r.items() if k != "result_type"} for r in searched] == [alone]
