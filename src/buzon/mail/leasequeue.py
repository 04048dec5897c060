"""A table as a work queue: claim, lease, release, dead-worker take-over.

Both of Buzón's queues are tables worked this way: outbound deliveries
(`buzon.mail.worker`) and stored inbound messages (`buzon.mail.inbound.processor`).
A queue row carries four columns: `state`, `claimed_by`, `lease_expires_at` and
`next_attempt_at`.

The contract
------------
- Due: a row is claimable when its state is one of `claimable` and its
  `next_attempt_at <= now`. A claimed row's `next_attempt_at` is its lease's end, so
  one index on (`state`, `next_attempt_at`) finds both new work and work whose lease
  ran out.
- Claim: in one short transaction, up to `limit` due rows, oldest due first, are
  selected with `SELECT … FOR UPDATE SKIP LOCKED` and set to `claimed_state`,
  `claimed_by` = the worker, leased until now + `lease`. Rows another worker is
  claiming at that moment are skipped, never waited for: any number of workers, on any
  number of machines, never claim the same row while its lease holds. (SQLite has no
  SKIP LOCKED; its single writer serialises claims, and Buzón runs one worker per
  SQLite database.)
- Lease: a claim is a promise for `lease` seconds. A worker whose work takes longer
  renews it (`renew`). When a lease runs out the row is due again and any worker takes
  it over — this is what happens to the rows of a worker that was killed (SIGKILL,
  power loss, a lost connection): nothing is lost, it is only late by the lease.
- Release: a worker that stops gives its unstarted rows back, due now (`release`).

What a consumer must guarantee
------------------------------
- Write a row's outcome only while it is still claimed by you: check `claimed_by` (and
  the claimed state) in the same statement or transaction that records the outcome
  (`mine`). A row whose lease ran out belongs to whoever claimed it next.
- Exactly once needs the outcome and its effects in ONE transaction with a re-check of
  the claim under a row lock (the inbound processor does this: a worker killed
  mid-message leaves no effect and no outcome, and the next claim does the work once).
- Effects outside the database cannot join that transaction: a relay that accepted a
  message before the worker died will get it again after the lease (at-least-once; the
  outbound worker resends with the same Message-ID so the recipient sees one).
- Keep a claim shorter than its lease, or renew it; otherwise a second worker may
  start the same row while the first still works on it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, models, transaction
from django.db.models import F
from django.db.models.expressions import Col
from django.db.models.sql import UpdateQuery
from django.utils import timezone

from buzon.deliveries.recording import RELAXED_COMMIT


@dataclass(frozen=True)
class LeaseQueue:
    """One table worked as a queue (see the module's contract)."""

    model: type[models.Model]
    claimable: tuple[str, ...]
    claimed_state: str
    # A forgotten claim is only claimed again after its lease: such a claim may commit
    # without waiting for the WAL flush on PostgreSQL.
    relaxed_commit: bool = False
    # A column each claim adds one to (the inbound queue counts its attempts), written
    # into the claim's own UPDATE.
    counted: str = ""

    def claim(
        self,
        worker_id: str,
        limit: int,
        lease: float,
        *,
        now: datetime | None = None,
        **also: Any,
    ) -> list[int]:
        """Claim up to `limit` due rows for `worker_id`; their ids, in id order.
        `also`: more fields set on the claimed rows (e.g. `attempts=F("attempts") + 1`)."""
        return [pk for (pk,) in self.claim_rows(worker_id, limit, lease, (), now=now, **also)]

    def claim_rows(
        self,
        worker_id: str,
        limit: int,
        lease: float,
        fields: Sequence[str],
        *,
        past: Sequence[str] = (),
        now: datetime | None = None,
        **also: Any,
    ) -> list[tuple[Any, ...]]:
        """Claim as `claim` does; each claimed row as (pk, *`fields`, *`past`) after
        the claim, in id order, where each of `past` (datetime fields) is whether that
        time has come (<= now): a flag costs less to read than a datetime. One
        statement: `UPDATE … WHERE pk IN (SELECT … FOR UPDATE SKIP LOCKED LIMIT n)
        RETURNING …` (SQLite ≥ 3.35 and PostgreSQL), written here unless `also` holds
        expressions, which the ORM compiles."""
        now = now or timezone.now()
        lease_end = now + timedelta(seconds=lease)
        columns = [self._column(name) for name in ("pk", *fields)]
        quote = connection.ops.quote_name
        returning = [quote(col.target.column) for col in columns]
        returning += [f"{quote(self._column(name).target.column)} <= %s" for name in past]
        past_params = [connection.ops.adapt_datetimefield_value(now)] * len(past)
        relaxed = self.relaxed_commit and connection.vendor == "postgresql"
        if not any(hasattr(value, "resolve_expression") for value in also.values()):
            # One statement, its own transaction: one round trip on PostgreSQL (a
            # transaction of its own would add BEGIN, SET LOCAL and COMMIT).
            sql, params = self._written_claim(worker_id, limit, lease_end, now, also, relaxed)
            return _returned(sql, [*params, *past_params], returning, columns)
        with transaction.atomic():
            if relaxed:
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL synchronous_commit TO OFF")
            # The subselect's FOR UPDATE needs the transaction, hence compiled in it.
            compiled, compiled_params = self._compiled_claim(worker_id, limit, lease_end, now, also)
            return _returned(compiled, [*compiled_params, *past_params], returning, columns)

    def _compiled_claim(
        self, worker_id: str, limit: int, lease_end: datetime, now: datetime, also: dict[str, Any]
    ) -> tuple[str, Sequence[Any]]:
        """The claim's UPDATE compiled by the ORM (for `also` values that are expressions)."""
        manager = self.model._default_manager
        due = (
            manager.select_for_update(skip_locked=True)
            .filter(state__in=self.claimable, next_attempt_at__lte=now)
            .order_by("next_attempt_at", "id")
            .values("pk")[:limit]
        )
        update = manager.filter(pk__in=due).query.chain(UpdateQuery)
        assert isinstance(update, UpdateQuery)
        if self.counted:
            also = {self.counted: F(self.counted) + 1, **also}
        update.add_update_values(self._claimed_values(worker_id, lease_end, also))
        return update.get_compiler(connection=connection).as_sql()

    def _written_claim(
        self,
        worker_id: str,
        limit: int,
        lease_end: datetime,
        now: datetime,
        also: dict[str, Any],
        relaxed: bool,
    ) -> tuple[str, list[Any]]:
        """The same UPDATE written here, for plain values: compiling it cost the worker
        about as much as executing it. `relaxed`: its commit does not wait for the WAL
        flush (PostgreSQL; `RELAXED_COMMIT`)."""
        meta = self.model._meta
        quote = connection.ops.quote_name
        table, pk = quote(meta.db_table), quote(self._column("pk").target.column)
        state, due_at = (
            quote(self._column(name).target.column) for name in ("state", "next_attempt_at")
        )
        sets, params = [], []
        for name, value in self._claimed_values(worker_id, lease_end, also).items():
            field = meta.get_field(name)
            assert isinstance(field, models.Field)
            sets.append(f"{quote(field.column)} = %s")
            params.append(field.get_db_prep_save(value, connection))
        if self.counted:
            counted = quote(self._column(self.counted).target.column)
            sets.append(f"{counted} = {counted} + 1")
        skip_locked = connection.features.has_select_for_update_skip_locked
        due = (
            f"SELECT {pk} FROM {table} WHERE {state} IN ({', '.join(['%s'] * len(self.claimable))})"
            f" AND {due_at} <= %s ORDER BY {due_at}, {pk} LIMIT {int(limit)}"
            + (" FOR UPDATE SKIP LOCKED" if skip_locked else "")
        )
        params += [*self.claimable, connection.ops.adapt_datetimefield_value(now)]
        relax = f" FROM {RELAXED_COMMIT}" if relaxed else ""
        return f"UPDATE {table} SET {', '.join(sets)}{relax} WHERE {pk} IN ({due})", params

    def _claimed_values(
        self, worker_id: str, lease_end: datetime, also: dict[str, Any]
    ) -> dict[str, Any]:
        return {
            "state": self.claimed_state,
            "claimed_by": worker_id,
            "lease_expires_at": lease_end,
            "next_attempt_at": lease_end,
            **also,
        }

    def _column(self, name: str) -> Col:
        meta = self.model._meta
        field = meta.pk if name == "pk" else meta.get_field(name)
        assert isinstance(field, models.Field) and field.concrete, name
        return field.get_col(meta.db_table)

    def mine(self, worker_id: str, ids: Iterable[int] | None = None) -> models.QuerySet[Any]:
        """The rows (of `ids`, or all) still claimed by `worker_id`."""
        rows = self.model._default_manager.filter(state=self.claimed_state, claimed_by=worker_id)
        return rows if ids is None else rows.filter(pk__in=list(ids))

    def renew(self, worker_id: str, lease: float) -> int:
        """Extend the lease of every row `worker_id` still holds; how many."""
        lease_end = timezone.now() + timedelta(seconds=lease)
        return self.mine(worker_id).update(lease_expires_at=lease_end, next_attempt_at=lease_end)

    def release(self, worker_id: str, ids: Sequence[int], *, state: Any, **also: Any) -> int:
        """Give rows `worker_id` still holds back to the queue, due now, in `state`
        (a value or an expression); how many."""
        if not ids:
            return 0
        return self.mine(worker_id, ids).update(
            state=state,
            claimed_by="",
            lease_expires_at=None,
            next_attempt_at=timezone.now(),
            **also,
        )

    def pending(self) -> bool:
        """Is any row waiting, due now or later (a retry, a lease)?"""
        return self.model._default_manager.filter(
            state__in=self.claimable, next_attempt_at__isnull=False
        ).exists()


def _returned(
    sql: str, params: Sequence[Any], returning: Sequence[str], columns: Sequence[Col]
) -> list[tuple[Any, ...]]:
    """Run a claim's UPDATE returning `columns` then flags: the rows, the columns
    converted, in id order."""
    with connection.cursor() as cursor:
        cursor.execute(f"{sql} RETURNING {', '.join(returning)}", params)
        rows = cursor.fetchall()
    return sorted(_converted(rows, columns), key=lambda row: row[0])


def _converted(rows: Iterable[tuple[Any, ...]], columns: Sequence[Col]) -> list[tuple[Any, ...]]:
    """Raw rows as the ORM would read them (on SQLite a datetime comes back as text);
    values after `columns` (flags) as booleans."""
    width = len(columns)
    converters = [
        connection.ops.get_db_converters(col) + col.get_db_converters(connection) for col in columns
    ]
    if not any(converters):
        return [(*row[:width], *map(bool, row[width:])) for row in rows]
    return [
        (
            *(
                _convert(value, convs, col)
                for value, convs, col in zip(row[:width], converters, columns, strict=True)
            ),
            *map(bool, row[width:]),
        )
        for row in rows
    ]


def _convert(value: Any, converters: Sequence[Any], col: Col) -> Any:
    for converter in converters:
        value = converter(value, col, connection)
    return value
