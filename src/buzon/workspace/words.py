"""Our own fixed words, translated once per language while a page writes them.

The ticket page's delivery blocks ask gettext for the same few dozen words hundreds
of times a page ("Close", "State", each state's label), and each call looks the
active language up again in Django's per-request storage, which costs more than the
catalogue itself. Inside `once_per_language()` (the block writers enter it) `gettext`
and `text` answer from a table per language, filled on first use; outside it they
are Django's gettext and `str()`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from django.utils.functional import Promise
from django.utils.translation import get_language
from django.utils.translation import gettext as django_gettext


@dataclass
class _Table:
    language: str | None
    messages: dict[str, str] = field(default_factory=dict)
    # A lazy label's id -> (the label, its text): the label is kept, so its id stays its own.
    labels: dict[int, tuple[Promise, str]] = field(default_factory=dict)


_tables: dict[str | None, _Table] = {}
_current: ContextVar[_Table | None] = ContextVar("buzon_workspace_words", default=None)


@contextmanager
def once_per_language() -> Iterator[None]:
    """Within it the active language is read once (a page's writers nest: the inner
    ones keep the outer table, as nothing changes the language while a page is written)."""
    if _current.get() is not None:
        yield
        return
    language = get_language()
    table = _tables.get(language)
    if table is None:
        table = _tables.setdefault(language, _Table(language))
    token = _current.set(table)
    try:
        yield
    finally:
        _current.reset(token)


def gettext(message: str) -> str:
    table = _current.get()
    if table is None:
        return django_gettext(message)
    found = table.messages.get(message)
    if found is None:
        found = table.messages[message] = django_gettext(message)
    return found


def text(value: object) -> str:
    """`str(value)`: a lazy translation's text in the active language."""
    table = _current.get()
    if table is None or not isinstance(value, Promise):
        return str(value)
    found = table.labels.get(id(value))
    if found is None or found[0] is not value:
        found = table.labels[id(value)] = (value, str(value))
    return found[1]


def language() -> str | None:
    """The active language (read once per page inside `once_per_language`)."""
    table = _current.get()
    return table.language if table is not None else get_language()
