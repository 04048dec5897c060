"""Email addresses are one whatever their case: unique through a functional index on
LOWER(), found through that index, and the migration that adds it merges the people
and identities that differed only in case without losing what pointed at them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from buzon.api.people import user_by_email
from buzon.deliveries.suppression import reset_identities
from buzon.mail.inbound.routing import _user_for
from buzon.tickets.models import Role, User, UserIdentity

SRC = Path(__file__).resolve().parents[2] / "src" / "buzon"


def test_no_two_identities_or_users_differ_only_in_case(requester):
    with pytest.raises(IntegrityError), transaction.atomic():
        UserIdentity.objects.create(user=requester, value="ANA@example.com")
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(email="Ana@Example.COM", name="Ana again")


def test_an_agent_signs_in_with_their_address_in_any_case(db):
    User.objects.create_user(
        "alicia@helpdesk.test", "Alicia", password="correct-horse-battery", role=Role.AGENT
    )
    response = Client().post(
        "/login/", {"username": "Alicia@HelpDesk.TEST", "password": "correct-horse-battery"}
    )
    assert response.status_code == 302


def test_no_email_look_up_is_left_that_cannot_use_the_index():
    offenders = [
        f"{path.relative_to(SRC)}:{n}"
        for path in SRC.rglob("*.py")
        if "migrations" not in path.parts
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if re.search(r"(email|value)__iexact|\"iexact\"", line)
    ]
    assert offenders == []


def explain(sql: str) -> str:
    prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN "
    with connection.cursor() as cursor:
        cursor.execute(prefix + sql)
        return "\n".join(" ".join(str(c) for c in row) for row in cursor.fetchall())


@pytest.fixture
def many_people(db) -> None:
    """Enough people that a full scan would cost more than the index."""
    users = User.objects.bulk_create(
        User(email=f"person{n}@example{n % 50}.com", name=f"P{n}", password="!")
        for n in range(3000)
    )
    UserIdentity.objects.bulk_create(
        UserIdentity(user=u, value=u.email, primary=True) for u in users
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def test_the_hot_paths_find_addresses_through_the_index(many_people):
    with CaptureQueriesContext(connection) as queries:
        assert _user_for("PERSON17@example17.com", "").email == "person17@example17.com"
        assert user_by_email("Person18@EXAMPLE18.com").pk
        reset_identities(["PERSON19@example19.com"])
    lookups = [q["sql"] for q in queries.captured_queries if "LOWER(" in q["sql"]]
    assert len(lookups) >= 3
    for sql in lookups:
        plan = explain(sql)
        if connection.vendor == "sqlite":
            assert re.search(
                r"USING (COVERING )?INDEX unique_(identity_value|user_email)_any_case", plan
            ), plan
        else:
            assert re.search(
                r"Index (Only )?Scan using unique_(identity_value|user_email)_any_case", plan
            ), plan
        assert "SCAN tickets_" not in plan and "Seq Scan" not in plan, plan


# ----------------------------------------------------------------------- migration

BEFORE = ("tickets", "0002_deliverycomplaint_event")
AFTER = ("tickets", "0004_identities_any_case")


# serialized_rollback: the database is restored as the suite found it (content types
# included) for the tests that come after.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_migration_merges_case_duplicates_and_keeps_what_pointed_at_them():
    MigrationExecutor(connection).migrate([BEFORE])
    try:
        ids = _duplicates_before(_applied_state())
        MigrationExecutor(connection).migrate([AFTER])
        _check_merged(_applied_state(), ids)
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())


def _applied_state():
    """The models as the applied migrations of every app leave them."""
    loader = MigrationExecutor(connection).loader
    return loader.project_state(list(loader.applied_migrations)).apps


def _duplicates_before(apps) -> dict[str, int]:
    User = apps.get_model("tickets", "User")
    Identity = apps.get_model("tickets", "UserIdentity")
    Ticket = apps.get_model("tickets", "Ticket")
    Comment = apps.get_model("tickets", "Comment")
    Delivery = apps.get_model("deliveries", "Delivery")
    EmailNotification = apps.get_model("deliveries", "EmailNotification")
    Notification = apps.get_model("tickets", "Notification")
    Audit = apps.get_model("tickets", "Audit")
    AuditEvent = apps.get_model("tickets", "AuditEvent")
    Recipient = apps.get_model("tickets", "NotificationRecipient")

    agent = User.objects.create(email="alicia@helpdesk.test", name="Alicia", role="agent")
    ana = User.objects.create(email="ana@example.com", name="Ana", password="!")
    ana_upper = User.objects.create(email="ANA@example.com", name="ANA", password="!")
    for user in (agent, ana, ana_upper):
        Identity.objects.create(user=user, value=user.email, primary=True)
    # Ana's second address, and the same one again in another case.
    Identity.objects.create(user=ana, value="ana.work@example.org")
    Identity.objects.create(
        user=ana, value="Ana.Work@Example.org", deliverable_state="undeliverable",
        undeliverable_count=3,
    )  # fmt: skip
    ticket = Ticket.objects.create(
        subject="From ANA", requester=ana_upper, submitter=ana_upper, encoded_id="ABCDEF-GHJK"
    )
    ticket.email_ccs.add(ana)
    other = Ticket.objects.create(
        subject="Copied", requester=agent, submitter=agent, encoded_id="ABCDEF-GHJM"
    )
    other.email_ccs.add(ana, ana_upper)  # both: becomes one CC
    comment = Comment.objects.create(ticket=ticket, author=ana_upper, body="hola", html_body="")
    audit = Audit.objects.create(ticket=ticket, author=ana_upper, via="email")
    event = AuditEvent.objects.create(audit=audit, type="Notification")
    notification = Notification.objects.create(
        ticket=ticket, event=event, comment=comment, subject="s", body="b"
    )
    recipient = Recipient.objects.create(
        notification=notification, user=ana_upper, email="ANA@example.com"
    )
    email = EmailNotification.objects.create(
        notification=notification, ticket=ticket, comment=comment, message_id="m@x", subject="s"
    )
    delivery = Delivery.objects.create(
        recipient=recipient, email_notification=email, ticket=ticket, user=ana_upper,
        email="ANA@example.com", return_token="abcdefghijklmnop", kind="to",
        expires_at=timezone.now(),
    )  # fmt: skip
    return {
        "agent": agent.pk, "ana": ana.pk, "ana_upper": ana_upper.pk, "ticket": ticket.pk,
        "other": other.pk, "comment": comment.pk, "audit": audit.pk,
        "recipient": recipient.pk, "delivery": delivery.pk,
    }  # fmt: skip


def _check_merged(apps, ids: dict[str, int]) -> None:
    User = apps.get_model("tickets", "User")
    Identity = apps.get_model("tickets", "UserIdentity")
    Ticket = apps.get_model("tickets", "Ticket")
    # Ana (the older end user) is kept; ANA's rows are hers now, nothing was deleted.
    assert set(User.objects.values_list("pk", flat=True)) == {ids["agent"], ids["ana"]}
    ana = ids["ana"]
    ticket = Ticket.objects.get(pk=ids["ticket"])
    assert (ticket.requester_id, ticket.submitter_id) == (ana, ana)
    assert list(ticket.email_ccs.values_list("pk", flat=True)) == [ana]
    assert list(Ticket.objects.get(pk=ids["other"]).email_ccs.values_list("pk", flat=True)) == [ana]
    assert apps.get_model("tickets", "Comment").objects.get(pk=ids["comment"]).author_id == ana
    assert apps.get_model("tickets", "Audit").objects.get(pk=ids["audit"]).author_id == ana
    recipient = apps.get_model("tickets", "NotificationRecipient").objects.get(pk=ids["recipient"])
    assert recipient.user_id == ana
    assert apps.get_model("deliveries", "Delivery").objects.get(pk=ids["delivery"]).user_id == ana
    identities = {
        i.value: (i.primary, i.deliverable_state, i.undeliverable_count)
        for i in Identity.objects.filter(user_id=ana)
    }
    assert identities == {
        "ana@example.com": (True, "deliverable", 0),
        "ana.work@example.org": (False, "undeliverable", 3),
    }
