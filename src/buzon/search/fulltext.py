"""Free text as conditions on tickets, answered from the search index (`search.models`).

`tickets_with_text(text, public_only=…, subject_only=…)` is a `Q` that holds for the
tickets whose subject or comments contain `text`: a word, a `prefix*` or a "phrase".
How it is answered depends on the database:

- PostgreSQL: on the stored tsvectors and their GIN index
  (`text @@ plainto_tsquery('simple', 'w')`), in one of three shapes chosen while
  compiling. A word the statistics know as common (in many documents, see
  `DocumentStatistics.common`): `EXISTS (SELECT 1 FROM search_document WHERE
  ticket_id = ticket.id AND …)`, which PostgreSQL answers by walking the tickets in
  the requested order and checking each one's documents. Otherwise the matching
  rows are looked up: up to LISTED_DOCUMENTS of them, their tickets' ids go into the
  query (`id = ANY(…)`); more, and the query reads them from the index in a subquery
  (`id = ANY(ARRAY(SELECT ticket_id …))`). The rows are the tickets' words
  (`search_ticketwords`, one row per ticket, no positions) for a word or a prefix,
  and the documents for a phrase (found within one text) or `subject:`.
- SQLite: `ticket.id IN (SELECT rowid >> 21 FROM search_document_fts WHERE
  search_document_fts MATCH '"w"')`. The trigram index finds any substring of three
  characters or more; the ticket and the visibility come from the row id
  (`search.models.document_id`), so no other table is read. Shorter text cannot be
  looked up in a trigram index and is matched with LIKE over every document.

`SearchText(text)` is the value to store in `Document.text`.
"""

from __future__ import annotations

import bisect
import json
import math
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import BooleanField, Exists, F, Func, OuterRef, Q, TextField, Value
from django.db.models.expressions import RawSQL

from buzon.search.models import TICKET_SHIFT, Document, TicketWords
from buzon.search.parser import Text
from buzon.tickets.models import Ticket

# Only the first 100,000 characters of a text go into a tsvector: a tsvector holds at
# most 1 MB, and a long pasted log could otherwise make saving its comment fail.
INDEXED_LENGTH = 100_000
FTS_TABLE = "search_document_fts"
# PostgreSQL: up to this many matching documents, their tickets' ids are written into
# the query; more are read in a subquery, unless the word is common (see
# DocumentStatistics.common), when the query asks for each ticket (EXISTS).
LISTED_DOCUMENTS = 2000
COMMON_FACTOR = 100
# How long PostgreSQL's statistics of the documents are kept before being read again.
STATISTICS_AGE = 600.0
# The trigram tokenizer indexes every run of three characters; shorter text has none.
MIN_TRIGRAM_LENGTH = 3
# The position and visibility bits of a document id: all zero for a subject.
LOW_BITS = (1 << TICKET_SHIFT) - 1
DOCUMENT_TABLE = Document._meta.db_table
WORDS_TABLE = TicketWords._meta.db_table


class SearchText(Func):
    """The stored form of a text: its tsvector on PostgreSQL, the text itself elsewhere."""

    output_field = TextField()

    def __init__(self, text: str) -> None:
        super().__init__(Value(text, output_field=TextField()))

    # Writes its own SQL, so it takes none of Func.as_sql's template arguments.
    def as_sql(self, compiler: Any, connection: Any, **extra_context: Any) -> tuple[str, list]:  # type: ignore[override]
        (value,) = self.get_source_expressions()
        return compiler.compile(value)

    def as_postgresql(
        self, compiler: Any, connection: Any, **extra_context: Any
    ) -> tuple[str, list]:
        (value,) = self.get_source_expressions()
        sql, params = compiler.compile(value)
        return f"to_tsvector('simple'::regconfig, left({sql}, {INDEXED_LENGTH}))", params


class VectorMatch(Func):
    """PostgreSQL: `document.text @@ <the tsquery for text>`."""

    output_field = BooleanField()

    def __init__(self, text: Text) -> None:
        super().__init__(F("text"))
        self.text = text

    # Writes its own SQL, so it takes none of Func.as_sql's template arguments.
    def as_sql(self, compiler: Any, connection: Any, **extra_context: Any) -> tuple[str, list]:  # type: ignore[override]
        (column,) = self.get_source_expressions()
        column_sql, params = compiler.compile(column)
        query_sql, query_param = tsquery(self.text)
        return f"{column_sql} @@ {query_sql}", [*params, query_param]


def tsquery(text: Text) -> tuple[str, str]:
    """The SQL and the parameter of the tsquery that finds `text` (PostgreSQL)."""
    if text.phrase:
        return "phraseto_tsquery('simple'::regconfig, %s)", text.text
    if text.prefix:
        # A quoted lexeme (quotes doubled, backslashes escaped) cannot break
        # to_tsquery's syntax, whatever the word holds.
        escaped = text.text.replace("\\", "\\\\").replace("'", "''")
        return "to_tsquery('simple'::regconfig, %s)", f"'{escaped}':*"
    return "plainto_tsquery('simple'::regconfig, %s)", text.text


def tickets_with_text(text: Text, *, public_only: bool, subject_only: bool = False) -> Q:
    """Tickets whose subject (or, unless `subject_only`, a comment) contains `text`.

    `public_only` leaves private notes out (what end users may search).
    """
    if connection.vendor != "postgresql":
        return Q(pk__in=RawSQL(*_fts_ticket_ids(text, public_only, subject_only)))
    documents = Document.objects.filter(VectorMatch(text))
    if subject_only:
        documents = documents.filter(comment__isnull=True)
    elif public_only:
        documents = documents.filter(public=True)
    words = not text.phrase and not subject_only
    statistics = word_statistics() if words else document_statistics()
    if words and not statistics.common(text):
        return _tickets_with_words(text, public_only)
    # A phrase is matched within one text, and `subject:` in the subject alone: both
    # against the documents, which keep each text's words and their positions. So is
    # a common word: checking a ticket's documents one by one stops at the first
    # that has it, without reading all of the ticket's words.
    if statistics.common(text):
        # Walking the tickets in the requested order and checking each one's
        # documents finds a page (or the first 1,001) of matches sooner than
        # reading every matching document.
        return Q(Exists(documents.filter(ticket=OuterRef("pk"))))
    if not text.phrase and statistics.documents_with(text) > LISTED_DOCUMENTS:
        # The statistics already say there are too many to list: looking them up
        # would read LISTED_DOCUMENTS documents only to learn that. (A phrase's
        # figure is its least common word's, an upper bound, so it is looked up.)
        return _read_in_subquery(documents)
    # Looked up now, while compiling. PostgreSQL cannot tell a word in fifty
    # comments from one in five thousand when neither is among the most common
    # words it keeps statistics for (it assumes half as many as the rarest of those),
    # and for a rare word taken for a common one it walks every ticket newest first
    # looking for a page of matches. A few matches go into the query as ids; more
    # are read from the index in a subquery the planner cannot turn into that walk.
    first = list(documents.order_by().values_list("ticket_id", flat=True)[: LISTED_DOCUMENTS + 1])
    if len(first) <= LISTED_DOCUMENTS:
        return Q(AnyOf("pk", sorted(set(first))))
    return _read_in_subquery(documents)


def _tickets_with_words(text: Text, public_only: bool) -> Q:
    """PostgreSQL: tickets with a word or prefix that is not common, from the
    tickets' words (`TicketWords`): listed while compiling or read in a subquery,
    as the statistics of the words suggest (as above)."""
    sql, params = _ticket_ids_with_words(text, public_only)
    if word_statistics().documents_with(text) > LISTED_DOCUMENTS:
        return Q(IdsFromSubquery("pk", sql, params))
    with connection.cursor() as cursor:
        cursor.execute(f"{sql} LIMIT {LISTED_DOCUMENTS + 1}", params)
        first = [ticket_id for (ticket_id,) in cursor.fetchall()]
    if len(first) <= LISTED_DOCUMENTS:
        return Q(AnyOf("pk", sorted(set(first))))
    return Q(IdsFromSubquery("pk", sql, params))


def _ticket_ids_with_words(text: Text, public_only: bool) -> tuple[str, list[str]]:
    """The SQL that reads the ids of the tickets with `text` in their words, or in
    their documents for the few tickets whose words are incomplete (too many to
    hold; a partial index lists them), so that every word stays findable."""
    query_sql, query_param = tsquery(text)
    column = "public_words" if public_only else "words"
    public = " AND d.public" if public_only else ""
    return (
        f"SELECT ticket_id FROM {WORDS_TABLE} WHERE {column} @@ {query_sql} UNION ALL "
        f"SELECT w.ticket_id FROM {WORDS_TABLE} w WHERE NOT w.complete AND EXISTS ("
        f"SELECT 1 FROM {DOCUMENT_TABLE} d WHERE d.ticket_id = w.ticket_id{public} "
        f"AND d.text @@ {query_sql})"
    ), [query_param, query_param]


def _read_in_subquery(documents: Any) -> Q:
    """Tickets with one of `documents`, read from the index in a subquery."""
    sql, params = documents.order_by().values("ticket_id").query.sql_with_params()
    return Q(IdsFromSubquery("pk", sql, params))


# True while PostgreSQL's planner is asked for an estimate (see IdsFromSubquery).
_estimating: ContextVar[bool] = ContextVar("estimating", default=False)


@contextmanager
def estimating() -> Iterator[None]:
    """Within this, queries are written for PostgreSQL's planner to estimate how
    many rows they return (`results.planner_estimate`), not to be run."""
    token = _estimating.set(True)
    try:
        yield
    finally:
        _estimating.reset(token)


class IdsFromSubquery(Func):
    """`column` is one of the values a subquery reads, written for PostgreSQL as
    `column = ANY(ARRAY(subquery))`: the subquery runs once, first, and the rows
    are then fetched by id (for a word in 6 % of 100,000 tickets, half the time of
    hashing every ticket against the matches, which is what the planner chooses for
    `column IN (subquery)`). The planner cannot tell how many
    values the array will hold, so for its estimate (`estimating()`) the same
    condition is written `column IN (subquery OFFSET 0)`, which it estimates from
    the index's statistics."""

    output_field = BooleanField()

    def __init__(self, column: str, sql: str, params: Sequence[Any]) -> None:
        super().__init__(F(column))
        self.sql = sql
        self.params = list(params)

    # Writes its own SQL, so it takes none of Func.as_sql's template arguments.
    def as_sql(self, compiler: Any, connection: Any, **extra_context: Any) -> tuple[str, list]:  # type: ignore[override]
        (column,) = self.get_source_expressions()
        column_sql, params = compiler.compile(column)
        if connection.vendor != "postgresql" or _estimating.get():
            return f"{column_sql} IN ({self.sql} OFFSET 0)", [*params, *self.params]
        return f"{column_sql} = ANY(ARRAY({self.sql}))", [*params, *self.params]


def int_array(values: Iterable[int]) -> str:
    """PostgreSQL's literal of an array of integers, `{1,2,3}`: with a thousand ids,
    a statement costs less than half the CPU it does with psycopg dumping a list."""
    return "{" + ",".join(str(int(value)) for value in values) + "}"


class AnyOf(Func):
    """`column` (an integer) is one of `values`, passed as one parameter however many
    there are: `column = ANY(%s::bigint[])` with an array literal on PostgreSQL,
    `column IN (SELECT value FROM json_each(%s))` with a JSON list elsewhere."""

    output_field = BooleanField()

    def __init__(self, column: str, values: list[int]) -> None:
        super().__init__(F(column))
        self.values = values

    # Writes its own SQL, so it takes none of Func.as_sql's template arguments.
    def as_sql(self, compiler: Any, connection: Any, **extra_context: Any) -> tuple[str, list]:  # type: ignore[override]
        (column,) = self.get_source_expressions()
        column_sql, params = compiler.compile(column)
        if connection.vendor == "postgresql":
            return f"{column_sql} = ANY(%s::bigint[])", [*params, int_array(self.values)]
        return (
            f"{column_sql} IN (SELECT value FROM json_each(%s))",
            [*params, json.dumps(self.values)],
        )


@dataclass
class DocumentStatistics:
    """What PostgreSQL's ANALYZE knows of the documents (pg_stats, pg_class): the
    most common lexemes with the share of documents holding each, and the sizes."""

    lexemes: list[str]  # sorted
    shares: list[float]  # in the order of `lexemes`
    documents: float
    tickets: float
    read_at: float

    def common(self, text: Text) -> bool:
        """Whether `text` is, by the statistics, in so many documents that walking
        the tickets finds matches sooner than reading every matching document: more
        than COMMON_FACTOR × √tickets (a walk costs about tickets / matches probes
        per match wanted, reading costs one fetch per matching document)."""
        found = self.documents_with(text)
        return found > COMMON_FACTOR * math.sqrt(max(self.tickets, 1.0))

    def documents_with(self, text: Text) -> float:
        """How many documents hold `text` by the statistics (0 when they do not say).

        For a prefix, the sum over the common lexemes it starts (at least that
        many); for a phrase, its least common word's (at most that many)."""
        words = text.text.lower().split()
        if not words:
            return 0.0
        if text.prefix:
            start = bisect.bisect_left(self.lexemes, words[0])
            share = 0.0
            for lexeme, lexeme_share in zip(self.lexemes[start:], self.shares[start:], strict=True):
                if not lexeme.startswith(words[0]):
                    break
                share += lexeme_share
        else:
            share = min(self._share(word) for word in words)
        return min(share, 1.0) * self.documents

    def _share(self, lexeme: str) -> float:
        index = bisect.bisect_left(self.lexemes, lexeme)
        if index < len(self.lexemes) and self.lexemes[index] == lexeme:
            return self.shares[index]
        return 0.0


_statistics: DocumentStatistics | None = None
_word_statistics: DocumentStatistics | None = None


def document_statistics() -> DocumentStatistics:
    """The documents' statistics, read again every STATISTICS_AGE seconds."""
    global _statistics
    if _statistics is None or time.monotonic() - _statistics.read_at > STATISTICS_AGE:
        _statistics = _read_statistics(Document._meta.db_table, "text")
    return _statistics


def word_statistics() -> DocumentStatistics:
    """The statistics of the tickets' words (`documents` is then the number of
    tickets with words), read again every STATISTICS_AGE seconds."""
    global _word_statistics
    if _word_statistics is None or time.monotonic() - _word_statistics.read_at > STATISTICS_AGE:
        _word_statistics = _read_statistics(TicketWords._meta.db_table, "words")
    return _word_statistics


def _read_statistics(table: str, column: str) -> DocumentStatistics:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT s.most_common_elems::text::text[], s.most_common_elem_freqs, "
            "(SELECT reltuples FROM pg_class WHERE oid = %s::regclass), "
            "(SELECT reltuples FROM pg_class WHERE oid = %s::regclass) "
            "FROM (SELECT 1) AS one LEFT JOIN pg_stats s ON s.schemaname = "
            "current_schema() AND s.tablename = %s AND s.attname = %s",
            [table, Ticket._meta.db_table, table, column],
        )
        lexemes, shares, documents, tickets = cursor.fetchone()
    pairs = sorted(zip(lexemes or [], shares or [], strict=False))
    return DocumentStatistics(
        lexemes=[lexeme for lexeme, _ in pairs],
        shares=[share for _, share in pairs],
        documents=max(float(documents or 0), 0.0),
        tickets=max(float(tickets or 0), 0.0),
        read_at=time.monotonic(),
    )


def _fts_ticket_ids(text: Text, public_only: bool, subject_only: bool) -> tuple[str, list]:
    """SQLite: the ids of the tickets with a matching document, from the FTS5 table."""
    if len(text.text) >= MIN_TRIGRAM_LENGTH:
        # An FTS5 string: the whole text, double quotes doubled, is one run of trigrams.
        match = '"' + text.text.replace('"', '""') + '"'
        where = " AND ".join([f"{FTS_TABLE} MATCH %s", *_kinds("rowid", public_only, subject_only)])
        return f"SELECT rowid >> {TICKET_SHIFT} FROM {FTS_TABLE} WHERE {where}", [match]
    escaped = text.text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    where = " AND ".join(["text LIKE %s ESCAPE '\\'", *_kinds("id", public_only, subject_only)])
    table = Document._meta.db_table
    return f"SELECT id >> {TICKET_SHIFT} FROM {table} WHERE {where}", [f"%{escaped}%"]


def _kinds(id_column: str, public_only: bool, subject_only: bool) -> list[str]:
    """Conditions on a document id: a subject has no low bits, a public text no low bit."""
    if subject_only:
        return [f"({id_column} & {LOW_BITS}) = 0"]
    if public_only:
        return [f"({id_column} & 1) = 0"]
    return []
