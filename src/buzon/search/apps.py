from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

from django.apps import AppConfig
from django.core import checks


class SearchConfig(AppConfig):
    name = "buzon.search"
    verbose_name = "Search"

    def ready(self) -> None:
        from buzon.search.index import on_text_changed
        from buzon.tickets.signals import text_changed

        text_changed.connect(on_text_changed, dispatch_uid="buzon.search.index")
        checks.register(check_sqlite_fts5, checks.Tags.database)


def fts5_problem(connect: Callable[[str], Any] = sqlite3.connect) -> str | None:
    """Why SQLite's FTS5 with the trigram tokenizer cannot be used here, or None.

    Search on SQLite needs both (SQLite 3.34 or later, built with FTS5; Python's
    sqlite3 module is the SQLite Django uses)."""
    try:
        with connect(":memory:") as db:
            db.execute("CREATE VIRTUAL TABLE probe USING fts5(text, tokenize='trigram')")
    except sqlite3.OperationalError as exc:
        version = sqlite3.sqlite_version
        return (
            f"search on SQLite needs the FTS5 extension with the trigram tokenizer "
            f"(SQLite 3.34 or later built with FTS5); Python's sqlite3 here has SQLite "
            f"{version}: {exc}. Use a Python whose sqlite3 has FTS5, or PostgreSQL."
        )
    return None


def check_sqlite_fts5(app_configs: Any = None, databases: Any = None, **kwargs: Any) -> list:
    from django.db import connections

    problems = []
    for alias in databases or []:
        if connections[alias].vendor == "sqlite" and (problem := fts5_problem()):
            problems.append(checks.Error(problem, id="search.E001"))
    return problems
