"""Every ticket change goes through one service: one audit per update, typed events."""

import pytest

from buzon.tickets.changes import TicketChangeError
from buzon.tickets.models import Audit, AuditEvent, Comment, Ticket, TicketTag, Via
from buzon.tickets.services import CommentInput, create_ticket, update_ticket


def event_summary(audit: Audit) -> list[tuple[str, str]]:
    return [(e.type, e.field_name) for e in audit.events.all()]


def test_creating_a_ticket_writes_one_audit_with_create_comment_and_notification(ticket):
    audits = list(ticket.audits.all())
    assert len(audits) == 1
    events = event_summary(audits[0])
    assert ("Create", "subject") in events
    assert ("Create", "status") in events
    assert ("Create", "requester_id") in events
    assert ("EmailCcChange", "") in events
    assert ("Comment", "") in events
    assert ("Notification", "") in events
    assert ticket.description == "Hola Ana, hemos visto la factura duplicada."
    assert ticket.submitter.email == "agent@helpdesk.test"


def test_each_update_is_one_audit_holding_all_of_its_events(ticket, agent):
    audit = update_ticket(
        ticket,
        actor=agent,
        via=Via.WEB,
        fields={"status": "pending", "priority": "high", "additional_tags": ["billing"]},
        comment=CommentInput(body="Lo estamos revisando."),
    )
    assert ticket.audits.count() == 2
    changes = {
        e.field_name: (e.previous_value, e.value) for e in audit.events.filter(type="Change")
    }
    assert changes["status"] == ("new", "pending")
    assert changes["priority"] == ("", "high")
    assert changes["tags"] == ([], ["billing"])
    assert audit.events.filter(type="Comment").count() == 1
    assert audit.author == agent and audit.via == "web"


def test_removing_and_setting_tags_are_change_events_on_the_tags_field(ticket, agent):
    update_ticket(ticket, actor=agent, via=Via.API, fields={"tags": ["a", "b"]})
    audit = update_ticket(ticket, actor=agent, via=Via.API, fields={"remove_tags": "a"})
    event = audit.events.get(type="Change")
    assert (event.field_name, event.previous_value, event.value) == ("tags", ["a", "b"], ["b"])
    assert sorted(TicketTag.objects.filter(ticket=ticket).values_list("name", flat=True)) == ["b"]


def test_an_unknown_field_is_refused_and_changes_nothing(ticket, agent):
    before = (ticket.audits.count(), Ticket.objects.get(pk=ticket.pk).status)
    with pytest.raises(TicketChangeError, match="unknown ticket field.*stauts"):
        update_ticket(
            ticket,
            actor=agent,
            via=Via.WEB,
            fields={"status": "open", "stauts": "solved"},
            comment=CommentInput(body="should not be stored"),
        )
    assert (ticket.audits.count(), Ticket.objects.get(pk=ticket.pk).status) == before
    assert not Comment.objects.filter(body="should not be stored").exists()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"status": "done"}, "invalid status 'done'"),
        ({"assignee_id": 99999}, "no active user with id 99999"),
        ({"group_id": "x"}, "group_id must be an id"),
        ({"tags": ["has space", "ok"]}, "invalid tag 'has space'"),
        ({"tags": ["<script>"]}, "invalid tag"),
        ({"subject": "   "}, "subject must be non-empty"),
    ],
)
def test_invalid_values_are_refused_with_a_clear_message(ticket, agent, fields, message):
    count = AuditEvent.objects.count()
    with pytest.raises(TicketChangeError, match=message):
        update_ticket(ticket, actor=agent, via=Via.WEB, fields=fields)
    assert AuditEvent.objects.count() == count


def test_an_end_user_cannot_be_assignee(ticket, agent, requester):
    with pytest.raises(TicketChangeError, match="not an agent"):
        update_ticket(ticket, actor=agent, via=Via.WEB, fields={"assignee_id": requester.pk})


def test_an_update_that_changes_nothing_writes_no_audit(ticket, agent):
    assert update_ticket(ticket, actor=agent, via=Via.WEB, fields={"status": "new"}) is None
    assert ticket.audits.count() == 1


def test_cc_changes_are_email_cc_change_events(ticket, agent, cc_users):
    audit = update_ticket(
        ticket, actor=agent, via=Via.WEB, fields={"remove_email_cc_ids": [cc_users[0].pk]}
    )
    event = audit.events.get(type="EmailCcChange")
    assert event.data["previous_email_ccs"] == sorted(u.pk for u in cc_users)
    assert event.data["current_email_ccs"] == [cc_users[1].pk]


def test_html_comments_are_sanitised_and_get_a_plain_body(ticket, agent):
    update_ticket(
        ticket,
        actor=agent,
        via=Via.WEB,
        comment=CommentInput(
            html_body='<p onclick="x()">Hola <b>Ana</b><script>alert(1)</script>'
            '<a href="javascript:alert(1)">x</a></p>'
        ),
    )
    comment = ticket.comments.last()
    assert "<script" not in comment.html_body and "onclick" not in comment.html_body
    assert "javascript:" not in comment.html_body
    assert "<b>Ana</b>" in comment.html_body
    assert comment.body.startswith("Hola Ana")


def test_a_plain_text_comment_is_escaped_in_its_html_body(ticket, agent):
    update_ticket(
        ticket, actor=agent, via=Via.WEB, comment=CommentInput(body="a < b & <img src=x>")
    )
    assert ticket.comments.last().html_body == "<p>a &lt; b &amp; &lt;img src=x&gt;</p>"


def test_an_empty_comment_is_refused(ticket, agent):
    with pytest.raises(TicketChangeError, match="needs a body"):
        update_ticket(ticket, actor=agent, via=Via.WEB, comment=CommentInput(body="  "))


def test_a_new_ticket_needs_a_subject(agent):
    with pytest.raises(TicketChangeError, match="needs a subject"):
        create_ticket(actor=agent, via=Via.WEB, fields={}, comment=CommentInput(body="x"))
    assert not Ticket.objects.exists()


def test_an_unknown_channel_is_refused(ticket, agent):
    with pytest.raises(TicketChangeError, match="unknown channel"):
        update_ticket(ticket, actor=agent, via="fax", fields={"status": "open"})


def test_extra_events_land_in_the_same_audit_as_the_change(ticket):
    from buzon.tickets.services import EventInput, system_user

    audit = update_ticket(
        ticket,
        actor=system_user(),
        via=Via.SYSTEM,
        fields={"additional_tags": ["x"]},
        events=[EventInput("DeliveryFailure", {"recipient": "a@example.com"})],
    )
    assert [(e.type, e.field_name) for e in audit.events.all()] == [
        ("Change", "tags"),
        ("DeliveryFailure", ""),
    ]
    assert audit.author.email == "system@buzon.invalid" and not audit.author.is_active
    # An event alone is a change worth an audit, even when the tag was already there.
    again = update_ticket(
        ticket,
        actor=system_user(),
        via=Via.SYSTEM,
        fields={"additional_tags": ["x"]},
        events=[EventInput("DeliveryFailure", {"recipient": "b@example.com"})],
    )
    assert [(e.type, e.field_name) for e in again.events.all()] == [("DeliveryFailure", "")]
