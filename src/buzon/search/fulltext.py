"""Free text as one ORM expression: full-text search on PostgreSQL, LIKE elsewhere.

On PostgreSQL `TextMatch("body", Text("factura"))` is

    to_tsvector('simple'::regconfig, left(body, 100000)) @@ plainto_tsquery('simple', 'factura')

which the GIN indexes of migration 0001 cover, so it finds whole words among a
million comments without reading them. Elsewhere (SQLite) it is `body LIKE '%factura%'`,
which finds any substring but reads every row. docs/search.md discusses the trade-off.
"""

from __future__ import annotations

from typing import Any

from django.db.models import BooleanField, F, Func
from django.db.models.lookups import IContains

from buzon.search.parser import Text

# The expression the GIN indexes are built on (see migrations/0001). It must stay
# byte-for-byte the same for PostgreSQL to use them. Only the first 100,000
# characters are indexed: a tsvector is limited to 1 MB, and a long pasted log could
# otherwise make saving its comment fail.
INDEXED_LENGTH = 100_000
TSVECTOR_SQL = f"to_tsvector('simple'::regconfig, left({{column}}, {INDEXED_LENGTH}))"


class TextMatch(Func):
    """True where the text column contains `text` (a word, a prefix or a phrase)."""

    output_field = BooleanField()

    def __init__(self, column: str, text: Text) -> None:
        super().__init__(F(column))
        self.text = text

    def as_sql(self, compiler: Any, connection: Any, **extra_context: Any) -> tuple[str, list]:
        (column,) = self.get_source_expressions()
        return compiler.compile(IContains(column, self.text.text))

    def as_postgresql(
        self, compiler: Any, connection: Any, **extra_context: Any
    ) -> tuple[str, list]:
        (column,) = self.get_source_expressions()
        column_sql, params = compiler.compile(column)
        query_sql, query_param = self._tsquery()
        sql = f"{TSVECTOR_SQL.format(column=column_sql)} @@ {query_sql}"
        return sql, [*params, query_param]

    def _tsquery(self) -> tuple[str, str]:
        if self.text.phrase:
            return "phraseto_tsquery('simple'::regconfig, %s)", self.text.text
        if self.text.prefix:
            # A quoted lexeme (quotes doubled, backslashes escaped) cannot break
            # to_tsquery's syntax, whatever the word holds.
            escaped = self.text.text.replace("\\", "\\\\").replace("'", "''")
            return "to_tsquery('simple'::regconfig, %s)", f"'{escaped}':*"
        return "plainto_tsquery('simple'::regconfig, %s)", self.text.text
