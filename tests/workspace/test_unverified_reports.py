"""An unverified report (it names a delivery only by Message-ID, or by an unsigned
envelope id) is shown on that delivery — in the popover and the events log — and
changes nothing until an agent accepts it with one click; accepting records it like
any other report, audited in that agent's name."""

from __future__ import annotations

import re
from datetime import UTC

import pytest

from buzon.deliveries.models import Delivery, Suppression, UnverifiedReport
from buzon.deliveries.recording import Reply, record_handoffs
from buzon.mail.inbound import store
from buzon.mail.inbound.processor import InboundProcessor
from buzon.mail.sandbox import Rule, build_dsn
from buzon.mail.verp import return_path
from buzon.rules.standard import FAILURE_TAG
from buzon.tickets.models import AuditEvent, EventType, Ticket


@pytest.fixture
def carla(ticket) -> Delivery:
    """Carla's copy was handed off; then someone sent a bounce about it to support@."""
    record_handoffs([(d, Reply(250)) for d in Delivery.objects.filter(ticket=ticket)])
    carla = Delivery.objects.get(ticket=ticket, email="carla@example.com")
    rule = Rule(("x",), "BOUNCE", 550, "5.1.1", "User unknown", "test")
    raw = build_dsn(
        return_path(carla.return_token),
        carla.email,
        rule,
        carla.email_notification.raw_message.encode(),
    )
    raw = raw.replace(b"MAILER-DAEMON@", b"eve@", 1)
    store.store(raw, "", ["support@helpdesk.test"])
    InboundProcessor("t").run_batch()
    return carla


def test_the_report_is_shown_on_the_delivery_and_changes_nothing(agent_client, ticket, carla):
    carla.refresh_from_db()
    assert carla.state == "handed_off" and FAILURE_TAG not in ticket.tag_list
    html = agent_client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert 'class="unverified"' in html  # its own icon, not the failure warning
    assert "An unverified bounce from eve@" in html and "550 5.1.1" in html
    assert "Accept this report" in html
    assert 'data-variant="none_failed"' in html


def test_the_events_log_shows_it(agent_client, ticket, carla):
    html = agent_client.get(f"/tickets/{ticket.pk}/events/").content.decode()
    assert "Unverified delivery reports" in html and "An unverified bounce from eve@" in html


def test_accepting_records_it_in_the_agents_name(agent_client, agent, ticket, carla):
    report = UnverifiedReport.objects.get(delivery=carla)
    html = agent_client.get(f"/tickets/{ticket.pk}/").content.decode()
    action = f"/tickets/{ticket.pk}/reports/{report.pk}/accept/"
    assert f'action="{action}"' in html
    response = agent_client.post(action)
    assert response.status_code == 302
    carla.refresh_from_db()
    assert (carla.state, carla.reply_code, carla.enhanced_status, carla.blame) == (
        "failed", 550, "5.1.1", "address",
    )  # fmt: skip
    assert FAILURE_TAG in Ticket.objects.get(pk=ticket.pk).tag_list
    assert Suppression.objects.filter(address="carla@example.com").exists()
    event = AuditEvent.objects.get(audit__ticket=ticket, type=EventType.DELIVERY_FAILURE)
    assert event.audit.author == agent and event.data["accepted_by"]["id"] == agent.pk
    report.refresh_from_db()
    assert report.accepted_by == agent and report.accepted_at is not None
    # a second click changes nothing
    agent_client.post(action)
    assert AuditEvent.objects.filter(type=EventType.DELIVERY_FAILURE).count() == 1
    html = agent_client.get(f"/tickets/{ticket.pk}/?log=events").content.decode()
    assert "accepted by Alicia Agent" in html


def test_accepting_needs_a_post_an_agent_and_the_right_ticket(client, agent_client, ticket, carla):
    report = UnverifiedReport.objects.get(delivery=carla)
    action = f"/tickets/{ticket.pk}/reports/{report.pk}/accept/"
    assert agent_client.get(action).status_code == 405
    assert client.post(action).status_code in (302, 403)  # not signed in
    other = Ticket.objects.create(
        subject="x", requester=ticket.requester, submitter=ticket.submitter
    )
    agent_client.post(f"/tickets/{other.pk}/reports/{report.pk}/accept/")
    carla.refresh_from_db()
    assert carla.state == "handed_off"


def test_the_popover_says_who_should_act(agent_client, ticket, carla):
    report = UnverifiedReport.objects.get(delivery=carla)
    agent_client.post(f"/tickets/{ticket.pk}/reports/{report.pk}/accept/")
    html = agent_client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert re.search(r'class="who-acts" data-blame="address"', html)
    assert "The address is wrong or no longer exists" in html


def test_who_acts_and_the_unverified_report_in_spanish():
    from datetime import datetime

    from django.utils import translation

    from buzon.workspace import delivery_html
    from buzon.workspace.delivery_summary import RecipientStatus, UnverifiedReportView, summarize

    report = UnverifiedReportView(
        id=3, reporter="eve@evil.example", received_at=datetime.now(UTC),
        matched_by="returned Message-ID and recipient", action="failed", reply_code="550",
        enhanced_status="5.1.1", diagnostic="User unknown", blame="address",
    )  # fmt: skip
    recipients = [
        RecipientStatus(
            email="a@x.example", state="failed", reason="spamdetected", blame="content"
        ),
        RecipientStatus(email="b@x.example", state="handed_off", unverified=(report,)),
    ]
    with translation.override("es"):
        html = delivery_html.render_block(
            summarize(recipients), comment_id=1, ticket_id=9, csrf_token="token"
        )
    assert "Se rechazó el propio mensaje: cambie el contenido" in html
    assert "Un rebote no verificado de eve@evil.example dice 550 5.1.1 User unknown" in html
    assert "Aceptar este informe" in html and "/tickets/9/reports/3/accept/" in html
    assert "obtener una dirección" not in html  # spam never asks for a new address
