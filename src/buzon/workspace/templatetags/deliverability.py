"""Template helpers for the sending setup: check statuses, the delivery-health block,
the domain flag next to an address, and links from setup failures to their check."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import escape
from django.utils.safestring import SafeString
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from buzon.domains.checks import TITLES, checks_for_failure
from buzon.domains.recipients import DomainVerdict, cached_verdict, lookups_off
from buzon.domains.schedule import latest_run, regressions, results_of
from buzon.domains.typos import suggest_domain

register = template.Library()

STATUS_LABELS = {"pass": _("Pass"), "warn": _("Warning"), "fail": _("Fail")}


@register.filter
def check_status_label(status: str) -> str:
    return str(STATUS_LABELS.get(status, status))


@register.filter
def check_url(check_id: str) -> str:
    """The section of the deliverability page that explains a check."""
    return f"{reverse('workspace:deliverability')}#check-{check_id}"


@register.simple_tag
def setup_checks(reason: str, enhanced_status: str = "", diagnostic: str = "") -> list[dict]:
    """[{id, title, url}] of the checks that explain a failure blamed on our setup."""
    return [
        {"id": i, "title": str(TITLES[i]), "url": check_url(i)}
        for i in checks_for_failure(reason, enhanced_status, diagnostic)
    ]


@register.simple_tag
def problem_checks(problem: Any) -> list[dict]:
    """The checks that explain a "problem of ours" on the health page (setup blame only):
    from its reason and each of its codes ("550 5.7.26")."""
    if getattr(problem, "blame", "") != "setup":
        return []
    found: dict[str, dict] = {}
    for code in getattr(problem, "codes", None) or [""]:
        status = code.split()[-1] if code and "." in code else ""
        for check in setup_checks(problem.reason, status):
            found.setdefault(check["id"], check)
    return list(found.values())


@register.filter
def domain_flag(address: str) -> DomainVerdict | None:
    """The cached verdict on the address's domain when it cannot receive mail (no DNS)."""
    domain = (address or "").rpartition("@")[2]
    verdict = cached_verdict(domain) if domain else None
    return verdict if verdict is not None and verdict.can_receive is False else None


@register.filter
def domain_known(address: str) -> bool:
    """Whether there is nothing to ask (verdict cached, or DNS off); else the page's
    script asks for it."""
    domain = (address or "").rpartition("@")[2]
    return not domain or lookups_off() or cached_verdict(domain) is not None


@register.inclusion_tag("workspace/partials/deliverability_health.html", takes_context=True)
def deliverability_health(context: Any) -> dict[str, Any]:
    run = latest_run()
    results = results_of(run)
    return {
        "run": run,
        "regressions": regressions(run),
        "failing": [r for r in results if r.status == "fail"],
        "warnings": sum(1 for r in results if r.status == "warn"),
        "passing": sum(1 for r in results if r.status == "pass"),
        "request": context.get("request"),
    }


@register.filter
def failing_domain_rows(domains: list[dict[str, Any]]) -> SafeString:
    """The top failing domains' table rows (the health page), written here rather than
    by the template: a typo check, a wording and four values per row."""
    rows = []
    for d in domains:
        domain = d["domain"]
        typo = suggest_domain(domain or "")
        hint = (
            f' <span class="hint">{gettext("typo of %(s)s?") % {"s": escape(typo)}}</span>'
            if typo
            else ""
        )
        last = ""
        if d["last"]:
            at = timezone.localtime(d["last"])
            last = f'<time datetime="{at.isoformat()}">{escape(date_format(at, "j M H:i"))}</time>'
        else:
            last = '<time datetime=""></time>'
        rows.append(
            f"<tr><td><code>{escape(domain)}</code>{hint}</td>"
            f'<td class="num">{int(d["n"])}</td><td class="num">{int(d["addresses"])}</td>'
            f"<td>{last}</td></tr>"
        )
    return SafeString("".join(rows))
