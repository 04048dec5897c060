"""Free text as conditions on tickets, answered from the search index (`search.models`).

`tickets_with_text(text, public_only=…, subject_only=…)` is a `Q` that holds for the
tickets whose subject or comments contain `text`: a word, a `prefix*` or a "phrase".
How it is answered depends on the database:

- PostgreSQL: `EXISTS (SELECT 1 FROM search_document WHERE ticket_id = ticket.id AND
  text @@ plainto_tsquery('simple', 'w'))`, on the stored tsvectors and their GIN
  index. The planner picks per query: for a rare word it reads the few matching
  documents from the index; for a word in most tickets it walks the tickets in the
  requested order and checks each one's documents (by `ticket_id`), stopping at the
  end of the page.
- SQLite: `ticket.id IN (SELECT rowid >> 21 FROM search_document_fts WHERE
  search_document_fts MATCH '"w"')`. The trigram index finds any substring of three
  characters or more; the ticket and the visibility come from the row id
  (`search.models.document_id`), so no other table is read. Shorter text cannot be
  looked up in a trigram index and is matched with LIKE over every document.

`SearchText(text)` is the value to store in `Document.text`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import BooleanField, Exists, F, Func, OuterRef, Q, TextField, Value
from django.db.models.expressions import RawSQL

from buzon.search.models import TICKET_SHIFT, Document
from buzon.search.parser import Text

# Only the first 100,000 characters of a text go into a tsvector: a tsvector holds at
# most 1 MB, and a long pasted log could otherwise make saving its comment fail.
INDEXED_LENGTH = 100_000
FTS_TABLE = "search_document_fts"
# Up to this many matching documents, their tickets' ids are written into the query
# (PostgreSQL); above, the query asks for tickets with a matching document (EXISTS).
LISTED_DOCUMENTS = 10_000
# How long PostgreSQL's statistics of the documents are kept before being read again.
STATISTICS_AGE = 600.0
# The trigram tokenizer indexes every run of three characters; shorter text has none.
MIN_TRIGRAM_LENGTH = 3
# The position and visibility bits of a document id: all zero for a subject.
LOW_BITS = (1 << TICKET_SHIFT) - 1


class SearchText(Func):
    """The stored form of a text: its tsvector on PostgreSQL, the text itself elsewhere."""

    output_field = TextField()

    def __init__(self, text: str) -> None:
        super().__init__(Value(text, output_field=TextField()))

    def as_sql(self, compiler: Any, connection: Any, **extra_context: Any) -> tuple[str, list]:
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

    def as_sql(self, compiler: Any, connection: Any, **extra_context: Any) -> tuple[str, list]:
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
    if not _common_in_statistics(text):
        # Looked up now, while compiling: PostgreSQL's statistics cannot tell a word
        # in fifty comments from one in five thousand (a word outside its list of
        # most common ones is estimated as half as frequent as the rarest one in it),
        # and for a rare word taken for a common one it walks every ticket newest
        # first looking for a page of matches. With the ids written into the query
        # it knows how many there are.
        found = documents.order_by().values_list("ticket_id", flat=True)
        first = list(found[: LISTED_DOCUMENTS + 1])
        if len(first) <= LISTED_DOCUMENTS:
            return Q(AnyOf("pk", sorted(set(first))))
    return Q(Exists(documents.filter(ticket=OuterRef("pk"))))


def _common_in_statistics(text: Text) -> bool:
    """Whether PostgreSQL's statistics say a word is in more than LISTED_DOCUMENTS
    documents (then its estimates are right, and looking it up would read them all)."""
    if text.phrase or text.prefix:
        return False
    share, documents = _lexeme_statistics()
    return share.get(text.text.lower(), 0.0) * documents > LISTED_DOCUMENTS


@dataclass
class _Statistics:
    share: dict[str, float]
    documents: float
    read_at: float


_statistics: _Statistics | None = None


def _lexeme_statistics() -> tuple[dict[str, float], float]:
    """The most common lexemes of the documents with the share of documents holding
    each (what ANALYZE keeps in pg_stats), and how many documents there are; read
    again every STATISTICS_AGE seconds."""
    global _statistics
    now = time.monotonic()
    if _statistics is None or now - _statistics.read_at > STATISTICS_AGE:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT s.most_common_elems::text::text[], s.most_common_elem_freqs, "
                "c.reltuples FROM pg_stats s JOIN pg_class c ON c.relname = s.tablename "
                "WHERE s.tablename = %s AND s.attname = 'text' AND s.schemaname = "
                "current_schema()",
                [Document._meta.db_table],
            )
            row = cursor.fetchone()
        share: dict[str, float] = {}
        documents = 0.0
        if row and row[0] and row[1]:
            share = dict(zip(row[0], row[1], strict=False))
            documents = float(row[2])
        _statistics = _Statistics(share, documents, now)
    return _statistics.share, _statistics.documents


class AnyOf(Func):
    """`column = ANY(<an array parameter>)`: one parameter however many values."""

    output_field = BooleanField()

    def __init__(self, column: str, values: list[int]) -> None:
        super().__init__(F(column))
        self.values = values

    def as_sql(self, compiler: Any, connection: Any, **extra_context: Any) -> tuple[str, list]:
        (column,) = self.get_source_expressions()
        column_sql, params = compiler.compile(column)
        return f"{column_sql} = ANY(%s)", [*params, self.values]


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
