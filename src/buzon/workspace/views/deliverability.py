"""Sending setup: the deliverability check page, and the address check behind forms.

- `/settings/deliverability/`: the latest run of the check (`buzon.domains`), one
  section per check with an anchor (`#check-<id>`) that failures blamed on our sending
  setup link to; the DKIM keys and their records. Every agent may read it (a failure's
  explanation must open for whoever sees the failure); only admins run it again.
- `/addresses/check/?address=…`: JSON for any page where an address is typed —
  the typo suggestion and whether the domain can receive mail (`domains.recipients`),
  answered within BUZON_DNS_ENTRY_TIMEOUT whatever DNS does.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from buzon.domains import dkimkeys
from buzon.domains.checks import Setup
from buzon.domains.models import DkimKey, KeyState
from buzon.domains.recipients import check_address
from buzon.domains.schedule import latest_run, regressions, results_of, run_and_store
from buzon.workspace import deliverydata
from buzon.workspace.access import agent_required
from buzon.workspace.new_ticket import undeliverable_message


@agent_required
def deliverability(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        if not request.user.is_staff:
            return render(request, "workspace/forbidden.html", status=403)
        run_and_store(Setup.from_settings())
        messages.success(request, _("The deliverability check ran again."))
        return redirect("workspace:deliverability")
    run = latest_run()
    results = results_of(run)
    keys = [
        (key, dkimkeys.record_for(key))
        for key in DkimKey.objects.exclude(state=KeyState.RETIRED).order_by("domain", "-created_at")
    ]
    return render(
        request,
        "workspace/deliverability.html",
        {
            "nav": "deliverability",
            "run": run,
            "results": results,
            "counts": {
                s: sum(1 for r in results if r.status == s) for s in ("pass", "warn", "fail")
            },
            "regressed": {r.result.id: r.was for r in regressions(run)},
            "keys": keys,
            "support_domain": settings.SUPPORT_ADDRESS.rpartition("@")[2],
            "bounce_domain": settings.BOUNCE_DOMAIN,
            "can_run": request.user.is_staff,
        },
    )


@agent_required
@require_GET
def address_check(request: HttpRequest) -> JsonResponse:
    address = request.GET.get("address", "")
    answer = check_address(address).as_json()
    answer.update(undeliverable_answer(address))
    return JsonResponse(answer)


def undeliverable_answer(address: str) -> dict[str, str]:
    """Whether we would not send to this address now (suppressed or undeliverable)."""
    reason = deliverydata.undeliverable_reasons([address.strip()]).get(address.strip().lower(), "")
    return {"undeliverable": reason, "undeliverable_message": undeliverable_message(reason)}
