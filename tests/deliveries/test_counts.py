"""The delivery counts the health page reads stay equal to counting the deliveries,
whatever writes them: recording, plain updates, deletes (triggers, both databases)."""

from collections import Counter
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from buzon.deliveries import counts
from buzon.deliveries.models import Delivery
from buzon.deliveries.recording import Failure, Reply, record_failure, record_handoffs

DIMENSIONS = ("state", "reason", "blame", "domain", "address")


def counted_now() -> dict[tuple[str, str, int], int]:
    """What counting every delivery gives, per dimension, key and bucket."""
    found: Counter[tuple[str, str, int]] = Counter()
    for d in Delivery.objects.all():
        if d.state in counts.FINAL_STATES:
            found[("state", d.state, 0)] += 1
        if d.state == "failed" and d.failed_at is not None:
            hour = counts.bucket_of(d.failed_at, counts.HOUR)
            day = counts.bucket_of(d.failed_at, counts.DAY)
            found[("reason", d.reason, hour)] += 1
            found[("blame", d.blame, day)] += 1
            found[("domain", d.email.partition("@")[2].lower(), day)] += 1
            found[("address", d.email.lower(), day)] += 1
    return dict(found)


def maintained() -> dict[tuple[str, str, int], int]:
    return {(dim, c.key, c.bucket): c.n for dim in DIMENSIONS for c in counts.counts(dim)}


def assert_exact() -> None:
    """Equal before folding the deltas and after."""
    assert maintained() == counted_now()
    counts.fold()
    assert maintained() == counted_now()


def unknown_user() -> Failure:
    return Failure(
        source="smtp",
        reply_code=550,
        enhanced_status="5.1.1",
        diagnostic="User unknown",
        remote_mta="mx.example.com",
        reason="userunknown",
        hard=True,
    )


def test_counts_follow_failures_hand_offs_updates_and_deletes(ticket):
    first, second, third = Delivery.objects.filter(ticket=ticket).order_by("id")
    assert_exact()  # queued deliveries are not counted: they are the live queue
    record_failure(first, unknown_user())
    record_handoffs([(second, Reply(250, "2.0.0", "Ok"))])
    assert_exact()
    assert maintained()[("state", "failed", 0)] == 1

    # A plain update moving a failure to another day and reason, and a hand-off
    # that turns into a failure (a late bounce).
    earlier = timezone.now() - timedelta(days=3)
    Delivery.objects.filter(pk=first.pk).update(failed_at=earlier, reason="mailboxfull")
    Delivery.objects.filter(pk=second.pk).update(
        state="failed", failed_at=timezone.now(), reason="blocked", blame="reputation"
    )
    Delivery.objects.filter(pk=third.pk).update(state="sending")  # not counted: no delta
    assert_exact()
    assert maintained()[("state", "failed", 0)] == 2
    assert ("state", "handed_off", 0) not in maintained()

    # The address corrected, then the ticket deleted with its deliveries.
    Delivery.objects.filter(pk=first.pk).update(email="Fixed@Example.org")
    assert_exact()
    ticket.delete()
    assert_exact()
    assert maintained() == {}


def test_the_deliveries_already_there_are_counted_when_the_counts_are_built(ticket):
    first, second, _ = Delivery.objects.filter(ticket=ticket).order_by("id")
    record_failure(first, unknown_user())
    record_handoffs([(second, Reply(250, "2.0.0", "Ok"))])
    counts.DeliveryCount.objects.all().delete()
    counts.DeliveryCountDelta.objects.all().delete()
    assert maintained() == {}
    with connection.cursor() as c:
        for sql in counts.backfill_sql(connection.vendor):
            c.execute(sql)
    assert_exact()
    assert maintained()[("state", "handed_off", 0)] == 1


def test_periods_and_totals_sum_the_window_as_the_buckets_do(ticket):
    """What the health page reads (hours summed per day, days per domain and their
    failing addresses) equals summing the per-bucket counts, with deltas folded and not."""
    first, second, third = Delivery.objects.filter(ticket=ticket).order_by("id")
    now = timezone.now()
    for delivery, days_ago in ((first, 0), (second, 2), (third, 9)):
        record_failure(delivery, unknown_user())
        Delivery.objects.filter(pk=delivery.pk).update(failed_at=now - timedelta(days=days_ago))
    hour = counts.bucket_of(now, counts.HOUR)
    starts = [hour - 24 * 10, hour - 24 * 5, hour + 1]  # two periods: 10–5 and 5–0 days ago
    day = counts.bucket_of(now - timedelta(days=5), counts.DAY)
    for fold in (False, True):
        if fold:
            counts.fold()
        assert sorted(counts.period_counts("reason", starts)) == [
            ("userunknown", 0, 1),
            ("userunknown", 1, 2),
        ]
        domain = first.email.partition("@")[2].lower()
        (total,) = [row for row in counts.top_domains(day, 10) if row[0] == domain]
        _, n, last, addresses = total
        by_bucket = [c for c in counts.counts("domain", day) if c.key == domain]
        failing = {d.email.lower() for d in (first, second)}
        assert (
            n
            == sum(c.n for c in by_bucket)
            == sum(1 for d in (first, second) if d.email.partition("@")[2].lower() == domain)
        )
        assert last == max(c.last_at for c in by_bucket)
        assert addresses == sum(1 for a in failing if a.partition("@")[2] == domain)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's advisory lock")
def test_while_another_process_folds_the_deltas_stay_and_are_still_read(ticket):
    """One process folds at a time: a second one leaves the deltas alone (readers add
    them), and folds them once the first is done."""
    import psycopg
    from django.conf import settings

    record_failure(Delivery.objects.filter(ticket=ticket).first(), unknown_user())
    db = settings.DATABASES["default"]
    other = psycopg.connect(
        host=db["HOST"], port=db["PORT"] or 5432, user=db["USER"], dbname=db["NAME"]
    )
    try:
        other.execute("SELECT pg_advisory_lock(%s)", [counts.FOLD_LOCK])
        counts.fold()
        assert pending() > 0
        assert maintained() == counted_now()
        other.execute("SELECT pg_advisory_unlock(%s)", [counts.FOLD_LOCK])
        counts.fold()
        assert pending() == 0 and maintained() == counted_now()
    finally:
        other.close()


def pending() -> int:
    with connection.cursor() as c:
        c.execute("SELECT count(*) FROM deliveries_deliverycountdelta")
        return c.fetchone()[0]


@pytest.mark.parametrize("vendor", ["postgresql", "sqlite"])
def test_the_backfill_counts_what_the_migrations_triggers_count(vendor):
    """The migrations carry a frozen copy of the triggers and of the backfill written
    with them; `counts.backfill_sql` (bulk loads, the benchmark) must still be that
    backfill: a change to what is counted needs a migration with a new copy."""
    from buzon.deliveries.migrations import _count_triggers

    assert counts.backfill_sql(vendor) == _count_triggers.BACKFILL[vendor]
