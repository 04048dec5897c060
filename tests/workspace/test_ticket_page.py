"""The ticket page: header, conversation, delivery status under comments, events log."""

import pytest
from django.utils import translation

from buzon.rules.standard import FAILURE_TAG
from buzon.tickets.models import Notification, Via
from buzon.tickets.services import CommentInput, update_ticket
from buzon.workspace import delivery_html
from buzon.workspace.delivery_summary import RecipientStatus, summarize


def render_delivery(recipients, language="en"):
    with translation.override(language):
        return delivery_html.render_block(summarize(recipients), comment_id=7, ticket_id=None)


def failed(email, **extra):
    return RecipientStatus(email=email, name=email.split("@")[0].title(), state="failed", **extra)


def ok(email, kind="to"):
    return RecipientStatus(
        email=email, name=email.split("@")[0].title(), state="handed_off", kind=kind
    )


NADIE = dict(
    blame="address",
    reply_code="550",
    enhanced_status="5.1.1",
    reason="userunknown",
    failure_source="smtp",
    diagnostic="550 5.1.1 <nadie@invalid.example>: Recipient address rejected: User unknown",
    remote_mta="mx.invalid.example",
)


# --- The three variants, in English and Spanish --------------------------------------


def test_one_recipient_failed_shows_the_reason_and_the_codes():
    html = render_delivery([failed("nadie@invalid.example", **NADIE)])
    assert 'data-variant="one_failed"' in html
    assert "The address does not exist" in html
    assert '<code class="codes">550 5.1.1</code>' in html
    assert "Failed to deliver to some recipients" not in html


def test_all_recipients_failed_says_failed_to_deliver():
    html = render_delivery([failed("a@x.example", **NADIE), failed("b@x.example", **NADIE)])
    assert 'data-variant="all_failed"' in html
    assert '<strong class="headline">Failed to deliver</strong>' in html


def test_some_recipients_failed_says_so_and_only_they_get_an_icon():
    html = render_delivery([ok("ana@example.com"), failed("b@x.example", **NADIE)])
    assert '<strong class="headline">Failed to deliver to some recipients</strong>' in html
    assert html.count('class="warn"') == 1
    assert 'aria-label="Failed to deliver to B. Show the reason"' in html
    assert "Failed to deliver to B: The address does not exist" in html


def test_the_spanish_wording_is_the_seeds():
    one = render_delivery([failed("nadie@invalid.example", **NADIE)], "es")
    assert "La dirección no existe" in one and "550 5.1.1" in one
    every = render_delivery([failed("a@x.example"), failed("b@x.example")], "es")
    assert '<strong class="headline">No se pudo entregar</strong>' in every
    some = render_delivery([ok("ana@example.com"), failed("b@x.example")], "es")
    assert "No se pudo entregar a algunos destinatarios" in some


def test_no_failure_means_no_message_and_no_icon():
    html = render_delivery([ok("ana@example.com"), ok("carla@example.com", "cc")])
    assert "failure-summary" not in html and 'class="warn"' not in html
    assert "Handed off to our mail relay" in html


def test_a_deferred_recipient_shows_retrying_until():
    from datetime import UTC, datetime

    late = RecipientStatus(
        email="slow@x.example",
        state="deferred",
        expires_at=datetime(2030, 1, 2, 3, 4, tzinfo=UTC),
        next_attempt_at=datetime(2030, 1, 1, 0, 30, tzinfo=UTC),
        reply_code="451",
        enhanced_status="4.7.1",
    )
    html = render_delivery([late])
    assert "Delayed for slow@x.example, retrying. Last attempt: " in html
    assert "<code>451 4.7.1</code>" in html
    assert "next try 1 Jan 2030 00:30 · gives up 2 Jan 2030 03:04" in html
    assert 'class="warn"' not in html


def test_the_popover_explains_the_failure():
    html = render_delivery([failed("nadie@invalid.example", user_id=3, attempts=2, **NADIE)])
    assert "popover" in html and 'popovertarget="dp-7-1"' in html and 'id="dp-7-1"' in html
    assert "Failed to deliver to Nadie" in html
    assert "User unknown" in html
    # An SMTP refusal came from our relay: named so, and the receiving server unknown.
    assert 'Our mail relay</dt><dd class="server"><code>mx.invalid.example</code>' in html
    assert "not known: only our relay answered" in html
    assert "Check the address for typos" in html
    assert "Contact the user another way" in html
    assert 'href="/codes/5.1.1/"' in html
    assert "2 attempts" in html


def test_the_popover_suggests_a_correction_for_a_mistyped_domain():
    html = render_delivery(
        [
            failed(
                "pedro@gmial.com",
                user_id=4,
                reason="hostunknown",
                enhanced_status="5.1.2",
                blame="address",
            )
        ]
    )
    assert "Did you mean <strong>pedro@gmail.com</strong>?" in html
    assert 'href="/users/4/"' in html


def test_the_popover_for_a_too_big_message_says_to_shrink_it():
    html = render_delivery(
        [failed("a@x.example", reason="mesgtoobig", reply_code="552", blame="content")]
    )
    assert "Make the message smaller" in html


def test_a_suppressed_recipient_says_why():
    from datetime import UTC, datetime

    since = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    html = render_delivery([failed("a@x.example", **{**NADIE, "failure_source": "suppressed"},
                                   suppressed_since=since)])  # fmt: skip
    assert (
        "Not sent to A: the address is suppressed since 1 Mar 2026, after an earlier failure "
        "(The address does not exist)"
    ) in html
    assert "icon-blocked" in html and "icon-warning" not in html
    assert 'aria-label="Not sent to A. Show why"' in html
    assert "mark it as deliverable" in html


def test_a_hostile_diagnostic_is_shown_as_text():
    evil = "<script>alert(1)</script><img src=x onerror=alert(2)>"
    html = render_delivery(
        [failed("a@x.example", diagnostic=evil, reply_code="550", failure_source="dsn")]
    )
    assert "<script>alert(1)</script>" not in html
    assert "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;" in html


# --- The page itself -------------------------------------------------------------------


def test_the_header_shows_subject_status_requester_ccs_tags_assignee(agent, agent_client, ticket):
    update_ticket(
        ticket,
        actor=agent,
        via=Via.WEB,
        fields={"assignee_id": agent.pk, "additional_tags": [FAILURE_TAG, "vip"]},
    )
    html = agent_client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert "Factura duplicada" in html
    assert "ana@example.com" in html and "carla@example.com" in html
    assert "diego@example.net" in html
    assert FAILURE_TAG in html and "vip" in html
    assert "Alicia Agent" in html
    assert 'class="status status-new"' in html


def test_comments_are_in_order_and_public_and_internal_differ(agent, agent_client, ticket):
    update_ticket(
        ticket, actor=agent, via=Via.WEB, comment=CommentInput(body="Second", public=False)
    )
    update_ticket(ticket, actor=agent, via=Via.WEB, comment=CommentInput(body="Third"))
    html = agent_client.get(f"/tickets/{ticket.pk}/").content.decode()
    first = html.index("hemos visto la factura")
    assert first < html.index("Second") < html.index("Third")
    assert html.count('class="comment public"') == 2
    assert html.count('class="comment internal"') == 1
    assert "Internal note" in html


def test_comment_html_is_sanitised(agent, agent_client, ticket):
    update_ticket(
        ticket,
        actor=agent,
        via=Via.WEB,
        comment=CommentInput(html_body='<p onclick="x()">Hi<script>alert(1)</script></p>'),
    )
    html = agent_client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert "<script>alert(1)" not in html and "onclick" not in html
    assert "<p>Hi</p>" in html


def test_a_comments_attachments_and_author_are_listed_as_text(agent, agent_client, ticket):
    agent.name = "Alicia <Agent>"
    agent.save()
    ticket.comments.update(
        attachments=[
            {"file_name": "<factura>.pdf", "content_type": "application/pdf", "size": 2048}
        ]
    )
    html = agent_client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert '<strong class="author">Alicia &lt;Agent&gt;</strong>' in html
    assert '<li>📎 &lt;factura&gt;.pdf <span class="muted">2.0\xa0KB</span></li>' in html


def test_a_hostile_subject_is_escaped(agent, agent_client, ticket):
    update_ticket(ticket, actor=agent, via=Via.WEB, fields={"subject": "<b>bold</b> & co"})
    html = agent_client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert "<b>bold</b>" not in html
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; co" in html


def test_the_recipient_line_names_who_the_notification_went_to(agent_client, ticket):
    html = agent_client.get(f"/tickets/{ticket.pk}/").content.decode()
    # The proactive-ticket trigger emailed Ana and her two CCs.
    assert Notification.objects.filter(ticket=ticket).exists()
    line = html[html.index('class="delivery"') :]
    for email in ("ana@example.com", "carla@example.com", "diego@example.net"):
        assert f'data-email="{email}"' in line


def test_the_page_makes_a_bounded_number_of_queries(
    agent, agent_client, ticket, django_assert_max_num_queries
):
    for i in range(25):
        update_ticket(
            ticket, actor=agent, via=Via.WEB, comment=CommentInput(body=f"c{i}", public=i % 2 == 0)
        )
    # 21: the live check's version of the page is one query (workspace.live).
    with django_assert_max_num_queries(21):
        assert agent_client.get(f"/tickets/{ticket.pk}/").status_code == 200
    with django_assert_max_num_queries(21):
        assert agent_client.get(f"/tickets/{ticket.pk}/?log=events").status_code == 200


def test_an_unknown_ticket_is_404(agent_client, db):
    assert agent_client.get("/tickets/424242/").status_code == 404


# --- The events log --------------------------------------------------------------------


@pytest.fixture
def events_html(agent, agent_client, ticket):
    update_ticket(
        ticket,
        actor=agent,
        via=Via.WEB,
        fields={"status": "open", "additional_tags": [FAILURE_TAG]},
        comment=CommentInput(body="Public update"),
    )
    return agent_client.get(f"/tickets/{ticket.pk}/events/").content.decode()


def test_the_events_log_is_a_partial_for_htmx(events_html):
    assert "<html" not in events_html
    assert 'id="log"' in events_html and "events-log" in events_html


def test_the_events_log_names_the_trigger_of_each_email_notification(events_html):
    assert "Email notification" in events_html
    assert "Notify requester and CCs of comment update" in events_html
    assert "Notify requester of new proactive ticket" in events_html
    assert 'href="/triggers/' in events_html
    assert "ana@example.com" in events_html


def test_the_events_log_shows_tag_and_status_changes(events_html):
    assert "Tags" in events_html and FAILURE_TAG in events_html
    assert "<del>New</del> → Open" in events_html


def test_the_events_log_is_reachable_without_javascript(agent_client, ticket):
    html = agent_client.get(f"/tickets/{ticket.pk}/?log=events").content.decode()
    assert "events-log" in html and 'aria-current="true" data-shortcut="e"' in html


def test_the_events_log_in_spanish(spanish_agent_client, events_html, ticket):
    html = spanish_agent_client.get(f"/tickets/{ticket.pk}/events/").content.decode()
    assert "Notificación por correo electrónico" in html


def test_the_trigger_page_shows_the_trigger(agent_client, db):
    from buzon.rules.models import Trigger

    trigger = Trigger.objects.get(title="Notify requester and CCs of comment update")
    html = agent_client.get(f"/triggers/{trigger.pk}/").content.decode()
    assert "requester_and_ccs" in html and "comment_is_public" in html
