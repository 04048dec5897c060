"""Reading IMAP mailboxes into the inbound store (`buzon imap`).

One thread per configured mailbox (`mailboxes.configured`), each holding one connection
(IMAPClient): it takes what is new, then waits with IDLE where the server offers it
(polls every BUZON_IMAP_POLL seconds otherwise), and does it again. Taking what is new
(`take_new`), in batches of BUZON_IMAP_BATCH:

1. `UID SEARCH UID n:*` (n = one more than the highest UID taken under the folder's
   current UIDVALIDITY; on the first look, or after UIDVALIDITY changed: everything in
   the folder when processed mail is moved, the unseen messages when it is flagged);
2. `UID FETCH … BODY.PEEK[]` (sizes first: a message over BUZON_INBOUND_MAX_SIZE is
   left in the mailbox and noted, never half-stored);
3. one transaction: the messages into the inbound store (`store.store_many`, the same
   store and queue as SMTP-received mail), their (UIDVALIDITY, UID) rows, the
   mailbox's highest UID — committed durably *before* step 4;
4. moved to the processed folder (`UID MOVE`, else COPY + \\Deleted + EXPUNGE) or
   flagged (\\Seen and $BuzonProcessed), then marked done.

A reader killed between 3 and 4 finds the undone rows on its next start and finishes
their move (step 0); what it stored is not fetched again (the highest UID says so). If
UIDVALIDITY changes (the folder was recreated), earlier UIDs mean nothing: the folder
is read again, and the store's dedupe (same bytes, same recipients) and routing's
(same Message-ID on a ticket) keep copies already taken from becoming second ones.

The envelope is not known through IMAP. The store gets, as envelope recipients, what
the delivering MTA recorded (`Delivered-To`, `X-Original-To`) plus any signed return
path in `To:` (a bounce is addressed to the return path it came back to), else the
mailbox's support address; as envelope sender, `Return-Path` (else the From address).
A signed return path is trusted only after its signature verifies, wherever it was read.

Connection failures (refused, TLS, login, time-outs, a dropped connection) are retried
with back-off (5 s doubling, at most BUZON_IMAP_BACKOFF_MAX) and written on the
mailbox's row, which the delivery health page shows.
"""

from __future__ import annotations

import contextlib
import logging
import random
import re
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, IntegrityError, close_old_connections, connection, transaction
from django.db.models import F
from django.utils import timezone
from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError, LoginError

from buzon.mail.inbound import store
from buzon.mail.inbound.mailboxes import (
    FLAG,
    KEYWORD,
    Health,
    Mailbox,
    MailboxConfig,
    MailboxMessage,
    Security,
    configured,
)
from buzon.mail.inbound.models import InboundSource
from buzon.mail.verp import PREFIX

log = logging.getLogger("buzon.mail.imap")

BACKOFF_FIRST = 5.0
# What a broken connection raises: the reader retries these with back-off.
CONNECTION_ERRORS = (IMAPClientError, OSError, ssl.SSLError, socket.timeout, EOFError)


# ------------------------------------------------------------------------ envelope

_ADDRESS = re.compile(r"[^\s<>,;:\"()\[\]]+@[^\s<>,;:\"()\[\]]+")
_MAX_HEADER = 1_000_000


def _fields(raw: bytes, names: set[str]) -> dict[str, list[str]]:
    """Values of these header fields (lower-case names), unfolded, in order; reads at
    most the first MiB of the header section, once."""
    found: dict[str, list[str]] = {n: [] for n in names}
    current: str | None = None
    for line in store.header_block(raw)[:_MAX_HEADER].splitlines():
        if line[:1] in (b" ", b"\t"):
            if current is not None:
                found[current][-1] += " " + line.strip().decode("latin-1")
            continue
        name, sep, value = line.partition(b":")
        key = name.strip().lower().decode("latin-1")
        current = key if sep and key in names else None
        if current is not None:
            found[current].append(value.strip().decode("latin-1"))
    return found


def _is_return_path(address: str) -> bool:
    local, _, domain = address.lower().rpartition("@")
    return domain == settings.BOUNCE_DOMAIN.lower() and local.startswith(PREFIX + "+")


def envelope_of(raw: bytes, support_address: str) -> tuple[str, list[str]]:
    """(envelope sender, envelope recipients) as far as the message's headers tell."""
    fields = _fields(raw, {"return-path", "delivered-to", "x-original-to", "to", "from"})
    sender = ""
    if fields["return-path"]:  # written by the final delivery: the envelope sender
        match = _ADDRESS.search(fields["return-path"][0])
        sender = match.group(0) if match else ""  # "<>": the null sender of a bounce
    elif fields["from"]:  # not known: the author is the closest we have
        match = _ADDRESS.search(fields["from"][0])
        sender = match.group(0) if match else ""
    rcpts: list[str] = []
    for name in ("delivered-to", "x-original-to"):
        if fields[name]:  # the topmost: the delivery into this mailbox
            match = _ADDRESS.search(fields[name][0])
            if match and match.group(0).lower() not in (r.lower() for r in rcpts):
                rcpts.append(match.group(0))
    for value in fields["to"][:1]:
        for address in _ADDRESS.findall(value)[:100]:
            if _is_return_path(address) and address not in rcpts:
                rcpts.append(address)
    return store.clean_envelope(sender), (rcpts or [support_address])[:100]


# ---------------------------------------------------------------------- connection


def connect(config: MailboxConfig) -> IMAPClient:
    """A logged-in client (raises CONNECTION_ERRORS)."""
    context = ssl.create_default_context()
    if not config.tls_verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    client = IMAPClient(
        config.host,
        port=config.port,
        ssl=config.security == Security.TLS,
        ssl_context=context,
        timeout=settings.IMAP_TIMEOUT,
    )
    try:
        if config.security == Security.STARTTLS:
            client.starttls(context)
        client.login(config.username, config.password)
    except BaseException:
        _close(client)
        raise
    return client


def _close(client: IMAPClient) -> None:
    try:
        client.logout()
    except Exception:
        with contextlib.suppress(Exception):
            client.shutdown()


@dataclass
class Taken:
    stored: int = 0
    too_large: int = 0
    finished: int = 0  # earlier ones whose move/flag was finished now


class MailboxSession:
    """One connected, selected mailbox: take what is new, dispose of it."""

    def __init__(
        self,
        client: IMAPClient,
        row: Mailbox,
        config: MailboxConfig,
        *,
        after_store: Callable[[], None] | None = None,
    ) -> None:
        self.client = client
        self.row = row
        self.config = config
        self.after_store = after_store
        self.action = config.processed_action
        self.uidvalidity = 0
        self.keyword = False

    def open(self) -> None:
        if self.action != FLAG and not self.client.folder_exists(self.action):
            self.client.create_folder(self.action)
            log.info("%s: created folder %r for processed mail", self.row.key, self.action)
        info = self.client.select_folder(self.config.folder)
        self.uidvalidity = int(info[b"UIDVALIDITY"])
        self.keyword = b"\\*" in tuple(info.get(b"PERMANENTFLAGS", ()))
        row = Mailbox.objects.get(pk=self.row.pk)
        if row.uidvalidity != self.uidvalidity:
            if row.uidvalidity is not None:
                log.warning(
                    "%s: UIDVALIDITY changed (%s → %s): the folder is read again",
                    row.key, row.uidvalidity, self.uidvalidity,
                )  # fmt: skip
            Mailbox.objects.filter(pk=row.pk).update(uidvalidity=self.uidvalidity, last_uid=0)

    def take_new(self) -> Taken:
        taken = Taken(finished=self._finish_pending())
        while True:
            last_uid = Mailbox.objects.values_list("last_uid", flat=True).get(pk=self.row.pk)
            batch = self._new_uids(last_uid)[: max(settings.IMAP_BATCH, 1)]
            if not batch:
                return taken
            stored, too_large = self._store(batch)
            taken.stored += len(stored)
            taken.too_large += too_large
            if self.after_store is not None:
                self.after_store()
            self._dispose(stored)

    def _new_uids(self, last_uid: int) -> list[int]:
        if last_uid:
            criteria: list = ["UID", f"{last_uid + 1}:*"]
        elif self.action == FLAG:
            criteria = ["UNSEEN", "UNKEYWORD", KEYWORD] if self.keyword else ["UNSEEN"]
        else:
            criteria = ["ALL"]
        return sorted(u for u in self.client.search(criteria) if u > last_uid)

    def _store(self, batch: list[int]) -> tuple[list[int], int]:
        """Fetch and commit one batch; the UIDs stored (to move or flag)."""
        limit = settings.INBOUND_MAX_SIZE
        sizes = self.client.fetch(batch, ["RFC822.SIZE"])
        small = [u for u in batch if int(sizes.get(u, {}).get(b"RFC822.SIZE", 0)) <= limit]
        large = [u for u in batch if u not in small and u in sizes]
        bodies = self.client.fetch(small, ["BODY.PEEK[]"]) if small else {}
        items, uids = [], []
        for uid in small:
            raw = bodies.get(uid, {}).get(b"BODY[]")
            if raw is None:  # expunged meanwhile by someone else
                continue
            raw = bytes(raw)
            mail_from, rcpts = envelope_of(raw, self.config.support_address)
            peer = f"imap {self.config.host}/{self.config.folder} uid {self.uidvalidity}:{uid}"
            items.append((raw, mail_from, rcpts, peer))
            uids.append(uid)
        now = timezone.now()
        store.make_durable()
        try:
            with transaction.atomic():
                rows = store.store_many(items, source=InboundSource.IMAP) if items else []
                MailboxMessage.objects.bulk_create(
                    [
                        MailboxMessage(mailbox_id=self.row.pk, uidvalidity=self.uidvalidity,
                                       uid=uid, message=row, stored_at=now)
                        for uid, row in zip(uids, rows, strict=True)
                    ]
                    + [
                        MailboxMessage(
                            mailbox_id=self.row.pk, uidvalidity=self.uidvalidity, uid=uid,
                            stored_at=now, done_at=now,
                            note=f"larger than BUZON_INBOUND_MAX_SIZE ({limit} bytes): "
                            "left in the mailbox, not stored",
                        )
                        for uid in large
                    ]
                )  # fmt: skip
                Mailbox.objects.filter(pk=self.row.pk).update(
                    last_uid=max(batch), stored=F("stored") + len(rows)
                )
        except IntegrityError:
            # Another reader of the same mailbox took these first: nothing stored twice.
            log.warning("%s: UIDs %s..%s already taken by another reader",
                        self.row.key, batch[0], batch[-1])  # fmt: skip
            return [], 0
        for uid in large:
            log.warning("%s: UID %s is over %s bytes; left there", self.row.key, uid, limit)
        return uids, len(large)

    def _finish_pending(self) -> int:
        pending = list(
            MailboxMessage.objects.filter(
                mailbox_id=self.row.pk, uidvalidity=self.uidvalidity, done_at__isnull=True
            ).values_list("uid", flat=True)
        )
        if pending:
            log.info("%s: finishing %d stored but not yet %s", self.row.key, len(pending),
                     "flagged" if self.action == FLAG else "moved")  # fmt: skip
            self._dispose(pending)
        return len(pending)

    def _dispose(self, uids: list[int]) -> None:
        """Move (or flag) stored messages on the server, then mark them done."""
        if not uids:
            return
        if self.action == FLAG:
            self.client.add_flags(uids, [b"\\Seen", KEYWORD] if self.keyword else [b"\\Seen"])
        elif self.client.has_capability("MOVE"):
            self.client.move(uids, self.action)
        else:
            self.client.copy(uids, self.action)
            self.client.delete_messages(uids)
            if self.client.has_capability("UIDPLUS"):
                self.client.uid_expunge(uids)
            else:
                self.client.expunge()
        MailboxMessage.objects.filter(
            mailbox_id=self.row.pk, uidvalidity=self.uidvalidity, uid__in=uids
        ).update(done_at=timezone.now())


# -------------------------------------------------------------------------- health


def backoff(failures: int) -> float:
    base = min(BACKOFF_FIRST * 2 ** max(failures - 1, 0), settings.IMAP_BACKOFF_MAX)
    return base * random.uniform(0.9, 1.0)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, LoginError):
        return f"Login refused: {exc}"[:1000]
    if isinstance(exc, ssl.SSLError):
        return f"TLS failed: {exc}"[:1000]
    if isinstance(exc, socket.timeout | TimeoutError):
        return "Timed out waiting for the server"
    if isinstance(exc, ConnectionRefusedError):
        return "Connection refused"
    if isinstance(exc, socket.gaierror):
        return f"Host name not found: {exc}"[:1000]
    return f"{type(exc).__name__}: {exc}"[:1000]


def mark_connected(row: Mailbox, idle: bool) -> None:
    now = timezone.now()
    Mailbox.objects.filter(pk=row.pk).update(
        health=Health.CONNECTED, connected_at=now, checked_at=now, failures=0,
        next_attempt_at=None, idle=idle,
    )  # fmt: skip


def mark_failed(row: Mailbox, exc: BaseException) -> float:
    """Record a failed connection; the seconds to wait before the next try."""
    failures = Mailbox.objects.values_list("failures", flat=True).get(pk=row.pk) + 1
    wait = backoff(failures)
    now = timezone.now()
    Mailbox.objects.filter(pk=row.pk).update(
        health=Health.FAILING, failures=failures, last_error=_describe(exc), last_error_at=now,
        checked_at=now, next_attempt_at=now + timedelta(seconds=wait),
    )  # fmt: skip
    return wait


def mark_stopped(row: Mailbox, why: str) -> None:
    now = timezone.now()
    Mailbox.objects.filter(pk=row.pk).update(
        health=Health.STOPPED, last_error=why[:1000], last_error_at=now, checked_at=now,
        next_attempt_at=None,
    )  # fmt: skip


# -------------------------------------------------------------------------- reader


def read_once(row: Mailbox, config: MailboxConfig) -> Taken:
    """Connect, take everything new, disconnect (`buzon imap --once`, tests, bench).
    Raises CONNECTION_ERRORS after recording them on the row."""
    try:
        client = connect(config)
    except CONNECTION_ERRORS as exc:
        mark_failed(row, exc)
        raise
    try:
        mark_connected(row, client.has_capability("IDLE"))
        session = MailboxSession(client, row, config)
        session.open()
        return session.take_new()
    except CONNECTION_ERRORS as exc:
        mark_failed(row, exc)
        raise
    finally:
        _close(client)


class MailboxReader(threading.Thread):
    """Keeps one mailbox read until `stop()`: connect, take, wait for news, repeat."""

    def __init__(
        self, row: Mailbox, config: MailboxConfig, *, after_store: Callable[[], None] | None = None
    ) -> None:
        super().__init__(name=f"imap-{row.pk}", daemon=True)
        self.row = row
        self.config = config
        self.after_store = after_store
        self.stopping = threading.Event()
        self.fingerprint = config.fingerprint()

    def stop(self) -> None:
        self.stopping.set()

    def run(self) -> None:
        try:
            while not self.stopping.is_set():
                wait = self._connected_session()
                if wait:
                    self.stopping.wait(wait)
        finally:
            connection.close()

    def _connected_session(self) -> float:
        """Work one connection until it breaks or we stop; the back-off to wait."""
        client = None
        try:
            close_old_connections()
            client = connect(self.config)
            idle = client.has_capability("IDLE")
            mark_connected(self.row, idle)
            log.info("%s: connected (%s)", self.row.key, "IDLE" if idle else "polling")
            session = MailboxSession(client, self.row, self.config, after_store=self.after_store)
            session.open()
            while not self.stopping.is_set():
                taken = session.take_new()
                if taken.stored or taken.finished:
                    log.info("%s: stored %d, finished %d", self.row.key, taken.stored,
                             taken.finished)  # fmt: skip
                Mailbox.objects.filter(pk=self.row.pk).update(checked_at=timezone.now())
                self._wait_for_news(client, idle)
            return 0.0
        except CONNECTION_ERRORS as exc:
            if self.stopping.is_set():
                return 0.0
            wait = mark_failed(self.row, exc)
            log.warning("%s: %s; next try in %.0f s", self.row.key, _describe(exc), wait)
            return wait
        except DatabaseError as exc:
            log.warning("%s: database error (%s); retrying", self.row.key, exc)
            connection.close()
            return BACKOFF_FIRST
        except Exception as exc:  # a server's odd answer, or a bug: keep the reader alive
            log.exception("%s: unexpected error; retrying with back-off", self.row.key)
            return mark_failed(self.row, exc)
        finally:
            if client is not None:
                _close(client)

    def _wait_for_news(self, client: IMAPClient, idle: bool) -> None:
        if not idle:
            self.stopping.wait(settings.IMAP_POLL)
            if not self.stopping.is_set():
                client.noop()
            return
        client.idle()
        try:
            deadline = time.monotonic() + settings.IMAP_IDLE
            while not self.stopping.is_set() and time.monotonic() < deadline:
                responses = client.idle_check(timeout=1.0)
                if any(len(r) > 1 and r[1] in (b"EXISTS", b"RECENT") for r in responses):
                    return
        finally:
            client.idle_done()


class ImapService:
    """`buzon imap`: a reader per configured mailbox, refreshed as the configuration
    changes (the settings page), until stopped."""

    def __init__(self, *, refresh: float = 10.0, after_store: Callable[[], None] | None = None):
        self.refresh = refresh
        self.after_store = after_store
        self.readers: dict[int, MailboxReader] = {}
        self.stopping = threading.Event()

    def stop(self) -> None:
        self.stopping.set()

    def run(self) -> None:
        try:
            while not self.stopping.is_set():
                try:
                    self.reconcile()
                except DatabaseError as exc:
                    log.warning("cannot read the mailbox configuration: %s", exc)
                    connection.close()
                self.stopping.wait(self.refresh)
        finally:
            for reader in self.readers.values():
                reader.stop()
            for reader in self.readers.values():
                reader.join(timeout=15)
            connection.close()

    def reconcile(self) -> None:
        wanted: dict[int, tuple[Mailbox, MailboxConfig]] = {}
        for row, config, problem in configured():
            if config is None:
                mark_stopped(row, problem)
                continue
            wanted[row.pk] = (row, config)
        for pk in list(self.readers):
            reader = self.readers[pk]
            if pk not in wanted or wanted[pk][1].fingerprint() != reader.fingerprint:
                reader.stop()
                reader.join(timeout=15)
                del self.readers[pk]
        for pk, (row, config) in wanted.items():
            if pk not in self.readers or not self.readers[pk].is_alive():
                reader = MailboxReader(row, config, after_store=self.after_store)
                self.readers[pk] = reader
                reader.start()
