"""Each condition operator, evaluated on an update and compiled for views."""

import pytest

from buzon.rules.conditions import ConditionError, parse_conditions
from buzon.tickets.changes import Update, apply_fields
from buzon.tickets.models import Audit, Comment, Ticket


def update_for(ticket, actor, changes=None, comment=None, is_create=False, via="web"):
    audit = Audit.objects.create(ticket=ticket, author=actor, via=via)
    update = Update(ticket=ticket, audit=audit, actor=actor, via=via, is_create=is_create)
    if changes:
        apply_fields(update, changes)
    update.comment = comment
    return update


def holds(update, field, operator, value=None, key="all"):
    cond = {"field": field, "operator": operator}
    if value is not None:
        cond["value"] = value
    return parse_conditions({key: [cond]}).matches(update)


def test_is_and_is_not(ticket, agent):
    u = update_for(ticket, agent)
    assert holds(u, "status", "is", "new")
    assert not holds(u, "status", "is_not", "new")
    assert holds(u, "priority", "is", "")
    assert holds(u, "assignee_id", "is", "")


def test_less_than_and_greater_than_follow_the_natural_order(ticket, agent):
    u = update_for(ticket, agent, {"status": "pending", "priority": "high"})
    assert holds(u, "status", "less_than", "solved")
    assert holds(u, "status", "greater_than", "open")
    assert not holds(u, "status", "less_than", "pending")
    assert holds(u, "priority", "greater_than", "normal")
    assert not holds(u, "priority", "greater_than", "urgent")


def test_changed_changed_to_and_changed_from(ticket, agent):
    u = update_for(ticket, agent, {"status": "open"})
    assert holds(u, "status", "changed")
    assert not holds(u, "priority", "changed")
    assert holds(u, "priority", "not_changed")
    assert holds(u, "status", "changed_to", "open")
    assert not holds(u, "status", "changed_to", "pending")
    assert holds(u, "status", "changed_from", "new")
    assert holds(u, "status", "not_changed_to", "pending")
    assert not holds(u, "status", "not_changed_from", "new")


def test_changed_sees_the_first_previous_value_when_rules_change_a_field_again(ticket, agent):
    u = update_for(ticket, agent, {"status": "open"})
    apply_fields(u, {"status": "pending"})
    assert holds(u, "status", "changed_from", "new")
    assert holds(u, "status", "changed_to", "pending")


def test_includes_means_at_least_one_and_not_includes_means_none(ticket, agent):
    u = update_for(ticket, agent, {"tags": ["vip", "billing"]})
    assert holds(u, "current_tags", "includes", "vip other")
    assert not holds(u, "current_tags", "includes", "other another")
    assert holds(u, "current_tags", "not_includes", "other another")
    assert not holds(u, "current_tags", "not_includes", "other billing")


def test_any_needs_one_of_its_conditions(ticket, agent):
    u = update_for(ticket, agent)
    conds = parse_conditions(
        {
            "all": [{"field": "status", "operator": "is", "value": "new"}],
            "any": [
                {"field": "priority", "operator": "is", "value": "urgent"},
                {"field": "status", "operator": "less_than", "value": "open"},
            ],
        }
    )
    assert conds.matches(u)


def test_update_type_role_via_and_comment_privacy(ticket, agent, requester):
    note = Comment(ticket=ticket, author=agent, body="x", html_body="x", public=False)
    u = update_for(ticket, agent, comment=note, via="api")
    assert holds(u, "update_type", "is", "Change")
    assert holds(u, "role", "is", "agent")
    assert not holds(u, "role", "is", "end_user")
    assert holds(u, "current_via_id", "is", "api")
    assert holds(u, "current_via_id", "is", 5)  # Zendesk's numeric id for the API
    assert holds(u, "via_id", "is", "web")  # the channel the ticket came in through
    assert holds(u, "comment_is_public", "is", False)
    assert not holds(u, "comment_is_public", "is", True)
    assert holds(u, "comment_is_public", "is", "not_relevant")
    by_requester = update_for(ticket, requester)
    assert holds(by_requester, "role", "is", "end_user")
    assert not holds(by_requester, "comment_is_public", "is", "not_relevant")


def test_current_user_resolves_to_the_person_making_the_update(ticket, agent, other_agent):
    ticket.assignee = agent
    ticket.save()
    assert holds(update_for(ticket, agent), "assignee_id", "is", "current_user")
    assert holds(update_for(ticket, other_agent), "assignee_id", "is_not", "current_user")


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (
            {"all": [{"field": "stauts", "operator": "is", "value": "open"}]},
            "unknown field 'stauts'",
        ),
        ({"all": [{"field": "status", "operator": "includes", "value": "open"}]}, "does not apply"),
        (
            {"all": [{"field": "status", "operator": "is", "value": "opne"}]},
            "status must be one of",
        ),
        ({"all": [{"field": "group_id", "operator": "is", "value": "support"}]}, "must be an id"),
        (
            {"all": [{"field": "current_tags", "operator": "includes", "value": ""}]},
            "at least one tag",
        ),
        ({"all": {"field": "status"}}, '"all" must be a list'),
        ({"none": []}, "unknown key"),
        ([], "must be an object"),
        ({"all": [{"field": "status"}]}, 'needs "field", "operator"'),
    ],
)
def test_invalid_conditions_are_refused_with_a_clear_message(raw, message):
    with pytest.raises(ConditionError, match=message):
        parse_conditions(raw)


def test_views_refuse_conditions_about_an_update_in_progress():
    with pytest.raises(ConditionError, match="views filter tickets as they are"):
        parse_conditions({"all": [{"field": "status", "operator": "changed"}]}, for_view=True)
    with pytest.raises(ConditionError, match="views filter"):
        parse_conditions(
            {"all": [{"field": "role", "operator": "is", "value": "agent"}]}, for_view=True
        )


def test_view_conditions_compile_to_the_same_answers_as_evaluation(ticket, agent):
    apply_fields(update_for(ticket, agent), {"tags": ["vip"], "priority": "high"})
    ticket.save()
    cases = [
        ("status", "less_than", "solved", True),
        ("status", "greater_than", "new", False),
        ("priority", "is", "high", True),
        ("priority", "is_not", "high", False),
        ("assignee_id", "is", "", True),
        ("current_tags", "includes", "vip", True),
        ("current_tags", "not_includes", "vip", False),
        ("via_id", "is", "web", True),
    ]
    for field, op, value, expected in cases:
        q = parse_conditions(
            {"all": [{"field": field, "operator": op, "value": value}]}, for_view=True
        )
        found = Ticket.objects.filter(q.to_q(agent.pk), pk=ticket.pk).exists()
        assert found is expected, (field, op, value)
        assert holds(update_for(ticket, agent), field, op, value) is expected


def test_a_trigger_whose_conditions_change_is_judged_by_the_new_ones(ticket, agent):
    from buzon.rules.models import Trigger

    u = update_for(ticket, agent)
    trigger = Trigger(
        title="t", conditions={"all": [{"field": "status", "operator": "is", "value": "new"}]}
    )
    assert trigger.condition_set.matches(u)
    trigger.conditions["all"][0]["value"] = "solved"  # edited in place
    assert not trigger.condition_set.matches(u)
    trigger.conditions = {"all": [{"field": "status", "operator": "is_not", "value": "solved"}]}
    assert trigger.condition_set.matches(u)
