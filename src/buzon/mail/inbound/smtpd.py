"""Buzón's inbound SMTP server (`buzon smtpd`), built on aiosmtpd.

- Accepts mail only for the support addresses (and their plus-addresses), the signed
  return paths at the bounce domain (`bounces+…`) and postmaster; every other
  recipient is refused at RCPT: 550 5.1.1 for an unknown mailbox at one of our
  domains, 550 5.7.1 for any other domain. It is never an open relay.
- Advertises SIZE (BUZON_INBOUND_MAX_SIZE) and refuses bigger messages with
  552 5.3.4, at MAIL (declared SIZE) or at the end of DATA.
- Offers STARTTLS when BUZON_SMTPD_TLS_CERT / _KEY name a certificate.
- Stores every message durably (`store.store`: one committed database row with the
  raw bytes and the envelope) **before** it answers 250. When it cannot store, it
  answers 451 4.3.0 and nothing is kept, so the client retries later.

The server holds no state of its own: any number of them may run (on any number of
machines, behind one MX record) against the same database.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import ssl
import threading
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP
from django.conf import settings
from django.db import connection

from buzon.mail.inbound import store
from buzon.mail.inbound.models import InboundSource

log = logging.getLogger("buzon.mail.smtpd")

# aiosmtpd's own wording for its size refusals, given RFC 3463 codes here.
_REWRITES = {
    "552 Error: message size exceeds fixed maximum message size": (
        "552 5.3.4 Message size exceeds fixed maximum message size"
    ),
    "552 Error: Too much mail data": "552 5.3.4 Message size exceeds fixed maximum message size",
    "500 Line too long (see RFC5321 4.5.3.1.6)": "500 5.5.2 Line too long (RFC 5321 4.5.3.1.6)",
}
MAX_RECIPIENTS = 100


@dataclass(frozen=True)
class Addresses:
    """Which recipients this server takes mail for."""

    support: frozenset[str]  # full addresses, lower-cased
    bounce_domain: str
    domains: frozenset[str] = field(default=frozenset())

    @classmethod
    def from_settings(cls) -> Addresses:
        support = frozenset(a.strip().lower() for a in settings.SUPPORT_ADDRESSES if a.strip())
        bounce_domain = settings.BOUNCE_DOMAIN.strip().lower()
        domains = frozenset({a.rpartition("@")[2] for a in support} | {bounce_domain})
        return cls(support, bounce_domain, domains)

    def verdict(self, address: str) -> str | None:
        """None to accept the recipient, else the SMTP reply refusing it."""
        address = (address or "").strip().lower()
        local, at, domain = address.rpartition("@")
        if not at or not local:
            return "553 5.1.3 Bad recipient address syntax"
        if domain not in self.domains:
            return "550 5.7.1 Relaying denied: this server only takes mail for its own domains"
        if address in self.support or local in ("postmaster", "abuse"):
            return None
        base, plus, _ = local.partition("+")
        if plus and f"{base}@{domain}" in self.support:
            return None  # support+anything@ (e.g. support+idABC123-DEF4@)
        if domain == self.bounce_domain and base == "bounces" and plus:
            return None  # a return path; its signature is checked by the worker
        return "550 5.1.1 Recipient address rejected: no such mailbox here"


class BuzonSMTP(SMTP):
    # aiosmtpd declares push(AnyStr) but only ever pushes its replies as str.
    async def push(self, status: str) -> None:  # type: ignore[override]
        await super().push(_REWRITES.get(status, status))


@dataclass
class _Pending:
    data: bytes
    mail_from: str
    rcpt_tos: list[str]
    peer: str
    future: Future = field(default_factory=Future)


class InboundHandler:
    """aiosmtpd handler: refuse unknown recipients, store, then answer.

    Storing is done by one writer thread that commits what is waiting together (a
    group commit, up to GROUP messages per transaction): with several clients sending
    at once, one flush to disk serves them all. Each session's 250 still waits for
    the commit that holds its own message."""

    GROUP = 64

    def __init__(self, addresses: Addresses | None = None) -> None:
        self.addresses = addresses or Addresses.from_settings()
        self.stored = 0
        self.failed = 0
        self._lock = threading.Lock()
        self._queue: queue.SimpleQueue[_Pending | None] = queue.SimpleQueue()
        self._writer = threading.Thread(target=self._write_loop, name="store", daemon=True)
        self._writer.start()

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        refusal = self.addresses.verdict(address)
        if refusal is not None:
            log.info("refused RCPT %r from %s: %s", address[:320], _peer(session), refusal)
            return refusal
        if len(envelope.rcpt_tos) >= MAX_RECIPIENTS:
            return "452 4.5.3 Too many recipients"
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        data: bytes = envelope.original_content or b""
        pending = _Pending(data, envelope.mail_from or "", list(envelope.rcpt_tos), _peer(session))
        self._queue.put(pending)
        try:
            row_id = await asyncio.wrap_future(pending.future)
        except Exception:
            log.exception("could not store a message from %s; answered 451", _peer(session))
            with self._lock:
                self.failed += 1
            return "451 4.3.0 Could not store the message; please try again later"
        with self._lock:
            self.stored += 1
        return f"250 2.0.0 Ok: stored as {row_id}"

    def _write_loop(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                break
            group = [first]
            while len(group) < self.GROUP:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    self._queue.put(None)  # stop after this group
                    break
                group.append(item)
            self._write(group)
        connection.close()

    def _write(self, group: list[_Pending]) -> None:
        try:
            store.make_durable()
            rows = store.store_many(
                [(p.data, p.mail_from, p.rcpt_tos, p.peer) for p in group],
                source=InboundSource.SMTP,
            )
        except Exception as exc:
            connection.close()  # a broken connection is re-opened for the next group
            if len(group) > 1:  # one bad message must not cost the others their 250
                for pending in group:
                    self._write([pending])
                return
            group[0].future.set_exception(exc)
            return
        # The writer keeps its connection (opening one per message would cost more than
        # the write); a broken one is closed above and re-opened on the next group.
        for pending, row in zip(group, rows, strict=True):
            pending.future.set_result(row.pk)

    def close(self) -> None:
        self._queue.put(None)
        self._writer.join(timeout=30)


def _peer(session: Any) -> str:
    peer = getattr(session, "peer", None)
    host = peer[0] if isinstance(peer, tuple) and peer else str(peer or "")
    helo = getattr(session, "host_name", "") or ""
    return f"{host} ({helo})" if helo else host


def tls_context(cert: str, key: str) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


class InboundController(Controller):
    def factory(self) -> SMTP:
        return BuzonSMTP(self.handler, **self.SMTP_kwargs)


class InboundServer:
    """The server on its own thread: start(), stop(); `.port` once started."""

    def __init__(
        self,
        host: str | None = None,
        port: int | None = None,
        *,
        handler: InboundHandler | None = None,
        max_size: int | None = None,
        tls_cert: str | None = None,
        tls_key: str | None = None,
        hostname: str | None = None,
    ) -> None:
        # aiosmtpd logs every command at INFO; our own log says what matters.
        logging.getLogger("mail.log").setLevel(logging.WARNING)
        self.handler = handler or InboundHandler()
        cert = settings.SMTPD_TLS_CERT if tls_cert is None else tls_cert
        key = settings.SMTPD_TLS_KEY if tls_key is None else tls_key
        kwargs: dict[str, Any] = {}
        if cert:
            kwargs["tls_context"] = tls_context(cert, key or cert)
        self.controller = InboundController(
            self.handler,
            hostname=host or settings.SMTPD_HOST,
            port=settings.SMTPD_PORT if port is None else port,
            server_hostname=hostname or settings.SMTPD_HOSTNAME,
            ident="Buzón ESMTP",
            data_size_limit=settings.INBOUND_MAX_SIZE if max_size is None else max_size,
            decode_data=False,
            timeout=120,
            **kwargs,
        )

    @property
    def port(self) -> int:
        return self.controller.port

    def start(self) -> InboundServer:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()
        self.handler.close()

    def __enter__(self) -> InboundServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
