"""Every word of a ticket in one row (`search.models.TicketWords`), filled from the
documents already stored (PostgreSQL; on SQLite the table stays empty, FTS5 answers).

The words are stored out of line (`STORAGE EXTERNAL`, and `toast_tuple_target` at its
minimum so that even a short ticket's words leave the row): the table's own pages hold
only ids, and finding the tickets with a word reads the GIN index and those pages, not
the words. The SQL is written out here as it was when this migration was written;
`buzon.search.index.words_from_documents` does the same for `buzon search reindex`.
"""

import buzon.search.models
import django.db.models.deletion
from django.db import migrations, models

LIMIT = 1_000_000  # bytes; a tsvector holds at most 2**20 - 1 bytes of words
FILL = (
    "INSERT INTO search_ticketwords (ticket_id, words, public_words, complete) "
    "SELECT ticket_id, "
    f"  CASE WHEN coalesce(size, 0) < {LIMIT} THEN coalesce(array_to_tsvector(every), '') ELSE '' END, "
    f"  CASE WHEN coalesce(size, 0) < {LIMIT} THEN coalesce(array_to_tsvector(public), '') ELSE '' END, "
    f"  coalesce(size, 0) < {LIMIT} "
    "FROM ("
    "  SELECT d.ticket_id, array_agg(DISTINCT word) AS every,"
    "    array_agg(DISTINCT word) FILTER (WHERE d.public) AS public,"
    "    sum(octet_length(word)) AS size"
    "  FROM search_document d, unnest(tsvector_to_array(d.text)) AS word"
    "  GROUP BY d.ticket_id"
    ") AS grouped"
)


def fill_and_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    execute = schema_editor.execute
    execute(
        "ALTER TABLE search_ticketwords ALTER COLUMN words SET STORAGE EXTERNAL, "
        "ALTER COLUMN public_words SET STORAGE EXTERNAL, SET (toast_tuple_target = 128)"
    )
    execute(FILL)
    execute("CREATE INDEX search_ticketwords_words ON search_ticketwords USING gin (words)")
    execute(
        "CREATE INDEX search_ticketwords_public ON search_ticketwords USING gin (public_words)"
    )
    execute(
        "CREATE INDEX search_ticketwords_incomplete ON search_ticketwords (ticket_id) "
        "WHERE NOT complete"
    )
    # As for the documents: how common a word is decides how a search for it runs.
    execute(
        "ALTER TABLE search_ticketwords ALTER COLUMN words SET STATISTICS 1000, "
        "ALTER COLUMN public_words SET STATISTICS 1000"
    )
    execute("ANALYZE search_ticketwords")


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for index in ("words", "public", "incomplete"):
        schema_editor.execute(f"DROP INDEX IF EXISTS search_ticketwords_{index}")


class Migration(migrations.Migration):

    dependencies = [
        ('search', '0002_document'),
        ('tickets', '0004_identities_any_case'),
    ]

    operations = [
        migrations.CreateModel(
            name='TicketWords',
            fields=[
                ('ticket', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='+', serialize=False, to='tickets.ticket')),
                ('words', buzon.search.models.SearchTextField()),
                ('public_words', buzon.search.models.SearchTextField()),
                ('complete', models.BooleanField(default=True)),
            ],
        ),
        migrations.RunPython(fill_and_index, drop_indexes, elidable=False),
    ]
