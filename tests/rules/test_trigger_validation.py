"""A trigger with an invalid condition, action or template is refused at save time."""

import pytest
from django.core.exceptions import ValidationError

from buzon.rules.models import Trigger

GOOD_CONDITIONS = {"all": [{"field": "update_type", "operator": "is", "value": "Change"}]}
GOOD_ACTIONS = [{"field": "status", "value": "open"}]


@pytest.mark.parametrize(
    ("conditions", "actions", "message"),
    [
        ({"all": [{"field": "colour", "operator": "is", "value": "red"}]}, GOOD_ACTIONS,
         "unknown field 'colour'"),
        (GOOD_CONDITIONS, [{"field": "status", "value": "finished"}], "status must be one of"),
        (GOOD_CONDITIONS, [{"field": "teleport", "value": 1}], "unknown action 'teleport'"),
        (GOOD_CONDITIONS, [], "needs at least one action"),
        (GOOD_CONDITIONS, [{"field": "notification_user", "value": ["requester_id", "Hi"]}],
         r"needs \[recipient, subject, body\]"),
        (GOOD_CONDITIONS,
         [{"field": "notification_user", "value": ["requester_id", "Hi {{ ticket.title ", "b"]}],
         "subject template is invalid"),
        (GOOD_CONDITIONS,
         [{"field": "notification_user", "value": ["requester_id", "s", "{% if %}x{% endif %}"]}],
         "body template is invalid"),
        (GOOD_CONDITIONS,
         [{"field": "notification_user", "value": ["the_boss", "s", "b"]}],
         "recipient must be a user id or one of"),
    ],
)  # fmt: skip
def test_invalid_triggers_are_refused_with_a_clear_message(db, conditions, actions, message):
    count = Trigger.objects.count()
    with pytest.raises(ValidationError, match=message):
        Trigger.objects.create(title="Broken", conditions=conditions, actions=actions)
    assert Trigger.objects.count() == count


def test_the_admin_form_shows_the_reason_and_stores_nothing(admin_client):
    count = Trigger.objects.count()
    response = admin_client.post(
        "/admin/rules/trigger/add/",
        {
            "title": "Broken",
            "active": "on",
            "position": "9",
            "conditions": '{"all": [{"field": "status", "operator": "is", "value": "opne"}]}',
            "actions": '[{"field": "status", "value": "open"}]',
        },
    )
    assert response.status_code == 200
    assert b"status must be one of" in response.content
    assert Trigger.objects.count() == count


def test_a_valid_trigger_is_saved_through_the_admin(admin_client):
    response = admin_client.post(
        "/admin/rules/trigger/add/",
        {
            "title": "Escalate VIPs",
            "active": "on",
            "position": "9",
            "conditions": '{"all": [{"field": "current_tags", "operator": "includes", '
            '"value": "vip"}]}',
            "actions": '[{"field": "priority", "value": "urgent"}]',
        },
    )
    assert response.status_code == 302
    assert Trigger.objects.filter(title="Escalate VIPs").exists()
