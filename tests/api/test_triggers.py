"""Triggers: list, show, create, update, delete with Zendesk's condition/action JSON."""

from __future__ import annotations

import pytest
from django.contrib.admin.models import LogEntry

from buzon.rules.models import Trigger

pytestmark = pytest.mark.django_db

ESCALATE = {
    "trigger": {
        "title": "Escalate VIP",
        "conditions": {
            "all": [{"field": "current_tags", "operator": "includes", "value": "vip"}],
            "any": [],
        },
        "actions": [{"field": "priority", "value": "urgent"}],
    }
}


def test_list_and_show_triggers(api):
    triggers = api.get("triggers.json").json()["triggers"]
    titles = [t["title"] for t in triggers]
    assert "Notify requester and CCs of comment update" in titles
    first = triggers[0]
    assert set(first["conditions"]) == {"all", "any"}
    assert first["actions"][0]["field"] == "notification_user"
    assert api.get(f"triggers/{first['id']}.json").json()["trigger"] == first


def test_admin_creates_updates_and_deletes_a_trigger(admin_api, api, ticket):
    created = admin_api.post("triggers.json", ESCALATE)
    assert created.status_code == 201, created.content
    trigger = created.json()["trigger"]
    assert trigger["title"] == "Escalate VIP" and trigger["active"] is True
    # It runs: tagging a ticket vip makes it urgent.
    api.put(f"tickets/{ticket.pk}/tags", {"tags": ["vip"]})
    assert api.get(f"tickets/{ticket.pk}").json()["ticket"]["priority"] == "urgent"

    updated = admin_api.put(f"triggers/{trigger['id']}.json", {"trigger": {"active": False}})
    assert updated.status_code == 200 and updated.json()["trigger"]["active"] is False
    assert admin_api.delete(f"triggers/{trigger['id']}.json").status_code == 204
    assert not Trigger.objects.filter(pk=trigger["id"]).exists()
    actions = LogEntry.objects.filter(object_id=str(trigger["id"])).values_list(
        "action_flag", flat=True
    )
    assert sorted(actions) == [1, 2, 3]


def test_invalid_trigger_is_422_with_details_and_not_stored(admin_api):
    bad = {
        "trigger": {
            "title": "Roto",
            "conditions": {"all": [{"field": "nope", "operator": "is", "value": 1}]},
            "actions": [],
        }
    }
    response = admin_api.post("triggers", bad)
    assert response.status_code == 422
    details = response.json()["details"]
    assert "conditions" in details and "actions" in details
    assert not Trigger.objects.filter(title="Roto").exists()


def test_agents_may_not_change_or_delete_triggers(api):
    trigger = Trigger.objects.first()
    assert api.put(f"triggers/{trigger.pk}", {"trigger": {"active": False}}).status_code == 403
    assert api.delete(f"triggers/{trigger.pk}").status_code == 403
    assert Trigger.objects.filter(pk=trigger.pk, active=True).exists()
