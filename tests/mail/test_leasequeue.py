"""The lease queue's contract, through real rows of the inbound queue (the outbound
worker uses the same class): claim, lease, take-over after a dead worker, renew,
release — and, on PostgreSQL, two open claims that skip each other's rows."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest
from django.db import connection, transaction
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from buzon.mail.inbound.models import InboundMessage, InboundSource, InboundState
from buzon.mail.leasequeue import LeaseQueue

QUEUE = LeaseQueue(InboundMessage, (InboundState.RECEIVED, InboundState.PROCESSING), "processing")


def stored(n: int, **fields) -> list[int]:
    first = InboundMessage.objects.count()
    rows = InboundMessage.objects.bulk_create(
        InboundMessage(
            source=InboundSource.SMTP,
            raw=b"Subject: x\r\n\r\nbody\r\n",
            sha256=f"{i:064x}",
            dedupe_key=f"lease-{i}",
            **fields,
        )
        for i in range(first, first + n)
    )
    if rows[0].pk is None:  # backends that do not return ids from bulk inserts
        return list(InboundMessage.objects.order_by("id").values_list("pk", flat=True))[-n:]
    return [r.pk for r in rows]


@pytest.mark.django_db
def test_a_claim_takes_due_rows_only_and_leases_them_to_the_worker():
    due = stored(5)
    stored(2, next_attempt_at=timezone.now() + timedelta(hours=1))
    stored(1, state=InboundState.PROCESSED, next_attempt_at=None)

    ids = QUEUE.claim("w1", 10, 60, attempts=F("attempts") + 1)

    assert ids == sorted(due)
    rows = InboundMessage.objects.filter(pk__in=ids)
    assert {(r.state, r.claimed_by, r.attempts) for r in rows} == {("processing", "w1", 1)}
    assert all(r.next_attempt_at == r.lease_expires_at > timezone.now() for r in rows)
    assert QUEUE.claim("w2", 10, 60) == []  # nothing else is due
    assert set(QUEUE.mine("w1").values_list("pk", flat=True)) == set(due)


@pytest.mark.django_db
def test_a_claim_returns_the_claimed_rows_fields_in_one_statement():
    due = stored(3)
    stored(1, next_attempt_at=timezone.now() + timedelta(hours=1))

    with CaptureQueriesContext(connection) as queries:
        rows = QUEUE.claim_rows(
            "w1", 10, 60, ("state", "attempts", "lease_expires_at"), attempts=F("attempts") + 1
        )

    writes = [
        q["sql"]
        for q in queries
        if not q["sql"].upper().startswith(("SAVEPOINT", "RELEASE", "SET LOCAL"))
    ]
    assert len(writes) == 1 and "RETURNING" in writes[0], writes
    assert [row[0] for row in rows] == due
    stored_now = InboundMessage.objects.filter(pk__in=due).order_by("id")
    assert rows == [(m.pk, "processing", 1, m.lease_expires_at) for m in stored_now]
    assert all(isinstance(row[3], datetime) and row[3] > timezone.now() for row in rows)


@pytest.mark.django_db
def test_a_queue_that_counts_attempts_counts_each_claim_in_the_claims_statement():
    counting = LeaseQueue(
        InboundMessage, (InboundState.RECEIVED, InboundState.PROCESSING), "processing",
        counted="attempts",
    )  # fmt: skip
    ids = stored(2)

    with CaptureQueriesContext(connection) as queries:
        assert counting.claim("dead", 10, 30) == ids
    assert counting.claim("alive", 10, 30, now=timezone.now() + timedelta(seconds=31)) == ids

    writes = [q["sql"] for q in queries if q["sql"].upper().startswith("UPDATE")]
    assert len(writes) == 1 and "attempts" in writes[0], writes
    rows = InboundMessage.objects.filter(pk__in=ids)
    assert {(r.claimed_by, r.attempts) for r in rows} == {("alive", 2)}


@pytest.mark.django_db
def test_a_claim_returns_whether_a_rows_times_have_come_and_a_relaxed_claim_is_one_statement():
    early = stored(2, received_at=timezone.now() - timedelta(days=1))
    late = stored(2, received_at=timezone.now() + timedelta(days=1))
    now = timezone.now()
    relaxed = LeaseQueue(InboundMessage, QUEUE.claimable, "processing", relaxed_commit=True)

    with CaptureQueriesContext(connection) as queries:
        rows = relaxed.claim_rows("w1", 10, 60, ("dedupe_key",), past=("received_at",), now=now)

    assert len([q for q in queries if "SAVEPOINT" not in q["sql"].upper()]) == 1
    assert [(pk, flag) for pk, _, flag in rows] == [(pk, True) for pk in early] + [
        (pk, False) for pk in late
    ]


@pytest.mark.django_db
def test_two_workers_share_the_rows_without_overlap_and_in_due_order():
    ids = stored(7)
    first = QUEUE.claim("w1", 4, 60)
    second = QUEUE.claim("w2", 4, 60)
    assert first == ids[:4]
    assert second == ids[4:]


@pytest.mark.django_db
def test_a_dead_workers_rows_are_taken_over_when_its_lease_runs_out():
    ids = stored(3)
    assert QUEUE.claim("dead", 10, 30) == ids
    assert QUEUE.claim("alive", 10, 30) == []

    after_the_lease = timezone.now() + timedelta(seconds=31)
    assert QUEUE.claim("alive", 10, 30, now=after_the_lease) == ids
    assert not QUEUE.mine("dead").exists()  # its late outcome would match nothing
    assert QUEUE.mine("alive").count() == 3


@pytest.mark.django_db
def test_a_renewed_lease_keeps_the_rows_from_being_taken_over():
    stored(2)
    QUEUE.claim("slow", 10, 30)
    assert QUEUE.renew("slow", 300) == 2
    assert QUEUE.claim("other", 10, 30, now=timezone.now() + timedelta(seconds=60)) == []


@pytest.mark.django_db
def test_released_rows_are_due_at_once_and_a_worker_releases_only_its_own():
    ids = stored(4)
    QUEUE.claim("w1", 2, 60)
    QUEUE.claim("w2", 2, 60)

    assert QUEUE.release("w1", ids, state=InboundState.RECEIVED) == 2
    assert QUEUE.pending()
    assert QUEUE.claim("w3", 10, 60) == ids[:2]
    assert set(QUEUE.mine("w2").values_list("pk", flat=True)) == set(ids[2:])


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # as every live test: keeps
# the migrated rows (content types, standard triggers) for the tests after it
def test_on_postgresql_a_claim_skips_rows_another_open_claim_holds():
    if connection.vendor != "postgresql":
        pytest.skip("SKIP LOCKED is PostgreSQL's; SQLite runs one worker")
    ids = stored(6)
    held = threading.Event()
    done = threading.Event()
    taken: dict[str, list[int]] = {}
    finished_before_commit: list[bool] = []

    def slow_worker() -> None:
        try:
            with transaction.atomic():  # the claim's row locks stay until this commits
                taken["slow"] = QUEUE.claim("slow", 3, 60)
                held.set()
                done.wait(10)
                finished_before_commit.append("fast" in taken)
        finally:
            connection.close()

    thread = threading.Thread(target=slow_worker)
    thread.start()
    try:
        assert held.wait(10)
        taken["fast"] = QUEUE.claim("fast", 10, 60)  # returns without waiting
    finally:
        done.set()
        thread.join()
    assert taken["slow"] == ids[:3]
    assert taken["fast"] == ids[3:]
    assert finished_before_commit == [True]  # skipped the locked rows, did not wait
