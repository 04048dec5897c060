"""Delivery health: failures over time by reason, the problems that are ours to fix
(per receiving provider), failing domains, the retry queue."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import escape
from django.utils.safestring import SafeString
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from buzon.mail.inbound.mailboxes import Mailbox
from buzon.workspace import deliverydata
from buzon.workspace.access import agent_required
from buzon.workspace.labels import blame_label, reason_label, short_months
from buzon.workspace.templatetags.deliverability import problem_checks

DAYS = 30
UNMATCHED_SHOWN = 20
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
    cells: list[int]  # the counts in the legend's order, for the table


def failure_chart(rows: list[dict[str, Any]], today: date, days: int = DAYS) -> dict[str, Any]:
    """Stacked bars (one per day) of failures by reason, laid out for an inline SVG,
    with the bars and the table's rows as markup (`bars_svg`, `table_rows`)."""
    reasons = sorted({r["reason"] or "undefined" for r in rows})
    colors = {reason: PALETTE[i % len(PALETTE)] for i, reason in enumerate(reasons)}
    labels = {reason: reason_label(reason) for reason in reasons}
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
            segments.append(Segment(reason, labels[reason], n, colors[reason], y, h))
        cells = [counts.get(reason, 0) for reason in reasons]
        bars.append(Bar(day, sum(counts.values()), i * 24.0 + 3, segments, cells))
    return {
        "bars": bars,
        "legend": [(r, labels[r], colors[r]) for r in reasons],
        "peak": peak,
        "height": height,
        "width": width,
        "bar_width": bar,
        "total": sum(b.total for b in bars),
        "viewbox": f"0 0 {_number(width)} {_number(height + 20)}",
        "bars_svg": bars_svg(bars, height, bar),
        "table_rows": table_rows(bars),
    }


# The chart's bars and its table are written here, not in the template: 30 days ×
# reasons are hundreds of elements, and each template variable costs more than its
# markup. Numbers, coordinates and colours are ours and need no escaping (a template
# would also localise the coordinates: 12,5 in Spanish); day names and reason labels
# are escaped.
_BAR = "<g><title>{day}: {total}</title>{segments}{axis}</g>"
_SEGMENT = (
    '<rect x="{x}" y="{y}" width="{width}" height="{height}" fill="{color}" stroke="#fff" '
    'stroke-width="0.5"><title>{day} · {label}: {count}</title></rect>'
)
_AXIS = '<text x="{x}" y="{y}" class="axis">{day}</text>'


def _number(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def bars_svg(bars: list[Bar], height: float, bar_width: float) -> SafeString:
    """One `<g>` per day: its segments (each with its reason and count as a title)
    and, every seventh day counting back from the last, the day under the axis."""
    labels = {s.reason: escape(s.label) for bar in bars for s in bar.segments}
    months = short_months(get_language() or "")
    parts = []
    for i, bar in enumerate(bars):
        day = escape(f"{bar.day.day} {months[bar.day.month]}")  # date_format's "j M"
        x = _number(bar.x)
        segments = "".join(
            _SEGMENT.format(
                x=x, y=_number(s.y), width=_number(bar_width), height=_number(s.height),
                color=s.color, day=day, label=labels[s.reason], count=int(s.count),
            )
            for s in bar.segments
        )  # fmt: skip
        last = (len(bars) - 1 - i) % 7 == 0
        axis = _AXIS.format(x=x, y=_number(height + 14), day=day) if last else ""
        parts.append(_BAR.format(day=day, total=int(bar.total), segments=segments, axis=axis))
    return SafeString("".join(parts))


def table_rows(bars: list[Bar]) -> SafeString:
    """The table's rows: a day with failures, its count per reason, its total."""
    months = short_months(get_language() or "")
    rows = []
    for bar in bars:
        if bar.total:
            cells = "".join(f'<td class="num">{int(n) if n else ""}</td>' for n in bar.cells)
            day = escape(f"{bar.day.day} {months[bar.day.month]} {bar.day.year:04d}")  # "j M Y"
            rows.append(
                f'<tr><th scope="row">{day}</th>{cells}<td class="num">{int(bar.total)}</td></tr>'
            )
    return SafeString("".join(rows))


# Receiving providers, recognised by the host names of their mail servers (or the
# recipient's domain): suffix → name. Anything else is shown as its domain.
PROVIDERS: tuple[tuple[str, str], ...] = (
    ("google.com", "Gmail"), ("googlemail.com", "Gmail"), ("gmail.com", "Gmail"),
    ("outlook.com", "Microsoft"), ("hotmail.com", "Microsoft"), ("live.com", "Microsoft"),
    ("msn.com", "Microsoft"), ("office365.com", "Microsoft"),
    ("yahoodns.net", "Yahoo"), ("yahoo.com", "Yahoo"), ("ymail.com", "Yahoo"),
    ("aol.com", "Yahoo"), ("icloud.com", "Apple iCloud"), ("me.com", "Apple iCloud"),
    ("mac.com", "Apple iCloud"), ("comcast.net", "Comcast"), ("gmx.net", "GMX"),
    ("gmx.de", "GMX"), ("gmx.com", "GMX"), ("web.de", "Web.de"), ("mail.ru", "Mail.ru"),
    ("yandex.ru", "Yandex"), ("yandex.net", "Yandex"), ("pphosted.com", "Proofpoint"),
    ("mimecast.com", "Mimecast"), ("zoho.com", "Zoho"), ("protonmail.ch", "Proton"),
)  # fmt: skip
_HOST = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+")
_IPV4 = re.compile(r"(?<![\d.])(\d{1,3}(?:\.\d{1,3}){3})(?![\d.])")


def provider_of(remote_mta: str, domain: str) -> str:
    """Who received the mail: a known provider by its mail servers' names (e.g.
    gmail-smtp-in.l.google.com → Gmail) or the recipient's domain, else that domain."""
    names = [*_HOST.findall((remote_mta or "").lower()[:255]), (domain or "").lower()]
    for name in names:
        for suffix, provider in PROVIDERS:
            if name == suffix or name.endswith("." + suffix):
                return provider
    return (domain or "").lower() or "?"


def sending_ip(diagnostic: str) -> str:
    """The IP address a refusal names (ours, as the receiving server saw it), if any:
    a bracketed one first ("[203.0.113.5]"), else the first one."""
    text = (diagnostic or "")[:2000]
    found = [m for m in _IPV4.findall(text) if _is_ip(m)]
    bracketed = [ip for ip in found if f"[{ip}]" in text]
    return (bracketed or found or [""])[0]


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


@dataclass
class Problem:
    """A problem of ours (setup or reputation) at one receiving provider."""

    provider: str
    blame: str
    reason: str
    count: int = 0
    last: Any = None
    codes: list[str] = field(default_factory=list)
    ip: str = ""
    domains: list[str] = field(default_factory=list)


def problems_of_ours(rows: list[dict[str, Any]], limit: int = 30) -> list[Problem]:
    """The failures blamed on us, counted per receiving provider and reason."""
    problems: dict[tuple[str, str, str], Problem] = {}
    for row in rows:
        provider = provider_of(row["remote_mta"], row["domain"])
        key = (provider, row["blame"], row["reason"] or "undefined")
        problem = problems.setdefault(key, Problem(provider, row["blame"], key[2]))
        problem.count += row["n"]
        if problem.last is None or (row["last"] and row["last"] > problem.last):
            problem.last = row["last"]
        code = " ".join(str(c) for c in (row["reply_code"], row["enhanced_status"]) if c)
        if code and code not in problem.codes and len(problem.codes) < 5:
            problem.codes.append(code)
        if row["domain"] and row["domain"] not in problem.domains and len(problem.domains) < 5:
            problem.domains.append(row["domain"])
        problem.ip = problem.ip or sending_ip(row["diagnostic"])
    ordered = sorted(problems.values(), key=lambda p: (-p.count, p.provider, p.reason))
    return ordered[:limit]


class ProblemRows(list[Problem]):
    """Problems of ours; `html` is their table's rows, written here rather than in the
    template (a wording, the checks that explain it and a dozen variables per row)."""

    @property
    def html(self) -> SafeString:
        explains = _("What explains it:")
        return SafeString("".join(_problem_html(p, explains) for p in self))


def _problem_html(p: Problem, explains: str) -> str:
    domains = f": {escape(', '.join(p.domains))}" if p.domains else ""
    checks = " · ".join(
        f'<a href="{escape(c["url"])}">{escape(c["title"])}</a>' for c in problem_checks(p)
    )
    if checks:
        checks = f' <span class="setup-checks">{escape(explains)} {checks}</span>'
    codes = "".join(f"<code>{escape(code)}</code> " for code in p.codes)
    last = ""
    if p.last:
        at = timezone.localtime(p.last)
        last = f'<time datetime="{at.isoformat()}">{escape(date_format(at, "j M H:i"))}</time>'
    return (
        f'<tr data-blame="{escape(p.blame)}" data-reason="{escape(p.reason)}">'
        f'<th scope="row">{escape(p.provider)}</th><td class="fix">{_what_to_fix(p)}\n'
        f' <span class="muted">({escape(blame_label(p.blame))}{domains})</span>{checks}</td>'
        f'<td class="num">{int(p.count)}</td><td>{codes}</td><td>{last}</td></tr>'
    )


def _what_to_fix(p: Problem) -> str:
    """What is wrong, and what to fix, by the problem's reason (else its blame)."""
    values = {"provider": escape(p.provider), "ip": escape(p.ip or _("our sending IP"))}
    if p.reason == "requireptr":
        text = _(
            "%(provider)s refuses our mail: the sending IP %(ip)s has no PTR record (reverse "
            "DNS). Ask whoever runs that IP to publish a PTR record naming our server, with a "
            "matching forward (A) record."
        )
    elif p.reason == "blocked":
        text = _(
            "%(provider)s refuses our mail: the sending IP %(ip)s is blocked (a blocklist or "
            "the provider's own list). Look the IP up on the list the message names, fix the "
            "cause, then ask for delisting."
        )
    elif p.reason == "authfailure":
        text = _(
            "%(provider)s refuses our mail: SPF, DKIM or DMARC failed for our sending domain. "
            "Check that the SPF record includes the relay, that mail is DKIM-signed, and the "
            "DMARC policy."
        )
    elif p.reason in ("securityerror", "failedstarttls"):
        text = _(
            "%(provider)s refuses our mail for a security reason (TLS or authentication): "
            "check the relay's TLS and authentication set-up."
        )
    elif p.reason == "norelaying":
        text = _(
            "%(provider)s refused to relay our mail: check the relay (smarthost) settings "
            "and its authentication."
        )
    elif p.reason == "rejected":
        text = _(
            "%(provider)s refuses our envelope sender: the bounce domain must resolve and "
            "accept mail (MX or A records)."
        )
    elif p.reason == "syntaxerror":
        text = _(
            "%(provider)s rejected our SMTP conversation: check the relay's HELO name and "
            "its software."
        )
    elif p.reason in ("speeding", "toomanyconn"):
        text = _(
            "%(provider)s limits how fast we send: lower the sending rate or the connections to it."
        )
    elif p.blame == "reputation":
        text = _(
            "%(provider)s limits our mail because of our sending reputation: check complaint "
            "and bounce rates, and the provider's postmaster tools."
        )
    else:
        text = _(
            "%(provider)s refuses our sending set-up: see the codes, and the server's words "
            "on the failed deliveries."
        )
    return text % values


@agent_required
def health(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    since = now - timedelta(days=DAYS)
    today = timezone.localdate(now)
    rows = deliverydata.failures_by_day_and_reason(today - timedelta(days=DAYS - 1), DAYS)
    queue = deliverydata.queue_counts()
    unmatched_model = deliverydata.unmatched_bounce_model()
    unmatched = None
    if unmatched_model is not None:
        # Counted only when there are more than are listed; the raw messages not read.
        recent = list(unmatched_model.objects.defer("raw").order_by("-pk")[:UNMATCHED_SHOWN])
        total = unmatched_model.objects.count() if len(recent) == UNMATCHED_SHOWN else len(recent)
        unmatched = {"total": total, "recent": recent}
    return render(
        request,
        "workspace/health.html",
        {
            "chart": failure_chart(rows, today),
            "days": DAYS,
            "domains": deliverydata.top_failing_domains(since),
            "ours": ProblemRows(problems_of_ours(deliverydata.failures_of_ours(since))),
            "deferred_total": queue.get("deferred", 0),
            "deferred": deliverydata.deferred_queue() if queue.get("deferred") else [],
            "queue": queue,
            "unmatched_model": unmatched_model,
            "unmatched": unmatched,
            "mailboxes": list(Mailbox.objects.filter(enabled=True).order_by("key")),
        },
    )
