"""Zendesk's trigger cycle: fired triggers can make others fire; none fires twice."""

import pytest

from buzon.rules.engine import run_triggers
from buzon.rules.models import Trigger
from buzon.tickets.changes import Update, apply_fields
from buzon.tickets.models import Audit, AuditEvent, Notification, Via
from buzon.tickets.services import CommentInput, update_ticket


@pytest.fixture
def only_our_triggers(db):
    Trigger.objects.update(active=False)


def make(title, position, conditions, actions):
    return Trigger.objects.create(
        title=title, position=position, conditions=conditions, actions=actions
    )


def tag_is(tag):
    return {"field": "current_tags", "operator": "includes", "value": tag}


def fired_titles(audit):
    titles = []
    for event in audit.events.all():
        via = event.data.get("via") or {}
        title = via.get("source", {}).get("from", {}).get("title")
        if title and title not in titles:
            titles.append(title)
    return titles


def test_a_trigger_that_fired_can_make_an_earlier_one_fire(only_our_triggers, ticket, agent):
    # B is checked first but only holds once A (later in order) has added "step1".
    make("B", 1, {"all": [tag_is("step1")]}, [{"field": "current_tags", "value": "step2"}])
    make(
        "A",
        2,
        {"all": [{"field": "status", "operator": "changed_to", "value": "open"}]},
        [{"field": "current_tags", "value": "step1"}],
    )
    audit = update_ticket(ticket, actor=agent, via=Via.WEB, fields={"status": "open"})
    assert set(ticket.tag_list) >= {"step1", "step2"}
    assert fired_titles(audit) == ["A", "B"]


def test_a_trigger_whose_conditions_stay_true_fires_once(only_our_triggers, ticket, agent):
    make(
        "Always",
        1,
        {"all": [{"field": "status", "operator": "is_not", "value": "closed"}]},
        [{"field": "current_tags", "value": "seen"}, {"field": "priority", "value": "low"}],
    )
    audit = update_ticket(ticket, actor=agent, via=Via.WEB, fields={"status": "open"})
    tag_events = [e for e in audit.events.all() if e.field_name == "tags"]
    assert len(tag_events) == 1


def test_two_triggers_undoing_each_other_stop_after_each_fired_once(
    only_our_triggers, ticket, agent
):
    make("Up", 1, {"all": [{"field": "priority", "operator": "is", "value": "low"}]},
         [{"field": "priority", "value": "high"}])  # fmt: skip
    make("Down", 2, {"all": [{"field": "priority", "operator": "is", "value": "high"}]},
         [{"field": "priority", "value": "low"}])  # fmt: skip
    audit = update_ticket(ticket, actor=agent, via=Via.WEB, fields={"priority": "low"})
    assert fired_titles(audit) == ["Up", "Down"]
    ticket.refresh_from_db()
    assert ticket.priority == "low"


def test_run_triggers_reports_the_fired_triggers_in_order(only_our_triggers, ticket, agent):
    make("first", 1, {"all": [tag_is("go")]}, [{"field": "current_tags", "value": "x"}])
    make("second", 2, {"all": [tag_is("x")]}, [{"field": "type", "value": "task"}])
    make("never", 3, {"all": [tag_is("nope")]}, [{"field": "type", "value": "problem"}])
    audit = Audit.objects.create(ticket=ticket, author=agent, via="web")
    update = Update(ticket=ticket, audit=audit, actor=agent, via="web", is_create=False)
    apply_fields(update, {"additional_tags": ["go"]})
    assert [t.title for t in run_triggers(update)] == ["first", "second"]


def test_an_action_that_cannot_apply_records_an_error_and_the_rest_goes_on(
    only_our_triggers, ticket, agent
):
    make(
        "Broken",
        1,
        {"all": [{"field": "status", "operator": "changed"}]},
        [{"field": "group_id", "value": 424242}, {"field": "current_tags", "value": "after"}],
    )
    audit = update_ticket(ticket, actor=agent, via=Via.WEB, fields={"status": "open"})
    error = audit.events.get(type="Error")
    assert "Broken" in error.data["message"] and "424242" in error.data["message"]
    assert "after" in ticket.tag_list


def test_a_private_comment_emails_no_end_user(ticket, agent, other_agent):
    ticket.assignee = other_agent
    ticket.save()
    before = Notification.objects.count()
    update_ticket(
        ticket, actor=agent, via=Via.WEB, comment=CommentInput(body="internal", public=False)
    )
    new = Notification.objects.filter(pk__gt=0).order_by("pk")[before:]
    recipients = {r.email for n in new for r in n.recipients.all()}
    # Only the assignee (an agent) hears about it; the requester and CCs never do.
    assert recipients == {other_agent.email}


def test_a_private_comment_sends_nothing_even_through_a_trigger_that_targets_the_requester(
    only_our_triggers, ticket, agent
):
    make(
        "Careless",
        1,
        {"all": [{"field": "comment_is_public", "operator": "is", "value": "not_relevant"}]},
        [
            {
                "field": "notification_user",
                "value": ["requester_and_ccs", "s", "{{ticket.latest_comment}}"],
            }
        ],
    )
    audit = update_ticket(
        ticket, actor=agent, via=Via.WEB, comment=CommentInput(body="secret", public=False)
    )
    assert not AuditEvent.objects.filter(audit=audit, type="Notification").exists()


def test_the_person_who_comments_is_not_emailed_their_own_comment(ticket, requester, cc_users):
    audit = update_ticket(
        ticket, actor=requester, via=Via.EMAIL, comment=CommentInput(body="Gracias!")
    )
    notification = Notification.objects.get(event__audit=audit)
    emails = [r.email for r in notification.recipients.all()]
    assert requester.email not in emails
    assert sorted(emails) == sorted(u.email for u in cc_users)
