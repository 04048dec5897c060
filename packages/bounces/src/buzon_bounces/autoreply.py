"""RFC 3834 auto-replies and the common vacation formats that ignore it."""

from __future__ import annotations

import re

from . import address
from .mail import Mail

_SUBJECT_RE = re.compile(
    r"(?i)^(?:auto(?:matic)?[ \-]?(?:reply|response|antwort|réponse|reponse|respuesta|risposta)\b"
    r"|auto:|autoreply|out of (?:the )?office|abwesenheitsnotiz|absence|abwesend|vacation"
    r"|i am (?:away|out)|away from (?:my|the) office|réponse automatique|respuesta automática"
    r"|risposta automatica|自動応答|不在)"
)
_DAEMON_RE = re.compile(r"(?i)mailer-daemon|postmaster|mail delivery|mail-daemon")


def detect(mail: Mail) -> bool:
    """True when the message is an automatic reply from a person's mailbox (not a bounce)."""
    if _DAEMON_RE.search(mail.sender):
        return False
    auto_submitted = mail.header("auto-submitted").lower()
    if auto_submitted.startswith("auto-replied"):
        return True
    if mail.header("x-autoreply") or mail.header("x-autorespond") or mail.header("x-autoresponder"):
        return True
    precedence = mail.header("precedence").lower()
    if precedence in ("auto_reply", "auto-reply"):
        return True
    if mail.header("x-auto-response-suppress") and mail.subject_lower.startswith(
        ("automatic reply", "auto")
    ):
        return True
    return _SUBJECT_RE.search(mail.subject.strip()) is not None and bool(
        mail.header("in-reply-to")
        or mail.header("x-auto-response-suppress")
        or auto_submitted
        or mail.header("x-mailer")
    )


def who(mail: Mail) -> str:
    """The auto-replying address: the message's own From."""
    return address.find_first(mail.header("from")) or address.find_first(mail.header("reply-to"))
