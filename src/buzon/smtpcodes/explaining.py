"""Turn the codes of one failed delivery into what the agent reads under the comment."""

from __future__ import annotations

from buzon.smtpcodes.model import Explanation, Lang, normalize_lang
from buzon.smtpcodes.parsing import Status, reply_code_from, status_from
from buzon.smtpcodes.reference import (
    Resolved,
    resolve_reply,
    resolve_reply_class,
    resolve_status,
)

_NO_CODE: dict[Lang, tuple[str, tuple[str, ...]]] = {
    "en": (
        "The receiving side gave no code explaining what happened.",
        (
            "Check the recipient's address for typos.",
            "If the problem continues, contact the recipient another way.",
        ),
    ),
    "es": (
        "El lado receptor no dio ningún código que explique lo ocurrido.",
        (
            "Revisa si la dirección del destinatario tiene errores de escritura.",
            "Si el problema continúa, comunícate con el destinatario por otro medio.",
        ),
    ),
}


def reconcile(reply_code: int | None, status: Status | None) -> Status | None:
    """Give the enhanced code the class of the basic reply code when they disagree.

    The sending server retries or gives up according to the basic reply code, so a
    "550 4.2.2" is read as the permanent 5.2.2. A 3xx reply has no enhanced class and
    leaves the status as it is.
    """
    if status is None or reply_code is None:
        return status
    reply_class = reply_code // 100
    if reply_class in (2, 4, 5) and status.klass != reply_class:
        return status.with_class(reply_class)
    return status


def _resolve_reply(code: int | None, lang: Lang) -> tuple[Resolved | None, bool]:
    """The entry for a reply code, or its class ("5xx"); and whether it was exact."""
    if code is None:
        return None, False
    exact = resolve_reply(code, lang)
    if exact is not None:
        return exact, True
    return resolve_reply_class(code // 100, lang), False


def _resolve_status(status: Status | None, lang: Lang) -> tuple[Resolved | None, bool]:
    """The entry for an enhanced code, falling back to X.subject.0, then to X.0.0.

    Returns whether the entry says something specific: an exact entry other than the
    "other or undefined" detail 0 of its subject.
    """
    if status is None:
        return None, False
    exact = resolve_status(status, lang)
    if exact is not None:
        return exact, status.detail != 0
    for fallback in (Status(status.klass, status.subject, 0), Status(status.klass, 0, 0)):
        found = resolve_status(fallback, lang)
        if found is not None:
            return found, False
    return None, False


def explain(
    reply_code: int | str | None,
    status: str | None,
    lang: str = "en",
) -> Explanation:
    """Explain a failed (or delayed) delivery from its reply code and enhanced status.

    `reply_code` may be an int (550) or text holding one ("550", "550-5.1.1 User
    unknown"); when `status` is missing it is also looked for in that text. The most
    specific of the two codes supplies the message and the advice: a specific
    enhanced status first, else a known reply code, else the class meaning ("5xx",
    "5.0.0"). Unknown or malformed input degrades to those fallbacks; never raises.
    """
    chosen = normalize_lang(lang)
    code = reply_code_from(reply_code)
    parsed = status_from(status) if status is not None else None
    if parsed is None and isinstance(reply_code, str):
        parsed = status_from(reply_code)
    parsed = reconcile(code, parsed)

    reply, reply_exact = _resolve_reply(code, chosen)
    enhanced, enhanced_specific = _resolve_status(parsed, chosen)

    primary: Resolved | None
    if enhanced is not None and enhanced_specific:
        primary = enhanced
    elif reply is not None and reply_exact:
        primary = reply
    else:
        primary = enhanced or reply

    if code is not None:
        permanent = {4: False, 5: True}.get(code // 100)
    elif parsed is not None:
        permanent = {4: False, 5: True}.get(parsed.klass or 0)
    else:
        permanent = None

    if primary is None:
        message, advice = _NO_CODE[chosen]
        return Explanation(message=message, advice=advice, anchors=(), permanent=permanent)

    anchors = tuple(found.info.code for found in (reply, enhanced) if found is not None)
    return Explanation(
        message=primary.plain,
        advice=primary.info.advice,
        anchors=anchors,
        permanent=permanent,
        reply=reply.info if reply else None,
        status=enhanced.info if enhanced else None,
    )
