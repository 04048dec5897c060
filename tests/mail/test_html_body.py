"""The HTML part: plain text escaped, *_html placeholders as sanitised HTML."""

from email import message_from_string, policy

from buzon.deliveries.models import EmailNotification
from buzon.rules.models import Trigger
from buzon.rules.placeholders import build_context, render_html
from buzon.tickets.models import Via
from buzon.tickets.services import CommentInput, update_ticket


def test_template_text_and_plain_placeholders_are_escaped(ticket, agent):
    context = build_context(ticket, agent)
    html = render_html("1 < 2 & {{ticket.title}}\n\nsee {{ticket.url}}.", context)
    assert html.startswith("<p>1 &lt; 2 &amp; Factura duplicada</p>")
    assert f'<a href="http://127.0.0.1:8000/tickets/{ticket.pk}"' in html
    assert html.endswith("</a>.</p>")


def test_html_placeholders_stay_html_but_sanitised(ticket, agent):
    update_ticket(
        ticket,
        actor=agent,
        via=Via.WEB,
        comment=CommentInput(
            html_body='<p>Hola <b>Ana</b></p><script>alert(1)</script><a href="javascript:x">x</a>'
        ),
    )
    context = build_context(ticket, agent)
    html = render_html("Intro\n\n{{ticket.latest_public_comment_html}}\n\nBye", context)
    assert "<p>Intro</p><p>Hola <b>Ana</b></p>" in html
    assert "<script" not in html and "javascript:" not in html
    text_version = render_html("{{ticket.latest_public_comment}}", context)
    assert "<b>" not in text_version and "Hola Ana" in text_version


def test_a_comment_cannot_forge_the_placeholder_tokens(ticket, agent):
    update_ticket(
        ticket,
        actor=agent,
        via=Via.WEB,
        comment=CommentInput(body="BUZONHTML0123456789abcdef01234567 <img src=x onerror=1>"),
    )
    context = build_context(ticket, agent)
    html = render_html("{{ticket.latest_public_comment}} {{ticket.latest_comment_html}}", context)
    assert "&lt;img" in html and "onerror" not in html.replace("&lt;img src=x onerror=1&gt;", "")


def test_the_email_html_part_uses_the_html_placeholders(ticket, agent, requester):
    Trigger.objects.create(
        title="HTML mail",
        position=0,
        conditions={"all": [{"field": "comment_is_public", "operator": "is", "value": True}]},
        actions=[
            {
                "field": "notification_user",
                "value": ["requester_id", "Update", "News:\n\n{{ticket.latest_comment_html}}"],
            }
        ],
    )
    update_ticket(
        ticket, actor=agent, via=Via.WEB, comment=CommentInput(html_body="<p><em>Listo</em></p>")
    )
    email = EmailNotification.objects.get(notification__trigger_title="HTML mail")
    message = message_from_string(email.raw_message, policy=policy.default)
    html = message.get_body(preferencelist=("html",)).get_content()
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert "<p>News:</p><p><em>Listo</em></p>" in html
    assert "News:" in text and "<em>" not in text
