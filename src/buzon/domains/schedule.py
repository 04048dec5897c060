"""Stored runs of the deliverability check, the daily re-check, and regressions.

`run_and_store(setup)` runs every check and stores a `CheckRun`. The worker calls
`run_daily_if_due()` from its housekeeping: one scheduled run per period of
BUZON_DELIVERABILITY_RECHECK_HOURS (24: daily) across all workers — each period has a
`slot` number, unique in the table, so a second worker's insert fails and it moves on —
never when DNS lookups are off, and never with BUZON_DELIVERABILITY_RECHECK_HOURS=0.
A run takes at most BUZON_DNS_CHECK_BUDGET seconds of DNS, so a dead resolver delays
the worker's sending by that much, once a period.

`regressions(run)` compares a run with the one before it: every check whose status got
worse (pass → warn, pass → fail, warn → fail) is a regression, shown on the
delivery-health page until a later run no longer has it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from buzon.domains.checks import RANK, CheckResult, Setup, run_checks, worst
from buzon.domains.lookup import Lookup, parse_resolvers
from buzon.domains.models import CheckRun

log = logging.getLogger("buzon.domains.schedule")


def run_and_store(
    setup: Setup | None = None, *, lookup: Lookup | None = None, run: CheckRun | None = None
) -> CheckRun:
    setup = setup or Setup.from_settings()
    lookup = lookup or Lookup(budget=settings.DNS_CHECK_BUDGET)
    if run is None:
        run = CheckRun(started_at=timezone.now())
    results = run_checks(setup, lookup)
    run.support_domain = setup.support_domain
    run.bounce_domain = setup.bounce_domain
    run.sending_ips = ", ".join(setup.sending_ips)[:1000]
    run.resolvers = lookup.describe()[:300]
    run.results = [r.as_dict() for r in results]
    run.worst = worst(r.status for r in results)
    run.finished_at = timezone.now()
    run.save()
    return run


def results_of(run: CheckRun | None) -> list[CheckResult]:
    if run is None:
        return []
    return [CheckResult.from_dict(d) for d in run.results or []]


def latest_run() -> CheckRun | None:
    return (
        CheckRun.objects.filter(finished_at__isnull=False).order_by("-finished_at", "-id").first()
    )


def previous_run(run: CheckRun) -> CheckRun | None:
    return (
        CheckRun.objects.filter(
            finished_at__isnull=False,
            finished_at__lt=run.finished_at,
            support_domain=run.support_domain,
        )
        .order_by("-finished_at", "-id")
        .first()
    )


@dataclass(frozen=True)
class Regression:
    result: CheckResult
    was: str
    since: object  # the datetime of the run it was compared with


def regressions(run: CheckRun | None) -> list[Regression]:
    if run is None:
        return []
    before = previous_run(run)
    if before is None:
        return []
    was = {r.id: r.status for r in results_of(before)}
    return [
        Regression(r, was[r.id], before.finished_at)
        for r in results_of(run)
        if r.id in was and RANK[r.status] > RANK[was[r.id]]
    ]


def daily_enabled() -> bool:
    return (
        settings.DELIVERABILITY_RECHECK_HOURS > 0 and parse_resolvers(settings.DNS_RESOLVERS) != []
    )


def run_daily_if_due() -> CheckRun | None:
    """Run the scheduled check unless this period's run exists (or is running)."""
    if not daily_enabled():
        return None
    now = timezone.now()
    slot = int(now.timestamp() // (settings.DELIVERABILITY_RECHECK_HOURS * 3600))
    if CheckRun.objects.filter(slot=slot).exists():
        return None
    try:
        with transaction.atomic():
            run = CheckRun.objects.create(
                started_at=now,
                scheduled=True,
                slot=slot,
                support_domain="",
                bounce_domain="",
            )
    except IntegrityError:  # another worker took this period's run
        return None
    try:
        run = run_and_store(run=run)
    except Exception:
        log.exception("the scheduled deliverability check failed")
        return None
    for regression in regressions(run):
        log.warning(
            "deliverability regression: %s went from %s to %s: %s",
            regression.result.id,
            regression.was,
            regression.result.status,
            regression.result.summary_text(),
        )
    return run
