"""The live checks of open pages: one query when idle, the changed parts otherwise."""

import re

from django.db import connection
from django.test.utils import CaptureQueriesContext

from buzon.deliveries.models import Delivery
from buzon.deliveries.recording import Failure, record_failure
from buzon.rules.standard import FAILURE_TAG
from buzon.tickets.models import Via
from buzon.tickets.services import update_ticket

REFUSAL = "550 5.1.1 <ana@example.com>: Recipient address rejected: User unknown"


def version_on(html: str, name: str) -> str:
    url = re.search(rf'hx-get="[^"]*/{name}/\?[^"]*v=([^"&]+)', html)
    assert url, f"no {name} check on the page"
    return url.group(1)


def fail(delivery: Delivery) -> None:
    failure = Failure("smtp", 550, "5.1.1", REFUSAL, "mx.example.com", "userunknown", True)
    assert record_failure(delivery, failure)


def own_queries(captured: CaptureQueriesContext) -> list[str]:
    """The check's queries, without the session and user every signed-in request reads."""
    return [
        q["sql"]
        for q in captured.captured_queries
        if "django_session" not in q["sql"] and '"tickets_user"' not in q["sql"].split("WHERE")[0]
    ]


def test_an_idle_ticket_check_answers_204_with_one_query(agent_client, ticket):
    page = agent_client.get(f"/tickets/{ticket.pk}/").content.decode()
    version = version_on(page, "live")
    with CaptureQueriesContext(connection) as captured:
        response = agent_client.get(f"/tickets/{ticket.pk}/live/?v={version}")
    assert response.status_code == 204
    assert len(own_queries(captured)) == 1, own_queries(captured)


def test_a_failure_comes_back_with_its_comment_block_the_tag_and_an_announcement(
    agent_client, ticket
):
    page = agent_client.get(f"/tickets/{ticket.pk}/").content.decode()
    version = version_on(page, "live")
    ana = Delivery.objects.get(ticket=ticket, email="ana@example.com")
    fail(ana)
    response = agent_client.get(f"/tickets/{ticket.pk}/live/?v={version}")
    assert response.status_code == 200
    html = response.content.decode()
    comment_id = ana.email_notification.comment_id
    assert f'id="delivery-{comment_id}" hx-swap-oob="true"' in html
    assert 'data-email="ana@example.com"' in html and "550 5.1.1" in html
    assert 'id="ticket-tags" hx-swap-oob="true"' in html and FAILURE_TAG in html
    assert 'id="live-announce" hx-swap-oob="innerHTML"' in html
    assert "Delivery status updated." in html
    # The new version is quiet again until something else moves.
    again = agent_client.get(f"/tickets/{ticket.pk}/live/?v={version_on(html, 'live')}")
    assert again.status_code == 204


def test_only_the_comments_whose_deliveries_moved_are_sent(agent, agent_client, ticket):
    from buzon.tickets.services import CommentInput

    update_ticket(ticket, actor=agent, via=Via.WEB, comment=CommentInput(body="second"))
    page = agent_client.get(f"/tickets/{ticket.pk}/").content.decode()
    version = version_on(page, "live")
    first = Delivery.objects.filter(ticket=ticket, email="ana@example.com").order_by("id").first()
    fail(first)
    html = agent_client.get(f"/tickets/{ticket.pk}/live/?v={version}").content.decode()
    assert html.count('class="delivery-slot"') == 1
    assert f'id="delivery-{first.email_notification.comment_id}"' in html


def test_the_announcement_is_in_the_agents_language(spanish_agent_client, ticket):
    page = spanish_agent_client.get(f"/tickets/{ticket.pk}/").content.decode()
    fail(Delivery.objects.get(ticket=ticket, email="ana@example.com"))
    html = spanish_agent_client.get(
        f"/tickets/{ticket.pk}/live/?v={version_on(page, 'live')}"
    ).content.decode()
    assert "Estado de entrega actualizado." in html


def test_the_events_log_is_sent_again_when_it_is_the_one_shown(agent_client, ticket):
    page = agent_client.get(f"/tickets/{ticket.pk}/?log=events").content.decode()
    fail(Delivery.objects.get(ticket=ticket, email="ana@example.com"))
    html = agent_client.get(
        f"/tickets/{ticket.pk}/live/?v={version_on(page, 'live')}&log=events"
    ).content.decode()
    assert 'id="log" class="events-log" hx-swap-oob="true"' in html


def test_the_sidebar_check_is_quiet_until_a_ticket_changes(agent, agent_client, ticket):
    counts = agent_client.get("/views/counts/?current=1").content.decode()
    token = version_on(counts, "counts")
    # Counted a moment ago: no query at all, whatever happened since.
    with CaptureQueriesContext(connection) as captured:
        assert agent_client.get(f"/views/counts/?current=1&v={token}").status_code == 204
    assert own_queries(captured) == []
    # Counted long enough ago: one query says whether anything changed.
    older = token.rpartition(".")[0] + ".0"
    with CaptureQueriesContext(connection) as captured:
        quiet = agent_client.get(f"/views/counts/?current=1&v={older}")
    assert quiet.status_code == 204
    assert len(own_queries(captured)) == 1
    fail(Delivery.objects.get(ticket=ticket, email="ana@example.com"))
    changed = agent_client.get(f"/views/counts/?current=1&v={older}")
    assert changed.status_code == 200
    assert "Tickets with email delivery failures" in changed.content.decode()


def test_an_unverified_report_reaches_the_open_page(agent_client, ticket):
    from buzon.deliveries.models import UnverifiedReport
    from buzon.deliveries.recording import Reply, record_handoffs
    from buzon.mail.inbound import store
    from buzon.mail.inbound.processor import InboundProcessor
    from buzon.mail.sandbox import Rule, build_dsn
    from buzon.mail.verp import return_path

    record_handoffs([(d, Reply(250)) for d in Delivery.objects.filter(ticket=ticket)])
    page = agent_client.get(f"/tickets/{ticket.pk}/").content.decode()
    carla = Delivery.objects.get(ticket=ticket, email="carla@example.com")
    rule = Rule(("x",), "BOUNCE", 550, "5.1.1", "User unknown", "test")
    raw = build_dsn(
        return_path(carla.return_token),
        carla.email,
        rule,
        carla.email_notification.raw_message.encode(),
    )
    store.store(raw.replace(b"MAILER-DAEMON@", b"eve@", 1), "", ["support@helpdesk.test"])
    InboundProcessor("t").run_batch()
    assert UnverifiedReport.objects.filter(delivery=carla).exists()
    html = agent_client.get(f"/tickets/{ticket.pk}/live/?v={version_on(page, 'live')}")
    assert html.status_code == 200
    assert 'class="unverified"' in html.content.decode()


def reply_version_on(html: str) -> str:
    found = re.search(r'hx-get="[^"]*/live/\?[^"]*to=([^"&]+)"', html)
    assert found, "no reply version on the check"
    return found.group(1)


def test_the_reply_box_warns_live_when_a_recipient_becomes_suppressed(agent_client, ticket):
    page = agent_client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert 'class="recipient undeliverable"' not in page
    check = f"/tickets/{ticket.pk}/live/?v={version_on(page, 'live')}&to={reply_version_on(page)}"
    fail(Delivery.objects.get(ticket=ticket, email="ana@example.com"))  # 5.1.1: suppressed
    html = agent_client.get(check).content.decode()
    assert '<div id="reply-to" hx-swap-oob="true">' in html
    assert 'class="recipient undeliverable" data-email="ana@example.com"' in html
    assert "suppressed after failures" in html and 'role="note"' in html
    assert "The reply&#x27;s recipients changed. Ana" in html
    assert "<textarea" not in html and "send_anyway" in html  # never the text being typed
    # Another change that leaves the "To" line as it is does not send it again.
    bob = Delivery.objects.filter(ticket=ticket).exclude(email="ana@example.com").first()
    Delivery.objects.filter(pk=bob.pk).update(updated_at=bob.updated_at.replace(year=2030))
    again = f"/tickets/{ticket.pk}/live/?v={version_on(html, 'live')}&to={reply_version_on(html)}"
    quiet = agent_client.get(again)
    assert quiet.status_code == 200 and 'id="reply-to"' not in quiet.content.decode()
