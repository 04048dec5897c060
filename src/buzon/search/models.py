"""The search index: one document per ticket subject and per comment.

Free text is matched against documents, never against the tickets' own tables, so
matching reads an index built when the text was written instead of parsing every
comment at query time. `buzon.search.index` keeps the documents in step with the
tickets (through the `tickets.signals.text_changed` signal) and rebuilds them all
(`buzon search reindex`).

A document's `text` is stored in the form its database searches:

- PostgreSQL: a `tsvector`, `to_tsvector('simple', left(text, 100000))`, with a GIN
  index (migration 0002). Whole words, lower-cased, no stemming.
- SQLite: the text itself, indexed by the FTS5 table `search_document_fts` (trigram
  tokenizer: any substring of three characters or more), which triggers on this
  table keep in step.

A document's id says where it belongs, so that SQLite can tell the ticket and the
visibility of a match from the FTS5 row id alone, without reading this table:

    id = ticket id × 2**21 + position × 2 + (1 if private else 0)

Position 0 is the subject; comments take 1, 2, 3… in the order they were added.
"""

from __future__ import annotations

from typing import Any

from django.db import models

from buzon.tickets.models import Comment, Ticket

POSITION_BITS = 20
TICKET_SHIFT = POSITION_BITS + 1  # the visibility bit, then the position
MAX_POSITION = 2**POSITION_BITS - 1


def document_id(ticket_id: int, position: int, *, public: bool) -> int:
    if not 0 <= position <= MAX_POSITION:
        raise ValueError(f"a ticket holds at most {MAX_POSITION:,} comments in the search index")
    return (ticket_id << TICKET_SHIFT) | (position << 1) | (0 if public else 1)


def ticket_id_range(ticket_id: int) -> tuple[int, int]:
    """The lowest and highest document id a ticket's documents can have."""
    return ticket_id << TICKET_SHIFT, ((ticket_id + 1) << TICKET_SHIFT) - 1


class SearchTextField(models.TextField):
    """A `tsvector` on PostgreSQL, plain text elsewhere; written through
    `buzon.search.fulltext.SearchText`, never as a plain value."""

    def db_type(self, connection: Any) -> str | None:
        if connection.vendor == "postgresql":
            return "tsvector"
        return super().db_type(connection)


class Document(models.Model):
    """What free text is matched against: a ticket's subject or one of its comments."""

    id = models.BigIntegerField(primary_key=True)
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+")
    # None for the subject.
    comment = models.OneToOneField(
        Comment, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    public = models.BooleanField()
    text = SearchTextField()

    def __str__(self) -> str:
        what = f"comment {self.comment_id}" if self.comment_id else "subject"
        return f"Search document {self.pk}: {what} of ticket {self.ticket_id}"


class TicketWords(models.Model):
    """PostgreSQL: every word of a ticket in one row, what words and prefixes are
    matched against (phrases and `subject:` are matched against the documents, which
    keep the words' positions within each text).

    `words` holds the words of the subject and of every comment, `public_words` those
    of the subject and the public comments (what end users may search), both as
    tsvectors without positions (`strip`), stored out of line so that the table
    itself holds only ids: finding the tickets with a word reads the GIN index and a
    few hundred small pages, whatever the texts' sizes. A tsvector holds at most 1 MB
    of words; a ticket whose words would not fit stops collecting them (`complete`
    false) and is then matched against its documents. On SQLite this table is left
    empty: the FTS5 table answers.
    """

    ticket = models.OneToOneField(
        Ticket, primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    words = SearchTextField()
    public_words = SearchTextField()
    complete = models.BooleanField(default=True)

    def __str__(self) -> str:
        return f"Words of ticket {self.ticket_id}"
