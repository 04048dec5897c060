"""PostgreSQL only: free text is answered from the stored tsvectors and their GIN index."""

from __future__ import annotations

import secrets
import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from buzon.search import compile_tickets, fulltext, index
from buzon.search.fulltext import VectorMatch
from buzon.search.models import Document, TicketWords
from buzon.search.parser import Text
from buzon.tickets.models import Comment, Via
from buzon.tickets.services import CommentInput, create_ticket, update_ticket

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL full-text search"),
]


def test_the_index_exists_and_the_old_expression_indexes_are_gone():
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE indexname LIKE %s", ["search_%"])
        names = {row[0] for row in cursor.fetchall()}
    assert "search_document_text" in names
    assert not names & {"search_ticket_subject_fts", "search_comment_body_fts"}


@pytest.mark.parametrize("text", ["quokka", "dos veces", "quok"])
@pytest.mark.parametrize("kind", ["word", "phrase", "prefix"])
def test_the_match_can_use_the_index(ticket, text, kind):
    with connection.cursor() as cursor:
        # On a handful of rows a sequential scan is cheaper; forbid it to see that
        # the index serves the condition the compiler writes.
        cursor.execute("SET LOCAL enable_seqscan = off")
    match = VectorMatch(Text(text, phrase=kind == "phrase", prefix=kind == "prefix"))
    assert "search_document_text" in Document.objects.filter(match).explain()


@pytest.mark.parametrize("public_only", [False, True])
@pytest.mark.parametrize("kind", ["word", "prefix"])
def test_words_are_found_from_the_index_of_the_tickets_words(ticket, kind, public_only):
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        sql, params = fulltext._ticket_ids_with_words(
            Text("factura", prefix=kind == "prefix"), public_only
        )
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    words = "search_ticketwords_public" if public_only else "search_ticketwords_words"
    assert words in plan


def test_a_tickets_words_are_stored_out_of_line_without_positions(ticket):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT attname, attstorage FROM pg_attribute "
            "WHERE attrelid = 'search_ticketwords'::regclass AND attname LIKE '%%words'"
        )
        assert dict(cursor.fetchall()) == {"words": "e", "public_words": "e"}
        cursor.execute(
            "SELECT words::text FROM search_ticketwords WHERE ticket_id = %s", [ticket.pk]
        )
        (words,) = cursor.fetchone()
    assert words == "'ana' 'duplicada' 'factura' 'hemos' 'hola' 'la' 'visto'"


def test_no_comment_is_parsed_while_searching(ticket, agent):
    sql = str(compile_tickets("quokka", user=agent).query)
    assert "to_tsvector" not in sql and "tickets_comment" not in sql


def test_a_huge_comment_can_still_be_saved_and_found(ticket, agent):
    # About 1.7 MB of distinct words: more than a tsvector holds, had the index
    # covered the whole body.
    body = "quokka " + " ".join(secrets.token_hex(8) for _ in range(100_000))
    update_ticket(ticket, actor=agent, via=Via.WEB, comment=CommentInput(body=body))
    assert Comment.objects.filter(ticket=ticket).count() == 2
    assert list(compile_tickets("quokka", user=agent)) == [ticket]


@pytest.mark.parametrize("text", ["it's*", "a\\b*", "a&b|c*", "(x)*", "!!!", "'*", ":*"])
def test_awkward_words_do_not_break_tsquery(ticket, agent, text):
    list(compile_tickets(text, user=agent))


@pytest.fixture(params=["listed", "subquery", "exists"])
def shape(request, monkeypatch):
    """Each of the three ways free text can be asked for (see buzon.search.fulltext)."""
    if request.param == "subquery":
        monkeypatch.setattr(fulltext, "LISTED_DOCUMENTS", 0)
    if request.param == "exists":
        monkeypatch.setattr(fulltext.DocumentStatistics, "common", lambda self, text: True)
    return request.param


def test_every_shape_finds_the_same_tickets(shape, ticket, agent, requester):
    other = create_ticket(
        actor=requester,
        via=Via.EMAIL,
        fields={"subject": "Impresora atascada"},
        comment=CommentInput(body="La impresora no imprime dos veces."),
    )
    update_ticket(
        other, actor=agent, via=Via.WEB, comment=CommentInput(body="wombat", public=False)
    )

    def found(text: str, user=agent) -> set[int]:
        return set(compile_tickets(text, user=user).values_list("pk", flat=True))

    assert found("impresora") == {other.pk}
    assert found("factura") == {ticket.pk}
    assert found('"dos veces"') == {other.pk}
    assert found('"veces dos"') == set()
    assert found("impres*") == {other.pk}
    assert found("-impresora") == {ticket.pk}
    assert found("subject:atascada") == {other.pk}
    assert found("subject:imprime") == set()
    assert found("wombat") == {other.pk}
    assert found("wombat", requester) == set()
    assert found("impresora wombat") == {other.pk}


def test_a_ticket_whose_words_do_not_fit_is_found_from_its_documents(
    shape, ticket, agent, requester, monkeypatch
):
    monkeypatch.setattr(index, "WORDS_LIMIT", 40)
    update_ticket(ticket, actor=agent, via=Via.WEB, comment=CommentInput(body="uno dos tres"))
    update_ticket(
        ticket, actor=agent, via=Via.WEB, comment=CommentInput(body="wombat", public=False)
    )
    update_ticket(ticket, actor=agent, via=Via.WEB, comment=CommentInput(body="capibara"))
    words = TicketWords.objects.get(ticket=ticket)
    assert not words.complete

    def found(text: str, user=agent) -> set[int]:
        return set(compile_tickets(text, user=user).values_list("pk", flat=True))

    assert found("capibara") == found("wombat") == found("capib*") == {ticket.pk}
    assert found("capibara", requester) == {ticket.pk}
    assert found("wombat", requester) == set()
    assert found("-capibara") == set()
    # Made again from its documents, the words still do not fit.
    update_ticket(ticket, actor=agent, via=Via.WEB, fields={"subject": "Otro asunto"})
    assert not TicketWords.objects.get(ticket=ticket).complete
    assert found("capibara") == {ticket.pk}
    assert found("duplicada") == {ticket.pk}  # the first comment's
    monkeypatch.setattr(index, "WORDS_LIMIT", 1_000_000)
    update_ticket(ticket, actor=agent, via=Via.WEB, fields={"subject": "Asunto final"})
    assert TicketWords.objects.get(ticket=ticket).complete
    assert found("capibara") == found("final") == {ticket.pk}
    assert found("wombat", requester) == found("otro") == set()


def test_how_common_a_word_is_comes_from_the_statistics(ticket, agent):
    stats = fulltext.DocumentStatistics(
        lexemes=["de", "factura", "facturas", "quokka"],
        shares=[0.5, 0.1, 0.05, 0.0001],
        documents=1_000_000,
        tickets=100_000,
        read_at=0,
    )
    assert stats.common(Text("factura"))  # 100,000 documents > 100 × √100,000
    assert not stats.common(Text("quokka"))
    assert not stats.common(Text("unheard"))
    assert stats.documents_with(Text("factur", prefix=True)) == pytest.approx(150_000)
    assert stats.documents_with(Text("de factura", phrase=True)) == pytest.approx(100_000)


def test_a_word_the_statistics_know_as_frequent_is_not_looked_up_first(ticket, agent, monkeypatch):
    # In 10,000 documents by the statistics: more than can be listed, fewer than
    # make it common (100 × √100,000,000 tickets).
    stats = fulltext.DocumentStatistics(
        lexemes=["factura"],
        shares=[0.01],
        documents=1_000_000,
        tickets=100_000_000,
        read_at=time.monotonic(),
    )
    monkeypatch.setattr(fulltext, "_statistics", stats)
    monkeypatch.setattr(fulltext, "_word_statistics", stats)
    with CaptureQueriesContext(connection) as compiling:
        tickets = compile_tickets("factura", user=agent)
    assert len(compiling) == 0
    assert list(tickets) == [ticket]
    with CaptureQueriesContext(connection) as compiling:
        tickets = compile_tickets('"factura"', user=agent)
    assert len(compiling) == 1  # a phrase's figure is only an upper bound
    assert list(tickets) == [ticket]


def test_matches_read_in_a_subquery_are_estimated_from_the_statistics(
    agent, requester, monkeypatch
):
    """The subquery runs first and its tickets are fetched by id (an array the planner
    cannot size); the count above the limit is still the statistics' estimate."""
    from buzon.search import results as search_results

    monkeypatch.setattr(fulltext, "LISTED_DOCUMENTS", 0)
    monkeypatch.setattr(search_results, "COUNT_LIMIT", 3)
    for n in range(150):
        create_ticket(
            actor=requester,
            via=Via.EMAIL,
            fields={"subject": f"Pedido {n}"},
            comment=CommentInput(body="otra cosa" if n % 3 == 0 else "factura"),
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE search_document")
        cursor.execute("ANALYZE search_ticketwords")
        cursor.execute("ANALYZE tickets_ticket")
    tickets = compile_tickets("factura", user=agent)
    assert "= ANY(ARRAY(SELECT" in str(tickets.query)
    counted = search_results.bounded_count(tickets)
    assert not counted.exact
    # 100 tickets have the word; the planner's own guess for the array is 10.
    assert 30 <= counted.value <= 300
