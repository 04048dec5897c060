"""Delivery counts that the delivery-health page reads instead of counting history.

Database triggers on `deliveries_delivery` (migration 0003, PostgreSQL and SQLite)
append a signed row to `DeliveryCountDelta` for every change that moves a count:

- `state`: deliveries per final state (handed_off, delivered, failed), bucket 0.
  The active states (queued, sending, deferred) are not counted here: they are
  counted live on the claim index, which holds only the queue, not the history.
- `reason` per hour, `blame`, `domain` and `address` per day: the failed
  deliveries by their `failed_at`.

The triggers only insert (no shared row is updated while a worker's transaction is
open), so they add no lock waits and no deadlocks between workers, and they fire
only when a delivery enters or leaves a final state or a failure's fields change:
never on a claim or a retry. `fold` moves the deltas into `DeliveryCount` (one
statement, one folder at a time); readers fold, then read both tables.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

FINAL_STATES = ("handed_off", "delivered", "failed")
HOUR = 3600
DAY = 86400
FOLD_LOCK = 7_140_001  # pg advisory lock key of the fold


class DeliveryCount(models.Model):
    """A folded count: how many deliveries are in `key` of `dimension` in `bucket`
    (hours or days since the epoch, 0 for states)."""

    dimension = models.CharField(max_length=16)
    key = models.CharField(max_length=320)
    bucket = models.BigIntegerField()
    n = models.BigIntegerField(default=0)
    last_at = models.DateTimeField(null=True, blank=True, help_text="The latest failed_at.")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["dimension", "bucket", "key"], name="one_delivery_count_per_bucket"
            )
        ]

    def __str__(self) -> str:
        return f"{self.dimension} {self.key} @{self.bucket}: {self.n}"


class DeliveryCountDelta(models.Model):
    """+1 or -1 on a count, written by the triggers, folded away by `fold`."""

    id = models.BigAutoField(primary_key=True)
    dimension = models.CharField(max_length=16)
    key = models.CharField(max_length=320)
    bucket = models.BigIntegerField()
    n = models.IntegerField()
    at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.dimension} {self.key} @{self.bucket}: {self.n:+d}"


# One statement (its own transaction, or the caller's): the advisory lock is taken
# before any delta is deleted, and held to the end of the transaction.
FOLD_PG = f"""
WITH folder AS (SELECT pg_try_advisory_xact_lock({FOLD_LOCK}) AS alone),
moved AS (
    DELETE FROM deliveries_deliverycountdelta WHERE (SELECT alone FROM folder)
    RETURNING dimension, key, bucket, n, at
)
INSERT INTO deliveries_deliverycount (dimension, key, bucket, n, last_at)
SELECT dimension, key, bucket, sum(n), max(at) FROM moved
GROUP BY dimension, key, bucket ORDER BY dimension, bucket, key
ON CONFLICT (dimension, bucket, key) DO UPDATE
SET n = deliveries_deliverycount.n + EXCLUDED.n,
    last_at = GREATEST(deliveries_deliverycount.last_at, EXCLUDED.last_at)
"""
FOLD_SQLITE = """
INSERT INTO deliveries_deliverycount (dimension, key, bucket, n, last_at)
SELECT dimension, key, bucket, sum(n), max(at) FROM deliveries_deliverycountdelta
WHERE id <= %s GROUP BY dimension, key, bucket
ON CONFLICT (dimension, bucket, key) DO UPDATE
SET n = deliveries_deliverycount.n + excluded.n,
    last_at = max(coalesce(deliveries_deliverycount.last_at, ''), coalesce(excluded.last_at, ''))
"""


def fold() -> None:
    """Move the deltas into the counts. On PostgreSQL one process folds at a time
    (the others skip: they read the deltas too), in one statement."""
    if connection.vendor == "postgresql":
        with connection.cursor() as c:
            c.execute(FOLD_PG)
        return
    with transaction.atomic(), connection.cursor() as c:
        c.execute("SELECT max(id) FROM deliveries_deliverycountdelta")
        last = c.fetchone()[0]
        if last is not None:
            c.execute(FOLD_SQLITE, [last])
            c.execute("DELETE FROM deliveries_deliverycountdelta WHERE id <= %s", [last])
            c.execute("UPDATE deliveries_deliverycount SET last_at = NULL WHERE last_at = ''")


@dataclass(frozen=True)
class Count:
    key: str
    bucket: int
    n: int
    last_at: datetime | None


def counts(dimension: str, since_bucket: int = 0, *, with_last: bool = True) -> list[Count]:
    """The counts of a dimension from `since_bucket` on, deltas not yet folded
    included: one query over the window's rows (history before it is not read).
    `with_last=False` leaves `last_at` out (None), which saves reading timestamps."""
    last = "max(last_at)" if with_last else "NULL"
    with connection.cursor() as c:
        c.execute(
            f"""SELECT key, bucket, sum(n), {last} FROM (
                SELECT key, bucket, n, last_at FROM deliveries_deliverycount
                WHERE dimension = %s AND bucket >= %s
                UNION ALL
                SELECT key, bucket, n, at FROM deliveries_deliverycountdelta
                WHERE dimension = %s AND bucket >= %s) AS c
            GROUP BY key, bucket HAVING sum(n) <> 0""",
            [dimension, since_bucket, dimension, since_bucket],
        )
        rows = c.fetchall()
    return [Count(key, int(bucket), int(n), moment(last)) for key, bucket, n, last in rows]


def period_counts(dimension: str, starts: list[int]) -> list[tuple[str, int, int]]:
    """(key, period, n): the counts of a dimension summed, in the database, over
    consecutive periods; period i holds the buckets from `starts[i]` up to
    `starts[i + 1]` (excluded; `starts` ascending, the last one only ends the one
    before it). One query; the rows are the keys × periods, not the buckets."""
    if len(starts) < 2:
        return []
    # The highest start first: a bucket belongs to the last period starting at or before it.
    period = " ".join(
        f"WHEN bucket >= {int(start)} THEN {i}"
        for i, start in reversed(list(enumerate(starts[:-1])))
    )
    with connection.cursor() as c:
        c.execute(
            f"""SELECT key, CASE {period} END AS period, sum(n) FROM (
                SELECT key, bucket, n FROM deliveries_deliverycount
                WHERE dimension = %s AND bucket >= %s AND bucket < %s
                UNION ALL
                SELECT key, bucket, n FROM deliveries_deliverycountdelta
                WHERE dimension = %s AND bucket >= %s AND bucket < %s) AS c
            GROUP BY 1, 2 HAVING sum(n) <> 0""",
            [dimension, starts[0], starts[-1]] * 2,
        )
        return [(key, int(i), int(n)) for key, i, n in c.fetchall()]


def _window(dimension: str, columns: str) -> str:
    """The folded and the pending rows of a dimension from a bucket on (one parameter)."""
    return (
        f"SELECT {columns} FROM deliveries_deliverycount "
        f"WHERE dimension = '{dimension}' AND bucket >= %s "
        f"UNION ALL SELECT {columns.replace('last_at', 'at')} FROM deliveries_deliverycountdelta "
        f"WHERE dimension = '{dimension}' AND bucket >= %s"
    )


def top_domains(since_bucket: int, limit: int) -> list[tuple[str, int, datetime | None, int]]:
    """(domain, failures, the latest, failing addresses) of the `limit` domains with the
    most failures from the day `since_bucket` on, the most first (then by name): the
    daily counts summed per domain and per address by the database, in one query."""
    if connection.vendor == "postgresql":
        at, collate = "strpos(a.key, '@')", ' COLLATE "C"'
    else:
        at, collate = "instr(a.key, '@')", ""
    domain_of_address = f"CASE WHEN {at} > 0 THEN substr(a.key, {at} + 1) ELSE '' END"
    with connection.cursor() as c:
        c.execute(
            f"""WITH domains AS (
                SELECT key, sum(n) AS n, max(last_at) AS last_at
                FROM ({_window("domain", "key, n, last_at")}) AS c
                GROUP BY key HAVING sum(n) > 0 ORDER BY sum(n) DESC, key{collate} LIMIT %s
            ), addresses AS (
                SELECT key FROM ({_window("address", "key, n")}) AS c
                GROUP BY key HAVING sum(n) > 0
            )
            SELECT d.key, d.n, d.last_at, count(a.key) FROM domains AS d
            LEFT JOIN addresses AS a ON {domain_of_address} = d.key
            GROUP BY d.key, d.n, d.last_at""",
            [since_bucket, since_bucket, limit, since_bucket, since_bucket],
        )
        rows = [(key, int(n), moment(last), int(addresses)) for key, n, last, addresses in c]
    return sorted(rows, key=lambda row: (-row[1], row[0]))


def states(active_states: tuple[str, ...]) -> dict[str, int]:
    """Deliveries per state, in one query: the active ones counted on the claim index
    (it holds only the queue), the final ones from the counts."""
    placeholders = ", ".join(["%s"] * len(active_states))
    with connection.cursor() as c:
        c.execute(
            f"""SELECT state, count(*) FROM deliveries_delivery
            WHERE state IN ({placeholders}) GROUP BY state
            UNION ALL
            SELECT key, sum(n) FROM ({_window("state", "key, n")}) AS c GROUP BY key""",
            [*active_states, 0, 0],
        )
        return {state: int(n) for state, n in c if n}


def moment(value: datetime | str | None) -> datetime | None:
    """A timestamp as read from either database (SQLite gives its stored text)."""
    if value is None or isinstance(value, datetime):
        return value
    parsed = parse_datetime(value)
    if parsed is not None and timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed, UTC)
    return parsed


def bucket_of(moment: datetime, size: int) -> int:
    return int(moment.timestamp()) // size


# --- What the triggers count ----------------------------------------------------
# The triggers themselves are SQL frozen in the migrations package
# (`migrations/_count_triggers.py`, installed by migration 0003): they count, per
# dimension, the key, bucket and condition below, and `backfill_sql` counts the same
# from the deliveries table (tests/deliveries/test_counts.py checks that the two agree
# row for row). Changing what is counted takes a migration with a new frozen copy.

FINAL = "('handed_off', 'delivered', 'failed')"


def _epoch(vendor: str, column: str) -> str:
    if vendor == "postgresql":
        return f"floor(extract(epoch FROM {column}))::bigint"
    return f"CAST(strftime('%s', {column}) AS INTEGER)"


def _domain(vendor: str, email: str) -> str:
    if vendor == "postgresql":
        return f"lower(split_part({email}, '@', 2))"
    return f"lower(substr({email}, instr({email}, '@') + 1))"


def _dimensions(vendor: str, row: str) -> dict[str, tuple[str, str, str]]:
    """Per dimension, SQL for the key, the bucket and whether `row` is counted."""
    failed = f"{row}.state = 'failed' AND {row}.failed_at IS NOT NULL"
    epoch = _epoch(vendor, f"{row}.failed_at")
    return {
        "state": (f"{row}.state", "0", f"{row}.state IN {FINAL}"),
        "reason": (f"{row}.reason", f"{epoch} / {HOUR}", failed),
        "blame": (f"{row}.blame", f"{epoch} / {DAY}", failed),
        "domain": (_domain(vendor, f"{row}.email"), f"{epoch} / {DAY}", failed),
        "address": (f"lower({row}.email)", f"{epoch} / {DAY}", failed),
    }


def backfill_sql(vendor: str) -> list[str]:
    """Count the deliveries already there, straight into the folded counts."""
    return [
        "INSERT INTO deliveries_deliverycount (dimension, key, bucket, n, last_at) "
        f"SELECT '{dimension}', {key}, {bucket}, count(*), "
        f"{'NULL' if dimension == 'state' else 'max(d.failed_at)'} "
        f"FROM deliveries_delivery d WHERE {counted} GROUP BY 2, 3"
        for dimension, (key, bucket, counted) in _dimensions(vendor, "d").items()
    ]
