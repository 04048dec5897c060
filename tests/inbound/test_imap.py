"""IMAP mailboxes as an inbound source, against a real Dovecot on loopback (a throwaway
configuration and mailbox per test; messages put there with IMAP APPEND): replies
thread into their ticket, a bounce fails its delivery, a reader killed between store
and move loses and duplicates nothing, IDLE picks up new mail within 2 s, polling and
COPY+EXPUNGE where the server offers neither IDLE nor MOVE, flagging instead of moving,
UIDVALIDITY changes, oversized messages, connection failures and their back-off.

Needs root and Dovecot (`make test` as root installs it); skips loudly otherwise."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter

import pytest
from dovecot import PASSWORD, REASON, USER, Dovecot, available
from helpers import free_port
from inboundmail import (
    SRC,
    database_url,
    dsn,
    email_of,
    live_db,
    message,
    process_all,
    reply,
    wait_until,
)

from buzon.deliveries.models import Delivery
from buzon.mail.inbound.imap import ImapService, envelope_of, read_once
from buzon.mail.inbound.mailboxes import (
    Health,
    Mailbox,
    MailboxMessage,
    configured,
    parse_url,
    sync_settings_rows,
)
from buzon.mail.inbound.models import InboundMessage
from buzon.mail.verp import return_path
from buzon.rules.standard import FAILURE_TAG
from buzon.tickets.models import Comment

pytestmark = [pytest.mark.skipif(not available(), reason=REASON)]


@pytest.fixture
def dovecot():
    with Dovecot() as server:
        yield server


def mailbox(server: Dovecot, **query: str) -> tuple[Mailbox, object]:
    url = server.url + "".join(f"&{k}={v}" for k, v in query.items())
    config = parse_url(url)
    row = sync_settings_rows([config])[config.key]
    return row, config


def read(server: Dovecot, **query: str):
    row, config = mailbox(server, **query)
    taken = read_once(row, config)
    process_all()
    return taken


def bounce_as_delivered(delivery: Delivery, **dsn_options) -> bytes:
    """A DSN as a final delivery agent writes it into the mailbox behind the bounce
    address (Postfix's local/virtual delivery, Dovecot's LDA): Return-Path of the null
    sender, and Delivered-To / X-Original-To naming the return path it was sent to."""
    address = return_path(delivery.return_token)
    return (
        f"Return-Path: <>\r\nDelivered-To: {address}\r\nX-Original-To: {address}\r\n".encode()
        + dsn(delivery, **dsn_options)
    )


# ------------------------------------------------------------------- acceptance


@pytest.mark.django_db
def test_a_reply_appended_to_the_mailbox_becomes_a_comment_on_its_ticket(dovecot, ticket):
    email = email_of(ticket)
    dovecot.append(reply(email, "ana@example.com", "Ya funciona, gracias."))
    taken = read(dovecot)
    assert taken.stored == 1
    comment = ticket.comments.order_by("-id").first()
    assert comment.author.email == "ana@example.com" and comment.public
    assert comment.via == "email" and comment.body.startswith("Ya funciona, gracias.")
    row = InboundMessage.objects.get()
    assert (row.source, row.state, row.outcome) == ("imap", "processed", "comment")
    assert row.rcpt_tos == ["support@helpdesk.test"]  # the mailbox's address
    # Moved out of the inbox once stored.
    assert dovecot.uids("INBOX") == [] and len(dovecot.uids("Processed")) == 1


@pytest.mark.django_db
def test_a_bounce_of_a_notification_fails_its_delivery(dovecot, ticket):
    delivery = Delivery.objects.get(ticket=ticket, email="carla@example.com")
    dovecot.append(bounce_as_delivered(delivery, code=550, status="5.1.1"))
    read(dovecot)
    delivery.refresh_from_db()
    assert delivery.state == "failed"
    assert (delivery.reply_code, delivery.enhanced_status, delivery.reason) == (
        550, "5.1.1", "userunknown",
    )  # fmt: skip
    assert delivery.failure_source == "dsn"
    ticket.refresh_from_db()
    assert FAILURE_TAG in ticket.tag_list
    row = InboundMessage.objects.get()
    assert row.mail_from == "" and return_path(delivery.return_token) in row.rcpt_tos
    assert "signed return path" in row.detail
    others = Delivery.objects.filter(ticket=ticket).exclude(pk=delivery.pk)
    assert not others.filter(state="failed").exists()


@pytest.mark.django_db
def test_a_bounce_without_delivery_headers_is_read_by_the_return_path_it_is_addressed_to(
    dovecot, ticket
):
    """Postfix addresses its bounce To: the envelope sender, i.e. the return path."""
    delivery = Delivery.objects.get(ticket=ticket, email="diego@example.net")
    dovecot.append(dsn(delivery, code=552, status="5.2.2", text="Mailbox full"))
    read(dovecot)
    delivery.refresh_from_db()
    assert (delivery.state, delivery.reason) == ("failed", "mailboxfull")


@pytest.mark.django_db
def test_a_bounce_to_a_forged_return_path_changes_nothing(dovecot, ticket):
    delivery = Delivery.objects.get(ticket=ticket, email="carla@example.com")
    forged = return_path(delivery.return_token).replace("bounces+", "bounces+a", 1)
    raw = dsn(delivery).replace(return_path(delivery.return_token).encode(), forged.encode())
    dovecot.append(b"Return-Path: <>\r\nDelivered-To: " + forged.encode() + b"\r\n" + raw)
    read(dovecot)
    delivery.refresh_from_db()
    assert delivery.state != "failed"
    assert InboundMessage.objects.get().state == "unmatched"


def _imap_command(*args: str, **extra: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "BUZON_LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(SRC),
        **extra,
    }
    return subprocess.Popen(
        [sys.executable, "-m", "buzon.cli", "imap", *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


@live_db
@pytest.mark.slow
def test_killing_the_reader_between_store_and_move_loses_and_duplicates_nothing(dovecot, ticket):
    email = email_of(ticket)
    senders = ["ana@example.com", "carla@example.com", "diego@example.net"]
    messages = [reply(email, senders[i % 3], f"Respuesta número {i}.") for i in range(7)]
    dovecot.append(*messages)
    extra = {"BUZON_IMAP_MAILBOXES": dovecot.url, "BUZON_IMAP_BATCH": "3"}
    # The reader commits a batch of 3, then (fault injection) waits before moving it.
    first = _imap_command("--pause-after-store", "120", **extra)
    try:
        wait_until(lambda: InboundMessage.objects.count() >= 3, timeout=60, interval=0.05)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
    finally:
        if first.poll() is None:
            first.kill()
    assert InboundMessage.objects.count() == 3
    assert len(dovecot.uids("INBOX")) == 7  # stored, not yet moved: all still there
    assert MailboxMessage.objects.filter(done_at__isnull=True).count() == 3

    second = _imap_command("--once", **extra)
    _, err = second.communicate(timeout=120)
    assert second.returncode == 0, err
    assert dovecot.uids("INBOX") == []
    moved = dovecot.bodies("Processed")
    assert len(moved) == 7  # each message moved once, none lost
    assert InboundMessage.objects.count() == 7
    assert (
        Counter(InboundMessage.objects.values_list("sha256", flat=True)).most_common(1)[0][1] == 1
    )
    assert not MailboxMessage.objects.filter(done_at__isnull=True).exists()

    process_all()
    per_message = Counter(
        Comment.objects.filter(ticket=ticket, via="email").values_list(
            "metadata__email__inbound_message_id", flat=True
        )
    )
    assert len(per_message) == 7 and set(per_message.values()) == {1}


def _serve(settings, server: Dovecot, **extra) -> tuple[ImapService, threading.Thread]:
    settings.IMAP_MAILBOXES = [server.url + "".join(f"&{k}={v}" for k, v in extra.items())]
    service = ImapService(refresh=0.5)
    thread = threading.Thread(target=service.run, daemon=True)
    thread.start()
    return service, thread


@live_db
@pytest.mark.slow
def test_idle_picks_up_a_new_message_in_under_two_seconds(dovecot, settings, ticket):
    settings.IMAP_POLL = 600  # were it polling, it would not see the message in time
    service, thread = _serve(settings, dovecot)
    try:
        wait_until(
            lambda: Mailbox.objects.filter(health=Health.CONNECTED, idle=True).exists(),
            timeout=30,
        )
        time.sleep(1.0)  # in IDLE by now
        dovecot.append(message(sender="nuevo@example.org", subject="Una consulta"))
        appended = time.monotonic()
        wait_until(lambda: InboundMessage.objects.exists(), timeout=10, interval=0.02)
        elapsed = time.monotonic() - appended
    finally:
        service.stop()
        thread.join(timeout=30)
    print(f"\nIDLE: stored {elapsed:.2f} s after the APPEND")
    assert elapsed < 2.0
    process_all()
    assert InboundMessage.objects.get().outcome == "new_ticket"


@live_db
@pytest.mark.slow
def test_without_idle_or_move_it_polls_and_copies_then_expunges(settings, ticket):
    settings.IMAP_POLL = 0.3
    with Dovecot(idle=False) as server:
        service, thread = _serve(settings, server)
        try:
            wait_until(
                lambda: Mailbox.objects.filter(health=Health.CONNECTED, idle=False).exists(),
                timeout=30,
            )
            server.append(reply(email_of(ticket), "ana@example.com", "Sin IDLE también."))
            wait_until(lambda: InboundMessage.objects.exists(), timeout=20)
            wait_until(lambda: not MailboxMessage.objects.filter(done_at=None).exists())
            assert server.uids("INBOX") == [] and len(server.uids("Processed")) == 1
        finally:
            service.stop()
            thread.join(timeout=30)
    process_all()
    assert ticket.comments.filter(body__startswith="Sin IDLE también.").exists()


# ------------------------------------------------------------------ the rest


@pytest.mark.django_db
def test_flagging_instead_of_moving_keeps_the_message_and_takes_it_once(dovecot, ticket):
    dovecot.append(reply(email_of(ticket), "ana@example.com", "Con bandera."))
    assert read(dovecot, processed="flag").stored == 1
    [flags] = dovecot.flags("INBOX").values()
    assert b"\\Seen" in flags and b"$BuzonProcessed" in flags
    assert read(dovecot, processed="flag").stored == 0  # nothing taken twice
    dovecot.append(message(sender="otra@example.org", subject="Otra"))
    assert read(dovecot, processed="flag").stored == 1
    assert InboundMessage.objects.count() == 2


@pytest.mark.django_db
def test_a_new_uidvalidity_reads_the_folder_again_without_second_copies(dovecot, ticket):
    client = dovecot.client()
    client.create_folder("Soporte")
    client.logout()
    raw = reply(email_of(ticket), "ana@example.com", "Primera vez.")
    dovecot.append(raw, folder="Soporte")
    url_folder = {"processed": "flag"}
    row, config = mailbox(dovecot, **url_folder)
    config = parse_url(dovecot.url.replace("/INBOX", "/Soporte") + "&processed=flag")
    row = sync_settings_rows([config])[config.key]
    read_once(row, config)
    first_validity = Mailbox.objects.get(pk=row.pk).uidvalidity
    # The folder is deleted and made again (its UIDs start over), the message with it.
    client = dovecot.client()
    client.delete_folder("Soporte")
    client.create_folder("Soporte")
    client.logout()
    dovecot.append(raw, message(sender="nueva@example.org", subject="Nueva"), folder="Soporte")
    taken = read_once(row, config)
    assert Mailbox.objects.get(pk=row.pk).uidvalidity != first_validity
    assert taken.stored == 2
    assert InboundMessage.objects.count() == 2  # the same bytes are the same stored row
    process_all()
    assert ticket.comments.filter(body__startswith="Primera vez.").count() == 1


@pytest.mark.django_db
def test_a_message_over_the_size_limit_is_left_in_the_mailbox(dovecot, settings):
    settings.INBOUND_MAX_SIZE = 2000
    dovecot.append(message(sender="grande@example.org", body="x" * 5000))
    dovecot.append(message(sender="chico@example.org", body="hola"))
    taken = read(dovecot)
    assert (taken.stored, taken.too_large) == (1, 1)
    assert len(dovecot.uids("INBOX")) == 1  # the large one stays for a person to see
    note = MailboxMessage.objects.get(message__isnull=True).note
    assert "larger than BUZON_INBOUND_MAX_SIZE" in note
    assert read(dovecot).stored == 0  # and is not tried again


@pytest.mark.django_db
def test_a_refused_login_is_recorded_with_back_off_and_recovers(dovecot, ticket):
    bad = parse_url(dovecot.url.replace(PASSWORD, "wrong-password"))
    row = sync_settings_rows([bad])[bad.key]
    for attempt in (1, 2):
        with pytest.raises(Exception, match="(?i)auth|login"):
            read_once(row, bad)
        row.refresh_from_db()
        assert (row.health, row.failures) == (Health.FAILING, attempt)
        assert row.last_error.startswith("Login refused")
    waits = row.next_attempt_at - row.last_error_at
    assert 8 <= waits.total_seconds() <= 10  # 5 s, then 10 s (less up to 10 % jitter)
    good = parse_url(dovecot.url)
    read_once(row, good)
    row.refresh_from_db()
    assert (row.health, row.failures, row.next_attempt_at) == (Health.CONNECTED, 0, None)


@pytest.mark.django_db
def test_a_server_that_is_not_there_is_a_connection_failure():
    port = free_port()
    config = parse_url(f"imap://{USER}:x@127.0.0.1:{port}/INBOX?tls=none")
    row = sync_settings_rows([config])[config.key]
    with pytest.raises(OSError):
        read_once(row, config)
    row.refresh_from_db()
    assert row.health == Health.FAILING and "refused" in row.last_error.lower()


@pytest.mark.django_db
def test_the_settings_mailboxes_are_rows_without_their_password(settings, dovecot):
    settings.IMAP_MAILBOXES = [dovecot.url]
    [(row, config, problem)] = configured()
    assert problem == "" and config.password == PASSWORD
    assert row.origin == "settings" and row.password_encrypted == ""
    assert PASSWORD not in row.key


def test_the_envelope_comes_from_the_delivery_headers(settings):
    ret = "bounces+abcdefghijklmnop-qrstuvwxyz234567@helpdesk.test"
    raw = (
        b"Return-Path: <>\r\nDelivered-To: support+x@helpdesk.test\r\n"
        b"Delivered-To: earlier@elsewhere.example\r\n"
        b"To: Mail <" + ret.encode() + b">\r\nSubject: x\r\n\r\nbody\r\n"
    )
    assert envelope_of(raw, "support@helpdesk.test") == ("", ["support+x@helpdesk.test", ret])
    plain = b"From: a@example.org\r\nTo: someone@example.org\r\n\r\nhi\r\n"
    assert envelope_of(plain, "support@helpdesk.test") == (
        "a@example.org", ["support@helpdesk.test"],
    )  # fmt: skip
