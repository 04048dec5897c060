"""Map a delivery result onto Zendesk's delivery-status vocabulary.

Zendesk reports, per email recipient, a delivery status from a fixed table of 55 rows
(id, NAME, code). Buzón mirrors that vocabulary so that integrations written against
Zendesk's API read Buzón's the same way; the explanatory messages are our own.

How `zendesk_status()` picks a row, in order:

1. Zendesk's pseudo-codes: 0-4 (internal states) and "EC-001".."EC-006" (errors of a
   connected email account) match their row; an unknown "EC-..." is EC_ERROR (48).
2. Both reply code and enhanced status match a row exactly ("550 5.1.1" -> 39) --
   with one exception, below.
3. The enhanced status names a specific condition that has a row of its own
   (X.1.1 -> USER_DOES_NOT_EXIST, X.2.2 -> MAILBOX_FULL, X.3.4 -> MESSAGE_TOO_BIG ...,
   see _ROW_BY_STATUS). The enhanced code is the more precise of the two (RFC 3463),
   so "550 5.2.2" is MAILBOX_FULL rather than the generic MAILBOX_UNAVAILABLE.
4. The reply code alone has a row ("552" -> MAILBOX_FULL, "550" -> 29).
5. 421 "service not available" -> SMTP_SERVICE_NOT_AVAILABLE (15): Zendesk files that
   condition under its own pseudo-code 505, but 421 is where SMTP reports it.
6. Otherwise by class: success (2xx, or a 2.X.X status with no reply code) ->
   DELIVERED (5); any other failure, including no code at all ->
   UNRECOGNIZED_EXTERNAL_ERROR (2).

The exception: "552 5.3.4" is literally HEADER_SIZE_EXCEEDS_FIXED_MAXIMUM_SIZE (42) in
Zendesk's table, but X.3.4 means "message too big for system" (RFC 3463), and the
servers that send 552 5.3.4 (Gmail, Postfix, Exchange) mostly mean the whole message.
An agent told "headers too large" would look in the wrong place, and the fix for the
usual case is to shrink attachments. So 552 5.3.4 maps to MESSAGE_TOO_BIG (34), and to
row 42 only when the server's text (`diagnostic`) mentions headers.

A status whose class disagrees with the reply code takes the reply code's class
("550 4.1.1" is read as 550 5.1.1), as in `explain()`.
"""

from __future__ import annotations

import re
from functools import cache

from buzon.smtpcodes.explaining import reconcile
from buzon.smtpcodes.loading import zendesk_rows
from buzon.smtpcodes.model import ZendeskStatus
from buzon.smtpcodes.parsing import Status, fold, reply_code_from, status_from

UNRECOGNIZED_EXTERNAL_ERROR = 2
DELIVERED = 5
SMTP_SERVICE_NOT_AVAILABLE = 15
MESSAGE_TOO_BIG = 34
EC_ERROR = 48

_ROW_BY_STATUS: dict[str, int] = {
    "X.1.1": 39,  # bad destination mailbox -> USER_DOES_NOT_EXIST
    "X.1.3": 17,  # bad destination mailbox address syntax -> RECIPIENT_EMAIL_ADDRESS_INVALID
    "X.1.10": 35,  # recipient domain has null MX -> DOMAIN_DOES_NOT_ACCEPT_MAIL
    "X.2.1": 40,  # mailbox disabled -> RECIPIENT_IS_INACTIVE
    "X.2.2": 31,  # mailbox full -> MAILBOX_FULL
    "X.2.3": 34,  # message too long for the mailbox -> MESSAGE_TOO_BIG
    "X.3.4": 34,  # message too big for the system -> MESSAGE_TOO_BIG
    "X.5.6": 7,  # AUTH line too long -> AUTHENTICATION_EXCHANGE_LINE_TOO_LONG
    "X.7.8": 26,  # credentials invalid -> AUTHENTICATION_CREDENTIALS_INVALID
    "X.7.9": 25,  # mechanism too weak -> AUTHENTICATION_MECHANISM_WEAK
    "X.7.10": 22,  # encryption needed -> ENCRYPTION_NEEDED_OR_EMAIL_TOO_LARGE
    "X.7.11": 27,  # encryption required for the mechanism -> ENCRYPTION_REQUIRED
    "X.7.23": 19,  # SPF validation failed -> IP_AND_SPF_RECORD_DO_NOT_MATCH
}
"""Enhanced statuses that name exactly one of Zendesk's conditions (rule 3)."""

_ROW_BY_REPLY_ALIAS: dict[int, int] = {421: SMTP_SERVICE_NOT_AVAILABLE}

_EC_CODE = re.compile(r"\s*EC-?(\d{1,3})\s*", re.ASCII | re.IGNORECASE)
_PSEUDO_CODE = re.compile(r"\s*([0-4])\s*", re.ASCII)


@cache
def zendesk_statuses() -> tuple[ZendeskStatus, ...]:
    """Zendesk's whole delivery-status table, by id (0-54)."""
    return tuple(
        ZendeskStatus(row.id, row.name, row.code, row.message_en, row.message_es)
        for row in zendesk_rows()
    )


@cache
def _by_id() -> dict[int, ZendeskStatus]:
    return {status.id: status for status in zendesk_statuses()}


@cache
def _by_code() -> dict[str, ZendeskStatus]:
    return {status.code: status for status in zendesk_statuses()}


def zendesk_status_of(status_id: int) -> ZendeskStatus:
    """The row of an id known to be in the table (0-54); KeyError for any other."""
    return _by_id()[status_id]


def zendesk_status_by_id(status_id: object) -> ZendeskStatus | None:
    """The row with this id, or None (also for garbage such as "abc" or True)."""
    if isinstance(status_id, bool) or not isinstance(status_id, int | str):
        return None
    try:
        return _by_id().get(int(status_id))
    except ValueError:
        return None


def _pseudo_code(reply_code: object) -> ZendeskStatus | None:
    """Rule 1: Zendesk's own codes 0-4 and EC-00x."""
    if isinstance(reply_code, bool):
        return None
    if isinstance(reply_code, int):
        return _by_code().get(str(reply_code)) if 0 <= reply_code <= 4 else None
    if not isinstance(reply_code, str):
        return None
    if match := _PSEUDO_CODE.fullmatch(reply_code):
        return _by_code().get(match.group(1))
    if match := _EC_CODE.fullmatch(reply_code):
        found = _by_code().get(f"EC-{int(match.group(1)):03d}")
        return found or _by_id()[EC_ERROR]
    return None


def _mentions_headers(diagnostic: object) -> bool:
    return isinstance(diagnostic, str) and "header" in fold(diagnostic)


def _from_codes(code: int | None, status: Status | None, diagnostic: object) -> ZendeskStatus:
    rows = _by_code()
    if code is not None and status is not None:
        pair = f"{code} {status}"
        if pair == "552 5.3.4" and not _mentions_headers(diagnostic):
            return _by_id()[MESSAGE_TOO_BIG]
        if pair in rows:
            return rows[pair]
    if status is not None and status.klass in (4, 5) and status.generic in _ROW_BY_STATUS:
        return _by_id()[_ROW_BY_STATUS[status.generic]]
    if code is not None:
        if str(code) in rows:
            return rows[str(code)]
        if code in _ROW_BY_REPLY_ALIAS:
            return _by_id()[_ROW_BY_REPLY_ALIAS[code]]
    success = code // 100 == 2 if code is not None else status is not None and status.klass == 2
    return _by_id()[DELIVERED if success else UNRECOGNIZED_EXTERNAL_ERROR]


def zendesk_status(
    reply_code: int | str | None,
    status: str | None = None,
    diagnostic: str | None = None,
) -> ZendeskStatus:
    """The Zendesk delivery status for a result (see the module docstring for the rules).

    `reply_code` is an int or text (550, "550", "550 5.1.1 ...", "EC-004"); `status`
    the enhanced status ("5.1.1"), also looked for in `reply_code`'s text when missing;
    `diagnostic` the server's own words (by default, `reply_code` when it is text),
    used only to tell header size from message size. Garbage degrades to
    UNRECOGNIZED_EXTERNAL_ERROR; never raises.
    """
    pseudo = _pseudo_code(reply_code)
    if pseudo is not None:
        return pseudo
    code = reply_code_from(reply_code)
    parsed = status_from(status) if status is not None else None
    if parsed is None and isinstance(reply_code, str):
        parsed = status_from(reply_code)
    if diagnostic is None and isinstance(reply_code, str):
        diagnostic = reply_code
    return _from_codes(code, reconcile(code, parsed), diagnostic)
