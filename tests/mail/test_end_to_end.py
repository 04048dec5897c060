"""The acceptance scenarios, end to end: the real outbox, a real `buzon worker`
process, the sandbox mail server over real sockets, the real database."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from mailhelpers import live_db, start_worker

from buzon.deliveries.models import Delivery
from buzon.rules.standard import FAILURE_TAG
from buzon.tickets.models import AuditEvent, Role, User, Via
from buzon.tickets.services import CommentInput, create_ticket, update_ticket

pytestmark = [live_db, pytest.mark.slow]

TRIGGER = "Notify requester and CCs of comment update"


def run_worker_process(server, *args: str, **env: str) -> str:
    process = start_worker(server, *args, **env)
    output = process.communicate(timeout=120)[0]
    assert process.returncode == 0, output
    return output


def tag_changes(ticket):
    return AuditEvent.objects.filter(audit__ticket=ticket, type="Change", field_name="tags")


def test_a_public_comment_to_three_recipients_one_unknown(sandbox):
    agent = User.objects.create_user("alicia@helpdesk.test", "Alicia Agente", role=Role.AGENT)
    ana = User.objects.create_user("ana@example.com", "Ana García")
    carla = User.objects.create_user("carla@example.com", "Carla Núñez")
    nadie = User.objects.create_user("nadie@invalid.example", "Nadie Existe")
    ticket = create_ticket(
        actor=agent,
        via=Via.WEB,
        fields={"subject": "Factura duplicada", "requester_id": ana.pk, "email_cc_ids": [carla.pk]},
        comment=CommentInput(body="Hola Ana, lo miramos."),
    )
    update_ticket(ticket, actor=agent, via=Via.WEB, fields={"additional_email_cc_ids": [nadie.pk]})
    run_worker_process(sandbox, "--until-idle")  # the ticket's own receipt
    assert not tag_changes(ticket).exists()

    audit = update_ticket(
        ticket, actor=agent, via=Via.WEB, comment=CommentInput(body="Ya hemos anulado el cargo.")
    )
    deliveries = Delivery.objects.filter(recipient__notification__event__audit=audit)
    assert deliveries.count() == 3
    run_worker_process(sandbox, "--until-idle")

    outcome = {d.email: d for d in deliveries}
    assert outcome["ana@example.com"].state == outcome["carla@example.com"].state == "handed_off"
    failed = outcome["nadie@invalid.example"]
    assert (failed.state, failed.reply_code, failed.enhanced_status) == ("failed", 550, "5.1.1")
    assert failed.diagnostic == (
        "<nadie@invalid.example>: Recipient address rejected: User unknown in virtual mailbox table"
    )
    assert failed.zendesk_status_name == "USER_DOES_NOT_EXIST"
    assert FAILURE_TAG in ticket.tag_list
    assert tag_changes(ticket).count() == 1
    event = AuditEvent.objects.get(audit__ticket=ticket, type="DeliveryFailure")
    assert event.data["trigger"]["title"] == TRIGGER
    assert event.data["recipient"]["email"] == "nadie@invalid.example"
    assert (event.data["reply_code"], event.data["enhanced_status"]) == (550, "5.1.1")
    delivered = {tuple(r.rcpt_tos) for r in sandbox.handler.received}
    assert ("nadie@invalid.example",) not in delivered

    # A second failure on the same ticket: a new CC whose mailbox is full, and the
    # (now suppressed) unknown user again. No second tag event.
    llena = User.objects.create_user("llena@example.net", "Lucía Buzónlleno")
    update_ticket(
        ticket,
        actor=agent,
        via=Via.WEB,
        fields={"additional_email_cc_ids": [llena.pk]},
        comment=CommentInput(body="Os pongo en copia a Lucía."),
    )
    run_worker_process(sandbox, "--until-idle")
    failures = AuditEvent.objects.filter(audit__ticket=ticket, type="DeliveryFailure")
    assert sorted((e.data["recipient"]["email"], e.data["source"]) for e in failures) == [
        ("llena@example.net", "smtp"),
        ("nadie@invalid.example", "smtp"),
        ("nadie@invalid.example", "suppressed"),
    ]
    assert tag_changes(ticket).count() == 1


def test_a_451_is_retried_and_accepted_and_a_permanent_4xx_expires(sandbox):
    agent = User.objects.create_user("alicia@helpdesk.test", "Alicia Agente", role=Role.AGENT)
    slow = User.objects.create_user("lento@example.org", "Servidor Lento")
    full = User.objects.create_user("casillena@example.org", "Casi Llena")
    ticket = create_ticket(
        actor=agent,
        via=Via.WEB,
        fields={"subject": "Reintentos", "requester_id": slow.pk, "email_cc_ids": [full.pk]},
        comment=CommentInput(body="Hola"),
    )
    # First attempts: both answered 4xx and deferred.
    run_worker_process(sandbox, "--once", BUZON_RETRY_BASE="0.3")
    assert sorted(Delivery.objects.values_list("state", "attempts")) == [
        ("deferred", 1),
        ("deferred", 1),
    ]
    # Shorten the full mailbox's lifetime, counted from now (not from when a worker
    # process happened to start on a loaded machine), then let retries run.
    Delivery.objects.filter(email="casillena@example.org").update(
        expires_at=timezone.now() + timedelta(seconds=15)
    )
    run_worker_process(sandbox, "--until-done", "--max-seconds", "60", BUZON_RETRY_BASE="0.3")
    slow_delivery = Delivery.objects.get(email="lento@example.org")
    assert (slow_delivery.state, slow_delivery.attempts) == ("handed_off", 2)
    assert [e.kind for e in slow_delivery.events.all()] == ["queued", "deferred", "handed_off"]
    expired = Delivery.objects.get(email="casillena@example.org")
    assert (expired.state, expired.failure_source, expired.reason) == (
        "failed",
        "expired",
        "expired",
    )
    assert (expired.reply_code, expired.enhanced_status) == (452, "4.2.2")
    assert expired.attempts >= 2
    assert FAILURE_TAG in ticket.tag_list
    assert [r.rcpt_tos for r in sandbox.handler.received] == [["lento@example.org"]]
