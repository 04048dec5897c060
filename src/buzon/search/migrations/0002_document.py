"""The search index: a document per ticket subject and per comment, filled from the
tickets already stored (see buzon/search/models.py).

PostgreSQL: `text` is a tsvector with a GIN index; the expression indexes of 0001 on
the tickets' own columns are dropped (nothing reads them any more). SQLite: an FTS5
table (trigram tokenizer) indexes `text`, kept in step by triggers; FTS5 must be
available. The SQL is written out here, as it was when this migration was written;
`buzon.search.index.rebuild` does the same for `buzon search reindex`.
"""

import buzon.search.models
import django.db.models.deletion
from django.db import migrations, models


SCALE = 2**21  # a document id is ticket id × 2**21 + position × 2 + (1 if private)
MAX_POSITION = 2**20 - 1
FTS_TABLE = "search_document_fts"
OLD_INDEXES = [
    ("search_ticket_subject_fts", "tickets_ticket", "subject"),
    ("search_comment_body_fts", "tickets_comment", "body"),
]
TRIGGERS = {
    "search_document_ai": (
        "AFTER INSERT ON search_document BEGIN "
        f"INSERT INTO {FTS_TABLE}(rowid, text) VALUES (new.id, new.text); END"
    ),
    "search_document_ad": (
        "AFTER DELETE ON search_document BEGIN "
        f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, text) VALUES ('delete', old.id, old.text); END"
    ),
    "search_document_au": (
        "AFTER UPDATE ON search_document BEGIN "
        f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, text) VALUES ('delete', old.id, old.text); "
        f"INSERT INTO {FTS_TABLE}(rowid, text) VALUES (new.id, new.text); END"
    ),
}


def fill_and_index(apps, schema_editor):
    execute = schema_editor.execute
    if schema_editor.connection.vendor == "postgresql":
        for index, _, _ in OLD_INDEXES:
            execute(f"DROP INDEX IF EXISTS {index}")
        fill(execute, "to_tsvector('simple'::regconfig, left({}, 100000))")
        execute("CREATE INDEX search_document_text ON search_document USING gin (text)")
        # Statistics for the 10,000 most common lexemes (not 1,000): how common a word
        # is decides how a search for it runs (buzon.search.fulltext).
        execute("ALTER TABLE search_document ALTER COLUMN text SET STATISTICS 1000")
        execute("ANALYZE search_document")
        return
    from buzon.search.apps import fts5_problem

    if problem := fts5_problem():
        raise RuntimeError(problem)
    fill(execute, "{}")
    execute(
        f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5("
        "text, content='search_document', content_rowid='id', tokenize='trigram')"
    )
    execute(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')")
    for name, body in TRIGGERS.items():
        execute(f"CREATE TRIGGER {name} {body}")


def fill(execute, stored):
    """A document for every subject and every comment (positions in comment id order)."""
    execute(
        "INSERT INTO search_document (id, ticket_id, comment_id, public, text) "
        f"SELECT id * {SCALE}, id, NULL, %s, {stored.format('subject')} FROM tickets_ticket",
        [True],
    )
    position = "ROW_NUMBER() OVER (PARTITION BY ticket_id ORDER BY id)"
    execute(
        "INSERT INTO search_document (id, ticket_id, comment_id, public, text) "
        "SELECT id, ticket_id, comment_id, public, text FROM ("
        f"  SELECT ticket_id * {SCALE} + 2 * {position} + CASE WHEN public THEN 0 ELSE 1 END"
        f"    AS id, ticket_id, id AS comment_id, public, {stored.format('body')} AS text,"
        f"    {position} AS position"
        "  FROM tickets_comment"
        ") AS numbered WHERE position <= %s",
        [MAX_POSITION],
    )


def drop_index(apps, schema_editor):
    execute = schema_editor.execute
    if schema_editor.connection.vendor == "postgresql":
        execute("DROP INDEX IF EXISTS search_document_text")
        for index, table, column in OLD_INDEXES:
            execute(
                f"CREATE INDEX IF NOT EXISTS {index} ON {table} USING gin "
                f"(to_tsvector('simple'::regconfig, left({column}, 100000)))"
            )
        return
    for name in TRIGGERS:
        execute(f"DROP TRIGGER IF EXISTS {name}")
    execute(f"DROP TABLE IF EXISTS {FTS_TABLE}")


class Migration(migrations.Migration):

    dependencies = [
        ('search', '0001_fulltext_indexes'),
        ('tickets', '0002_deliverycomplaint_event'),
    ]

    operations = [
        migrations.CreateModel(
            name='Document',
            fields=[
                ('id', models.BigIntegerField(primary_key=True, serialize=False)),
                ('public', models.BooleanField()),
                ('text', buzon.search.models.SearchTextField()),
                ('comment', models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='tickets.comment')),
                ('ticket', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='tickets.ticket')),
            ],
        ),
        migrations.RunPython(fill_and_index, drop_index, elidable=False),
    ]
