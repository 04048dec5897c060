"""The one wording of delivery states and events, in English and Spanish (gettext).

Everything that tells an agent what became of an email reads it from here: the
summary under a comment, the warning icon's label, the popover, the events log, the
profile and the delivery-health page. A failure is one of four distinct states:

- refused: the receiving server (or our relay, when nothing else answered) said no;
- expired: temporary failures went on until the retry period ended;
- suppressed: nothing was sent, the address is suppressed since an earlier failure;
- invalid: nothing was sent, the address is not an email address.

Our own words are translated here; the servers' own words are never touched and are
shown apart, in their own box, by the templates.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils.formats import date_format
from django.utils.translation import gettext_lazy, ngettext, pgettext_lazy

from buzon.smtpcodes import explain
from buzon.workspace import deliverydata, labels, words
from buzon.workspace.delivery_summary import FAILED, RecipientStatus
from buzon.workspace.words import gettext as _

# Display states: the delivery states, with "failed" split by what happened.
QUEUED, SENDING, DEFERRED = "queued", "sending", "deferred"
HANDED_OFF, DELIVERED, UNTRACKED = "handed_off", "delivered", ""
REFUSED, EXPIRED, SUPPRESSED, INVALID = "refused", "expired", "suppressed", "invalid"
NOT_SENT = frozenset({SUPPRESSED, INVALID})

STATE_LABELS = {
    UNTRACKED: pgettext_lazy("delivery state", "Not tracked"),
    QUEUED: pgettext_lazy("delivery state", "Queued"),
    SENDING: pgettext_lazy("delivery state", "Sending"),
    DEFERRED: pgettext_lazy("delivery state", "Delayed, retrying"),
    HANDED_OFF: pgettext_lazy("delivery state", "Handed off to our mail relay"),
    DELIVERED: pgettext_lazy("delivery state", "Delivered"),
    REFUSED: pgettext_lazy("delivery state", "Failed to deliver"),
    EXPIRED: pgettext_lazy("delivery state", "Failed to deliver: gave up retrying"),
    SUPPRESSED: pgettext_lazy("delivery state", "Not sent: address suppressed"),
    INVALID: pgettext_lazy("delivery state", "Not sent: invalid address"),
    # Delivery.state's own value, for counts of the table (health page).
    FAILED: pgettext_lazy("delivery state", "Failed to deliver"),
}

UNVERIFIED_LABEL = gettext_lazy("Unverified report")

# Who told us (Delivery.failure_source), short, for lists.
SOURCE_LABELS = {
    "smtp": gettext_lazy("Our mail relay"),
    "dsn": gettext_lazy("Bounce report"),
    "webhook": gettext_lazy("Email provider"),
    "suppressed": gettext_lazy("Buzón: nothing was sent"),
    "expired": gettext_lazy("Buzón: the retry period ended"),
    "invalid": gettext_lazy("Buzón: nothing was sent"),
}

# Why an attempt got no server's answer, or what our relay refused (`Delivery.cause`).
CAUSE_LABELS = {
    "refused": gettext_lazy("No server replied: our mail relay refused the connection"),
    "timeout": gettext_lazy("No server replied: our mail relay did not answer in time"),
    "tls": gettext_lazy("No server replied: the secure connection (TLS) to our mail relay failed"),
    "closed": gettext_lazy(
        "No server replied: our mail relay closed the connection before answering"
    ),
    "dns": gettext_lazy("No server replied: the name of our mail relay could not be found"),
    "network": gettext_lazy(
        "No server replied: a network error cut the connection to our mail relay"
    ),
    "esp": gettext_lazy("No server replied: the email provider could not be reached"),
    "internal": gettext_lazy("No server replied: an internal error in Buzón stopped the attempt"),
    "relay_refused": gettext_lazy("Our mail relay refused the connection or our sign-in"),
    "sender_refused": gettext_lazy("Our mail relay refused our sender address"),
    "invalid_address": gettext_lazy("The address is not a valid email address"),
    "unbuildable": gettext_lazy("The email could not be built (an error of ours)"),
}


def cause_label(cause: str) -> str:
    return str(CAUSE_LABELS.get(cause, cause))


# The diagnostic of an invalid address is our address checker's, not a server's; every
# other diagnostic is a server's words (for a suppression: of the failure that caused it).
NOT_SERVER_WORDS_SOURCES = frozenset({"invalid"})


def display_state(state: str, failure_source: str = "") -> str:
    """The display state of a delivery from its stored state and failure source."""
    if state != FAILED:
        return state or UNTRACKED
    return {"suppressed": SUPPRESSED, "expired": EXPIRED, "invalid": INVALID}.get(
        failure_source, REFUSED
    )


def state_of(r: RecipientStatus) -> str:
    return display_state(r.state, r.failure_source)


def state_label(state: str) -> str:
    return words.text(STATE_LABELS.get(state or UNTRACKED, state))


def source_label(source: str) -> str:
    return words.text(SOURCE_LABELS.get(source or "", source))


def _day(at: datetime | None) -> str:
    return date_format(at, "j M Y") if at else ""


def _when(at: datetime | None) -> str:
    return date_format(at, "j M Y H:i") if at else ""


def current_lang() -> str:
    return (words.language() or "en")[:2]


def explanation_for(recipient: RecipientStatus) -> Any:
    """The code reference's explanation of a failure's codes, or None."""
    if not (recipient.reply_code or recipient.enhanced_status):
        return None
    try:
        reply = int(recipient.reply_code) if str(recipient.reply_code).isdigit() else None
        return explain(reply, recipient.enhanced_status or None, current_lang())
    except (ValueError, KeyError, TypeError):
        return None


def last_reason(r: RecipientStatus) -> str:
    """Why the last attempt failed, in our words: the reason class when it is a real
    one, else what the code reference says of its codes, else that no server answered
    (and why, when our side knows: `deliveries.causes`)."""
    if r.cause:
        return cause_label(r.cause)
    if r.reason and r.reason not in ("expired", "suppressed", "undefined"):
        return labels.reason_label(r.reason)
    explanation = explanation_for(r)
    if explanation is not None and explanation.status is not None:
        return str(explanation.status.title)
    if explanation is not None and explanation.reply is not None:
        return str(explanation.reply.title)
    if r.reason == "undefined" or r.codes:
        return labels.reason_label("undefined")
    return _("No server answered")


def reason_text(r: RecipientStatus) -> str:
    """The short reason shown next to the codes, for every failed or retrying state."""
    state = state_of(r)
    if state == INVALID:
        return cause_label("unbuildable" if r.cause == "unbuildable" else "invalid_address")
    return last_reason(r)


def headline(r: RecipientStatus) -> str:
    """One sentence for one recipient, the same in the summary, the popover and the
    events log (the codes are shown next to it, apart)."""
    name = r.display_name
    state = state_of(r)
    reason = reason_text(r)
    if state == SUPPRESSED and r.reason == "mailloop":
        return _(
            "Not sent to %(name)s: this email answered an earlier failure notice "
            "(protection against mail loops)"
        ) % {"name": name}
    if state == SUPPRESSED:
        since = _day(r.suppressed_since)
        if since:
            return _(
                "Not sent to %(name)s: the address is suppressed since %(since)s, after an "
                "earlier failure (%(reason)s)"
            ) % {"name": name, "since": since, "reason": reason}
        return _(
            "Not sent to %(name)s: the address is suppressed after an earlier failure (%(reason)s)"
        ) % {
            "name": name,
            "reason": reason,
        }
    if state == INVALID:
        return _("Not sent to %(name)s: %(reason)s") % {"name": name, "reason": reason}
    if state == EXPIRED:
        return _("Failed to deliver to %(name)s: gave up retrying. Last attempt: %(reason)s") % {
            "name": name,
            "reason": reason,
        }
    if state == REFUSED:
        return _("Failed to deliver to %(name)s: %(reason)s") % {"name": name, "reason": reason}
    if state == DEFERRED:
        return _("Delayed for %(name)s, retrying. Last attempt: %(reason)s") % {
            "name": name,
            "reason": reason,
        }
    return _("%(state)s: %(name)s") % {"state": state_label(state), "name": name}


def icon_label(r: RecipientStatus) -> str:
    """The accessible name of the icon button that opens the popover."""
    if state_of(r) in NOT_SENT:
        return _("Not sent to %(name)s. Show why") % {"name": r.display_name}
    return _("Failed to deliver to %(name)s. Show the reason") % {"name": r.display_name}


def popover_title(r: RecipientStatus) -> str:
    if state_of(r) in NOT_SENT:
        return _("Not sent to %(name)s") % {"name": r.display_name}
    return _("Failed to deliver to %(name)s") % {"name": r.display_name}


def retry_note(r: RecipientStatus) -> str:
    """While retrying: when the next try is, and when we give up."""
    parts = []
    if r.next_attempt_at:
        parts.append(_("next try %(when)s") % {"when": _when(r.next_attempt_at)})
    if r.expires_at:
        parts.append(_("gives up %(when)s") % {"when": _when(r.expires_at)})
    return " · ".join(parts)


def attempts_note(r: RecipientStatus) -> str:
    if r.attempts <= 0:
        return ""
    return ngettext("%(n)d attempt", "%(n)d attempts", r.attempts) % {"n": r.attempts}


@dataclass(frozen=True)
class ServerLine:
    """Who answered, named as what it is: the receiving server or our relay."""

    label: str
    host: str
    note: str = ""


def server_lines(r: RecipientStatus) -> list[ServerLine]:
    """The servers a failure names. An SMTP refusal came from our relay (the next hop
    we handed the message to): the receiving server is then not known. A bounce
    report names the receiving server (Remote-MTA); an email provider names itself."""
    host = r.remote_mta
    if r.cause:
        return _cause_server_lines(r.cause, host)
    if r.failure_source == "smtp" and host:
        return [
            ServerLine(_("Our mail relay"), host),
            ServerLine(
                _("Receiving server"), "", _("not known: only our relay answered, and it refused")
            ),
        ]
    if r.failure_source == "dsn" and host:
        return [ServerLine(_("Receiving server"), host, _("as named by the bounce report"))]
    if r.failure_source == "webhook" and host:
        return [ServerLine(_("Email provider"), host)]
    return []


def _cause_server_lines(cause: str, host: str) -> list[ServerLine]:
    """A failure of our own hop: the relay (or provider) named as such; the receiving
    server was never reached."""
    not_reached = ServerLine(
        _("Receiving server"), "", _("not reached: the message did not get past our mail relay")
    )
    if cause in ("internal", "invalid_address", "unbuildable"):
        return []  # no server was involved
    if cause == "esp":
        return [ServerLine(_("Email provider"), host, _("no reply")), not_reached]
    note = _("it answered") if cause in deliverydata.RELAY_ANSWERED_CAUSES else _("no reply")
    return [ServerLine(_("Our mail relay"), host, note), not_reached]


def shows_server_words(r: RecipientStatus) -> bool:
    return bool(r.diagnostic) and r.failure_source not in NOT_SERVER_WORDS_SOURCES


# Copies recorded before the glossary kept our English around the server's words.
_OUR_OLD_WORDS = re.compile(
    r"^(?:Not sent: \S+ is suppressed since \d{4}-\d{2}-\d{2} \([^)]*\): "
    r"|Gave up after \d+ attempt\(s\) over [^.]*\. Last error: )"
)


def server_words(diagnostic: str) -> str:
    """A stored diagnostic as the server said it, without words of ours."""
    return _OUR_OLD_WORDS.sub("", diagnostic or "", count=1)


def reason_heading(r: RecipientStatus) -> str:
    """The popover's heading of the reason: whose failure the reason is."""
    state = state_of(r)
    if state == EXPIRED:
        return _("Reason of the last attempt")
    if state == SUPPRESSED:
        return _("Reason of the earlier failure")
    return _("Reason")


def plain_explanation(r: RecipientStatus) -> str:
    """What the code reference says of the failure's codes, in plain words, or ""."""
    explanation = explanation_for(r)
    return str(explanation.message) if explanation is not None else ""


# What an agent can do (delivery_summary.advice_for's keys), for the keys that are one
# sentence; the others carry a link or the suggested address (workspace.delivery_html).
ADVICE_TEXTS = {
    "contact_another_way": gettext_lazy(
        "Contact the user another way (phone, chat) to tell them and to get a working "
        "email address."
    ),
    "reach_another_way": gettext_lazy(
        "If it is urgent, reach the user another way (phone, chat). Their address is fine: "
        "do not ask them for a new one."
    ),
    "ask_to_allow": gettext_lazy(
        "Ask the user, by another channel, to allow our address in their mail filters; "
        "then re-send by adding a public comment."
    ),
    "change_content": gettext_lazy(
        "Change the message (remove links, attachments or wording that looks like spam), "
        "then re-send it by adding a public comment. The address is fine."
    ),
    "ask_admin_reputation": gettext_lazy(
        "The receiving server limited our mail because of our sending reputation or rate, "
        "not the address: tell your administrator (see Delivery health), and re-send later."
    ),
    "see_codes": gettext_lazy(
        "The report does not say whose fault it is: open the code reference above, and "
        "check the server's words."
    ),
    "shrink_and_resend": gettext_lazy(
        "Make the message smaller (remove or link large attachments), then re-send it by "
        "adding a public comment."
    ),
    "resend_later": gettext_lazy(
        "The problem may be temporary: re-send later by adding a public comment."
    ),
    "lift_suppression": gettext_lazy(
        "Once the address is corrected or confirmed, mark it as deliverable in the profile "
        "so that notifications are sent to it again."
    ),
}


def server_words_label(r: RecipientStatus) -> str:
    if r.cause in deliverydata.RELAY_ANSWERED_CAUSES:
        return _("Our mail relay said")
    if state_of(r) == SUPPRESSED:
        return _("The receiving server said, in the failure that suppressed the address")
    if state_of(r) == EXPIRED:
        return _("The last answer")
    return _("The receiving server said")


def recipient_from_event(data: dict[str, Any]) -> RecipientStatus:
    """A DeliveryFailure event's data as the recipient status the glossary words."""
    who = data.get("recipient") or {}
    since = data.get("suppressed_since")
    codes = bool(data.get("reply_code") or data.get("enhanced_status"))
    stored = deliverydata.stored_cause(
        data.get("cause") or "",
        data.get("cause_detail") or "",
        data.get("diagnostic") or "",
        "",
        data.get("remote_mta") or "",
        has_codes=codes,
    )
    return RecipientStatus(
        email=who.get("email", ""),
        name=who.get("name", ""),
        state=FAILED,
        reply_code=str(data.get("reply_code") or ""),
        enhanced_status=data.get("enhanced_status") or "",
        reason=data.get("reason") or "",
        diagnostic=stored.diagnostic,
        remote_mta=stored.remote_mta,
        failure_source=data.get("source") or "",
        blame=data.get("blame") or "",
        suppressed_since=datetime.fromisoformat(since) if since else None,
        cause=stored.cause,
        cause_detail=stored.detail,
    )
