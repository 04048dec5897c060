"""Zendesk placeholders render from the ticket; templates cannot reach anything else."""

import pytest

from buzon.rules.models import Trigger
from buzon.rules.placeholders import build_context, render, unknown_placeholders
from buzon.tickets.models import Notification, Via
from buzon.tickets.services import CommentInput, update_ticket


def test_every_documented_placeholder_renders(ticket, agent, settings):
    settings.BASE_URL = "https://help.example.com"
    settings.ACCOUNT_NAME = "Ejemplo"
    ticket.assignee = agent
    ticket.save()
    update_ticket(
        ticket, actor=agent, via=Via.WEB, comment=CommentInput(html_body="<p><b>Hecho</b></p>")
    )
    update_ticket(ticket, actor=agent, via=Via.WEB, comment=CommentInput(body="nota", public=False))
    ctx = build_context(ticket, agent)
    template = (
        "{{ticket.id}}|{{ticket.title}}|{{ticket.status}}|{{ticket.url}}|{{ticket.encoded_id}}|"
        "{{ticket.account}}|{{ticket.requester.name}}|{{ticket.requester.email}}|"
        "{{ticket.assignee.name}}|{{ticket.latest_comment}}|{{ticket.latest_public_comment_html}}|"
        "{{current_user.name}}"
    )
    assert render(template, ctx).split("|") == [
        str(ticket.pk),
        "Factura duplicada",
        "New",
        f"https://help.example.com/tickets/{ticket.pk}",
        ticket.encoded_id,
        "Ejemplo",
        "Ana Cliente",
        "ana@example.com",
        "Alicia Agent",
        "nota",
        "<p><b>Hecho</b></p>",
        "Alicia Agent",
    ]
    formatted = render("{{ticket.comments_formatted}}", ctx)
    assert "Hecho" in formatted and "Hola Ana" in formatted
    assert "nota" not in formatted  # internal notes never appear in the formatted thread
    assert formatted.index("Hecho") < formatted.index("Hola Ana")  # newest first


@pytest.mark.parametrize(
    "template",
    [
        "{{ ticket.__class__ }}",
        "{{ ticket._items }}",
        "{{ ticket.requester.__dict__ }}",
        "{{ current_user.password }}",
        "{{ settings.SECRET_KEY }}",
        "{{ ticket.title.__class__.__mro__ }}",
        "{% for k in ticket %}{{ k }}{% endfor %}{{ ticket.requester.items }}",
    ],
)
def test_templates_cannot_reach_anything_not_exposed(ticket, agent, settings, template):
    settings.SECRET_KEY = "top-secret-value-123"
    out = render(template, build_context(ticket, agent))
    assert "top-secret" not in out
    assert "class" not in out and "pbkdf2" not in out and "_items" not in out
    assert "Ticket" not in out and "object at" not in out


def test_a_runaway_template_is_stopped_and_says_so(ticket, agent):
    out = render("{% for i in (1..10000000) %}x{% endfor %}", build_context(ticket, agent))
    assert out.startswith("[template error:")
    assert len(out) < 500


def test_an_unknown_placeholder_renders_empty(ticket, agent):
    assert render("a{{ticket.nope}}b{{ nothing.here }}c", build_context(ticket, agent)) == "abc"


def test_unknown_placeholders_are_listed():
    assert unknown_placeholders("{{ticket.title}} {{ticket.colour}} {{user.name}}") == [
        "ticket.colour",
        "user.name",
    ]


def test_unknown_placeholders_are_reported_on_the_triggers_admin_page(admin_client):
    trigger = Trigger.objects.create(
        title="Uses a made-up placeholder",
        conditions={"all": [{"field": "update_type", "operator": "is", "value": "Create"}]},
        actions=[
            {
                "field": "notification_user",
                "value": ["requester_id", "Hi {{ticket.colour}}", "{{ticket.title}}"],
            }
        ],
    )
    assert trigger.template_warnings == ["ticket.colour"]
    page = admin_client.get(f"/admin/rules/trigger/{trigger.pk}/change/")
    assert b"Placeholders that render empty" in page.content
    assert b"ticket.colour" in page.content


def test_notification_subjects_are_single_line_whatever_the_ticket_says(ticket, agent):
    update_ticket(ticket, actor=agent, via=Via.WEB, fields={"subject": "Hola"})
    ticket.subject = "Evil\r\nBcc: victim@example.com"
    ticket.save()
    update_ticket(ticket, actor=agent, via=Via.WEB, comment=CommentInput(body="hola"))
    subject = Notification.objects.order_by("pk").last().subject
    assert "\n" not in subject and "\r" not in subject
