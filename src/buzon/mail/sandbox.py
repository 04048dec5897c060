"""The sandbox "remote mail server": the internet, played by recipient address.

`buzon run` starts it (`buzon sandbox`) and, by default, the worker uses it as its
relay, so a newcomer sees deliveries succeed and fail at once; the tests and the
benchmark use it too (as a plain sink with `sink=True`). It listens on loopback.

What each address gets is decided by RULES, the one table below (first match wins;
patterns are shell-style, on the lower-cased address). Anything else is accepted.
Addresses that are accepted and bounced later get a real RFC 3464 delivery status
notification, sent BOUNCE_DELAY seconds later from the null sender to the message's
return path, through the inbound SMTP server (BUZON_SMTPD_HOST:PORT). If nothing
listens there, the DSN is logged and dropped.
"""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
import smtplib
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import timedelta
from email.utils import format_datetime, formatdate
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from django.utils import timezone

log = logging.getLogger("buzon.mail.sandbox")

HOSTNAME = "sandbox.buzon.test"


@dataclass(frozen=True)
class Rule:
    patterns: tuple[str, ...]
    stage: str  # RCPT or DATA: refuse there; BOUNCE / DELAY: accept, then send a DSN
    code: int
    status: str
    text: str
    plays: str
    first_try_only: bool = False  # greylisting: refuse each (sender, recipient) once

    def reply(self, address: str) -> str:
        return f"{self.code} {self.status} <{address}>: {self.text}"


RULES: list[Rule] = [
    Rule(
        ("nadie@*", "nobody@*"),
        "RCPT",
        550,
        "5.1.1",
        "Recipient address rejected: User unknown in virtual mailbox table",
        "a mailbox that does not exist",
    ),
    Rule(
        ("*@gmial.com", "*@nomail.example"),
        "RCPT",
        556,
        "5.1.10",
        "Recipient address rejected: Domain has null MX; it does not accept mail",
        "a domain that accepts no mail (a typo of gmail.com)",
    ),
    Rule(
        ("llena@*", "full@*"),
        "RCPT",
        552,
        "5.2.2",
        "Mailbox full: the recipient's mailbox is over its storage limit",
        "a full mailbox (permanent)",
    ),
    Rule(
        ("casillena@*", "quota@*"),
        "RCPT",
        452,
        "4.2.2",
        "Mailbox temporarily over quota, try again later",
        "a full mailbox that may empty (temporary, every time)",
    ),
    Rule(
        ("grande@*", "big@*"),
        "DATA",
        552,
        "5.3.4",
        "Message size exceeds fixed maximum message size",
        "a message too large for the recipient's server",
    ),
    Rule(
        ("spam@*",),
        "DATA",
        550,
        "5.7.1",
        "Message rejected as spam by content filter",
        "content rejected as spam",
    ),
    Rule(
        ("lento@*", "slow@*"),
        "RCPT",
        451,
        "4.7.1",
        "Greylisted, please try again later",
        "a slow server: 451 on the first try, accepted on the retry",
        first_try_only=True,
    ),
    Rule(
        ("rebota@*", "bounce@*"),
        "BOUNCE",
        550,
        "5.1.1",
        "The email account that you tried to reach does not exist",
        "accepted, then bounced: a DSN (failed, 5.1.1) a few seconds later",
    ),
    Rule(
        ("retrasa@*", "delay@*"),
        "DELAY",
        451,
        "4.4.1",
        "Connection timed out while talking to the recipient's server",
        "accepted, then delayed: a DSN (delayed, 4.4.1) a few seconds later",
    ),
]


def rule_for(address: str, rules: list[Rule] | None = None) -> Rule | None:
    address = address.strip().lower()
    for rule in RULES if rules is None else rules:
        if any(fnmatchcase(address, pattern) for pattern in rule.patterns):
            return rule
    return None


@dataclass
class Received:
    """One message the sandbox accepted."""

    mail_from: str
    rcpt_tos: list[str]
    message_id: str
    data: bytes
    at: float = field(default_factory=time.time)


_MESSAGE_ID = re.compile(rb"^message-id:\s*<?([^>\r\n]*)>?", re.IGNORECASE | re.MULTILINE)


class SandboxHandler:
    """aiosmtpd handler applying RULES (or accepting everything, as a sink)."""

    def __init__(
        self,
        *,
        rules: list[Rule] | None = None,
        sink: bool = False,
        dsn_host: str = "127.0.0.1",
        dsn_port: int = 2525,
        bounce_delay: float = 3.0,
        keep: int | None = 10_000,
        save_dir: Path | None = None,
    ) -> None:
        self.rules = [] if sink else (RULES if rules is None else rules)
        self.dsn_host = dsn_host
        self.dsn_port = dsn_port
        self.bounce_delay = bounce_delay
        self.received: deque[Received] = deque(maxlen=keep)
        self.count = 0
        self.dsns_sent: list[bytes] = []
        self.save_dir = save_dir
        self._greylist: set[tuple[str, str]] = set()
        self._lock = threading.Lock()

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        rule = rule_for(address, self.rules)
        if rule is not None and rule.stage == "RCPT":
            key = (envelope.mail_from.lower(), address.lower())
            if not rule.first_try_only or key not in self._greylist:
                self._greylist.add(key)
                return rule.reply(address)
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        data: bytes = envelope.original_content or envelope.content
        later = []
        for address in envelope.rcpt_tos:
            rule = rule_for(address, self.rules)
            if rule is not None and rule.stage == "DATA":
                return rule.reply(address)
            if rule is not None and rule.stage in ("BOUNCE", "DELAY"):
                later.append((address, rule))
        match = _MESSAGE_ID.search(data.split(b"\r\n\r\n", 1)[0])
        message_id = match.group(1).decode("ascii", "replace").strip() if match else ""
        queue_id = secrets.token_hex(5).upper()
        with self._lock:
            self.count += 1
            self.received.append(
                Received(envelope.mail_from, list(envelope.rcpt_tos), message_id, data)
            )
        if self.save_dir is not None:
            self._save(self.save_dir, queue_id, data)
        sender = envelope.mail_from
        if later and sender and sender != "<>":
            loop = asyncio.get_running_loop()
            for address, rule in later:
                dsn = build_dsn(sender, address, rule, data)
                loop.call_later(self.bounce_delay, self._send_dsn_soon, sender, dsn)
        return f"250 2.0.0 Ok: queued as {queue_id}"

    def _save(self, save_dir: Path, queue_id: str, data: bytes) -> None:
        try:
            save_dir.mkdir(parents=True, exist_ok=True)
            stamp = time.strftime("%Y%m%d-%H%M%S")
            (save_dir / f"{stamp}-{queue_id}.eml").write_bytes(data)
        except OSError as exc:
            log.warning("could not save a message in %s: %s", save_dir, exc)

    def _send_dsn_soon(self, return_path: str, dsn: bytes) -> None:
        asyncio.get_running_loop().run_in_executor(None, self.send_dsn, return_path, dsn)

    def send_dsn(self, return_path: str, dsn: bytes) -> bool:
        """Deliver a DSN to the inbound SMTP server; log and drop it if none listens."""
        try:
            with smtplib.SMTP(
                self.dsn_host, self.dsn_port, local_hostname=HOSTNAME, timeout=10
            ) as smtp:
                smtp.sendmail("", [return_path], dsn)
        except (OSError, smtplib.SMTPException) as exc:
            log.warning(
                "DSN for %s dropped: the inbound SMTP server %s:%s did not take it (%s)",
                return_path,
                self.dsn_host,
                self.dsn_port,
                exc,
            )
            return False
        with self._lock:
            self.dsns_sent.append(dsn)
        log.info("DSN sent to %s via %s:%s", return_path, self.dsn_host, self.dsn_port)
        return True


def build_dsn(return_path: str, recipient: str, rule: Rule, original: bytes) -> bytes:
    """An RFC 3464 delivery status notification (failed, or delayed) for one recipient."""
    failed = rule.stage == "BOUNCE"
    boundary = f"sandbox-{secrets.token_hex(8)}"
    headers_part = original.split(b"\r\n\r\n", 1)[0].decode("ascii", "replace")
    domain = recipient.rpartition("@")[2].lower() or "example.invalid"
    now = timezone.now()
    diagnostic = f"smtp; {rule.code} {rule.status} <{recipient}>: {rule.text}"
    if failed:
        subject = "Undelivered Mail Returned to Sender"
        human = (
            "This is the mail system at host sandbox.buzon.test (the Buzón sandbox).\r\n\r\n"
            "I'm sorry to have to inform you that your message could not be delivered\r\n"
            "to one or more recipients.\r\n\r\n"
            f"<{recipient}>: host mx.{domain} said: {rule.code} {rule.status} {rule.text}\r\n"
        )
        action = "Action: failed\r\n"
    else:
        subject = "Delayed Mail (still being retried)"
        human = (
            "This is the mail system at host sandbox.buzon.test (the Buzón sandbox).\r\n\r\n"
            "Your message could not be delivered yet; it is still being retried.\r\n\r\n"
            f"<{recipient}>: {rule.text}\r\n"
        )
        action = (
            f"Action: delayed\r\nWill-Retry-Until: {format_datetime(now + timedelta(days=5))}\r\n"
        )
    text = (
        f"From: Mail Delivery System <MAILER-DAEMON@{HOSTNAME}>\r\n"
        f"To: <{return_path}>\r\n"
        f"Subject: {subject}\r\n"
        f"Date: {formatdate(localtime=False)}\r\n"
        f"Message-ID: <{secrets.token_hex(10)}@{HOSTNAME}>\r\n"
        "Auto-Submitted: auto-replied\r\n"
        "MIME-Version: 1.0\r\n"
        f'Content-Type: multipart/report; report-type=delivery-status; boundary="{boundary}"\r\n'
        "\r\n"
        f"--{boundary}\r\n"
        "Content-Description: Notification\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "\r\n"
        f"{human}\r\n"
        f"--{boundary}\r\n"
        "Content-Description: Delivery report\r\n"
        "Content-Type: message/delivery-status\r\n"
        "\r\n"
        f"Reporting-MTA: dns; {HOSTNAME}\r\n"
        f"Arrival-Date: {format_datetime(now)}\r\n"
        "\r\n"
        f"Final-Recipient: rfc822; {recipient}\r\n"
        f"Original-Recipient: rfc822; {recipient}\r\n"
        f"{action}"
        f"Status: {rule.status}\r\n"
        f"Remote-MTA: dns; mx.{domain}\r\n"
        f"Diagnostic-Code: {diagnostic}\r\n"
        f"Last-Attempt-Date: {format_datetime(now)}\r\n"
        "\r\n"
        f"--{boundary}\r\n"
        "Content-Description: Undelivered Message Headers\r\n"
        "Content-Type: text/rfc822-headers\r\n"
        "\r\n"
        f"{headers_part}\r\n"
        "\r\n"
        f"--{boundary}--\r\n"
    )
    return text.encode("utf-8")


class Sandbox:
    """The sandbox server on a thread (aiosmtpd's Controller): start(), stop()."""

    def __init__(self, host: str, port: int, handler: SandboxHandler) -> None:
        # aiosmtpd logs every command at INFO; the sandbox's own log says what matters.
        logging.getLogger("mail.log").setLevel(logging.WARNING)
        self.handler = handler
        self.controller = Controller(
            handler,
            hostname=host,
            port=port,
            server_hostname=HOSTNAME,
            ident="Buzón sandbox ESMTP",
            data_size_limit=20 * 1024 * 1024,
        )

    @property
    def port(self) -> int:
        return self.controller.port

    def start(self) -> Sandbox:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
