"""The search index: kept in step by every change, rebuilt by `buzon search reindex`,
filled by its migration, and touched only when text changes."""

from __future__ import annotations

import sqlite3
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test.utils import CaptureQueriesContext

from buzon.rules.standard import FAILURE_TAG
from buzon.search import compile_tickets
from buzon.search.apps import fts5_problem
from buzon.search.models import Document
from buzon.tickets.models import Comment, Ticket, Via
from buzon.tickets.services import CommentInput, create_ticket, update_ticket

pytestmark = pytest.mark.django_db


def found(text: str, user) -> set[int]:
    return set(compile_tickets(text, user=user).values_list("pk", flat=True))


def test_a_new_ticket_is_found_by_its_subject_and_description(agent, requester):
    ticket = create_ticket(
        actor=requester,
        via=Via.EMAIL,
        fields={"subject": "Paquete retenido"},
        comment=CommentInput(body="Sigue en la aduana de Valencia."),
    )
    assert found("retenido", agent) == {ticket.pk}
    assert found("Valencia", agent) == {ticket.pk}
    assert Document.objects.filter(ticket=ticket).count() == 2


def test_a_comment_is_found_once_added_and_private_notes_only_by_agents(ticket, agent, requester):
    assert found("ornitorrinco", agent) == set()
    update_ticket(ticket, actor=agent, via=Via.WEB, comment=CommentInput(body="ornitorrinco"))
    update_ticket(
        ticket, actor=agent, via=Via.WEB, comment=CommentInput(body="equidna", public=False)
    )
    update_ticket(ticket, actor=requester, via=Via.EMAIL, comment=CommentInput(body="tapir"))
    assert found("ornitorrinco", agent) == found("tapir", agent) == {ticket.pk}
    assert found("equidna", agent) == {ticket.pk}
    assert found("equidna", requester) == set()
    assert found("tapir", requester) == {ticket.pk}
    # Every comment has its document, each at its own place in the ticket.
    comments = Comment.objects.filter(ticket=ticket).count()
    assert Document.objects.filter(ticket=ticket, comment__isnull=False).count() == comments == 4


def test_a_new_subject_replaces_the_old_one(ticket, agent):
    assert found("subject:duplicada", agent) == {ticket.pk}
    update_ticket(ticket, actor=agent, via=Via.WEB, fields={"subject": "Cobro en dólares"})
    assert found("subject:dólares", agent) == {ticket.pk}
    assert found("subject:duplicada", agent) == set()
    # The first comment still says "factura duplicada".
    assert found("duplicada", agent) == {ticket.pk}
    # A word only the old subject had is gone, from every form of the index.
    update_ticket(ticket, actor=agent, via=Via.WEB, fields={"subject": "Reembolso urgente"})
    assert found("dólares", agent) == set()
    assert found("reembolso", agent) == {ticket.pk}


def test_a_phrase_is_found_within_one_text_not_across_two(ticket, agent):
    update_ticket(ticket, actor=agent, via=Via.WEB, comment=CommentInput(body="Nos llegó un cobro"))
    update_ticket(ticket, actor=agent, via=Via.WEB, comment=CommentInput(body="doble de nuevo"))
    assert found("cobro doble", agent) == {ticket.pk}
    assert found('"cobro doble"', agent) == set()
    assert found('"un cobro"', agent) == {ticket.pk}


def test_changes_without_text_do_not_touch_the_index(ticket, agent):
    with CaptureQueriesContext(connection) as queries:
        update_ticket(
            ticket, actor=agent, via=Via.SYSTEM, fields={"additional_tags": [FAILURE_TAG]}
        )
    assert not [q for q in queries if "search_document" in q["sql"]]


def test_a_comment_costs_the_index_two_statements_and_one_for_its_words(ticket, agent):
    with CaptureQueriesContext(connection) as queries:
        update_ticket(ticket, actor=agent, via=Via.WEB, comment=CommentInput(body="hola"))
    assert len([q for q in queries if "search_document" in q["sql"]]) == 2
    # PostgreSQL adds the words to the ticket's words (search.models.TicketWords).
    words = [q for q in queries if "search_ticketwords" in q["sql"]]
    assert len(words) == (1 if connection.vendor == "postgresql" else 0)


def test_reindex_finds_what_was_written_behind_the_services_back(ticket, agent):
    # A bulk import writes comments without telling the index.
    Comment.objects.bulk_create(
        [Comment(ticket=ticket, author=agent, body="importado carpincho", html_body="")]
    )
    Ticket.objects.filter(pk=ticket.pk).update(subject="Asunto importado")
    assert found("carpincho", agent) == set()
    out = StringIO()
    call_command("search", "reindex", stdout=out)
    assert "indexed 3 subjects and comments" in out.getvalue()
    assert found("carpincho", agent) == {ticket.pk}
    assert found("subject:importado", agent) == {ticket.pk}
    assert found("subject:duplicada", agent) == set()
    # The index goes on from there.
    update_ticket(ticket, actor=agent, via=Via.WEB, comment=CommentInput(body="capibara"))
    assert found("capibara", agent) == {ticket.pk}
    assert Document.objects.filter(ticket=ticket).count() == 4


# serialized_rollback: the database is left as the suite found it (content types and
# the standard triggers included) for the tests that come after.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_migration_indexes_the_tickets_already_stored(agent, requester):
    old = create_ticket(
        actor=requester,
        via=Via.EMAIL,
        fields={"subject": "Ticket de antes"},
        comment=CommentInput(body="Escrito antes del índice: armadillo."),
    )
    update_ticket(
        old, actor=agent, via=Via.WEB, comment=CommentInput(body="nota pangolín", public=False)
    )
    executor = MigrationExecutor(connection)
    executor.migrate([("search", "0001_fulltext_indexes")])
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes("search"))
    assert found("armadillo", agent) == {old.pk}
    assert found("subject:antes", agent) == {old.pk}
    assert found("pangolín", agent) == {old.pk}
    assert found("pangolín", requester) == set()


class WithoutFts5:
    """Stands in for a sqlite3 built without FTS5 (none is installed here to run)."""

    def __init__(self, name: str) -> None:
        pass

    def __enter__(self) -> WithoutFts5:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def execute(self, sql: str) -> None:
        raise sqlite3.OperationalError("no such module: fts5")


def test_fts5_is_available_here_and_its_absence_is_explained():
    assert fts5_problem() is None
    problem = fts5_problem(WithoutFts5)
    assert problem is not None
    assert "FTS5" in problem and "trigram" in problem and sqlite3.sqlite_version in problem
    assert "no such module: fts5" in problem


def test_words_match_whatever_their_case_and_short_words_are_found(agent, requester):
    ticket = create_ticket(
        actor=requester,
        via=Via.EMAIL,
        fields={"subject": "ÉXITO TOTAL"},
        comment=CommentInput(body="Todo OK, gracias."),
    )
    assert found("éxito", agent) == {ticket.pk}
    assert found("ok", agent) == {ticket.pk}  # too short for SQLite's trigram index
    assert found("subject:total", agent) == {ticket.pk}
