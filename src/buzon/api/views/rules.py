"""Views and triggers (Zendesk's Views and Triggers APIs), with their condition and
action JSON. Agents may read them; only admins may change triggers."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import JsonResponse

from buzon.api import history
from buzon.api import serializers as s
from buzon.api import types as t
from buzon.api.errors import not_found, record_invalid
from buzon.api.pagination import PAGE_PARAMS, paginate
from buzon.api.router import Call, Param, api, page_of
from buzon.rules.models import Trigger, View

VTAG = "Views"
TTAG = "Triggers"
ViewsPage = page_of("views", t.View, "ViewsPage")
TriggersPage = page_of("triggers", t.Trigger, "TriggersPage")
TicketsPage = page_of("tickets", t.Ticket, "TicketsPage")
ACTIVE = Param("active", bool, "true for active ones only, false for inactive ones only")
CURSOR_SORTS = {"id", "created_at", "updated_at"}


def _active_filter(call: Call, queryset: Any) -> Any:
    active = call.param("active")
    if active in ("true", "1"):
        return queryset.filter(active=True)
    if active in ("false", "0"):
        return queryset.filter(active=False)
    return queryset


def _view(view_id: int) -> View:
    view = View.objects.filter(pk=view_id).first()
    if view is None:
        raise not_found()
    return view


@api.get("views", response=ViewsPage, summary="List views", tag=VTAG, query=[*PAGE_PARAMS, ACTIVE])
def list_views(call: Call) -> dict[str, Any]:
    page = paginate(call, _active_filter(call, View.objects.all()), ["position", "id"])
    return {"views": [s.view_json(call, v) for v in page.items], **page.envelope}


@api.get(
    "views/active", response=ViewsPage, summary="List active views", tag=VTAG, query=PAGE_PARAMS
)
def list_active_views(call: Call) -> dict[str, Any]:
    page = paginate(call, View.objects.filter(active=True), ["position", "id"])
    return {"views": [s.view_json(call, v) for v in page.items], **page.envelope}


@api.get("views/{view_id}", response=t.ViewResponse, summary="Show a view", tag=VTAG)
def show_view(call: Call, view_id: int) -> t.ViewResponse:
    return {"view": s.view_json(call, _view(view_id))}


@api.get(
    "views/{view_id}/tickets",
    response=TicketsPage,
    summary="List a view's tickets",
    tag=VTAG,
    query=PAGE_PARAMS,
)
def list_view_tickets(call: Call, view_id: int) -> dict[str, Any]:
    """The tickets the view shows, in its order ("current_user" is the caller)."""
    view = _view(view_id)
    prefix = "-" if view.sort_order == "desc" else ""
    ordering = (
        [f"{prefix}{view.sort_by}", f"{prefix}id"] if view.sort_by != "id" else [f"{prefix}id"]
    )
    tickets = view.tickets(call.user.pk)
    page = paginate(call, tickets, ordering, cursor=view.sort_by in CURSOR_SORTS)
    return {"tickets": s.tickets_json(call, page.items), **page.envelope}


@api.get(
    "views/{view_id}/count",
    response=t.ViewCountResponse,
    summary="Count a view's tickets",
    tag=VTAG,
)
def count_view(call: Call, view_id: int) -> t.ViewCountResponse:
    view = _view(view_id)
    value = view.count(call.user.pk)
    return {
        "view_count": {
            "view_id": view.pk,
            "url": call.url(f"views/{view.pk}/count"),
            "value": value,
            "pretty": f"{value:,}",
            "fresh": True,
            "active": view.active,
        }
    }


# -------------------------------------------------------------------------- triggers


def _trigger(trigger_id: int) -> Trigger:
    trigger = Trigger.objects.filter(pk=trigger_id).first()
    if trigger is None:
        raise not_found()
    return trigger


@api.get(
    "triggers",
    response=TriggersPage,
    summary="List triggers",
    tag=TTAG,
    query=[*PAGE_PARAMS, ACTIVE],
)
def list_triggers(call: Call) -> dict[str, Any]:
    page = paginate(call, _active_filter(call, Trigger.objects.all()), ["position", "id"])
    return {"triggers": [s.trigger_json(call, x) for x in page.items], **page.envelope}


@api.get(
    "triggers/active",
    response=TriggersPage,
    summary="List active triggers",
    tag=TTAG,
    query=PAGE_PARAMS,
)
def list_active_triggers(call: Call) -> dict[str, Any]:
    page = paginate(call, Trigger.objects.filter(active=True), ["position", "id"])
    return {"triggers": [s.trigger_json(call, x) for x in page.items], **page.envelope}


@api.get("triggers/{trigger_id}", response=t.TriggerResponse, summary="Show a trigger", tag=TTAG)
def show_trigger(call: Call, trigger_id: int) -> t.TriggerResponse:
    return {"trigger": s.trigger_json(call, _trigger(trigger_id))}


def _apply(trigger: Trigger, data: dict[str, Any]) -> None:
    if len(data.get("title", "")) > 255:
        raise record_invalid("title", "a title has at most 255 characters")
    for name in ("title", "description", "active", "position", "actions"):
        if name in data:
            setattr(trigger, name, data[name])
    if "conditions" in data:
        conditions = {k: v for k, v in data["conditions"].items() if k in ("all", "any")}
        trigger.conditions = conditions


@api.post(
    "triggers",
    body=t.TriggerRequest,
    response=t.TriggerResponse,
    status=201,
    summary="Create a trigger",
    tag=TTAG,
    access="admin",
)
def create_trigger(call: Call) -> Any:
    """Conditions and actions are validated: a broken trigger answers 422 and is not stored."""
    trigger = Trigger(title="")
    _apply(trigger, call.body["trigger"])
    with transaction.atomic():
        trigger.save()
        history.record(call, trigger, "create")
    response = JsonResponse(
        {"trigger": s.trigger_json(call, trigger)},
        status=201,
        json_dumps_params={"ensure_ascii": False},
    )
    response["Location"] = call.url(f"triggers/{trigger.pk}")
    return response


@api.put(
    "triggers/{trigger_id}",
    body=t.TriggerRequest,
    response=t.TriggerResponse,
    summary="Update a trigger",
    tag=TTAG,
    access="admin",
)
def update_trigger(call: Call, trigger_id: int) -> t.TriggerResponse:
    trigger = _trigger(trigger_id)
    data = call.body["trigger"]
    _apply(trigger, data)
    with transaction.atomic():
        trigger.save()
        history.record(call, trigger, "update", ", ".join(sorted(data)))
    return {"trigger": s.trigger_json(call, trigger)}


@api.delete(
    "triggers/{trigger_id}",
    response=None,
    status=204,
    summary="Delete a trigger",
    tag=TTAG,
    access="admin",
)
def delete_trigger(call: Call, trigger_id: int) -> None:
    trigger = _trigger(trigger_id)
    with transaction.atomic():
        history.record(call, trigger, "delete", trigger.title)
        trigger.delete()
    return None
