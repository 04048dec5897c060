"""The ticket page's comments written in Python.

Each comment was an `{% include %}` of a template of some twenty nodes (the author,
the badge, two date filters, the channel's label), rendered again for every comment;
this writes the same `<article>`, escaped as the template escaped it, with the fixed
words translated once per page and the delivery block from `delivery_html`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from html import escape as _html_escape
from typing import Any, Protocol

from django.template.defaultfilters import filesizeformat
from django.utils.safestring import SafeString, mark_safe

from buzon.workspace import delivery_html, labels, words
from buzon.workspace.delivery_summary import DeliverySummary
from buzon.workspace.time_html import TimeWriter
from buzon.workspace.words import gettext as _

_LOCK = (
    '<svg class="icon" viewBox="0 0 16 16" width="12" height="12" aria-hidden="true" '
    'focusable="false"><path d="M4 7V5a4 4 0 0 1 8 0v2h1v8H3V7zm2 0h4V5a2 2 0 0 0-4 0z" '
    'fill="currentColor"/></svg>'
)


def escape(value: object) -> str:
    return _html_escape(str(value))


class EntryLike(Protocol):
    @property
    def comment(self) -> Any: ...
    @property
    def summary(self) -> DeliverySummary: ...


@dataclass(frozen=True)
class PageContext:
    """What a comment's delivery block needs from the page (its forms and ids)."""

    ticket_id: int | None
    csrf_token: Any
    log: str


class _Writer:
    def __init__(self, page: PageContext) -> None:
        self.page = page
        self.times = TimeWriter()
        public, internal = _("Public reply"), _("Internal note")
        self.badges = {
            True: f'<span class="badge badge-public">{public}</span>',
            False: f'<span class="badge badge-internal">{_LOCK} {internal}</span>',
        }
        self.via_labels: dict[str, str] = {}

    def via(self, value: str) -> str:
        label = self.via_labels.get(value)
        if label is None:
            label = self.via_labels[value] = escape(words.text(labels.VIA_LABELS.get(value, value)))
        return label

    def article(self, comment: Any, summary: DeliverySummary) -> str:
        pk = comment.pk
        kind = "public" if comment.public else "internal"
        slot = delivery_html.render_slot(
            summary, pk, self.page.ticket_id, csrf_token=self.page.csrf_token, log=self.page.log
        )
        return (
            f'<article class="comment {kind}" id="comment-{pk}" '
            f'aria-labelledby="comment-{pk}-head">\n'
            f'  <header id="comment-{pk}-head">\n'
            f'    <strong class="author">{escape(comment.author_name or "")}</strong>\n'
            f"    {self.badges[bool(comment.public)]}\n"
            f"    {self.times.element(comment.created_at)}\n"
            f'    <span class="via muted">{self.via(comment.via)}</span>\n'
            "  </header>\n"
            f'  <div class="body">{comment.html_body}</div>\n'
            f"{_attachments(comment.attachments)}"
            f"  {slot}\n"
            "</article>"
        )


def _attachments(attachments: Any) -> str:
    if not attachments:
        return ""
    items = "".join(
        f"<li>📎 {escape(a.get('file_name', ''))} "
        f'<span class="muted">{escape(filesizeformat(a.get("size", "")))}</span></li>'
        for a in attachments
    )
    return f'    <ul class="attachments">{items}</ul>\n'


def articles(entries: Iterable[EntryLike], page: PageContext) -> SafeString:
    """Each comment's `<article>`, in order."""
    writer = _Writer(page)
    return mark_safe("\n".join(writer.article(entry.comment, entry.summary) for entry in entries))
