"""Why an attempt has no server's answer, or what our side adds to one: a short code
the workspace words (in the reader's language), kept apart from the server's words.

The sending path stores the code in `Delivery.cause` and the technical detail (the
operating system's or library's error, as raised) in `Delivery.cause_detail`; the
diagnostic then holds only what a server said, or nothing.

- no answer at all: `refused` (the relay refused the connection), `timeout`, `tls`
  (the TLS handshake or certificate failed), `closed` (the relay closed the
  connection before answering), `dns` (the relay's name did not resolve), `network`
  (another network error), `esp` (the email provider's backend could not be used),
  `internal` (an error of ours);
- the relay answered (its words are the diagnostic): `relay_refused` (it refused us
  at connection, greeting or login), `sender_refused` (it refused our envelope sender);
- nothing was sent (failure source `invalid`): `invalid_address` (the address checker's
  verdict is the detail), `unbuildable` (why the email could not be built).

Copies recorded before this module carried our English sentence in the text instead;
`read_old_text` takes it apart for display.
"""

from __future__ import annotations

import re
import smtplib
import socket
import ssl
from dataclasses import dataclass

REFUSED, TIMEOUT, TLS, CLOSED, DNS, NETWORK, ESP, INTERNAL = (
    "refused", "timeout", "tls", "closed", "dns", "network", "esp", "internal",
)  # fmt: skip
RELAY_REFUSED, SENDER_REFUSED = "relay_refused", "sender_refused"
INVALID_ADDRESS, UNBUILDABLE = "invalid_address", "unbuildable"

NO_ANSWER = frozenset({REFUSED, TIMEOUT, TLS, CLOSED, DNS, NETWORK, ESP, INTERNAL})
RELAY_ANSWERED = frozenset({RELAY_REFUSED, SENDER_REFUSED})
NOT_SENT = frozenset({INVALID_ADDRESS, UNBUILDABLE})  # nothing was sent: no server involved
CAUSES = NO_ANSWER | RELAY_ANSWERED | NOT_SENT


def cause_of(exc: BaseException) -> str:
    """The cause code of a network or SMTP library error met while talking to the relay."""
    if isinstance(exc, ConnectionRefusedError):
        return REFUSED
    if isinstance(exc, socket.gaierror):
        return DNS
    if isinstance(exc, TimeoutError):
        return TIMEOUT
    if isinstance(exc, ssl.SSLError | smtplib.SMTPNotSupportedError):
        return TLS  # a handshake, a certificate, or no STARTTLS where it was required
    if isinstance(exc, smtplib.SMTPServerDisconnected | ConnectionError | EOFError):
        return CLOSED
    return NETWORK


def detail_of(exc: BaseException) -> str:
    """The technical detail of an error as raised (never translated)."""
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


@dataclass(frozen=True)
class OldText:
    """An old stored text taken apart: its cause, the technical detail, what the
    server said (when it said something) and the relay's host (when named)."""

    cause: str
    detail: str = ""
    words: str = ""
    relay: str = ""


_CONNECT = re.compile(r"^could not connect to the relay (?P<where>\S+): (?P<detail>.*)\Z", re.S)
_LOST = re.compile(r"^connection to the relay lost at (?P<stage>\w+): (?P<detail>.*)\Z", re.S)
_RELAY = re.compile(r"^relay (?P<where>\S+?)(?P<refused> refused us)?: (?P<rest>.*)\Z", re.S)
_SENDER = re.compile(r"^the relay refused our sender: (?P<rest>.*)\Z", re.S)
_INTERNAL = re.compile(r"^internal error: (?P<detail>.*)\Z", re.S)
_ESP = re.compile(r"^email service provider backend: (?P<detail>.*)\Z", re.S)
_UNBUILDABLE = re.compile(r"^Not sent: the email could not be built \((?P<detail>.*)\)\.\Z", re.S)
_NOT_AN_ADDRESS = re.compile(
    r"^Not sent: .* is not a valid email address: (?P<detail>.*)\.\Z", re.S
)
_CODES = re.compile(r"^(?:[245]\d\d[ -])?(?:[245]\.\d{1,3}\.\d{1,3} )?")


def _cause_in(detail: str) -> str:
    """The cause an old text's error names (it kept only the error's message)."""
    lowered = detail.lower()
    for cause, marks in (
        (REFUSED, ("connection refused", "errno 111", "errno 61")),
        (DNS, ("name or service not known", "name resolution", "nodename nor servname")),
        (TIMEOUT, ("timed out", "timeout")),
        (TLS, ("ssl", "certificate", "tls", "starttls")),
        (CLOSED, ("unexpectedly closed", "disconnected", "connection reset", "broken pipe")),
    ):
        if any(mark in lowered for mark in marks):
            return cause
    return NETWORK


def _host(where: str) -> str:
    return where.rsplit(":", 1)[0] if where.count(":") == 1 else where


def read_old_text(text: str, *, has_codes: bool = False) -> OldText | None:
    """An old stored diagnostic or last error with our English around it, taken apart;
    None when it is not one (a server's words, kept as they are)."""
    text = _CODES.sub("", text or "", count=1)
    if not text:
        return None
    if m := _CONNECT.match(text):
        detail = m["detail"]
        return OldText(_cause_in(detail), detail, relay=_host(m["where"]))
    if m := _LOST.match(text):
        detail = m["detail"]
        return OldText(_cause_in(detail) if detail else CLOSED, f"{m['stage']}: {detail}")
    if m := _SENDER.match(text):
        return OldText(SENDER_REFUSED, words=m["rest"])
    if m := _INTERNAL.match(text):
        return OldText(INTERNAL, m["detail"])
    if m := _ESP.match(text):
        return OldText(ESP, m["detail"])
    if m := _UNBUILDABLE.match(text):
        return OldText(UNBUILDABLE, m["detail"])
    if m := _NOT_AN_ADDRESS.match(text):
        return OldText(INVALID_ADDRESS, m["detail"])
    if m := _RELAY.match(text):
        if has_codes or m["refused"]:
            return OldText(RELAY_REFUSED, words=m["rest"], relay=_host(m["where"]))
        return OldText(_cause_in(m["rest"]), m["rest"], relay=_host(m["where"]))
    return None


@dataclass(frozen=True)
class Stored:
    """A copy's cause, detail, server's words and relay host, as stored or (for an old
    copy) as read back out of our old English text."""

    cause: str
    detail: str
    diagnostic: str
    remote_mta: str


def as_stored(
    cause: str, detail: str, diagnostic: str, last_error: str, remote_mta: str, *, has_codes: bool
) -> Stored:
    """The cause fields of a copy; an old copy's are read from its texts (display rule
    for rows recorded before `Delivery.cause` existed)."""
    if cause:
        return Stored(cause, detail, diagnostic, remote_mta)
    old = read_old_text(diagnostic, has_codes=has_codes)
    if old is not None:
        return Stored(old.cause, old.detail, old.words, remote_mta or old.relay)
    if not diagnostic and (old := read_old_text(last_error, has_codes=has_codes)) is not None:
        return Stored(old.cause, old.detail, "", remote_mta or old.relay)
    return Stored("", detail, diagnostic, remote_mta)
