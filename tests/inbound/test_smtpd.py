"""The inbound SMTP server over real sockets: who it takes mail for, SIZE, STARTTLS,
and the promise of its 250 (stored first) and its 451 (nothing kept)."""

from __future__ import annotations

import shutil
import smtplib
import ssl
import subprocess

import pytest
from helpers import free_port
from inboundmail import live_db

from buzon.mail.inbound import store
from buzon.mail.inbound.models import InboundMessage
from buzon.mail.inbound.smtpd import InboundServer

pytestmark = live_db

MESSAGE = (
    b"From: Ana <ana@example.com>\r\nTo: support@helpdesk.test\r\nSubject: Hola\r\n"
    b"Message-ID: <m1@example.com>\r\n\r\nHola.\r\n"
)


@pytest.fixture
def server():
    with InboundServer("127.0.0.1", free_port(), max_size=50_000) as running:
        yield running


def client(server: InboundServer) -> smtplib.SMTP:
    return smtplib.SMTP("127.0.0.1", server.port, timeout=10)


def test_it_stores_the_message_and_its_envelope_before_answering_250(server):
    with client(server) as smtp:
        smtp.ehlo("mx.example.com")
        smtp.mail("ana@example.com")
        smtp.rcpt("support@helpdesk.test")
        code, text = smtp.data(MESSAGE)
    assert code == 250 and b"stored as" in text
    row = InboundMessage.objects.get()  # committed by the time the 250 arrived
    assert bytes(row.raw) == MESSAGE
    assert (row.mail_from, row.rcpt_tos, row.message_id) == (
        "ana@example.com", ["support@helpdesk.test"], "m1@example.com",
    )  # fmt: skip
    assert row.state == "received" and row.source == "smtp" and row.size == len(MESSAGE)
    assert "mx.example.com" in row.peer


@pytest.mark.parametrize(
    "rcpt",
    ["support@helpdesk.test", "SUPPORT@HelpDesk.test", "support+idABC234DEF5@helpdesk.test",
     "bounces+anything-here@helpdesk.test", "postmaster@helpdesk.test"],
)  # fmt: skip
def test_it_accepts_our_addresses(server, rcpt):
    with client(server) as smtp:
        smtp.ehlo()
        smtp.mail("")
        assert smtp.rcpt(rcpt)[0] == 250


@pytest.mark.parametrize(
    ("rcpt", "reply"),
    [
        ("someone@gmail.com", "550 5.7.1"),
        ("victim@example.org", "550 5.7.1"),
        ("sales@helpdesk.test", "550 5.1.1"),
        ("support@helpdesk.test.evil.example", "550 5.7.1"),
    ],
)
def test_it_is_not_an_open_relay(server, rcpt, reply):
    with client(server) as smtp:
        smtp.ehlo()
        smtp.mail("spammer@example.net")
        code, text = smtp.rcpt(rcpt)
    assert f"{code} {text.decode()}".startswith(reply)
    assert not InboundMessage.objects.exists()


def test_it_advertises_size_and_refuses_bigger_messages_with_552_534(server):
    with client(server) as smtp:
        smtp.ehlo()
        assert smtp.has_extn("size") and smtp.esmtp_features["size"] == "50000"
        code, text = smtp.mail("ana@example.com", ["SIZE=60000"])
        assert (code, text[:5]) == (552, b"5.3.4")
        smtp.rset()
        smtp.mail("ana@example.com")
        smtp.rcpt("support@helpdesk.test")
        big = MESSAGE + (b"x" * 70 + b"\r\n") * 1000
        code, text = smtp.data(big)
    assert (code, text[:5]) == (552, b"5.3.4")
    assert not InboundMessage.objects.exists()


def test_when_it_cannot_store_it_answers_451_and_keeps_nothing(server, monkeypatch):
    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(store, "store_many", broken)
    with client(server) as smtp:
        smtp.ehlo()
        smtp.mail("ana@example.com")
        smtp.rcpt("support@helpdesk.test")
        code, text = smtp.data(MESSAGE)
    assert (code, text[:5]) == (451, b"4.3.0")
    assert not InboundMessage.objects.exists()
    assert server.handler.failed == 1


def test_the_same_message_sent_twice_is_stored_once(server):
    for _ in range(2):
        with client(server) as smtp:
            assert smtp.sendmail("ana@example.com", ["support@helpdesk.test"], MESSAGE) == {}
    assert InboundMessage.objects.count() == 1


def test_binary_and_8bit_content_is_kept_byte_for_byte(server):
    raw = MESSAGE.replace(b"Hola.", "Años, ¿qué tal? \x00\xff".encode("latin-1"))
    with client(server) as smtp:
        smtp.ehlo()
        smtp.mail("ana@example.com")
        smtp.rcpt("support@helpdesk.test")
        assert smtp.data(raw)[0] == 250
    assert bytes(InboundMessage.objects.get().raw) == raw


@pytest.mark.skipif(not shutil.which("openssl"), reason="needs openssl to make a certificate")
def test_starttls_with_a_configured_certificate(tmp_path):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key),
         "-out", str(cert), "-days", "2", "-subj", "/CN=localhost"],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    server = InboundServer("127.0.0.1", free_port(), tls_cert=str(cert), tls_key=str(key))
    with server, client(server) as smtp:
        smtp.ehlo()
        assert smtp.has_extn("starttls")
        context = ssl.create_default_context(cafile=str(cert))
        context.check_hostname = False
        smtp.starttls(context=context)
        smtp.ehlo()
        assert smtp.sendmail("ana@example.com", ["support@helpdesk.test"], MESSAGE) == {}
    assert InboundMessage.objects.count() == 1
