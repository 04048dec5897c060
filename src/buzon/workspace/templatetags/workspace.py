"""Template helpers: translated labels, code links, the delivery block under a comment."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms, template
from django.urls import reverse
from django.utils.safestring import SafeString

from buzon.domains.typos import suggest_address, suggest_domain
from buzon.tickets.models import Ticket
from buzon.workspace import (
    choice_html,
    comment_html,
    delivery_html,
    deliverydata,
    glossary,
    labels,
    table_html,
)
from buzon.workspace.delivery_summary import DeliverySummary, RecipientStatus

register = template.Library()


@register.filter
def status_label(value: str) -> str:
    return str(labels.STATUS_LABELS.get(value, value))


@register.filter
def priority_label(value: str) -> str:
    return str(labels.PRIORITY_LABELS.get(value or "", value))


@register.filter
def type_label(value: str) -> str:
    return str(labels.TYPE_LABELS.get(value or "", value))


@register.filter
def role_label(value: str) -> str:
    return str(labels.ROLE_LABELS.get(value, value))


@register.filter
def language_label(value: str) -> str:
    return str(labels.LANGUAGE_LABELS.get(value, value))


@register.filter
def in_account_language(text: str) -> str:
    """A trigger's text as its emails are written: an unedited standard text in the
    account's language, an edited one as written."""
    from buzon.rules.engine import in_account_language as translated

    return translated(text or "")


@register.filter
def via_label(value: str) -> str:
    return str(labels.VIA_LABELS.get(value, value))


@register.filter
def column_label(value: str) -> str:
    return str(labels.COLUMN_LABELS.get(value, value))


@register.filter
def field_label(value: str) -> str:
    return str(labels.FIELD_LABELS.get(value, value))


@register.filter
def delivery_state_label(value: str) -> str:
    """A stored delivery state (or a display state) in the glossary's words."""
    return glossary.state_label(value)


@register.filter
def failure_source_label(value: str) -> str:
    return glossary.source_label(value)


# The glossary's wording of one recipient's delivery (see buzon.workspace.glossary).


@register.filter
def last_error_words(delivery: Any) -> str:
    """A deferred delivery's last error for a list: the server's words with their codes,
    or, when no server replied, why in our words with the error as raised."""
    stored = deliverydata.stored_cause(
        getattr(delivery, "cause", ""),
        getattr(delivery, "cause_detail", ""),
        delivery.diagnostic or "",
        delivery.last_error or "",
        "",
        has_codes=bool(delivery.reply_code or delivery.enhanced_status),
    )
    if stored.cause in deliverydata.NO_ANSWER_CAUSES:
        detail = f" ({stored.detail})" if stored.detail else ""
        return glossary.cause_label(stored.cause) + detail
    return str(delivery.last_error or delivery.diagnostic or "")


@register.filter
def display_state(recipient: RecipientStatus) -> str:
    return glossary.state_of(recipient)


@register.filter
def headline(recipient: RecipientStatus) -> str:
    return glossary.headline(recipient)


@register.filter
def reason_text(recipient: RecipientStatus) -> str:
    return glossary.reason_text(recipient)


@register.filter
def retry_note(recipient: RecipientStatus) -> str:
    return glossary.retry_note(recipient)


@register.filter
def server_lines(recipient: RecipientStatus) -> list[glossary.ServerLine]:
    return glossary.server_lines(recipient)


@register.filter
def shows_server_words(recipient: RecipientStatus) -> bool:
    return glossary.shows_server_words(recipient)


@register.filter
def server_words(diagnostic: str) -> str:
    return glossary.server_words(diagnostic)


@register.filter
def server_words_label(recipient: RecipientStatus) -> str:
    return glossary.server_words_label(recipient)


@register.filter
def event_recipient(data: dict[str, Any]) -> RecipientStatus:
    """A DeliveryFailure event's data, to word it like the comment's summary."""
    return glossary.recipient_from_event(data or {})


@register.filter
def reason_label(value: str) -> str:
    return labels.reason_label(value)


@register.filter
def blame_label(value: str) -> str:
    return labels.blame_label(value)


@register.filter
def matched_by_label(value: str) -> str:
    return labels.matched_by_label(value)


@register.filter
def typo_suggestion(address: str) -> str | None:
    return suggest_address(address or "")


@register.filter
def domain_typo(domain: str) -> str | None:
    return suggest_domain(domain or "")


@register.filter
def code_url(code: str) -> str:
    return reverse("workspace:code", args=[code]) if code else ""


@register.simple_tag(takes_context=True)
def delivery_slot(
    context: template.Context, comment: Any, summary: DeliverySummary, oob: bool = False
) -> SafeString:
    """The comment's delivery block (`workspace.delivery_html`), in the page's context."""
    ticket = context.get("ticket")
    return delivery_html.render_slot(
        summary,
        comment.pk,
        ticket.pk if ticket is not None else None,
        csrf_token=context.get("csrf_token", ""),
        log=str(context.get("log") or ""),
        oob=oob,
    )


@register.simple_tag
def radio_labels(field: forms.BoundField, label_class: str) -> SafeString:
    """A choice field's radio buttons, each in its label (`workspace.choice_html`)."""
    return choice_html.radio_labels(field, label_class)


@register.simple_tag(name="select")
def select_tag(field: forms.BoundField) -> SafeString:
    """A choice field's `<select>` (`workspace.choice_html`)."""
    return choice_html.select(field)


@register.simple_tag
def pick(mapping: dict[str, Any], kind: str, key: Any) -> Any:
    """names.user["12"] in a template: `{% pick names "user" 12 %}`."""
    return (mapping.get(kind) or {}).get(str(key), "")


@register.filter
def user_ids(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value] if value not in (None, "") else []
    return [str(v) for v in items]


@register.filter
def minus(a: Any, b: Any) -> list[Any]:
    """Items of list `a` that are not in list `b` (tag changes)."""
    b = b or []
    return [x for x in (a or []) if x not in b]


@register.filter
def as_list(value: Any) -> list[Any]:
    """A list as it is; a single text as a one-item list; nothing as []."""
    if not value:
        return []
    if isinstance(value, list | tuple):
        return list(value)
    return [value]


@register.simple_tag
def ticket_rows(
    tickets: Iterable[Ticket], columns: list[str], tag_names: dict[int, list[str]] | str
) -> SafeString:
    """A list of tickets' rows (`workspace.table_html`); `tag_names` is "" where the
    page gives none (search: the tickets' prefetched tags)."""
    return table_html.ticket_rows(
        tickets, columns, tag_names if isinstance(tag_names, dict) else None
    )


@register.simple_tag(takes_context=True)
def comment_articles(context: template.Context, entries: list[Any]) -> SafeString:
    """The conversation's comments (`workspace.comment_html`), in the page's context."""
    ticket = context.get("ticket")
    page = comment_html.PageContext(
        ticket.pk if ticket is not None else None,
        context.get("csrf_token", ""),
        str(context.get("log") or ""),
    )
    return comment_html.articles(entries, page)
