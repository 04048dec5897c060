"""The `<time>` element as the templates write it (`|date:"c"` and `|date:"j M Y H:i"`
in the reader's time zone), without a template filter's cost per value: Django's
`dateformat` looks the format and the month's name up again for every date, and the
ticket page and the lists write dozens of dates."""

from __future__ import annotations

from datetime import datetime

from django.utils.dates import MONTHS_3
from django.utils.timezone import is_aware, localtime
from django.utils.translation import get_language

_month_names: dict[str | None, tuple[str, ...]] = {}


def _months() -> tuple[str, ...]:
    """The abbreviated month names of the active language, as `dateformat`'s "M"
    writes them, translated once per language."""
    language = get_language()
    names = _month_names.get(language)
    if names is None:
        names = ("", *(str(MONTHS_3[month]).title() for month in range(1, 13)))
        _month_names[language] = names
    return names


class TimeWriter:
    """Writes `<time>` elements in the active language and time zone (read once)."""

    def __init__(self) -> None:
        self.months = _months()

    def text(self, at: datetime) -> str:
        """`|date:"j M Y H:i"` of a local time."""
        return f"{at.day} {self.months[at.month]} {at.year:04d} {at.hour:02d}:{at.minute:02d}"

    def element(self, at: datetime) -> str:
        local = localtime(at) if is_aware(at) else at
        return f'<time datetime="{local.isoformat()}">{self.text(local)}</time>'


def time_element(at: datetime) -> str:
    """One `<time>` element (where a page writes only a few)."""
    return TimeWriter().element(at)
