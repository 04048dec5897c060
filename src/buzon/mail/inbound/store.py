"""Storing an inbound message durably: the one entry point for the SMTP server,
`buzon ingest` and replays.

`store(raw, mail_from, rcpt_tos, source=…)` commits one `InboundMessage` row holding
the raw bytes and the envelope, and returns it; only then may the SMTP server answer
250. The bytes live in the database row itself (no spool file), so a commit is the
whole promise: on PostgreSQL with `synchronous_commit` on (the default, never relaxed
here), on SQLite in WAL mode with `synchronous=FULL` on the connection that stores
(`make_durable`), the row survives a crash of the process, of the database server and
of the machine. If anything fails, the transaction rolls back and nothing is kept
(the server then answers 451 and the client retries).

The same bytes to the same envelope recipients stored twice (a client that lost our
250 and sent again) give the row stored first: `dedupe_key` is a hash of both.
"""

from __future__ import annotations

import hashlib
import re

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from buzon.mail.inbound.models import InboundMessage, InboundSource

_MESSAGE_ID = re.compile(rb"^message-id:[ \t]*<?([^>\r\n]{1,250})>?", re.IGNORECASE | re.MULTILINE)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def make_durable() -> None:
    """On SQLite, make this connection's commits wait for the disk (synchronous=FULL);
    PostgreSQL commits are durable by default. Called by processes that store mail
    before answering 250 (the SMTP server, `buzon ingest`)."""
    if connection.vendor == "sqlite" and not connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA synchronous=FULL")


def header_block(raw: bytes) -> bytes:
    """The header section (up to the first empty line), or the whole message."""
    for sep in (b"\r\n\r\n", b"\n\n"):
        at = raw.find(sep)
        if at != -1:
            return raw[:at]
    return raw


def message_id_of(raw: bytes) -> str:
    """The Message-ID header's value, without brackets ("" when there is none)."""
    match = _MESSAGE_ID.search(header_block(raw)[:1_000_000])
    if not match:
        return ""
    return _CONTROL.sub("", match.group(1).decode("ascii", "replace")).strip()[:255]


def clean_envelope(value: str, limit: int = 998) -> str:
    return _CONTROL.sub("", value or "").strip()[:limit]


def store(
    raw: bytes,
    mail_from: str,
    rcpt_tos: list[str],
    *,
    source: str = InboundSource.SMTP,
    peer: str = "",
    idempotency_key: str = "",
) -> InboundMessage:
    """Commit the message and its envelope; return its row (the existing one for a
    duplicate). Raises on any failure, having kept nothing.

    `idempotency_key`, when given, replaces the bytes in the dedupe key: for sources
    whose bytes differ between two posts of the same message (an ESP that posts parsed
    fields, rebuilt with fresh MIME boundaries each time), the source's own id for it."""
    row = _row(raw, mail_from, rcpt_tos, source, peer)
    if idempotency_key:
        row.dedupe_key = hashlib.sha256(f"{source}\0{idempotency_key}".encode()).hexdigest()
    return _commit([row])[0]


def store_many(
    items: list[tuple[bytes, str, list[str], str]], *, source: str = InboundSource.SMTP
) -> list[InboundMessage]:
    """Commit several messages in one transaction (a group commit: one flush to disk for
    all of them); their rows, in order. All or nothing: on any failure nothing is kept
    and the exception propagates."""
    return _commit([_row(raw, sender, rcpts, source, peer) for raw, sender, rcpts, peer in items])


def _commit(rows: list[InboundMessage]) -> list[InboundMessage]:
    result: list[InboundMessage] = []
    with transaction.atomic():
        for row in rows:
            try:
                with transaction.atomic():  # a savepoint: a duplicate spoils nothing else
                    row.save(force_insert=True)
            except IntegrityError:
                existing = InboundMessage.objects.filter(dedupe_key=row.dedupe_key).first()
                if existing is None:
                    raise
                row = existing
            result.append(row)
    return result


def _row(raw: bytes, mail_from: str, rcpt_tos: list[str], source: str, peer: str) -> InboundMessage:
    if not isinstance(raw, bytes | bytearray | memoryview):
        raise TypeError("raw must be bytes")
    raw = bytes(raw)
    rcpts = [clean_envelope(r, 320) for r in rcpt_tos][:1000]
    sender = clean_envelope(mail_from)
    digest = hashlib.sha256(raw).hexdigest()
    key = hashlib.sha256(
        (digest + "\0" + "\0".join(sorted(r.lower() for r in rcpts))).encode()
    ).hexdigest()
    return InboundMessage(
        received_at=timezone.now(),
        source=source,
        mail_from=sender,
        rcpt_tos=rcpts,
        peer=clean_envelope(peer, 255),
        raw=raw,
        size=len(raw),
        sha256=digest,
        dedupe_key=key,
        message_id=message_id_of(raw),
    )
