"""compile_tickets: each query finds exactly the right tickets.

Tickets are built with the real create_ticket / update_ticket; only timestamps are
set directly, since no service lets a caller choose them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from buzon.rules.standard import FAILURE_TAG
from buzon.search import compile_tickets, compiler, count, search
from buzon.tickets.models import Priority, Role, Status, Ticket, TicketType, User, UserIdentity, Via
from buzon.tickets.services import CommentInput, update_ticket

pytestmark = pytest.mark.django_db


def ids(*tickets: Ticket) -> set[int]:
    return {t.pk for t in tickets}


def set_times(ticket: Ticket, *, created: datetime | None = None, updated: datetime | None = None):
    changes = {}
    if created:
        changes["created_at"] = created
    if updated:
        changes["updated_at"] = updated
    Ticket.objects.filter(pk=ticket.pk).update(**changes)


# --- Tags ---------------------------------------------------------------------------


@pytest.fixture
def tagged(make_ticket):
    return {
        "failing_open": make_ticket("Bounce 1", status=Status.OPEN, tags=[FAILURE_TAG]),
        "failing_pending": make_ticket(
            "Bounce 2", status=Status.PENDING, tags=[FAILURE_TAG, "vip"]
        ),
        "failing_solved": make_ticket("Bounce 3", status=Status.SOLVED, tags=[FAILURE_TAG]),
        "vip": make_ticket("VIP", status=Status.OPEN, tags=["vip", "billing"]),
        "billing": make_ticket("Billing", status=Status.NEW, tags=["billing"]),
        "untagged": make_ticket("Plain", status=Status.OPEN),
    }


def test_failing_unsolved_tickets(tagged, find):
    found = find(f"type:ticket tags:{FAILURE_TAG} status<solved")
    assert found == ids(tagged["failing_open"], tagged["failing_pending"])


def test_excluded_tag(tagged, find):
    assert find("-tags:vip") == ids(
        tagged["failing_open"], tagged["failing_solved"], tagged["billing"], tagged["untagged"]
    )


def test_several_tag_terms_match_any(tagged, find):
    assert find("tags:vip tags:billing") == ids(
        tagged["failing_pending"], tagged["vip"], tagged["billing"]
    )


def test_a_quoted_tag_list_matches_all(tagged, find):
    assert find('tags:"vip billing"') == ids(tagged["vip"])
    assert find(f'tags:"{FAILURE_TAG} vip"') == ids(tagged["failing_pending"])


def test_any_of_tags_or_all_of_a_list(tagged, find):
    assert find(f'tags:"vip billing" tags:{FAILURE_TAG}') == ids(
        tagged["vip"], tagged["failing_open"], tagged["failing_pending"], tagged["failing_solved"]
    )


def test_tags_added_by_an_update_are_found(tagged, agent, find):
    update_ticket(tagged["untagged"], actor=agent, via=Via.WEB, fields={"additional_tags": ["vip"]})
    assert tagged["untagged"].pk in find("tags:vip")
    update_ticket(tagged["vip"], actor=agent, via=Via.WEB, fields={"remove_tags": ["vip"]})
    assert tagged["vip"].pk not in find("tags:vip")


def test_tags_on_many_tickets_are_asked_for_per_ticket(tagged, find, monkeypatch):
    # Past MAX_LISTED_TAGGED tickets a tag is an EXISTS instead of a list of ids.
    monkeypatch.setattr(compiler, "MAX_LISTED_TAGGED", 0)
    assert find(f"type:ticket tags:{FAILURE_TAG} status<solved") == ids(
        tagged["failing_open"], tagged["failing_pending"]
    )
    assert find("-tags:vip") == ids(
        tagged["failing_open"], tagged["failing_solved"], tagged["billing"], tagged["untagged"]
    )
    assert find('tags:"vip billing"') == ids(tagged["vip"])
    assert find("tags:vip tags:billing") == ids(
        tagged["failing_pending"], tagged["vip"], tagged["billing"]
    )


# --- Status, priority, type, via ----------------------------------------------------


@pytest.fixture
def by_status(make_ticket):
    return {status: make_ticket(f"Ticket {status}", status=status) for status in Status.values}


@pytest.mark.parametrize(
    ("query", "statuses"),
    [
        ("status:open", {"open"}),
        ("status<solved", {"new", "open", "pending", "hold"}),
        ("status>new", {"open", "pending", "hold", "solved", "closed"}),
        ("status<=pending", {"new", "open", "pending"}),
        ("status>=solved", {"solved", "closed"}),
        ("-status:solved", {"new", "open", "pending", "hold", "closed"}),
        ("status:new status:open", {"new", "open"}),
        ("status>new status<solved", {"open", "pending", "hold"}),
        ("-status<solved", {"solved", "closed"}),
    ],
)
def test_status(by_status, find, query, statuses):
    assert find(query) == {by_status[s].pk for s in statuses}


def test_priority_in_its_natural_order(make_ticket, find):
    tickets = {p: make_ticket(f"P {p}", priority=p) for p in Priority.values}
    unset = make_ticket("No priority")
    assert find("priority>normal") == ids(tickets["high"], tickets["urgent"])
    assert find("priority<high") == ids(tickets["low"], tickets["normal"])
    assert find("priority:none") == ids(unset)
    assert find("-priority:low") == ids(
        tickets["normal"], tickets["high"], tickets["urgent"], unset
    )


def test_ticket_type(make_ticket, find):
    incident = make_ticket("Down", type=TicketType.INCIDENT)
    problem = make_ticket("Root cause", type=TicketType.PROBLEM)
    untyped = make_ticket("Hello")
    assert find("ticket_type:incident") == ids(incident)
    assert find("type:problem") == ids(problem)
    assert find("ticket_type:none") == ids(untyped)
    assert find("-type:incident") == ids(problem, untyped)


def test_via(make_ticket, requester, find):
    by_mail = make_ticket("Por correo", actor=requester, via=Via.EMAIL)
    by_api = make_ticket("Por API", via=Via.API)
    on_web = make_ticket("En la web")
    assert find("via:email") == ids(by_mail)
    assert find("via:api via:web") == ids(by_api, on_web)


# --- People -------------------------------------------------------------------------


@pytest.fixture
def people_tickets(make_ticket, agent, other_agent, requester, cc_users):
    carla, diego = cc_users
    return {
        "ana": make_ticket("De Ana", requester_id=requester.pk, assignee_id=agent.pk),
        "ana_cc": make_ticket(
            "Ana con copia", requester_id=requester.pk, email_cc_ids=[carla.pk, diego.pk]
        ),
        "carla": make_ticket(
            "De Carla", actor=carla, requester_id=carla.pk, assignee_id=other_agent.pk
        ),
        "diego_cc": make_ticket("Copia a Diego", requester_id=carla.pk, email_cc_ids=[diego.pk]),
    }


def test_requester_by_email(people_tickets, find):
    assert find("requester:ana@example.com") == ids(people_tickets["ana"], people_tickets["ana_cc"])
    assert find("requester:ANA@EXAMPLE.COM") == find("requester:ana@example.com")


def test_requester_by_another_address_of_theirs(people_tickets, requester, find):
    UserIdentity.objects.create(user=requester, value="ana.cliente@work.example")
    assert find("requester:ana.cliente@work.example") == ids(
        people_tickets["ana"], people_tickets["ana_cc"]
    )


def test_requester_by_name_id_and_me(people_tickets, requester, cc_users, find):
    carla = cc_users[0]
    assert find('requester:"Ana Cliente"') == ids(people_tickets["ana"], people_tickets["ana_cc"])
    assert find("requester:carla") == ids(people_tickets["carla"], people_tickets["diego_cc"])
    assert find(f"requester:{requester.pk}") == ids(people_tickets["ana"], people_tickets["ana_cc"])
    assert find("requester:me", user=carla) == ids(
        people_tickets["carla"], people_tickets["diego_cc"]
    )


def test_several_requesters_match_any(people_tickets, find):
    assert find("requester:ana@example.com requester:carla@example.com") == set(
        t.pk for t in people_tickets.values()
    )


def test_excluded_requester(people_tickets, find):
    assert find("-requester:ana@example.com") == ids(
        people_tickets["carla"], people_tickets["diego_cc"]
    )


def test_assignee(people_tickets, agent, other_agent, find):
    assert find("assignee:me") == ids(people_tickets["ana"])
    assert find("assignee:me", user=other_agent) == ids(people_tickets["carla"])
    assert find("assignee:none") == ids(people_tickets["ana_cc"], people_tickets["diego_cc"])
    assert find("-assignee:none") == ids(people_tickets["ana"], people_tickets["carla"])
    assert find("-assignee:me") == ids(
        people_tickets["ana_cc"], people_tickets["carla"], people_tickets["diego_cc"]
    )
    assert find("assignee:bruno@helpdesk.test") == ids(people_tickets["carla"])


def test_submitter(people_tickets, cc_users, find):
    assert find("submitter:carla@example.com") == ids(people_tickets["carla"])
    assert find("-submitter:agent@helpdesk.test") == ids(people_tickets["carla"])


def test_cc(people_tickets, find):
    assert find("cc:diego@example.net") == ids(people_tickets["ana_cc"], people_tickets["diego_cc"])
    assert find("cc:carla@example.com") == ids(people_tickets["ana_cc"])
    assert find("cc:none") == ids(people_tickets["ana"], people_tickets["carla"])
    assert find("-cc:diego@example.net") == ids(people_tickets["ana"], people_tickets["carla"])


def test_cc_added_by_an_update(people_tickets, agent, cc_users, find):
    carla = cc_users[0]
    update_ticket(
        people_tickets["ana"],
        actor=agent,
        via=Via.WEB,
        fields={"additional_email_cc_ids": [carla.pk]},
    )
    assert find("cc:carla@example.com") == ids(people_tickets["ana"], people_tickets["ana_cc"])


def test_commenter(people_tickets, requester, find):
    update_ticket(
        people_tickets["diego_cc"],
        actor=requester,
        via=Via.EMAIL,
        comment=CommentInput(body="Yo también lo veo."),
    )
    assert find("commenter:ana@example.com") == ids(people_tickets["diego_cc"])
    assert find("commenter:carla@example.com") == ids(people_tickets["carla"])


def test_unknown_person_finds_nothing(people_tickets, find):
    assert find("requester:nobody@example.org") == set()
    assert find("-requester:nobody@example.org") == {t.pk for t in people_tickets.values()}
    assert find("cc:nobody@example.org") == set()


def test_many_matching_people_stay_a_subquery(people_tickets, monkeypatch, find):
    monkeypatch.setattr("buzon.search.compiler.MAX_LISTED_USERS", 1)
    # "c" is in the names of Ana Cliente, Carla CC and Diego CC.
    assert find("requester:c") == {t.pk for t in people_tickets.values()}
    assert find("-requester:c") == set()
    assert find("cc:c") == ids(people_tickets["ana_cc"], people_tickets["diego_cc"])
    assert find("requester:ana@example.com") == ids(people_tickets["ana"], people_tickets["ana_cc"])


# --- Groups and organizations -------------------------------------------------------


def test_group_and_organization(make_ticket, billing, acme, requester, find):
    requester.organization = acme
    requester.save()
    in_billing = make_ticket("Factura", group_id=billing.pk)
    from_acme = make_ticket("Envío", requester_id=requester.pk)
    neither = make_ticket("Otro")
    assert find("group:billing") == ids(in_billing)
    assert find(f"group:{billing.pk}") == ids(in_billing)
    assert find("group:none") == ids(from_acme, neither)
    assert find('organization:"acme logistics"') == ids(from_acme)
    assert find("organization:acme") == ids(from_acme)
    assert find("organization:none") == ids(in_billing, neither)
    assert find("-organization:acme") == ids(in_billing, neither)


# --- Dates --------------------------------------------------------------------------


@pytest.fixture
def dated(make_ticket):
    times = {
        "dec31": datetime(2025, 12, 31, 23, 59, tzinfo=UTC),
        "jan1_morning": datetime(2026, 1, 1, 8, 0, tzinfo=UTC),
        "jan1_night": datetime(2026, 1, 1, 23, 30, tzinfo=UTC),
        "jan2": datetime(2026, 1, 2, 0, 0, tzinfo=UTC),
        "feb": datetime(2026, 2, 15, 12, 0, tzinfo=UTC),
    }
    tickets = {}
    for name, moment in times.items():
        tickets[name] = make_ticket(name)
        set_times(tickets[name], created=moment, updated=moment + timedelta(days=30))
    return tickets


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("created>2026-01-01", {"jan2", "feb"}),
        ("created>=2026-01-01", {"jan1_morning", "jan1_night", "jan2", "feb"}),
        ("created<2026-01-01", {"dec31"}),
        ("created<=2026-01-01", {"dec31", "jan1_morning", "jan1_night"}),
        ("created:2026-01-01", {"jan1_morning", "jan1_night"}),
        ("created:2025-12-31 created:2026-01-02", {"dec31", "jan2"}),
        ("created>2025-12-31 created<2026-02-01", {"jan1_morning", "jan1_night", "jan2"}),
        ("-created:2026-01-01", {"dec31", "jan2", "feb"}),
        ("created_at>2026-01-01T12:00Z", {"jan1_night", "jan2", "feb"}),
        ("created:2026-01-01T08:00Z", {"jan1_morning"}),
        ("created<2026-01-01T10:00+02:00", {"dec31"}),
        ("created<=2026-01-01T10:00+02:00", {"dec31", "jan1_morning"}),
        ("updated>2026-01-31", {"jan2", "feb"}),
        ("updated_at<2026-01-31", {"dec31"}),
    ],
)
def test_dates(dated, find, query, expected):
    assert find(query) == {dated[name].pk for name in expected}


def test_days_are_the_searchers_days(dated, agent, find):
    agent.time_zone = "America/Mexico_City"  # UTC-6 all year
    agent.save()
    # 2026-01-02T00:00Z is 18:00 on January 1st in Mexico City.
    assert find("created:2026-01-01", user=agent) == ids(
        dated["jan1_morning"], dated["jan1_night"], dated["jan2"]
    )
    assert find("created:2026-01-02", user=agent) == set()
    agent.time_zone = "Not/AZone"  # falls back to the server's zone, UTC
    agent.save()
    assert find("created:2026-01-02", user=agent) == ids(dated["jan2"])


def test_times_ago(make_ticket, find):
    now = timezone.now()
    recent = make_ticket("Hace una hora")
    set_times(recent, created=now - timedelta(hours=1), updated=now - timedelta(minutes=5))
    older = make_ticket("Hace tres días")
    set_times(older, created=now - timedelta(days=3), updated=now - timedelta(days=3))
    ancient = make_ticket("Hace dos años")
    set_times(ancient, created=now - timedelta(days=800), updated=now - timedelta(days=800))
    assert find("created>4hours") == ids(recent)
    assert find("created<4hours") == ids(older, ancient)
    assert find("updated<2days") == ids(older, ancient)
    assert find("updated>10minutes") == ids(recent)
    assert find("created>1week created<2hours") == ids(older)
    assert find("created<2years") == ids(ancient)


# --- Free text ----------------------------------------------------------------------


@pytest.fixture
def texts(make_ticket, agent, requester):
    invoice = make_ticket(
        "Factura duplicada", "Nos cobraron dos veces la misma factura.", actor=requester
    )
    printer = make_ticket("Impresora", "La impresora no imprime.", actor=requester)
    update_ticket(
        printer,
        actor=agent,
        via=Via.WEB,
        comment=CommentInput(body="Reinstalé el controlador quokka y ya funciona."),
    )
    shipping = make_ticket("Envío retrasado", "El paquete sigue en aduana.", actor=requester)
    update_ticket(
        shipping,
        actor=agent,
        via=Via.WEB,
        comment=CommentInput(
            body="Nota interna: el transportista wombat perdió el paquete.", public=False
        ),
    )
    return {"invoice": invoice, "printer": printer, "shipping": shipping}


def test_a_word_only_in_a_later_comment(texts, find):
    assert find("quokka") == ids(texts["printer"])
    assert find("Quokka") == ids(texts["printer"])


def test_a_word_in_the_subject_or_the_description(texts, find):
    assert find("factura") == ids(texts["invoice"])
    assert find("aduana") == ids(texts["shipping"])


def test_every_word_must_be_found_somewhere_in_the_ticket(texts, find):
    assert find("impresora quokka") == ids(texts["printer"])
    assert find("impresora aduana") == set()


def test_phrases(texts, find):
    assert find('"misma factura"') == ids(texts["invoice"])
    assert find('"factura misma"') == set()


def test_prefix(texts, find):
    assert find("impres*") == ids(texts["printer"])


def test_excluded_word(texts, find):
    assert find("-paquete") == ids(texts["invoice"], texts["printer"])
    assert find('-"misma factura"') == ids(texts["printer"], texts["shipping"])


def test_subject_keyword_only_looks_at_the_subject(texts, find):
    assert find("subject:impresora") == ids(texts["printer"])
    assert find("subject:quokka") == set()
    assert find('subject:"factura duplicada"') == ids(texts["invoice"])


def test_private_notes_are_searched_for_agents_only(texts, requester, find):
    assert find("wombat") == ids(texts["shipping"])
    assert find("wombat", user=requester) == set()
    assert not compile_tickets("wombat", user=None).exists()
    assert find("paquete", user=requester) == ids(texts["shipping"])


def test_text_combines_with_keywords(texts, find):
    assert find("factura requester:ana@example.com") == ids(texts["invoice"])
    assert find("factura -requester:ana@example.com") == set()


# --- Ids ----------------------------------------------------------------------------


def test_ids(make_ticket, find):
    first, second, third = (make_ticket(f"T{i}") for i in range(3))
    assert find(f"#{first.pk}") == ids(first)
    assert find(str(second.pk)) == ids(second)
    assert find(f"#{first.pk} #{third.pk}") == ids(first, third)
    assert find(f"-#{first.pk}") == ids(second, third)
    assert find(second.encoded_id) == ids(second)
    assert find("#987654321") == set()


# --- Order --------------------------------------------------------------------------


def test_default_order_is_most_recently_updated_first(make_ticket, agent):
    first, second, third = (make_ticket(f"T{i}") for i in range(3))
    update_ticket(second, actor=agent, via=Via.WEB, fields={"status": Status.OPEN})
    assert list(compile_tickets("", user=agent)) == [second, third, first]


def test_order_by_created_sort_asc(make_ticket, agent):
    tickets = [make_ticket(f"T{i}") for i in range(3)]
    base = datetime(2026, 1, 1, tzinfo=UTC)
    for days, ticket in zip([3, 1, 2], tickets, strict=True):
        set_times(ticket, created=base + timedelta(days=days))
    ordered = compile_tickets("order_by:created_at sort:asc", user=agent)
    assert list(ordered) == [tickets[1], tickets[2], tickets[0]]
    ordered = compile_tickets("order_by:created_at", user=agent)
    assert list(ordered) == [tickets[0], tickets[2], tickets[1]]


def test_order_by_priority_uses_its_natural_order(make_ticket, agent):
    high = make_ticket("High", priority=Priority.HIGH)
    unset = make_ticket("None")
    low = make_ticket("Low", priority=Priority.LOW)
    urgent = make_ticket("Urgent", priority=Priority.URGENT)
    descending = compile_tickets("order_by:priority sort:desc", user=agent)
    assert list(descending) == [urgent, high, low, unset]
    assert list(compile_tickets("sort_by:priority sort_order:asc", user=agent)) == [
        unset,
        low,
        high,
        urgent,
    ]


def test_order_by_status_and_ticket_type(make_ticket, agent):
    solved = make_ticket("Solved", status=Status.SOLVED, type=TicketType.TASK)
    new = make_ticket("New", type=TicketType.QUESTION)
    pending = make_ticket("Pending", status=Status.PENDING, type=TicketType.PROBLEM)
    assert list(compile_tickets("order_by:status sort:asc", user=agent)) == [new, pending, solved]
    assert list(compile_tickets("order_by:ticket_type", user=agent)) == [solved, pending, new]


# --- The rest of the API ------------------------------------------------------------


def test_base_limits_what_can_be_found(tagged, agent):
    mine = Ticket.objects.filter(pk__in=ids(tagged["vip"], tagged["billing"]))
    found = compile_tickets("tags:billing tags:vip", user=agent, base=mine)
    assert set(found) == {tagged["vip"], tagged["billing"]}


def test_a_user_query_finds_no_tickets(tagged, agent):
    assert list(compile_tickets("type:user", user=agent)) == []


def test_search_and_count(tagged, agent):
    result = search(f"tags:{FAILURE_TAG} status<solved", user=agent)
    assert result.query.types == {"ticket"}
    assert set(result.tickets) == {tagged["failing_open"], tagged["failing_pending"]}
    assert list(result.users) == []
    assert (result.ticket_count, result.user_count, result.count) == (2, 0, 2)
    assert count("tags:billing", agent) == 2


def test_search_finds_tickets_and_users_for_plain_text(make_ticket, agent):
    make_ticket("Problema con Rosa")
    User.objects.create_user("rosa@example.com", "Rosa Clienta", role=Role.END_USER)
    result = search("rosa", user=agent)
    assert (result.ticket_count, result.user_count) == (1, 1)
