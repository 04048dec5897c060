"""End-user profile: email identities, deliverability, failures; fix and re-enable."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString
from django.utils.text import Truncator
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from buzon.domains.recipients import domain_verdict
from buzon.domains.typos import suggest_address
from buzon.tickets.models import DeliverableState, Ticket, User, UserIdentity
from buzon.workspace import deliverydata, glossary, identities, labels
from buzon.workspace.access import AgentRequest, agent_required
from buzon.workspace.delivery_summary import RecipientStatus
from buzon.workspace.forms import AddressForm


@dataclass
class IdentityRow:
    identity: UserIdentity
    suggestion: str | None
    last_failure: datetime | None
    suppression: Any

    @property
    def undeliverable(self) -> bool:
        return (
            self.identity.deliverable_state == DeliverableState.UNDELIVERABLE
            or self.suppression is not None
        )


@dataclass(frozen=True)
class FailureRow:
    """One failed delivery on the profile, worded once here rather than by a dozen
    filters per row in the template (the profile lists up to 50)."""

    failed_at: str  # ISO 8601, in the reader's time zone
    when: str  # the same, for reading
    email: str
    state: str  # the glossary's display state
    headline: str
    server_words: str  # empty when the diagnostic is not the server's words
    reply_code: str
    enhanced_status: str
    code_url: str
    source: str
    ticket_id: int | None
    ticket_url: str


class FailureRows(list[FailureRow]):
    """The profile's failure rows; `html` is the table's rows, written here rather than
    in the template (50 rows of ten variables cost more than their markup)."""

    @property
    def html(self) -> SafeString:
        return SafeString("".join(_row_html(f) for f in self))


_ROW = (
    '<tr><td><time datetime="{failed_at}">{when}</time></td><td>{email}</td>'
    '<td class="state-{state}" data-state="{state}">{headline}{words}</td>'
    "<td>{reply_code} {enhanced_status}</td><td>{source}</td><td>{ticket}</td></tr>"
)


def _row_html(f: FailureRow) -> str:
    words = f'<pre class="diagnostic">{escape(f.server_words)}</pre>' if f.server_words else ""
    reply_code = f"<code>{escape(f.reply_code)}</code>" if f.reply_code else ""
    enhanced = (
        f'<a href="{escape(f.code_url)}"><code>{escape(f.enhanced_status)}</code></a>'
        if f.enhanced_status
        else ""
    )
    ticket = f'<a href="{escape(f.ticket_url)}">#{int(f.ticket_id)}</a>' if f.ticket_id else ""
    return _ROW.format(
        failed_at=escape(f.failed_at), when=escape(f.when), email=escape(f.email),
        state=escape(f.state), headline=escape(f.headline), words=words,
        reply_code=reply_code, enhanced_status=enhanced, source=escape(f.source), ticket=ticket,
    )  # fmt: skip


def failure_rows(failures: list[tuple[Any, RecipientStatus]]) -> FailureRows:
    """The profile's rows for (delivery, its status) pairs. What rows share (a code's
    link, a source's label, the month names, the ticket link's shape) is made once."""
    code_urls: dict[str, str] = {}
    sources: dict[str, str] = {}
    months = labels.short_months(get_language() or "")
    ticket_prefix, ticket_suffix = reverse("workspace:ticket", args=[0]).rsplit("0", 1)
    rows = FailureRows()
    for d, status in failures:
        code = d.enhanced_status or ""
        if code and code not in code_urls:
            code_urls[code] = reverse("workspace:code", args=[code])
        source = d.failure_source or ""
        if source not in sources:
            sources[source] = glossary.source_label(source)
        at = timezone.localtime(d.failed_at) if d.failed_at else None
        rows.append(
            FailureRow(
                failed_at=at.isoformat() if at else "",
                # date_format(at, "j M Y H:i"), without parsing the format per row
                when=f"{at.day} {months[at.month]} {at.year:04d} {at.hour:02d}:{at.minute:02d}"
                if at
                else "",
                email=d.email,
                state=glossary.state_of(status),
                headline=glossary.headline(status),
                server_words=_shortened(glossary.server_words(status.diagnostic))
                if glossary.shows_server_words(status)
                else "",
                reply_code=str(d.reply_code or ""),
                enhanced_status=code,
                code_url=code_urls.get(code, ""),
                source=sources[source],
                ticket_id=d.ticket_id,
                ticket_url=f"{ticket_prefix}{int(d.ticket_id)}{ticket_suffix}"
                if d.ticket_id
                else "",
            )
        )
    return rows


SHOWN_WORDS = 300  # characters of a diagnostic


def _shortened(text: str) -> str:
    """At most SHOWN_WORDS characters, with an ellipsis when cut (Truncator walks every
    character, so a text short enough is not given to it)."""
    return text if len(text) <= SHOWN_WORDS else Truncator(text).chars(SHOWN_WORDS)


def profile_context(person: User, add_form: AddressForm | None = None) -> dict[str, Any]:
    rows = deliverydata.identities_with_last_failure(person)
    addresses = [i.value for i in rows]
    # In force or not: when each began also words the failures it stopped.
    suppressions = deliverydata.suppressions_of(addresses)
    in_force = {address: s for address, s in suppressions.items() if s.active}
    return {
        "person": person,
        "identities": [
            IdentityRow(
                i,
                suggest_address(i.value),
                getattr(i, "last_failure", None),
                in_force.get(i.value.lower()),
            )
            for i in rows
        ],
        "failures": failure_rows(deliverydata.failures_for_addresses(addresses, suppressions)),
        "requested": list(
            Ticket.objects.filter(requester=person)
            .only("id", "subject", "status")
            .order_by("-updated_at", "-id")[:20]
        ),
        "add_form": add_form or AddressForm(),
    }


@agent_required
def profile(request: HttpRequest, user_id: int) -> HttpResponse:
    person = get_object_or_404(User.objects.select_related("organization"), pk=user_id)
    return render(request, "workspace/profile.html", profile_context(person))


def _identity(user_id: int, identity_id: int) -> UserIdentity:
    return get_object_or_404(UserIdentity, pk=identity_id, user_id=user_id)


def _back(user_id: int) -> HttpResponse:
    return redirect("workspace:profile", user_id=user_id)


@agent_required
@require_POST
def identity_edit(request: HttpRequest, user_id: int, identity_id: int) -> HttpResponse:
    identity = _identity(user_id, identity_id)
    form = AddressForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("That is not a valid email address."))
        return _back(user_id)
    previous = identity.value
    try:
        identity = identities.change_address(identity, form.cleaned_data["address"])
    except identities.IdentityError as exc:
        messages.error(request, str(exc))
        return _back(user_id)
    if identity.value != previous:
        messages.success(
            request,
            _("Address changed from %(old)s to %(new)s. Add a public comment to re-send.")
            % {"old": previous, "new": identity.value},
        )
        _warn_if_domain_cannot_receive(request, identity.value)
    return _back(user_id)


def _warn_if_domain_cannot_receive(request: HttpRequest, address: str) -> None:
    """Flag a domain that cannot receive mail; a slow or failed lookup says nothing."""
    verdict = domain_verdict(address.rpartition("@")[2])
    if verdict.can_receive is False:
        messages.warning(request, verdict.message)


@agent_required
@require_POST
def identity_add(request: HttpRequest, user_id: int) -> HttpResponse:
    person = get_object_or_404(User, pk=user_id)
    form = AddressForm(request.POST)
    if not form.is_valid():
        return render(request, "workspace/profile.html", profile_context(person, form), status=400)
    try:
        identities.add_address(person, form.cleaned_data["address"])
    except identities.IdentityError as exc:
        form.add_error("address", str(exc))
        return render(request, "workspace/profile.html", profile_context(person, form), status=400)
    messages.success(request, _("Address added."))
    _warn_if_domain_cannot_receive(request, form.cleaned_data["address"])
    return _back(user_id)


@agent_required
@require_POST
def identity_make_primary(request: HttpRequest, user_id: int, identity_id: int) -> HttpResponse:
    identity = _identity(user_id, identity_id)
    try:
        identities.make_primary(identity)
    except Exception:  # the unique e-mail of User: someone else already has it
        messages.error(request, _("Another user already has this address."))
        return _back(user_id)
    messages.success(
        request, _("%(address)s is now the primary address.") % {"address": identity.value}
    )
    return _back(user_id)


@agent_required
@require_POST
def identity_mark_deliverable(
    request: AgentRequest, user_id: int, identity_id: int
) -> HttpResponse:
    identity = _identity(user_id, identity_id)
    identities.mark_deliverable(identity, request.user)
    messages.success(
        request,
        _("%(address)s is marked as deliverable; new notifications will be sent to it.")
        % {"address": identity.value},
    )
    return _back(user_id)
