"""Keeping the search index in step with the tickets, and rebuilding it.

Every change that adds a comment or sets a subject goes through
`tickets.services`, which sends `tickets.signals.text_changed` inside the change's
transaction; `on_text_changed` writes the documents in that same transaction, so a
ticket is findable by its new text exactly when the change is visible. Data written
some other way (bulk imports, the benchmarks' generators) is indexed by `rebuild`,
which `buzon search reindex` runs.

On PostgreSQL each text also adds its words to its ticket's row of
`search_ticketwords` (`TicketWords`), in the same transaction: one more statement.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import connection, transaction
from django.db.models import Max

from buzon.search.fulltext import FTS_TABLE, INDEXED_LENGTH, SearchText
from buzon.search.models import (
    MAX_POSITION,
    TICKET_SHIFT,
    Document,
    TicketWords,
    document_id,
    ticket_id_range,
)
from buzon.tickets.models import Comment, Ticket

logger = logging.getLogger(__name__)


def on_text_changed(
    sender: Any,
    *,
    ticket: Ticket,
    comment: Comment | None = None,
    created: bool = False,
    subject_changed: bool = False,
    **kwargs: Any,
) -> None:
    """Receiver of `tickets.signals.text_changed`: one statement for a new ticket,
    one or two for a change (on PostgreSQL, one more for the ticket's words)."""
    if created:
        documents = [_subject_document(ticket)]
        texts = [(ticket.subject, True)]
        if comment is not None:
            documents.append(_comment_document(comment, position=1))
            texts.append((comment.body, comment.public))
        Document.objects.bulk_create(documents)
        add_words(ticket.pk, texts)
        return
    if subject_changed:
        index_subject(ticket)
    if comment is not None:
        index_comment(comment)


def index_subject(ticket: Ticket) -> None:
    """Store the ticket's current subject (replacing the one indexed before)."""
    subject = _subject_document(ticket)
    if not Document.objects.filter(pk=subject.pk).update(text=subject.text):
        subject.save(force_insert=True)
    if connection.vendor == "postgresql":
        # The old subject's words cannot be taken out of the ticket's words (a
        # comment may hold them too): they are made again from its documents.
        with connection.cursor() as cursor:
            cursor.execute(words_from_documents(one_ticket=True), [ticket.pk, ticket.pk])


def index_comment(comment: Comment) -> None:
    """Store a new comment, after the documents its ticket already has."""
    low, high = ticket_id_range(comment.ticket_id)
    last = Document.objects.filter(pk__range=(low, high)).aggregate(last=Max("pk"))["last"]
    position = 1 if last is None else ((last >> 1) & MAX_POSITION) + 1
    if position > MAX_POSITION:
        # A ticket of a million comments is a mail loop, not a conversation: the
        # comment is kept, only search stops looking into it.
        logger.warning("ticket %s has too many comments to index %s", comment.ticket_id, comment.pk)
        return
    _comment_document(comment, position).save(force_insert=True)
    add_words(comment.ticket_id, [(comment.body, comment.public)])


# PostgreSQL: a tsvector holds at most 1 MB (2**20 - 1 bytes) of words. A ticket's
# words stop growing below this many bytes (its size counts more than its words).
WORDS_LIMIT = 1_000_000
_WORDS_TABLE = TicketWords._meta.db_table
_DOCUMENTS_TABLE = Document._meta.db_table
_VECTOR = f"to_tsvector('simple'::regconfig, left(%s, {INDEXED_LENGTH}))"


def add_words(ticket_id: int, texts: list[tuple[str, bool]]) -> None:
    """PostgreSQL: add the words of `texts` ((text, public) pairs) to the ticket's
    words, in one statement. When they would not fit, the ticket's words stay as
    they were and are marked incomplete (searches then read its documents)."""
    if connection.vendor != "postgresql":
        return
    every = " || ".join(_VECTOR for _ in texts)
    public_texts = [text for text, public in texts if public]
    public = " || ".join(_VECTOR for _ in public_texts) or "''::tsvector"
    size = "pg_column_size(w.words) + pg_column_size(EXCLUDED.words)"
    fits = f"w.complete AND {size} < {WORDS_LIMIT}"
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {_WORDS_TABLE} AS w (ticket_id, words, public_words, complete) "
            f"VALUES (%s, strip({every}), strip({public}), true) "
            f"ON CONFLICT (ticket_id) DO UPDATE SET "
            f"words = CASE WHEN {fits} THEN w.words || EXCLUDED.words ELSE w.words END, "
            f"public_words = CASE WHEN {fits} THEN w.public_words || EXCLUDED.public_words "
            f"ELSE w.public_words END, "
            f"complete = {fits}",
            [ticket_id, *(text for text, _ in texts), *public_texts],
        )


def words_from_documents(*, one_ticket: bool = False) -> str:
    """PostgreSQL: the statement that makes the words of every ticket (or of one, its
    id given twice as parameters) from its documents. A ticket whose words would not
    fit in a tsvector gets none, marked incomplete (searches read its documents)."""
    if not one_ticket:
        ticket, where, group = "ticket_id", "", "GROUP BY d.ticket_id"
    else:
        ticket, where, group = "%s::bigint", "WHERE d.ticket_id = %s", ""
    fits = f"coalesce(size, 0) < {WORDS_LIMIT}"
    return (
        f"INSERT INTO {_WORDS_TABLE} AS w (ticket_id, words, public_words, complete) "
        f"SELECT {ticket}, "
        f"  CASE WHEN {fits} THEN coalesce(array_to_tsvector(every), '') ELSE '' END, "
        f"  CASE WHEN {fits} THEN coalesce(array_to_tsvector(public), '') ELSE '' END, "
        f"  {fits} "
        f"FROM ("
        f"  SELECT {'' if one_ticket else 'd.ticket_id, '}"
        f"    array_agg(DISTINCT word) AS every,"
        f"    array_agg(DISTINCT word) FILTER (WHERE d.public) AS public,"
        f"    sum(octet_length(word)) AS size"  # over repeated words too: an upper bound
        f"  FROM {_DOCUMENTS_TABLE} d, unnest(tsvector_to_array(d.text)) AS word"
        f"  {where} {group}"
        f") AS grouped "
        f"ON CONFLICT (ticket_id) DO UPDATE SET words = EXCLUDED.words, "
        f"public_words = EXCLUDED.public_words, complete = EXCLUDED.complete"
    )


def _subject_document(ticket: Ticket) -> Document:
    return Document(
        id=document_id(ticket.pk, 0, public=True),
        ticket_id=ticket.pk,
        comment=None,
        public=True,
        text=SearchText(ticket.subject),
    )


def _comment_document(comment: Comment, position: int) -> Document:
    return Document(
        id=document_id(comment.ticket_id, position, public=comment.public),
        ticket_id=comment.ticket_id,
        comment_id=comment.pk,
        public=comment.public,
        text=SearchText(comment.body),
    )


# --- Rebuilding ---------------------------------------------------------------------


def rebuild() -> int:
    """Make every document again from the tickets and comments; return how many.

    One transaction: searches keep using the old index until it commits. On
    PostgreSQL the document table is locked against writes meanwhile, so a comment
    saved during the rebuild waits for it rather than racing it.
    """
    table = connection.ops.quote_name(Document._meta.db_table)
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"LOCK TABLE {table}, {_WORDS_TABLE} IN SHARE ROW EXCLUSIVE MODE")
            cursor.execute(f"DELETE FROM {table}")
            cursor.execute(f"DELETE FROM {_WORDS_TABLE}")
            fill(cursor, vector=True)
            cursor.execute(words_from_documents())
        else:
            drop_fts(cursor)
            cursor.execute(f"DELETE FROM {table}")
            fill(cursor, vector=False)
            create_fts(cursor)
        cursor.execute(f"SELECT count(*) FROM {table}")
        (count,) = cursor.fetchone()
    return count


def fill(cursor: Any, *, vector: bool) -> None:
    """Insert a document for every subject and every comment (positions in id order)."""
    table = connection.ops.quote_name(Document._meta.db_table)
    ticket_table = connection.ops.quote_name(Ticket._meta.db_table)
    comment_table = connection.ops.quote_name(Comment._meta.db_table)
    scale = 1 << TICKET_SHIFT

    def stored(column: str) -> str:
        if vector:
            return f"to_tsvector('simple'::regconfig, left({column}, {INDEXED_LENGTH}))"
        return column

    cursor.execute(
        f"INSERT INTO {table} (id, ticket_id, comment_id, public, text) "
        f"SELECT id * {scale}, id, NULL, %s, {stored('subject')} FROM {ticket_table}",
        [True],
    )
    position = "ROW_NUMBER() OVER (PARTITION BY ticket_id ORDER BY id)"
    cursor.execute(
        f"INSERT INTO {table} (id, ticket_id, comment_id, public, text) "
        f"SELECT id, ticket_id, comment_id, public, text FROM ("
        f"  SELECT ticket_id * {scale} + 2 * {position} + CASE WHEN public THEN 0 ELSE 1 END"
        f"    AS id, ticket_id, id AS comment_id, public, {stored('body')} AS text,"
        f"    {position} AS position"
        f"  FROM {comment_table}"
        f") AS numbered WHERE position <= %s",
        [MAX_POSITION],
    )


# The FTS5 table over the documents' text (SQLite), and the triggers that keep it in
# step with the document table (FTS5's "external content" pattern).
FTS_SCHEMA = [
    f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5("
    f"text, content='search_document', content_rowid='id', tokenize='trigram')",
    f"CREATE TRIGGER search_document_ai AFTER INSERT ON search_document BEGIN "
    f"INSERT INTO {FTS_TABLE}(rowid, text) VALUES (new.id, new.text); END",
    f"CREATE TRIGGER search_document_ad AFTER DELETE ON search_document BEGIN "
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, text) VALUES ('delete', old.id, old.text); END",
    f"CREATE TRIGGER search_document_au AFTER UPDATE ON search_document BEGIN "
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, text) VALUES ('delete', old.id, old.text); "
    f"INSERT INTO {FTS_TABLE}(rowid, text) VALUES (new.id, new.text); END",
]


def create_fts(cursor: Any) -> None:
    """Create the FTS5 table, index every document already stored, add the triggers."""
    cursor.execute(FTS_SCHEMA[0])
    cursor.execute(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')")
    for statement in FTS_SCHEMA[1:]:
        cursor.execute(statement)


def drop_fts(cursor: Any) -> None:
    for trigger in ("search_document_ai", "search_document_ad", "search_document_au"):
        cursor.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    cursor.execute(f"DROP TABLE IF EXISTS {FTS_TABLE}")
