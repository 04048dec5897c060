"""The delivery block under a comment (who was emailed, what became of each copy, the
popovers), written in Python rather than with template tags.

The ticket page shows this block for every comment and every recipient: as template
partials it took some 1,900 template nodes per page and most of the page's time
(docs/workspace.md). The words come from `glossary` and `labels`, in the active
language. Values are escaped as a template escapes them; the catalogue's own sentences
are not, as `{% translate %}` leaves them (some carry markup). The icons are
the `partials/icon_*.html` templates, rendered once. A recipient's unverified reports
(rare) are still rendered by `partials/unverified_reports.html`, which the events log
shares.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from html import escape as _html_escape
from typing import Any

from django.template.loader import get_template, render_to_string
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from buzon.domains.checks import TITLES, checks_for_failure
from buzon.domains.typos import suggest_address
from buzon.workspace import glossary, labels, words
from buzon.workspace.delivery_summary import (
    ALL_FAILED,
    NONE_FAILED,
    ONE_FAILED,
    DeliverySummary,
    RecipientStatus,
    advice_for,
    shows_warning_icon,
)
from buzon.workspace.time_html import time_element
from buzon.workspace.words import gettext as _

_STATE_ICONS = {
    glossary.SUPPRESSED: "blocked",
    glossary.INVALID: "blocked",
    glossary.EXPIRED: "expired",
    glossary.REFUSED: "warning",
    glossary.DEFERRED: "clock",
    glossary.QUEUED: "clock",
    glossary.SENDING: "clock",
    glossary.DELIVERED: "delivered",
    glossary.HANDED_OFF: "ok",
}


def escape(value: object) -> str:
    """`django.utils.html.escape`'s output, without its lazy-string wrapper (this module
    escapes some hundred values per page)."""
    return _html_escape(str(value))


@cache
def icon(name: str) -> str:
    """The SVG of `partials/icon_<name>.html` (static markup)."""
    return get_template(f"workspace/partials/icon_{name}.html").render().strip()


def state_icon(state: str) -> str:
    name = _STATE_ICONS.get(state)
    return icon(name) if name else ""


def _time(at: datetime) -> str:
    """`<time>` in the reader's time zone, as `|date:"c"` and `|date:"j M Y H:i"` write it."""
    return time_element(at)


def render_slot(
    summary: DeliverySummary,
    comment_id: int,
    ticket_id: int | None,
    *,
    csrf_token: Any = "",
    log: str = "",
    oob: bool = False,
) -> SafeString:
    """The comment's delivery slot (the element a live update replaces)."""
    swap = ' hx-swap-oob="true"' if oob else ""
    block = render_block(summary, comment_id, ticket_id, csrf_token=csrf_token, log=log)
    inner = f"\n{block}\n" if block else ""
    return mark_safe(f'<div class="delivery-slot" id="delivery-{comment_id}"{swap}>{inner}</div>')


def render_block(
    summary: DeliverySummary,
    comment_id: int,
    ticket_id: int | None,
    *,
    csrf_token: Any = "",
    log: str = "",
) -> SafeString:
    """Every recipient with its state, and the failure summary; "" without recipients."""
    if not summary.recipients:
        return mark_safe("")
    with words.once_per_language():
        return _block(summary, _Context(comment_id, ticket_id, csrf_token, log))


def _block(summary: DeliverySummary, context: _Context) -> SafeString:
    items = " ".join(
        _recipient_item(r, n, context) for n, r in enumerate(summary.recipients, start=1)
    )
    failures = "" if summary.variant == NONE_FAILED else " " + _failure_summary(summary)
    email_to = _("Email to")
    return mark_safe(
        f'<div class="delivery" data-variant="{escape(summary.variant)}"> '
        f'<div class="recipients"> <span class="label">{email_to}</span> '
        f"<ul> {items} </ul> </div>{failures} </div>"
    )


@dataclass(frozen=True)
class _Context:
    """What the popovers need from the page: ids for their elements and forms."""

    comment_id: int
    ticket_id: int | None
    csrf_token: Any
    log: str

    def unverified_reports(self, r: RecipientStatus) -> str:
        return render_to_string(
            "workspace/partials/unverified_reports.html",
            {
                "reports": r.unverified,
                "ticket_id": self.ticket_id,
                "csrf_token": self.csrf_token,
                "log": self.log,
            },
        ).strip()


def _dt(term: str) -> str:
    return f"<dt>{term}</dt>"


def _close_button(target: str) -> str:
    close = _("Close")
    return (
        f'<button type="button" class="close" popovertarget="{target}" '
        f'popovertargetaction="hide">{close}</button>'
    )


def _words(*parts: str) -> str:
    """Parts separated as a template's line breaks separate them; empty ones left out."""
    return " ".join(p for p in parts if p)


def _recipient_item(r: RecipientStatus, n: int, context: _Context) -> str:
    state = glossary.state_of(r)
    marker = escape(state or "untracked")
    kind = ""
    if r.kind == "cc":
        copy, cc = _("Copy"), _("CC")
        kind = f'<span class="kind" title="{copy}">{cc}</span>'
    name = f'<span class="name">{escape(r.display_name)}</span>'
    if r.name:
        name += f' <span class="addr">&lt;{escape(r.email)}&gt;</span>'
    return _words(
        f'<li class="recipient state-{marker}" data-email="{escape(r.email)}" '
        f'data-state="{marker}">',
        kind,
        name,
        _popover_button(r, state, n, context),
        _state_note(r, state),
        "</li>",
    )


def _popover_button(r: RecipientStatus, state: str, n: int, context: _Context) -> str:
    """The icon that opens a failure's popover, or an unverified report's; else ""."""
    if shows_warning_icon(r):
        target = f"dp-{context.comment_id}-{n}"
        not_sent = " not-sent" if state in glossary.NOT_SENT else ""
        label, title = glossary.icon_label(r), glossary.state_label(state)
        button = (
            f'<button type="button" class="warn{not_sent}" {_opens(target)} '
            f'aria-label="{escape(label)}" title="{escape(title)}"> {state_icon(state)} </button>'
        )
        return f"{button} {_failure_popover(r, state, target, context)}"
    if r.pending_unverified:
        target = f"up-{context.comment_id}-{n}"
        label = _("An unverified report about %(name)s. Show it") % {"name": escape(r.display_name)}
        button = (
            f'<button type="button" class="unverified" {_opens(target)} '
            f'aria-label="{label}"> {icon("question")} </button>'
        )
        return f"{button} {_unverified_popover(r, state, target, context)}"
    return ""


def _opens(target: str) -> str:
    return (
        f'popovertarget="{target}" aria-controls="{target}" aria-expanded="false" '
        'aria-haspopup="dialog"'
    )


def _state_note(r: RecipientStatus, state: str) -> str:
    """After the name: how a copy that did not fail is doing."""
    if r.failed:
        return ""
    if r.deferred:
        codes = f" <code>{escape(r.codes)}</code>" if r.codes else ""
        note = glossary.retry_note(r)
        retry = f' · <span class="retry">{escape(note)}</span>' if note else ""
        headline = escape(glossary.headline(r))
        return f'<span class="state-note deferred">{icon("clock")} {headline}{codes}{retry}</span>'
    label = escape(glossary.state_label(state))
    if r.pending:
        return f'<span class="state-note pending">{icon("clock")} {label}</span>'
    if state in (glossary.HANDED_OFF, glossary.DELIVERED):
        return (
            f'<span class="state-note ok" title="{label}">{state_icon(state)} '
            f'<span class="visually-hidden">{label}</span></span>'
        )
    return ""


def _failure_summary(summary: DeliverySummary) -> str:
    """The seed's three variants, then who should act, once per blame."""
    if summary.variant == ONE_FAILED and summary.single_failure is not None:
        lines = _failure_line(summary.single_failure, "p", '<strong class="headline">', "</strong>")
    else:
        headline = (
            _("Failed to deliver")
            if summary.variant == ALL_FAILED
            else _("Failed to deliver to some recipients")
        )
        each = " ".join(_failure_line(r, "li") for r in summary.failed)
        lines = (
            f'<p class="failure-line">{icon("warning")} '
            f'<strong class="headline">{headline}</strong></p> '
            f'<ul class="failure-lines"> {each} </ul>'
        )
    who = "".join(
        f'<li data-blame="{escape(blame)}">{escape(labels.who_acts_label(blame))}</li>'
        for blame in summary.blames
    )
    return (
        f'<div class="failure-summary" role="note"> {lines} </div> <ul class="who-acts">{who}</ul>'
    )


def _failure_line(r: RecipientStatus, tag: str, before: str = "", after: str = "") -> str:
    state = glossary.state_of(r)
    codes = f' <code class="codes">{escape(r.codes)}</code>' if r.codes else ""
    headline = escape(glossary.headline(r))
    return (
        f'<{tag} class="failure-line state-{escape(state)}">{state_icon(state)} '
        f"{before}{headline}{after}{codes}</{tag}>"
    )


def _failure_popover(r: RecipientStatus, state: str, target: str, context: _Context) -> str:
    title = escape(glossary.popover_title(r))
    what_to_do = _("What you can do")
    unverified = ""
    if r.unverified:
        heading = _("Unverified reports")
        unverified = f" <h4>{heading}</h4> {context.unverified_reports(r)}"
    return (
        f'<div popover id="{target}" class="popover failure-popover state-{escape(state)}" '
        f'role="dialog" aria-labelledby="{target}-title"> '
        f'<h3 id="{target}-title">{state_icon(state)} {title}</h3> '
        f'<p class="addr">{escape(r.email)}</p> '
        f'<p class="state-line" data-state="{escape(state)}">{escape(glossary.headline(r))}</p> '
        f'<dl class="facts"> {_facts(r, state)} </dl> '
        f"<h4>{what_to_do}</h4> "
        f'<ul class="advice"> {" ".join(_advice(r))} </ul>{unverified} '
        f"{_close_button(target)} </div>"
    )


def _facts(r: RecipientStatus, state: str) -> str:
    """The popover's list of what is known about the failure."""
    words = glossary.plain_explanation(r)
    plain = f'<br><span class="plain">{escape(words)}</span>' if words else ""
    reason = f"<strong>{escape(glossary.reason_text(r))}</strong>{plain}"
    since = ""
    if r.suppressed_since:
        since = _dt(_("Suppressed since")) + f'<dd class="since">{_time(r.suppressed_since)}</dd>'
    blame = escape(r.blame or "unknown")
    return _words(
        _dt(_("State")),
        f'<dd class="state">{escape(glossary.state_label(state))}</dd>',
        f"<dt>{escape(glossary.reason_heading(r))}</dt>",
        f'<dd class="reason">{reason}</dd>',
        since,
        _dt(_("Who should act")),
        f'<dd class="who-acts" data-blame="{blame}">{escape(labels.who_acts_label(r.blame))}</dd>',
        _codes(r),
        _server_words(r),
        _cause_detail(r),
        "".join(_server_line(line) for line in glossary.server_lines(r)),
        _when_and_how(r),
    )


def _codes(r: RecipientStatus) -> str:
    if not r.codes:
        return ""
    reply = enhanced = ""
    if r.reply_code:
        title = _("SMTP reply code")
        reply = f'<code title="{title}">{escape(r.reply_code)}</code>'
    if r.enhanced_status:
        title = _("Enhanced status code")
        enhanced = f'<code title="{title}">{escape(r.enhanced_status)}</code>'
    code = r.enhanced_status or str(r.reply_code or "")
    url = reverse("workspace:code", args=[code])
    meaning = _("What does %(code)s mean?") % {"code": escape(r.codes)}
    link = f'<a class="code-link" href="{escape(url)}">{meaning}</a>'
    return _words(_dt(_("Codes")), '<dd class="codes">', reply, enhanced, link, "</dd>")


def _server_words(r: RecipientStatus) -> str:
    if not glossary.shows_server_words(r):
        return ""
    said = escape(glossary.server_words(r.diagnostic))
    label = escape(glossary.server_words_label(r))
    return f'<dt>{label}</dt> <dd><pre class="diagnostic">{said}</pre></dd>'


def _cause_detail(r: RecipientStatus) -> str:
    """The error as raised when no server replied: technical, apart from any server's words."""
    if not r.cause_detail:
        return ""
    label = _("Technical detail")
    return f'<dt>{label}</dt> <dd><code class="cause-detail">{escape(r.cause_detail)}</code></dd>'


def _server_line(line: glossary.ServerLine) -> str:
    host = f"<code>{escape(line.host)}</code>" if line.host else ""
    note = f' <span class="muted">{escape(line.note)}</span>' if line.note else ""
    return f'<dt>{escape(line.label)}</dt><dd class="server">{host}{note}</dd>'


def _when_and_how(r: RecipientStatus) -> str:
    when = attempts = source = ""
    if r.failed_at:
        when = _dt(_("When")) + f"<dd>{_time(r.failed_at)}</dd>"
    if r.attempts > 1:
        attempts = _dt(_("Attempts")) + f"<dd>{escape(glossary.attempts_note(r))}</dd>"
    if r.failure_source:
        label = escape(glossary.source_label(r.failure_source))
        source = _dt(_("Reported by")) + f'<dd class="source">{label}</dd>'
    return _words(when, attempts, source)


def _advice(r: RecipientStatus) -> Iterable[str]:
    """One `<li>` per thing the agent can do, most useful first."""
    suggestion = suggest_address(r.email or "")
    for item in advice_for(r, suggestion):
        sentence = glossary.ADVICE_TEXTS.get(item)
        if sentence is not None:
            yield f"<li>{words.text(sentence)}</li>"
        elif item == "use_suggestion":
            yield _use_suggestion(r, suggestion or "")
        elif item == "check_address":
            link = _profile_link(r, _("Open the profile"))
            text = _("Check the address for typos in the user's profile.")
            yield f"<li>{text}{' ' + link if link else ''}</li>"
        elif item == "ask_admin":
            yield _ask_admin(r)


def _profile_link(r: RecipientStatus, text: str) -> str:
    if not r.user_id:
        return ""
    return f'<a href="{reverse("workspace:profile", args=[r.user_id])}">{text}</a>'


def _use_suggestion(r: RecipientStatus, suggestion: str) -> str:
    text = _("The domain looks mistyped. Did you mean <strong>%(suggestion)s</strong>?") % {
        "suggestion": escape(suggestion)
    }
    link = _profile_link(r, _("Correct it in the profile"))
    return f"<li>{text} {link}</li>"


def _ask_admin(r: RecipientStatus) -> str:
    """Our sending set-up: the checks of the deliverability page that explain it."""
    text = _(
        "The receiving server refused our mail, not the address: ask your administrator "
        "to check the sending set-up (SPF, DKIM, DMARC, blocklists)."
    )
    checks = checks_for_failure(r.reason, r.enhanced_status, r.diagnostic)
    page = reverse("workspace:deliverability")
    if checks:
        links = " · ".join(
            f'<a href="{page}#check-{escape(c)}">{escape(TITLES[c])}</a>' for c in checks
        )
        explains = _("What explains it:") + f" {links}"
    else:
        setup = _("Sending setup")
        explains = f'<a href="{page}">{setup}</a>'
    return f'<li>{text} <span class="setup-checks">{explains}</span></li>'


def _unverified_popover(r: RecipientStatus, state: str, target: str, context: _Context) -> str:
    title = _("Unverified report about %(name)s") % {"name": escape(r.display_name)}
    label = escape(glossary.state_label(state))
    return (
        f'<div popover id="{target}" class="popover unverified-popover" role="dialog" '
        f'aria-labelledby="{target}-title"> <h3 id="{target}-title">{title}</h3> '
        f'<p class="addr">{escape(r.email)} — {label}</p> {context.unverified_reports(r)} '
        f"{_close_button(target)} </div>"
    )
