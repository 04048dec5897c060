"""Sending one claimed batch of deliveries and recording what became of each.

For each delivery, in order:

1. past its expiry when claimed → failed as `expired` (with the last temporary error);
2. its email could not be built → failed as `invalid` (internal error);
3. its address is not an address → failed as `invalid` (5.1.3, with the reason);
4. its address is suppressed → failed as `suppressed`, with the original reason and
   codes, and nothing is sent;
5. otherwise one SMTP envelope from its signed return path to its address, carrying
   the stored message with this copy's signed `X-Buzon-Copy` header on top
   (`mail.verp`): accepted → handed off; 5xx → failed with the answer, its reason and
   blame read by `buzon_bounces.classify` (the blame decides suppression); 4xx or a
   dropped connection → deferred with back-off (a drop before any answer is first
   retried once on a fresh connection).

With several connections (BUZON_RELAY_CONNECTIONS, `mail.parallel`), steps 1-4 are
done for the whole batch first, then the envelopes go out over the connections at
once and each answer is recorded here, in this thread, as it arrives; the order in
which recipients are contacted is then not the batch's.

A claimed delivery is read as plain values (`Claimed`), and each stored message is
read once and kept (encoded) for the batches that follow, as its other recipients'
deliveries come up; recording a failure or a deferral loads the whole Delivery.

Hand-offs are recorded in small groups (group commit: at most FLUSH_MAX messages or
FLUSH_SECONDS of sending), so a fast relay is not slowed by one database commit per
message; a worker killed in between re-sends at most that group (plus the envelope in
flight on each connection) after its lease expires (at-least-once, with the same
Message-ID). Failures and deferrals are recorded at once. Nothing about one delivery
can stop the others: an unexpected error defers that delivery and is logged.
"""

from __future__ import annotations

import json
import logging
import time
from collections import Counter, OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol

from django.db import connection
from django.utils import timezone

from buzon.deliveries import causes
from buzon.deliveries.models import Delivery, EmailNotification, FailureSource, Suppression
from buzon.deliveries.recording import (
    Failure,
    Reply,
    record_deferral,
    record_expired,
    record_failure,
    record_handoffs,
)
from buzon.deliveries.suppression import active_suppressions
from buzon.mail.addresses import InvalidAddress, check_address
from buzon.mail.parallel import ParallelRelay
from buzon.mail.relay import Attempt, RelayUnavailable
from buzon.mail.verp import COPY_HEADER, copy_id, return_path
from buzon_bounces import classify
from buzon_bounces.blame import ADDRESS, SETUP, UNKNOWN, blame_for

log = logging.getLogger("buzon.mail.sending")

FLUSH_MAX = 100
FLUSH_SECONDS = 0.1
EMAILS_KEPT = 500  # stored messages kept encoded between batches (about 10 kB each)


class Transport(Protocol):
    name: str

    def open(self) -> None: ...
    def close(self) -> None: ...
    def send(self, sender: str, recipient: str, message: bytes, envid: str = "") -> Attempt: ...


def copy_header(return_token: str, recipient: str) -> bytes:
    """This recipient's signed copy id as a header line, put on top of the stored
    message at send time: it is not in the DKIM signature's h=, so the one signature
    made when the email was built stays valid for every copy."""
    return f"{COPY_HEADER}: {copy_id(return_token, recipient)}\r\n".encode("ascii")


@dataclass(frozen=True, slots=True)
class Claimed:
    """A claimed delivery, as much of it as sending reads."""

    pk: int
    email: str
    return_token: str
    email_notification_id: int
    expired: bool  # its lifetime (`expires_at`) was over when it was claimed


# Claimed's fields after its pk, as the claim returns them, then its flags (`past`).
CLAIMED_FIELDS = ("email", "return_token", "email_notification_id")
CLAIMED_PAST = ("expires_at",)


@dataclass(frozen=True, slots=True)
class StoredEmail:
    """An email notification as sending reads it: the built message (None when it is
    not ASCII, which a built message always is), or why it could not be built."""

    raw: bytes | None
    build_error: str


def _stored_emails(pks: list[int]) -> list[tuple[int, str | None, str]]:
    """(pk, raw_message, build_error) of these email notifications, in one query whose
    text does not depend on how many (an array or a JSON list as one parameter:
    psycopg parses a statement of more than 50 parameters anew each time)."""
    if not pks:
        return []
    table = connection.ops.quote_name(EmailNotification._meta.db_table)
    if connection.vendor == "postgresql":
        wanted, param = "= ANY(%s::bigint[])", "{" + ",".join(map(str, pks)) + "}"
    else:
        wanted, param = "IN (SELECT value FROM json_each(%s))", json.dumps(pks)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, raw_message, build_error FROM {table} WHERE id {wanted}", [param]
        )
        return cursor.fetchall()


@dataclass(frozen=True, slots=True)
class Envelope:
    """One delivery ready to go: its signed return path, its address, its copy."""

    delivery: Claimed
    sender: str
    recipient: str
    message: bytes


class BatchSender:
    def __init__(
        self,
        transport: Transport,
        worker_id: str,
        *,
        on_flush: Callable[[], None] | None = None,
        connections: int = 1,
    ) -> None:
        self.transport = transport
        self.worker_id = worker_id
        self.on_flush = on_flush
        self.pending: list[tuple[Claimed, Reply]] = []
        self.emails: OrderedDict[int, StoredEmail] = OrderedDict()
        self.pending_since = 0.0
        self.tally: Counter[str] = Counter()
        # Several connections need a transport that can make more of itself.
        self.parallel: ParallelRelay[Envelope] | None = None
        if connections > 1 and hasattr(transport, "clone"):
            self.parallel = ParallelRelay(transport, connections)  # type: ignore[arg-type]

    def close(self) -> None:
        """Close every relay connection (an idle worker holds none)."""
        if self.parallel is not None:
            self.parallel.close()
        else:
            self.transport.close()

    def send_batch(
        self,
        deliveries: list[Claimed],
        should_stop: Callable[[], bool] = lambda: False,
        more: Callable[[], list[Claimed]] | None = None,
    ) -> list[Claimed]:
        """Send a claimed batch, recording each outcome, then the batches `more` gives
        until it gives none. Over several connections the next batch is asked for
        while half of this one is still on the wire, so claiming and preparing it
        overlaps sending. Returns the deliveries left untouched because `should_stop`
        said so (the caller releases them); when the relay cannot be reached, the
        rest is deferred instead."""
        try:
            if self.parallel is None:
                return self._send_in_turn(deliveries, should_stop, more)
            return self._send_in_parallel(deliveries, should_stop, more)
        finally:
            self.flush()

    def _envelopes(self, deliveries: list[Claimed]) -> list[Envelope]:
        """The batch's envelopes; the deliveries that must not be sent are recorded."""
        suppressed = active_suppressions([d.email for d in deliveries])
        emails = self._emails_for(deliveries)
        envelopes = []
        for delivery in deliveries:
            try:
                envelope = self._prepare(delivery, emails, suppressed)
            except Exception as exc:  # never let one delivery stop the batch
                self._unexpected(delivery, exc)
                continue
            if envelope is not None:
                envelopes.append(envelope)
        return envelopes

    def _emails_for(self, deliveries: list[Claimed]) -> dict[int, StoredEmail]:
        """The stored messages of these deliveries: the ones kept from earlier batches,
        the others read in one query (and kept when built: a built email never
        changes). A missing email notification is absent."""
        wanted = {d.email_notification_id for d in deliveries}
        found = {pk: self.emails[pk] for pk in wanted if pk in self.emails}
        for pk, raw_message, build_error in _stored_emails(sorted(wanted - found.keys())):
            text = raw_message or ""
            found[pk] = StoredEmail(text.encode("ascii") if text.isascii() else None, build_error)
            if found[pk].raw and not build_error:
                self.emails[pk] = found[pk]
        for pk in wanted & self.emails.keys():
            self.emails.move_to_end(pk)
        while len(self.emails) > EMAILS_KEPT:
            self.emails.popitem(last=False)
        return found

    def _send_in_turn(
        self,
        deliveries: list[Claimed],
        should_stop: Callable[[], bool],
        more: Callable[[], list[Claimed]] | None,
    ) -> list[Claimed]:
        while deliveries:
            left = self._send_envelopes_in_turn(self._envelopes(deliveries), should_stop)
            if left or should_stop() or more is None:
                return left
            deliveries = more()
        return []

    def _send_envelopes_in_turn(
        self, envelopes: list[Envelope], should_stop: Callable[[], bool]
    ) -> list[Claimed]:
        for i, envelope in enumerate(envelopes):
            if should_stop():
                return [e.delivery for e in envelopes[i:]]
            try:
                self._record(envelope, self._send(self.transport, envelope))
            except RelayUnavailable as exc:
                log.error("relay unavailable, deferring %d deliveries: %s", len(envelopes) - i, exc)
                for rest in envelopes[i:]:
                    self._defer(rest.delivery, exc.reply)
                return []
            except Exception as exc:  # never let one delivery stop the batch
                self._unexpected(envelope.delivery, exc)
            self._maybe_flush()
        return []

    def _send_in_parallel(
        self,
        deliveries: list[Claimed],
        should_stop: Callable[[], bool],
        more: Callable[[], list[Claimed]] | None,
    ) -> list[Claimed]:
        assert self.parallel is not None
        if should_stop():
            return deliveries

        def next_envelopes() -> list[Envelope]:
            while more is not None and (batch := more()):
                if envelopes := self._envelopes(batch):
                    return envelopes
            return []

        unsent = self.parallel.run(
            self._envelopes(deliveries),
            self._send,
            self._on_answer,
            should_stop,
            more=next_envelopes if more is not None else None,
            low_water=len(deliveries) // 2,
        )
        if not unsent or should_stop():
            return [e.delivery for e in unsent]
        # No connection could be opened for these: once more on one, deferred if not.
        return self._send_envelopes_in_turn(unsent, should_stop)

    def _on_answer(self, envelope: Envelope, answer: Attempt | BaseException) -> None:
        if isinstance(answer, Attempt):
            try:
                self._record(envelope, answer)
            except Exception as exc:
                self._unexpected(envelope.delivery, exc)
        else:
            self._unexpected(envelope.delivery, answer)
        self._maybe_flush()

    def _unexpected(self, delivery: Claimed, exc: BaseException) -> None:
        log.error("delivery %s: unexpected error; deferring it", delivery.pk, exc_info=exc)
        self._defer(delivery, Reply(None, cause=causes.INTERNAL, detail=causes.detail_of(exc)))

    # ------------------------------------------------------------ one delivery

    def _prepare(
        self, d: Claimed, emails: dict[int, StoredEmail], suppressed: dict[str, Suppression]
    ) -> Envelope | None:
        """The envelope to send, or None once a delivery that must not be sent is
        recorded (expired, unbuildable, invalid or suppressed address)."""
        email = emails.get(d.email_notification_id)
        if d.expired:
            self._count("expired", record_expired(Delivery.objects.get(pk=d.pk)))
            return None
        if email is None or email.build_error or email.raw == b"":
            why = email.build_error if email is not None else "the email notification is missing"
            self._fail(  # ours to fix
                d,
                FailureSource.INVALID,
                "",
                blame=SETUP,
                cause=causes.UNBUILDABLE,
                cause_detail=why,
            )
            return None
        try:
            address = check_address(d.email)
        except InvalidAddress as exc:
            self._fail(
                d,
                FailureSource.INVALID,
                "",
                cause=causes.INVALID_ADDRESS,
                cause_detail=str(exc),
                status="5.1.3",
                reason="userunknown",
                hard=True,
                blame=ADDRESS,
            )
            return None
        suppression = suppressed.get(d.email.strip().lower())
        if suppression is not None:
            # The diagnostic stays the server's words of the failure that caused the
            # suppression; "since when" travels apart, for the workspace to word.
            self._fail(
                d,
                FailureSource.SUPPRESSED,
                suppression.diagnostic,
                code=suppression.reply_code,
                status=suppression.enhanced_status,
                reason=suppression.reason,
                # Who must act is who caused the suppression (a complaint: the recipient).
                blame=blame_for(suppression.reason, suppression.enhanced_status) or UNKNOWN,
                suppressed_since=suppression.created_at,
            )
            return None
        if email.raw is None:  # deferred as an unexpected error, like any other
            raise UnicodeError(f"email notification {d.email_notification_id} is not ASCII")
        return Envelope(
            d,
            return_path(d.return_token),
            address,
            copy_header(d.return_token, d.email) + email.raw,
        )

    @staticmethod
    def _send(transport: Transport, envelope: Envelope) -> Attempt:
        d = envelope.delivery
        attempt = transport.send(
            envelope.sender, envelope.recipient, envelope.message, d.return_token
        )
        if attempt.connection_lost and attempt.outcome == "temporary":
            # Dropped (or 421) before the message was accepted: once more on a fresh
            # connection. RelayUnavailable if the relay is gone.
            log.warning("relay connection lost (%s); reconnecting", attempt.reply.error_text)
            transport.open()
            attempt = transport.send(
                envelope.sender, envelope.recipient, envelope.message, d.return_token
            )
        return attempt

    def _record(self, envelope: Envelope, attempt: Attempt) -> None:
        d, reply = envelope.delivery, attempt.reply
        if attempt.outcome == "accepted":
            if not self.pending:
                self.pending_since = time.monotonic()
            self.pending.append((d, replace(reply, at=timezone.now())))
        elif attempt.outcome == "permanent":
            reason, hard, blame = classify(
                reply.enhanced_status, reply.code, reply.text, reply.remote_mta, attempt.stage
            )
            self._fail(
                d,
                reply.source,
                reply.text,
                code=reply.code,
                status=reply.enhanced_status,
                reason=reason,
                hard=hard,
                remote_mta=reply.remote_mta,
                blame=blame,
                cause=reply.cause,
                cause_detail=reply.detail,
            )
        else:
            self._defer(d, reply)

    # ----------------------------------------------------------------- records

    def _fail(
        self,
        d: Claimed,
        source: str,
        diagnostic: str,
        *,
        code: int | None = None,
        status: str = "",
        reason: str = "undefined",
        hard: bool = False,
        remote_mta: str = "",
        blame: str = "",
        suppressed_since: datetime | None = None,
        cause: str = "",
        cause_detail: str = "",
    ) -> None:
        failure = Failure(
            source,
            code,
            status,
            diagnostic,
            remote_mta,
            reason,
            hard,
            blame=blame,
            suppressed_since=suppressed_since,
            cause=cause,
            cause_detail=cause_detail,
        )
        kind = source if source in ("suppressed", "invalid") else "failed"
        self._count(kind, record_failure(Delivery.objects.get(pk=d.pk), failure))

    def _defer(self, d: Claimed, reply: Reply) -> None:
        delivery = Delivery.objects.filter(pk=d.pk).first()
        if delivery is None:
            return  # deleted meanwhile (its ticket was): nothing to retry
        state = record_deferral(delivery, reply, claimed_by=self.worker_id)
        self._count("expired" if state == "failed" else "deferred", bool(state))

    def _count(self, what: str, applied: bool) -> None:
        if applied:
            self.tally[what] += 1

    def _maybe_flush(self) -> None:
        if self.pending and (
            len(self.pending) >= FLUSH_MAX or time.monotonic() - self.pending_since >= FLUSH_SECONDS
        ):
            self.flush()

    def flush(self) -> None:
        """Record the pending hand-offs (one transaction)."""
        if self.pending:
            pending, self.pending = self.pending, []
            applied = record_handoffs(pending, claimed_by=self.worker_id)
            self.tally["handed_off"] += applied
            if applied < len(pending):
                log.warning(
                    "%d hand-offs not recorded: this worker's lease on them was lost",
                    len(pending) - applied,
                )
        if self.on_flush is not None:
            self.on_flush()
