"""Template helpers: translated labels, code links, delivery advice."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse
from django.utils.translation import get_language

from buzon.domains.typos import suggest_address, suggest_domain
from buzon.smtpcodes import explain
from buzon.workspace import labels
from buzon.workspace.delivery_summary import RecipientStatus, advice_for, shows_warning_icon

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
    return str(labels.DELIVERY_STATE_LABELS.get(value or "", value))


@register.filter
def failure_source_label(value: str) -> str:
    return str(labels.FAILURE_SOURCE_LABELS.get(value or "", value))


@register.filter
def failure_source_short(value: str) -> str:
    return str(labels.FAILURE_SOURCE_SHORT.get(value or "", value))


@register.filter
def reason_label(value: str) -> str:
    return labels.reason_label(value)


@register.filter
def blame_label(value: str) -> str:
    return labels.blame_label(value)


@register.filter
def who_acts(value: str) -> str:
    """One sentence saying who should act on a failure with this blame."""
    return labels.who_acts_label(value)


@register.filter
def matched_by_label(value: str) -> str:
    return labels.matched_by_label(value)


@register.filter
def warning_icon(recipient: RecipientStatus) -> bool:
    return shows_warning_icon(recipient)


@register.filter
def typo_suggestion(address: str) -> str | None:
    return suggest_address(address or "")


@register.filter
def domain_typo(domain: str) -> str | None:
    return suggest_domain(domain or "")


@register.filter
def code_url(code: str) -> str:
    return reverse("workspace:code", args=[code]) if code else ""


@register.filter
def reference_code(recipient: RecipientStatus) -> str:
    """The most specific code to look up: the enhanced status, else the reply code."""
    return recipient.enhanced_status or str(recipient.reply_code or "")


def explanation_for(recipient: RecipientStatus) -> Any:
    """The code reference's explanation of a failure's codes, or None."""
    if not (recipient.reply_code or recipient.enhanced_status):
        return None
    try:
        reply = int(recipient.reply_code) if str(recipient.reply_code).isdigit() else None
        return explain(reply, recipient.enhanced_status or None, current_lang())
    except (ValueError, KeyError, TypeError):
        return None


def current_lang() -> str:
    return (get_language() or "en")[:2]


@register.simple_tag
def failure_message(recipient: RecipientStatus) -> str:
    """The short reason for a failure: our reason class, else the code reference's words."""
    if recipient.reason or recipient.failure_source in ("suppressed", "expired", "invalid"):
        reason = recipient.reason or {"suppressed": "suppressed", "expired": "expired"}.get(
            recipient.failure_source, "undefined"
        )
        return labels.reason_label(reason)
    explanation = explanation_for(recipient)
    if explanation is not None and explanation.status is not None:
        return str(explanation.status.title)
    if explanation is not None and explanation.reply is not None:
        return str(explanation.reply.title)
    return labels.reason_label("undefined")


@register.simple_tag
def plain_explanation(recipient: RecipientStatus) -> str:
    explanation = explanation_for(recipient)
    return str(explanation.message) if explanation is not None else ""


@register.simple_tag
def advice(recipient: RecipientStatus) -> list[str]:
    return advice_for(recipient, suggest_address(recipient.email))


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
