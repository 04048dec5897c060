"""The relay settings: STARTTLS, implicit TLS, AUTH, certificate checks."""

from __future__ import annotations

import shutil
import ssl
import subprocess

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from helpers import free_port

from buzon.mail.relay import RelayConfig, RelayUnavailable, SmtpRelay
from buzon.mail.sandbox import SandboxHandler

MESSAGE = b"From: a@helpdesk.test\r\nSubject: x\r\nMessage-ID: <t@helpdesk.test>\r\n\r\nx\r\n"
SENDER = "bounces+aaaaaaaaaaaaaaaa-bbbbbbbbbbbbbbbb@helpdesk.test"

pytestmark = pytest.mark.skipif(not shutil.which("openssl"), reason="needs openssl for a cert")


@pytest.fixture(scope="module")
def tls_context(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key),
         "-out", str(cert), "-days", "1", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
        check=True, capture_output=True,
    )  # fmt: skip
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        b"buzon", b"s3cret",
    )  # fmt: skip
    return AuthResult(success=ok, handled=False)


@pytest.fixture
def starttls_server(tls_context):
    handler = SandboxHandler(sink=True)
    controller = Controller(
        handler, hostname="127.0.0.1", port=free_port(), tls_context=tls_context,
        require_starttls=True, authenticator=authenticator, auth_required=True,
        auth_exclude_mechanism=["LOGIN"],
    )  # fmt: skip
    controller.start()
    yield controller, handler
    controller.stop()


def relay(port: int, **options) -> SmtpRelay:
    return SmtpRelay(RelayConfig(host="127.0.0.1", port=port, timeout=10, **options))


def test_starttls_and_auth(starttls_server):
    controller, handler = starttls_server
    good = relay(controller.port, security="starttls", user="buzon", password="s3cret",
                 tls_verify=False)  # fmt: skip
    assert good.send(SENDER, "ana@example.com", MESSAGE).outcome == "accepted"
    assert good.smtp.sock.version().startswith("TLS")
    good.close()
    assert handler.count == 1


def test_a_wrong_password_or_an_unverified_certificate_makes_the_relay_unavailable(
    starttls_server,
):
    controller, _ = starttls_server
    wrong = relay(controller.port, security="starttls", user="buzon", password="nope",
                  tls_verify=False)  # fmt: skip
    with pytest.raises(RelayUnavailable) as error:
        wrong.send(SENDER, "ana@example.com", MESSAGE)
    assert error.value.reply.code == 535
    unverified = relay(controller.port, security="starttls", user="buzon", password="s3cret")
    with pytest.raises(RelayUnavailable, match="CERTIFICATE_VERIFY_FAILED"):
        unverified.open()
    plain = relay(controller.port, user="buzon", password="s3cret")  # no STARTTLS
    with pytest.raises(RelayUnavailable):
        plain.open()


def test_implicit_tls(tls_context):
    handler = SandboxHandler(sink=True)
    controller = Controller(handler, hostname="127.0.0.1", port=free_port(),
                            ssl_context=tls_context)  # fmt: skip
    controller.start()
    try:
        client = relay(controller.port, security="tls", tls_verify=False)
        assert client.send(SENDER, "ana@example.com", MESSAGE).outcome == "accepted"
        client.close()
    finally:
        controller.stop()
    assert handler.count == 1
