"""Liquid templates with Zendesk's placeholders, sandboxed.

Templates see only the plain mappings built here: python-liquid reads mapping keys
and sequence items, never Python attributes, so a template cannot reach a model,
a method or a setting. Resource limits stop runaway loops and huge outputs.
A placeholder we do not provide renders empty; `unknown_placeholders` lists them
so the trigger's admin page can say so.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterator, Mapping
from functools import lru_cache
from typing import Any

import liquid
from django.conf import settings
from liquid.exceptions import LiquidError

from buzon.tickets.html import html_to_text, sanitize_html, text_to_html
from buzon.tickets.models import Comment, Ticket, User


class TemplateError(ValueError):
    """A template that cannot be parsed; the message says where."""


class SandboxEnvironment(liquid.Environment):
    loop_iteration_limit = 1_000
    output_stream_limit = 200_000
    context_depth_limit = 20
    local_namespace_limit = 10_000


ENV = SandboxEnvironment()

# Every placeholder a template may use. Anything else renders empty and is reported.
KNOWN_PLACEHOLDERS = {
    "ticket.id",
    "ticket.title",
    "ticket.description",
    "ticket.status",
    "ticket.priority",
    "ticket.ticket_type",
    "ticket.url",
    "ticket.link",
    "ticket.encoded_id",
    "ticket.account",
    "ticket.tags",
    "ticket.via",
    "ticket.group.name",
    "ticket.requester.name",
    "ticket.requester.first_name",
    "ticket.requester.email",
    "ticket.assignee.name",
    "ticket.assignee.first_name",
    "ticket.assignee.email",
    "ticket.latest_comment",
    "ticket.latest_comment_html",
    "ticket.latest_public_comment",
    "ticket.latest_public_comment_html",
    "ticket.comments_formatted",
    "current_user.name",
    "current_user.first_name",
    "current_user.email",
}


@lru_cache(maxsize=512)
def parse(source: str) -> Any:
    try:
        return ENV.from_string(source)
    except LiquidError as exc:
        raise TemplateError(str(exc).splitlines()[0]) from None


def unknown_placeholders(source: str) -> list[str]:
    """Placeholders in a template that Buzón does not provide (they render empty)."""
    template = parse(source)
    paths = {str(p) for p in template.global_variable_paths()}
    known_prefixes = {k.rsplit(".", 1)[0] for k in KNOWN_PLACEHOLDERS} | {"ticket", "current_user"}
    return sorted(p for p in paths if p not in KNOWN_PLACEHOLDERS and p not in known_prefixes)


def render(source: str, context: Mapping[str, Any]) -> str:
    """Render a template; a resource limit or a runtime error renders an explanation."""
    try:
        return parse(source).render(**context)
    except TemplateError:
        raise
    except LiquidError as exc:
        return f"[template error: {str(exc).splitlines()[0]}]"


def render_text(source: str, context: Mapping[str, Any]) -> str:
    """Render a template as plain text: the `*_html` placeholders give their text."""
    return render(source, _with_html_placeholders(context, lambda v: html_to_text(str(v))))


def render_html(source: str, context: Mapping[str, Any]) -> str:
    """Render a (plain text) template as sanitised HTML, for an email's HTML part.

    The template's text and every plain placeholder are escaped, with paragraphs and
    line breaks kept and web addresses made links; the `*_html` placeholders (e.g.
    `ticket.latest_comment_html`) are inserted as (sanitised) HTML. They render first
    as random tokens that no template or comment can forge, which are swapped for the
    HTML after escaping.
    """
    fragments: dict[str, str] = {}

    def mark(value: Any) -> str:
        token = f"BUZONHTML{secrets.token_hex(12)}"
        fragments[token] = str(value)
        return token

    html = _linkify(text_to_html(render(source, _with_html_placeholders(context, mark))))
    for token, fragment in fragments.items():
        clean = sanitize_html(fragment)
        html = html.replace(f"<p>{token}</p>", clean).replace(token, clean)
    return sanitize_html(html)


def _with_html_placeholders(
    context: Mapping[str, Any], transform: Callable[[Any], str]
) -> dict[str, Any]:
    result = dict(context)
    if isinstance(context.get("ticket"), Mapping):
        result["ticket"] = _HtmlPlaceholders(context["ticket"], transform)
    return result


# A web address in escaped text: it ends at white space or an escaped quote/bracket.
_URL = re.compile(r"\bhttps?://(?:(?!&quot;|&#x27;|&lt;|&gt;)[^\s<>\"'])+")


def _linkify(escaped_html: str) -> str:
    """Make the web addresses in escaped text clickable (e.g. {{ticket.url}})."""

    def link(match: re.Match[str]) -> str:
        url = match.group(0)
        trail = len(url) - len(url.rstrip(".,;:!?)"))
        url, rest = (url[:-trail], url[-trail:]) if trail else (url, "")
        return f'<a href="{url}">{url}</a>{rest}'

    return _URL.sub(link, escaped_html)


class _HtmlPlaceholders(Mapping[str, Any]):
    """A view of the ticket mapping whose `*_html` values go through `transform`."""

    def __init__(self, inner: Mapping[str, Any], transform: Callable[[Any], str]) -> None:
        self._inner = inner
        self._transform = transform

    def __getitem__(self, key: str) -> Any:
        value = self._inner[key]
        return self._transform(value) if key.endswith("_html") else value

    def __iter__(self) -> Iterator[str]:
        return iter(self._inner)

    def __len__(self) -> int:
        return len(self._inner)

    def __str__(self) -> str:
        return ""


class Lazy(Mapping[str, Any]):
    """A mapping whose values are computed on first access (comments are costly)."""

    def __init__(self, items: dict[str, Callable[[], Any] | Any]) -> None:
        self._items = items
        self._cache: dict[str, Any] = {}

    def __getitem__(self, key: str) -> Any:
        if key not in self._cache:
            item = self._items[key]
            self._cache[key] = item() if callable(item) else item
        return self._cache[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __str__(self) -> str:
        return ""


def user_context(user: User | None) -> Mapping[str, Any]:
    if user is None:
        return {}
    return {
        "name": user.name,
        "first_name": user.name.split()[0] if user.name.split() else "",
        "email": user.email,
    }


def ticket_url(ticket: Ticket) -> str:
    return f"{settings.BASE_URL}/tickets/{ticket.pk}"


def _comments(ticket: Ticket, public_only: bool) -> list[Comment]:
    qs = ticket.comments.select_related("author").order_by("created_at", "id")
    return list(qs.filter(public=True) if public_only else qs)


def _latest(ticket: Ticket, public_only: bool, html: bool) -> str:
    comments = _comments(ticket, public_only)
    if not comments:
        return ""
    return comments[-1].html_body if html else comments[-1].body


def _formatted(ticket: Ticket) -> str:
    blocks = []
    for c in reversed(_comments(ticket, public_only=True)):
        when = c.created_at.strftime("%Y-%m-%d %H:%M UTC")
        blocks.append(f"{c.author.name}, {when}\n\n{c.body}")
    return "\n\n----------------------------------------------\n\n".join(blocks)


def build_context(ticket: Ticket, current_user: User | None) -> dict[str, Any]:
    ticket_ctx = Lazy(
        {
            "id": ticket.pk,
            "title": ticket.subject,
            "description": ticket.description,
            "status": ticket.get_status_display(),
            "priority": ticket.get_priority_display() if ticket.priority else "",
            "ticket_type": ticket.get_type_display() if ticket.type else "",
            "url": lambda: ticket_url(ticket),
            "link": lambda: ticket_url(ticket),
            "encoded_id": ticket.encoded_id,
            "account": settings.ACCOUNT_NAME,
            "tags": lambda: " ".join(ticket.tag_list),
            "via": ticket.get_via_display(),
            "group": lambda: {"name": ticket.group.name} if ticket.group else {},
            "requester": lambda: user_context(ticket.requester),
            "assignee": lambda: user_context(ticket.assignee),
            "latest_comment": lambda: _latest(ticket, public_only=False, html=False),
            "latest_comment_html": lambda: _latest(ticket, public_only=False, html=True),
            "latest_public_comment": lambda: _latest(ticket, public_only=True, html=False),
            "latest_public_comment_html": lambda: _latest(ticket, public_only=True, html=True),
            "comments_formatted": lambda: _formatted(ticket),
        }
    )
    return {"ticket": ticket_ctx, "current_user": user_context(current_user)}
