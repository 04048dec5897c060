"""GIN indexes for full-text search of ticket subjects and comment bodies (PostgreSQL only).

The indexed expression must match `buzon.search.fulltext.TSVECTOR_SQL` exactly; it is
written out here so that this migration keeps doing what it did when it was written.
SQLite has no such index: search there falls back to LIKE.
"""

from django.db import migrations

INDEXES = [
    ("search_ticket_subject_fts", "tickets", "Ticket", "subject"),
    ("search_comment_body_fts", "tickets", "Comment", "body"),
]


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    quote = schema_editor.quote_name
    for index, app_label, model_name, column in INDEXES:
        table = apps.get_model(app_label, model_name)._meta.db_table
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {quote(index)} ON {quote(table)} USING gin "
            f"(to_tsvector('simple'::regconfig, left({quote(column)}, 100000)))"
        )


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for index, *_ in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(index)}")


class Migration(migrations.Migration):
    dependencies = [("tickets", "0001_initial")]

    operations = [migrations.RunPython(create_indexes, drop_indexes, elidable=False)]
