"""`buzon ingest` (file, stdin, exit status for piping MTAs), `buzon inbound` (list,
show, replay, process) and the worker's queues."""

from __future__ import annotations

import io
import sys

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from inboundmail import email_of, reply

from buzon.mail.inbound import store
from buzon.mail.inbound.models import InboundMessage
from buzon.mail.worker import Worker


def test_ingest_a_file_then_the_worker_processes_it(ticket, tmp_path):
    path = tmp_path / "reply.eml"
    path.write_bytes(reply(email_of(ticket), "ana@example.com"))
    out = io.StringIO()
    call_command("ingest", str(path), "--from", "ana@example.com", stdout=out)
    row = InboundMessage.objects.get()
    assert f"stored as inbound message {row.pk}" in out.getvalue()
    assert (row.source, row.mail_from, row.rcpt_tos) == (
        "ingest", "ana@example.com", ["support@helpdesk.test"],
    )  # fmt: skip
    worker = Worker(queues=("inbound",), poll=0.01)
    worker.run(until_idle=True)
    row.refresh_from_db()
    assert row.outcome == "comment" and worker.inbound.tally["processed:comment"] == 1


def test_ingest_from_stdin_with_an_envelope(ticket, monkeypatch):
    raw = reply(email_of(ticket), "ana@example.com")
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(raw)))
    call_command("ingest", "--from", "", "--to", "bounces+x-y@helpdesk.test", stdout=io.StringIO())
    row = InboundMessage.objects.get()
    assert bytes(row.raw) == raw and row.mail_from == "" and row.rcpt_tos[0].startswith("bounces+")


def test_ingest_exits_75_when_it_cannot_store(tmp_path, monkeypatch, db):
    path = tmp_path / "m.eml"
    path.write_bytes(b"Subject: x\r\n\r\nx\r\n")
    monkeypatch.setattr(store, "store", lambda *a, **k: (_ for _ in ()).throw(OSError("full")))
    with pytest.raises(SystemExit) as stop:
        call_command("ingest", str(path), stdout=io.StringIO(), stderr=io.StringIO())
    assert stop.value.code == 75


def test_inbound_list_show_and_replay(ticket):
    row = store.store(b"\x00\x01 not a message", "x@example.org", ["support@helpdesk.test"])
    call_command("inbound", "process", "--until-idle", stdout=io.StringIO())
    row.refresh_from_db()
    assert row.state in ("processed", "error")
    listing = io.StringIO()
    call_command("inbound", "list", "--state", row.state, stdout=listing)
    assert str(row.pk) in listing.getvalue()
    shown = io.StringIO()
    call_command("inbound", "show", str(row.pk), stdout=shown)
    assert "x@example.org" in shown.getvalue()
    replayed = io.StringIO()
    call_command("inbound", "replay", str(row.pk), stdout=replayed)
    assert "1 message(s)" in replayed.getvalue()
    assert InboundMessage.objects.get(pk=row.pk).state == "received"
    with pytest.raises(CommandError):
        call_command("inbound", "show", "999999", stdout=io.StringIO())


def test_the_worker_refuses_an_unknown_queue(db):
    with pytest.raises(CommandError):
        call_command("worker", "--once", "--queues", "outbound,carrier-pigeon")


def test_old_processed_messages_are_pruned_the_rest_kept(ticket, settings):
    from datetime import timedelta

    from django.utils import timezone
    from inboundmail import process_all

    from buzon.mail.inbound.processor import prune

    settings.INBOUND_RETENTION_DAYS = 30
    done = store.store(
        reply(email_of(ticket), "ana@example.com"), "ana@example.com", ["support@helpdesk.test"]
    )
    bad = store.store(b"From: MAILER-DAEMON@x.example\r\n\r\n?", "", ["support@helpdesk.test"])
    process_all()
    old = timezone.now() - timedelta(days=31)
    InboundMessage.objects.filter(pk__in=[done.pk, bad.pk]).update(received_at=old)
    assert prune() == 1
    assert list(InboundMessage.objects.values_list("pk", "state")) == [(bad.pk, "unmatched")]
    assert ticket.comments.filter(metadata__email__inbound_message_id=done.pk).exists()
    settings.INBOUND_RETENTION_DAYS = 0
    assert prune() == 0
