"""The seeded standard triggers behave as Zendesk's do."""

from buzon.rules.models import Trigger
from buzon.tickets.models import Notification, Via
from buzon.tickets.services import CommentInput, create_ticket, update_ticket

STANDARD = [
    "Notify requester and CCs of received request",
    "Notify requester of new proactive ticket",
    "Notify requester and CCs of comment update",
    "Notify assignee of comment update",
    "Notify assignee of assignment",
    "Notify all agents of received request",
]


def sent(audit_or_ticket):
    """{trigger title: sorted recipient emails} for the notifications of an audit."""
    notifications = Notification.objects.filter(event__audit=audit_or_ticket)
    return {n.trigger_title: sorted(r.email for r in n.recipients.all()) for n in notifications}


def test_the_standard_triggers_are_seeded_active_in_order(db):
    assert list(Trigger.objects.filter(active=True).values_list("title", flat=True)) == STANDARD


def test_an_agent_opening_a_ticket_emails_the_requester_and_ccs(ticket, requester, cc_users):
    audit = ticket.audits.get()
    assert sent(audit) == {
        "Notify requester of new proactive ticket": sorted(
            [requester.email] + [u.email for u in cc_users]
        )
    }


def test_an_end_user_opening_a_ticket_gets_a_receipt_and_agents_are_told(
    agent, other_agent, requester
):
    ticket = create_ticket(
        actor=requester,
        via=Via.EMAIL,
        fields={"subject": "Ayuda"},
        comment=CommentInput(body="No puedo entrar"),
    )
    assert sent(ticket.audits.get()) == {
        "Notify requester and CCs of received request": [requester.email],
        "Notify all agents of received request": sorted([agent.email, other_agent.email]),
    }


def test_a_public_comment_emails_requester_ccs_and_assignee(
    ticket, agent, other_agent, requester, cc_users
):
    update_ticket(ticket, actor=agent, via=Via.WEB, fields={"assignee_id": other_agent.pk})
    audit = update_ticket(ticket, actor=agent, via=Via.WEB, comment=CommentInput(body="Hola"))
    assert sent(audit) == {
        "Notify requester and CCs of comment update": sorted(
            [requester.email] + [u.email for u in cc_users]
        ),
        "Notify assignee of comment update": [other_agent.email],
    }
    notification = Notification.objects.get(
        event__audit=audit, trigger_title="Notify requester and CCs of comment update"
    )
    kinds = {r.email: r.kind for r in notification.recipients.all()}
    assert kinds[requester.email] == "to" and {kinds[u.email] for u in cc_users} == {"cc"}
    assert notification.comment.body == "Hola"


def test_assigning_someone_else_notifies_them_but_self_assignment_does_not(
    ticket, agent, other_agent
):
    audit = update_ticket(ticket, actor=agent, via=Via.WEB, fields={"assignee_id": other_agent.pk})
    assert sent(audit) == {"Notify assignee of assignment": [other_agent.email]}
    audit = update_ticket(ticket, actor=agent, via=Via.WEB, fields={"assignee_id": agent.pk})
    assert sent(audit) == {}


def test_an_internal_note_emails_only_the_assignee(ticket, agent, other_agent):
    update_ticket(ticket, actor=agent, via=Via.WEB, fields={"assignee_id": other_agent.pk})
    audit = update_ticket(
        ticket, actor=agent, via=Via.WEB, comment=CommentInput(body="ojo", public=False)
    )
    assert sent(audit) == {"Notify assignee of comment update": [other_agent.email]}
