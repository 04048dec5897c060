"""A relay that refuses the connection (a real closed port): the retry and the failure
are worded by the glossary in the reader's language, apart from the servers' words,
and name our relay as the relay."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from helpers import free_port

from buzon.deliveries import causes
from buzon.deliveries.models import Delivery
from buzon.deliveries.recording import Failure, record_failure
from buzon.mail.relay import RelayConfig, SmtpRelay
from buzon.mail.worker import Worker
from buzon.tickets.models import Role, User, Via
from buzon.tickets.services import CommentInput, create_ticket
from buzon.workspace import glossary

WORDS = {
    "en": {
        "retrying": "Delayed for Ana Cliente, retrying. Last attempt: No server replied: "
        "our mail relay refused the connection",
        "failed": "Failed to deliver to Ana Cliente: gave up retrying. Last attempt: "
        "No server replied: our mail relay refused the connection",
        "relay": "Our mail relay",
        "not reached": "not reached: the message did not get past our mail relay",
        "detail": "Technical detail",
    },
    "es": {
        "retrying": "Retrasado para Ana Cliente, reintentando. Último intento: Ningún servidor "
        "respondió: nuestro relé de correo rechazó la conexión",
        "failed": "No se pudo entregar a Ana Cliente: se dejó de reintentar. Último intento: "
        "Ningún servidor respondió: nuestro relé de correo rechazó la conexión",
        "relay": "Nuestro relé de correo",
        "not reached": "no se llegó a él: el mensaje no pasó de nuestro relé de correo",
        "detail": "Detalle técnico",
    },
}
OUR_OLD_ENGLISH = ("could not connect", "relay", "Connection refused", "ConnectionRefused")
_SERVER_BOX = re.compile(r'<pre class="diagnostic">(.*?)</pre>', re.S)


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).replace("&lt;", "<").split())


def _server_boxes(html: str) -> list[str]:
    return _SERVER_BOX.findall(html)


def _worker_against_a_closed_port() -> Worker:
    port = free_port()  # bound, then closed: nothing listens there
    relay = SmtpRelay(RelayConfig(host="127.0.0.1", port=port, timeout=5))
    return Worker(transport=relay, poll=0.05, relay_wait=0)


@pytest.mark.parametrize("language", ["en", "es"])
def test_a_refused_connection_is_worded_in_the_readers_language(db, language):
    agent = User.objects.create_user(
        "alicia@helpdesk.test", "Alicia Agente", role=Role.AGENT, locale=language
    )
    ana = User.objects.create_user("ana@example.com", "Ana Cliente")
    ticket = create_ticket(
        actor=agent,
        via=Via.WEB,
        fields={"subject": "Tu pedido", "requester_id": ana.pk},
        comment=CommentInput(body="Hola, te escribimos por tu pedido."),
    )
    client = Client()
    client.force_login(agent)
    words = WORDS[language]

    _worker_against_a_closed_port().run(until_idle=True)
    delivery = Delivery.objects.get(ticket=ticket)
    assert (delivery.state, delivery.cause, delivery.diagnostic) == ("deferred", "refused", "")
    page = client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert words["retrying"] in _text(page)
    assert _server_boxes(page) == []

    # The next try falls after the end of the retry period: it fails as expired.
    Delivery.objects.filter(pk=delivery.pk).update(
        next_attempt_at=timezone.now(), expires_at=timezone.now() + timedelta(seconds=5)
    )
    _worker_against_a_closed_port().run(until_idle=True)
    delivery.refresh_from_db()
    assert (delivery.state, delivery.failure_source, delivery.cause) == (
        "failed",
        "expired",
        "refused",
    )
    assert delivery.diagnostic == "" and delivery.remote_mta == "127.0.0.1"
    for url in (f"/tickets/{ticket.pk}/", f"/tickets/{ticket.pk}/?log=events"):
        page = client.get(url).content.decode()
        text = _text(page)
        assert words["failed"] in text, url
        assert f"{words['relay']}: 127.0.0.1" in text or words["relay"] in text, url
        assert words["not reached"] in text, url
        assert words["detail"] in text and "ConnectionRefusedError" in text, url
        # No server said anything: no server's box, so none with words of ours.
        boxes = _server_boxes(page)
        assert not [b for b in boxes if any(w in b for w in OUR_OLD_ENGLISH)], url
    if language == "es":
        spanish = _text(client.get(f"/tickets/{ticket.pk}/").content.decode())
        for english in ("No server replied", "mail relay", "gave up", "Technical detail"):
            assert english not in spanish


@pytest.mark.parametrize("language", ["en", "es"])
def test_a_copy_stored_with_our_old_english_is_shown_in_the_glossarys_words(db, language):
    agent = User.objects.create_user(
        "alicia@helpdesk.test", "Alicia Agente", role=Role.AGENT, locale=language
    )
    ana = User.objects.create_user("ana@example.com", "Ana Cliente")
    ticket = create_ticket(
        actor=agent,
        via=Via.WEB,
        fields={"subject": "Tu pedido", "requester_id": ana.pk},
        comment=CommentInput(body="Hola."),
    )
    old = "could not connect to the relay localhost:2525: [Errno 111] Connection refused"
    failure = Failure("expired", None, "", old, "", "expired", False, blame="transient")
    assert record_failure(Delivery.objects.get(ticket=ticket), failure)
    client = Client()
    client.force_login(agent)
    for url in (f"/tickets/{ticket.pk}/", f"/tickets/{ticket.pk}/?log=events"):
        page = client.get(url).content.decode()
        assert WORDS[language]["failed"] in _text(page), url
        assert "localhost" in _text(page)
        assert not [b for b in _server_boxes(page) if "could not connect" in b], url


@pytest.mark.parametrize(
    ("old", "cause", "words"),
    [
        ("could not connect to the relay mx:25: timed out", causes.TIMEOUT, ""),
        ("could not connect to the relay mx:25: [Errno -2] Name or service not known", "dns", ""),
        ("connection to the relay lost at RCPT: Connection unexpectedly closed", "closed", ""),
        ("relay mx:25 refused us: 554 no thanks", causes.RELAY_REFUSED, "554 no thanks"),
        ("451 4.7.1 the relay refused our sender: not you", causes.SENDER_REFUSED, "not you"),
        ("internal error: KeyError: 'x'", causes.INTERNAL, ""),
        ("550 5.1.1 <a@b.example>: User unknown", "", "550 5.1.1 <a@b.example>: User unknown"),
    ],
)
def test_old_texts_are_taken_apart(old, cause, words):
    stored = causes.as_stored("", "", old, "", "", has_codes=False)
    assert (stored.cause, stored.diagnostic) == (cause, words)
    if cause:
        assert glossary.cause_label(cause) != cause


def test_an_email_that_could_not_be_built_says_so_in_spanish():
    from django.utils import translation

    from buzon.workspace.delivery_summary import RecipientStatus

    unbuilt = RecipientStatus(
        email="a@b.example",
        name="Ana",
        state="failed",
        failure_source="invalid",
        cause="unbuildable",
        cause_detail="KeyError: 'subject'",
    )
    with translation.override("es"):
        assert glossary.headline(unbuilt) == (
            "No enviado a Ana: No se pudo generar el correo (un error nuestro)"
        )
        assert glossary.server_lines(unbuilt) == []
    old = "Not sent: the email could not be built (no template)."
    assert causes.as_stored("", "", old, "", "", has_codes=False).cause == "unbuildable"


def test_the_migration_reads_the_cause_out_of_stored_copies(db):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("buzon.deliveries.migrations.0005_delivery_cause")
    agent = User.objects.create_user("alicia@helpdesk.test", "Alicia Agente", role=Role.AGENT)
    ana = User.objects.create_user("ana@example.com", "Ana Cliente")
    bea = User.objects.create_user("bea@example.com", "Bea")
    ticket = create_ticket(
        actor=agent,
        via=Via.WEB,
        fields={"subject": "Tu pedido", "requester_id": ana.pk, "email_cc_ids": [bea.pk]},
        comment=CommentInput(body="Hola."),
    )
    old = "could not connect to the relay localhost:2525: [Errno 111] Connection refused"
    Delivery.objects.filter(ticket=ticket, email="ana@example.com").update(
        state="deferred", last_error=old
    )
    said = "550 5.1.1 <bea@example.com>: User unknown"
    Delivery.objects.filter(ticket=ticket, email="bea@example.com").update(
        state="failed", diagnostic=said, reply_code=550
    )
    migration.read_old_causes(apps, None)
    retried = Delivery.objects.get(ticket=ticket, email="ana@example.com")
    assert (retried.cause, retried.remote_mta, retried.diagnostic) == ("refused", "localhost", "")
    assert retried.last_error == retried.cause_detail == "[Errno 111] Connection refused"
    refused = Delivery.objects.get(ticket=ticket, email="bea@example.com")
    assert (refused.cause, refused.diagnostic) == ("", said)  # a server's words: untouched
