"""The SMTP client that hands messages to the relay, one envelope per recipient.

`SmtpRelay` keeps one connection open across many messages (the worker reuses it for
a whole batch and beyond) and reports each answer as an `Attempt`:

- `accepted`: 2xx to MAIL, RCPT and the end of DATA; the next hop has the message;
- `permanent`: a 5xx to RCPT or DATA (or a 552/5.3.4 "too big" to MAIL);
- `temporary`: a 4xx, a 5xx refusing our *sender* at MAIL (a relay set-up problem,
  which the operator can fix, so the message waits instead of failing), or the
  connection dropping before the server answered (`connection_lost`).

Connecting, TLS and authentication problems raise `RelayUnavailable`: they concern
every message, not one recipient. A failure with no answer carries its kind and the
error as raised (`Reply.cause`, `Reply.detail`, see `deliveries.causes`), never a
sentence of ours: the workspace words it.

When the relay offers DSN (RFC 3461), each envelope asks for failure and delay
reports (BUZON_RELAY_DSN_NOTIFY) with only the headers returned (RET=HDRS), the
delivery's signed return token as ENVID (`verp.envelope_id`) and the recipient as
ORCPT, which the bounce processor can use to match reports that lost the return path
(the signature makes such a report authentic).
"""

from __future__ import annotations

import contextlib
import re
import smtplib
import socket
import ssl
from dataclasses import dataclass, replace
from typing import Literal

from django.conf import settings

from buzon.deliveries import causes
from buzon.deliveries.recording import Reply, clean_text
from buzon.mail.verp import envelope_id
from buzon.smtpcodes.parsing import LEADING_STATUS_RE as _STATUS

Outcome = Literal["accepted", "permanent", "temporary"]


def split_reply(code: int | None, text: bytes | str) -> Reply:
    """A server answer as a Reply: the enhanced status code is taken off the text."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    text = clean_text(text, 2000)
    first = text.split("\n", 1)[0]
    match = _STATUS.match(first)
    status = ""
    if match and code and str(code)[0] == match.group(1)[0]:
        status = match.group(0)
        text = "\n".join(_STATUS.sub("", line, count=1).strip() for line in text.split("\n"))
    return Reply(code=code, enhanced_status=status, text=text.strip())


@dataclass(frozen=True)
class Attempt:
    outcome: Outcome
    reply: Reply
    stage: str  # MAIL, RCPT or DATA: the command the answer was to
    connection_lost: bool = False


class RelayUnavailable(Exception):
    """The relay cannot be used now (connect, TLS or login failed)."""

    def __init__(self, reply: Reply) -> None:
        # For the operator's log: the cause, the relay's host and its answer or the error.
        super().__init__(
            " ".join(p for p in (reply.cause, reply.remote_mta, reply.error_text) if p)
        )
        self.reply = reply


@dataclass(frozen=True)
class RelayConfig:
    host: str
    port: int
    security: str = "none"  # none | starttls | tls
    user: str = ""
    password: str = ""
    timeout: float = 30.0
    helo_name: str = ""
    tls_verify: bool = True
    dsn_notify: str = "FAILURE,DELAY"
    messages_per_connection: int = 0  # 0: no limit

    @classmethod
    def from_settings(cls) -> RelayConfig:
        return cls(
            host=settings.RELAY_HOST,
            port=settings.RELAY_PORT,
            security=settings.RELAY_SECURITY.strip().lower(),
            user=settings.RELAY_USER,
            password=settings.RELAY_PASSWORD,
            timeout=settings.RELAY_TIMEOUT,
            helo_name=settings.RELAY_HELO_NAME,
            tls_verify=settings.RELAY_TLS_VERIFY,
            dsn_notify=settings.RELAY_DSN_NOTIFY,
            messages_per_connection=settings.RELAY_MESSAGES_PER_CONNECTION,
        )


@dataclass(frozen=True)
class _Offers:
    """What the relay's EHLO offered that each envelope uses, read once per connection."""

    size: bool = False
    pipelining: bool = False
    dsn_notify: str = ""  # NOTIFY= of each recipient when DSN is offered and wanted

    @classmethod
    def of(cls, smtp: smtplib.SMTP, dsn_notify: str) -> _Offers:
        notify = dsn_notify.strip().upper()
        wanted = smtp.has_extn("dsn") and notify not in ("", "NONE")
        return cls(smtp.has_extn("size"), smtp.has_extn("pipelining"), notify if wanted else "")


class SmtpRelay:
    name = "smtp"

    def __init__(self, config: RelayConfig) -> None:
        if config.security not in ("none", "starttls", "tls"):
            raise ValueError(
                f"BUZON_RELAY_SECURITY must be none, starttls or tls, not {config.security!r}"
            )
        self.config = config
        self.smtp: smtplib.SMTP | None = None
        self.offers = _Offers()
        self.remote_name = ""
        self.messages_on_connection = 0
        self.stage = "MAIL"  # the command whose answer is awaited

    def clone(self) -> SmtpRelay:
        """Another client for the same relay (one per parallel connection)."""
        return SmtpRelay(self.config)

    # -------------------------------------------------------------- connection

    def open(self) -> None:
        """Connect, say EHLO, STARTTLS and log in as configured."""
        self.close()
        c = self.config
        helo = c.helo_name or socket.gethostname() or "localhost"
        try:
            if c.security == "tls":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                    c.host, c.port, local_hostname=helo, timeout=c.timeout, context=self._tls()
                )
            else:
                smtp = smtplib.SMTP(c.host, c.port, local_hostname=helo, timeout=c.timeout)
        except smtplib.SMTPConnectError as exc:
            raise RelayUnavailable(
                self._reply(exc.smtp_code, exc.smtp_error, causes.RELAY_REFUSED)
            ) from None
        except (OSError, smtplib.SMTPException) as exc:
            raise RelayUnavailable(self._no_answer(exc)) from None
        try:
            smtp.ehlo_or_helo_if_needed()
            if c.security == "starttls":
                smtp.starttls(context=self._tls())
                smtp.ehlo()
            if c.user:
                smtp.login(c.user, c.password)
        except smtplib.SMTPResponseException as exc:
            _quietly_close(smtp)
            raise RelayUnavailable(
                self._reply(exc.smtp_code, exc.smtp_error, causes.RELAY_REFUSED)
            ) from None
        except (OSError, smtplib.SMTPException) as exc:
            _quietly_close(smtp)
            raise RelayUnavailable(self._no_answer(exc)) from None
        self.smtp = smtp
        self.offers = _Offers.of(smtp, c.dsn_notify)
        self.messages_on_connection = 0
        announced = (smtp.ehlo_resp or b"").split(b"\n", 1)[0].split(b" ", 1)[0]
        self.remote_name = clean_text(announced, 200) or c.host

    def close(self) -> None:
        if self.smtp is not None:
            smtp, self.smtp = self.smtp, None
            try:
                smtp.quit()
            except (OSError, smtplib.SMTPException):
                _quietly_close(smtp)

    def _tls(self) -> ssl.SSLContext:
        context = ssl.create_default_context()
        if not self.config.tls_verify:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return context

    def _reply(self, code: int | None, text: bytes | str, cause: str = "") -> Reply:
        """The relay's answer, its words as said; `cause` says what it refused, if it
        refused us rather than the recipient (deliveries.causes)."""
        reply = split_reply(code, text)
        remote = self.remote_name or self.config.host
        return Reply(reply.code, reply.enhanced_status, reply.text, remote, cause=cause)

    def _no_answer(self, exc: BaseException, stage: str = "") -> Reply:
        """No answer from the relay: the kind of failure and its technical detail."""
        detail = causes.detail_of(exc)
        return Reply(
            None,
            remote_mta=self.remote_name or self.config.host,
            cause=causes.cause_of(exc),
            detail=clean_text(f"{stage}: {detail}" if stage else detail, 2000),
        )

    # ----------------------------------------------------------------- sending

    def send(self, sender: str, recipient: str, message: bytes, envid: str = "") -> Attempt:
        """One envelope: MAIL FROM:<sender>, RCPT TO:<recipient>, DATA. Opens the
        connection if needed (RelayUnavailable if it cannot), and a new one once this
        one has carried `messages_per_connection` envelopes (the relay's limit)."""
        limit = self.config.messages_per_connection
        if self.smtp is None or (limit and self.messages_on_connection >= limit):
            self.open()
        smtp = self.smtp
        assert smtp is not None
        offers = self.offers
        mail_options = [f"SIZE={len(message)}"] if offers.size else []
        rcpt_options = []
        if offers.dsn_notify:
            mail_options += ["RET=HDRS", f"ENVID={envelope_id(envid)}"] if envid else ["RET=HDRS"]
            rcpt_options = [f"NOTIFY={offers.dsn_notify}", f"ORCPT=rfc822;{_xtext(recipient)}"]
        self.messages_on_connection += 1  # relays limit transactions, accepted or not
        self.stage = "MAIL"
        try:
            if offers.pipelining:
                answer = self._converse_pipelined(
                    smtp, sender, recipient, message, mail_options, rcpt_options
                )
            else:
                answer = self._converse(
                    smtp, sender, recipient, message, mail_options, rcpt_options
                )
            if isinstance(answer, Attempt):
                return answer
            code, text = answer
        except (OSError, smtplib.SMTPException) as exc:
            self._drop()
            return Attempt(
                "temporary", self._no_answer(exc, self.stage), self.stage, connection_lost=True
            )
        reply = self._reply(code, text)
        if 200 <= code < 300:
            return Attempt("accepted", reply, "DATA")
        if code == 421:
            self._drop()
        return Attempt(_outcome(code), reply, "DATA", connection_lost=code == 421)

    def _converse(
        self,
        smtp: smtplib.SMTP,
        sender: str,
        recipient: str,
        message: bytes,
        mail_options: list[str],
        rcpt_options: list[str],
    ) -> Attempt | tuple[int, bytes]:
        """MAIL, RCPT and DATA one after the other: a refusal, or the answer to DATA."""
        code, text = smtp.mail(sender, mail_options)
        if code != 250:
            return self._refused("MAIL", code, text)
        self.stage = "RCPT"
        code, text = smtp.rcpt(recipient, rcpt_options)
        if code not in (250, 251):
            return self._refused("RCPT", code, text)
        self.stage = "DATA"
        try:
            return smtp.data(message)
        except smtplib.SMTPDataError as exc:  # DATA itself was refused (no 354)
            return self._refused("DATA", exc.smtp_code, exc.smtp_error)

    def _converse_pipelined(
        self,
        smtp: smtplib.SMTP,
        sender: str,
        recipient: str,
        message: bytes,
        mail_options: list[str],
        rcpt_options: list[str],
    ) -> Attempt | tuple[int, bytes]:
        """RFC 2920: MAIL, RCPT and DATA in one write, their three answers read
        after; then the message. Two round trips per message instead of four."""
        mail = " ".join([f"MAIL FROM:<{sender}>", *mail_options])
        rcpt = " ".join([f"RCPT TO:<{recipient}>", *rcpt_options])
        smtp.send(f"{mail}\r\n{rcpt}\r\nDATA\r\n".encode("ascii"))
        answers = []
        for stage in ("MAIL", "RCPT", "DATA"):
            self.stage = stage
            answers.append(smtp.getreply())
        (mail_code, mail_text), (rcpt_code, rcpt_text), (data_code, data_text) = answers
        if data_code == 354 and (mail_code != 250 or rcpt_code not in (250, 251)):
            smtp.send(b".\r\n")  # DATA went ahead with no recipient: end it empty
            smtp.getreply()
        if mail_code != 250:
            return self._refused("MAIL", mail_code, mail_text)
        if rcpt_code not in (250, 251):
            return self._refused("RCPT", rcpt_code, rcpt_text)
        if data_code != 354:
            return self._refused("DATA", data_code, data_text)
        smtp.send(_dot_stuffed(message) + _end_of_data(message))
        return smtp.getreply()

    def _refused(self, stage: str, code: int, text: bytes | str) -> Attempt:
        reply = self._reply(code, text)
        lost = code == 421
        if lost:
            self._drop()
        else:
            try:
                assert self.smtp is not None
                self.smtp.rset()
            except (OSError, smtplib.SMTPException):
                self._drop()
                lost = True
        outcome = _outcome(code)
        if stage == "MAIL" and outcome == "permanent":
            too_big = reply.enhanced_status == "5.3.4" or code == 552
            if not too_big:
                # The relay refuses our envelope sender: a set-up problem, not this
                # recipient's. The message waits for the operator to fix it.
                outcome = "temporary"
                reply = replace(reply, cause=causes.SENDER_REFUSED)
        return Attempt(outcome, reply, stage, connection_lost=lost)

    def _drop(self) -> None:
        if self.smtp is not None:
            smtp, self.smtp = self.smtp, None
            _quietly_close(smtp)


_DOT_AT_LINE_START = re.compile(rb"(?m)^\.")


def _dot_stuffed(message: bytes) -> bytes:
    """RFC 5321 4.5.2: a line that starts with a dot gets another. Most messages
    have none, and looking for one costs a fifth of the substitution's copy."""
    if not message.startswith(b".") and b"\n." not in message:
        return message
    return _DOT_AT_LINE_START.sub(b"..", message)


def _end_of_data(message: bytes) -> bytes:
    return b".\r\n" if message.endswith(b"\r\n") else b"\r\n.\r\n"


def _outcome(code: int | None) -> Outcome:
    if code is not None and 500 <= code < 600:
        return "permanent"
    return "temporary"


_XTEXT_ESCAPED = frozenset(" +=")


def _xtext(value: str) -> str:
    """RFC 3461 xtext: '+', '=' and anything outside printable ASCII as +HH."""
    if value.isascii() and value.isprintable() and not _XTEXT_ESCAPED.intersection(value):
        return value  # the usual address: nothing to escape
    return "".join(c if "!" <= c <= "~" and c not in "+=" else f"+{ord(c):02X}" for c in value)


def _quietly_close(smtp: smtplib.SMTP) -> None:
    with contextlib.suppress(OSError):
        smtp.close()
