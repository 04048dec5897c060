"""The rows of a list of tickets (a view's page, search results) written in Python.

The template wrote each cell through a chain of `{% if column == … %}` tests, two
`{% url %}` tags and a label filter per row: some thousand template nodes for a page
of 30 tickets, most of the view's time. This writes the same cells, escaped as the
template escapes them, each label translated once per page.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from html import escape as _html_escape

from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from buzon.rules.standard import FAILURE_TAG
from buzon.tickets.models import Ticket
from buzon.workspace import labels
from buzon.workspace.time_html import TimeWriter

_SOME_ID = 987654321


def escape(value: object) -> str:
    return _html_escape(str(value))


class _Labels:
    """A label dictionary's words, escaped, each translated once per page."""

    def __init__(self, mapping: Mapping[str, object]) -> None:
        self.mapping = mapping
        self.written: dict[object, str] = {}

    def __call__(self, value: str) -> str:
        found = self.written.get(value)
        if found is None:
            found = escape(self.mapping.get(value or "", value))
            self.written[value] = found
        return found


def _tags(names: Iterable[str]) -> str:
    return "".join(
        f'<span class="tag{" tag-failure" if name == FAILURE_TAG else ""}">{escape(name)}</span> '
        for name in names
    )


def _name_or_dash(person: object) -> str:
    name = getattr(person, "name", "") if person is not None else ""
    return escape(name) if name else "—"


class _RowWriter:
    def __init__(self, tag_names: Mapping[int, list[str]] | None) -> None:
        self.tag_names = tag_names
        self.statuses = _Labels(labels.STATUS_LABELS)
        self.priorities = _Labels(labels.PRIORITY_LABELS)
        self.types = _Labels(labels.TYPE_LABELS)
        self.times = TimeWriter()
        # A ticket's address, reversed once: the page's rows differ only by the id.
        self.url_before, _, self.url_after = escape(
            reverse("workspace:ticket", args=[_SOME_ID])
        ).partition(str(_SOME_ID))
        self.cells: dict[str, Callable[[Ticket, str], str]] = {
            "id": lambda t, url: f'<td class="col-id"><a href="{url}">#{t.pk}</a></td>',
            "subject": lambda t, url: (
                f'<td class="col-subject"><a href="{url}">{escape(t.subject)}</a></td>'
            ),
            "requester": lambda t, url: f"<td>{escape(t.requester.name)}</td>",
            "assignee": lambda t, url: f"<td>{_name_or_dash(t.assignee)}</td>",
            "group": lambda t, url: f"<td>{_name_or_dash(t.group)}</td>",
            "status": lambda t, url: (
                f'<td><span class="status status-{escape(t.status)}">'
                f"{self.statuses(t.status)}</span></td>"
            ),
            "priority": lambda t, url: f"<td>{self.priorities(t.priority)}</td>",
            "type": lambda t, url: f"<td>{self.types(t.type)}</td>",
            "created_at": lambda t, url: f"<td>{self.times.element(t.created_at)}</td>",
            "updated_at": lambda t, url: f"<td>{self.times.element(t.updated_at)}</td>",
            "tags": lambda t, url: f'<td class="col-tags">{_tags(self.tags_of(t))}</td>',
        }

    def tags_of(self, ticket: Ticket) -> Iterable[str]:
        if self.tag_names is None:
            return (tag.name for tag in ticket.tags.all())
        return self.tag_names.get(ticket.pk, ())

    def row(self, ticket: Ticket, columns: list[str]) -> str:
        url = self.url_before + str(ticket.pk) + self.url_after
        cells = "".join(self.cells[c](ticket, url) for c in columns if c in self.cells)
        return f'<tr data-href="{url}">{cells}</tr>'


def ticket_rows(
    tickets: Iterable[Ticket],
    columns: list[str],
    tag_names: Mapping[int, list[str]] | None = None,
) -> SafeString:
    """A `<tr>` per ticket with a cell per column (unknown columns get none); the tags
    from `tag_names` when given, else each ticket's prefetched tags."""
    writer = _RowWriter(tag_names)
    return mark_safe("\n".join(writer.row(ticket, columns) for ticket in tickets))
