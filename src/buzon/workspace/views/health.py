"""Delivery health: failures over time by reason, failing domains, the retry queue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from buzon.mail.inbound.mailboxes import Mailbox
from buzon.workspace import deliverydata
from buzon.workspace.access import agent_required
from buzon.workspace.labels import reason_label

DAYS = 30
# Distinct hues in a fixed order; the chart also has a legend with names and a table.
PALETTE = [
    "#c0392b", "#2471a3", "#d68910", "#7d3c98", "#138d75", "#566573", "#a04000", "#1f618d",
    "#b7950b", "#6c3483",
]  # fmt: skip


@dataclass(frozen=True)
class Segment:
    reason: str
    label: str
    count: int
    color: str
    y: float
    height: float


@dataclass(frozen=True)
class Bar:
    day: date
    total: int
    x: float
    segments: list[Segment]


def failure_chart(rows: list[dict[str, Any]], today: date, days: int = DAYS) -> dict[str, Any]:
    """Stacked bars (one per day) of failures by reason, laid out for an inline SVG."""
    reasons = sorted({r["reason"] or "undefined" for r in rows})
    colors = {reason: PALETTE[i % len(PALETTE)] for i, reason in enumerate(reasons)}
    by_day: dict[date, dict[str, int]] = {}
    for row in rows:
        day = row["day"]
        reason = row["reason"] or "undefined"
        by_day.setdefault(day, {})
        by_day[day][reason] = by_day[day].get(reason, 0) + row["n"]
    first = today - timedelta(days=days - 1)
    peak = max((sum(v.values()) for v in by_day.values()), default=0)
    height, width, bar = 160.0, 24.0 * days, 18.0
    bars = []
    for i in range(days):
        day = first + timedelta(days=i)
        counts = by_day.get(day, {})
        y = height
        segments = []
        for reason in reasons:
            n = counts.get(reason, 0)
            if not n:
                continue
            h = height * n / peak
            y -= h
            segments.append(Segment(reason, reason_label(reason), n, colors[reason], y, h))
        bars.append(Bar(day, sum(counts.values()), i * 24.0 + 3, segments))
    return {
        "bars": bars,
        "legend": [(r, reason_label(r), colors[r]) for r in reasons],
        "peak": peak,
        "height": height,
        "width": width,
        "bar_width": bar,
        "total": sum(b.total for b in bars),
    }


@agent_required
def health(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    since = now - timedelta(days=DAYS)
    today = timezone.localdate(now)
    rows = deliverydata.failures_by_day_and_reason(since)
    deferred_total, deferred = deliverydata.deferred_queue()
    unmatched_model = deliverydata.unmatched_bounce_model()
    unmatched = None
    if unmatched_model is not None:
        unmatched = {
            "total": unmatched_model.objects.count(),
            "recent": list(unmatched_model.objects.order_by("-pk")[:20]),
        }
    return render(
        request,
        "workspace/health.html",
        {
            "chart": failure_chart(rows, today),
            "days": DAYS,
            "domains": deliverydata.top_failing_domains(since),
            "deferred_total": deferred_total,
            "deferred": deferred,
            "queue": deliverydata.queue_counts(),
            "unmatched_model": unmatched_model,
            "unmatched": unmatched,
            "mailboxes": list(Mailbox.objects.filter(enabled=True).order_by("key")),
        },
    )
