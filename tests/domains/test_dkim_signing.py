"""DKIM: every email Buzón builds is signed once with the support domain's key, and
independent verifiers (Perl's Mail::DKIM, and dkimpy, asking a real DNS server for
the key we told the admin to publish) accept it — and refuse it once it is tampered
with."""

from __future__ import annotations

import re

import pytest
from domainhelpers import needs_mail_dkim, send_queued, verify, verify_with_dkimpy

from buzon.deliveries.models import Delivery, EmailNotification
from buzon.domains import dkimkeys
from buzon.domains.checks import Setup, check_dkim
from buzon.domains.lookup import Lookup
from buzon.domains.models import DkimKey, KeyState
from buzon.tickets.models import Via
from buzon.tickets.services import CommentInput, update_ticket

pytestmark = [pytest.mark.django_db, needs_mail_dkim]

SUPPORT_DOMAIN = "helpdesk.test"  # the domain of BUZON_SUPPORT_ADDRESS in the tests


def publish(dns_server, *keys: DkimKey, extra: str = ""):
    """Serve helpdesk.test with the records `buzon dkim generate` prints, pasted as they are."""
    lines = "\n".join(dkimkeys.record_for(k).zone_line() for k in keys)
    return dns_server(
        {SUPPORT_DOMAIN: f"@ MX 10 mx.helpdesk.test.\nmx A 192.0.2.25\n{lines}\n{extra}"}
    )


def latest_raw() -> bytes:
    return EmailNotification.objects.latest("id").raw_message.encode("ascii")


def tamper_body(raw: bytes) -> bytes:
    head, body = raw.split(b"\r\n\r\n", 1)
    return head + b"\r\n\r\n" + body.replace(b"Hola", b"Adi=C3=B3s", 1)


def test_a_signed_notification_verifies_and_a_tampered_one_does_not(ticket, agent, dns_server):
    key = dkimkeys.generate(SUPPORT_DOMAIN, selector="sel1", activate=True)
    server = publish(dns_server, key)
    update_ticket(ticket, actor=agent, via=Via.WEB, comment=CommentInput(body="Hola Ana"))
    raw = latest_raw()

    assert raw.count(b"DKIM-Signature:") == 1
    assert re.search(rb"d=helpdesk\.test;", raw) and b"s=sel1;" in raw
    result, signatures = verify(raw, server.address)
    assert result == "pass", signatures
    assert signatures == ["signature pass d=helpdesk.test s=sel1 pass"]
    assert verify_with_dkimpy(raw, server.address)  # and a second implementation agrees
    assert not verify_with_dkimpy(tamper_body(raw), server.address)

    assert verify(tamper_body(raw), server.address)[0] == "fail"
    assert verify(raw.replace(b"Subject: ", b"Subject: Re: ", 1), server.address)[0] == "fail"
    # Over-signing: a second From (or a Cc added on the way) breaks the signature too.
    extra_from = raw.replace(b"\r\n\r\n", b"\r\nFrom: ceo@helpdesk.test\r\n\r\n", 1)
    assert verify(extra_from, server.address)[0] == "fail"
    added_cc = raw.replace(b"\r\n\r\n", b"\r\nCc: spy@example.org\r\n\r\n", 1)
    assert verify(added_cc, server.address)[0] == "fail"


def test_a_signature_made_with_a_key_that_is_not_published_does_not_verify(
    ticket, agent, dns_server
):
    published = dkimkeys.generate(SUPPORT_DOMAIN, selector="old")
    signing = dkimkeys.generate(SUPPORT_DOMAIN, selector="sel2", activate=True)
    # The DNS holds another key under the selector we sign with.
    swapped = (
        dkimkeys.record_for(published).zone_line().replace("old._domainkey", "sel2._domainkey")
    )
    server = dns_server({SUPPORT_DOMAIN: swapped})
    update_ticket(ticket, actor=agent, via=Via.WEB, comment=CommentInput(body="Hola"))
    assert b"s=sel2;" in latest_raw()
    assert verify(latest_raw(), server.address)[0] == "fail"
    assert signing.state == KeyState.ACTIVE


def test_every_recipient_gets_the_same_signed_bytes(ticket, agent, dns_server, sink):
    """Signed once per email in the web transaction, not per recipient at send time."""
    key = dkimkeys.generate(SUPPORT_DOMAIN, selector="sel3", activate=True)
    server = publish(dns_server, key)
    sink.handler.received.clear()
    update_ticket(ticket, actor=agent, via=Via.WEB, comment=CommentInput(body="Hola a todos"))
    email = EmailNotification.objects.latest("id")
    send_queued(sink)
    copies = [r for r in sink.handler.received if r.message_id == email.message_id]
    assert len(copies) == email.deliveries.count() == 3
    signatures = {
        re.search(rb"DKIM-Signature:.*?(?=\r\n\S)", c.data, re.S).group(0) for c in copies
    }
    assert len(signatures) == 1
    for copy in copies:
        assert verify(copy.data, server.address)[0] == "pass"


def test_a_new_key_signs_only_once_its_record_is_published(ticket, agent, dns_server):
    key = dkimkeys.generate(SUPPORT_DOMAIN, selector="sel4")
    assert key.state == KeyState.PENDING
    update_ticket(ticket, actor=agent, via=Via.WEB, comment=CommentInput(body="Hola 1"))
    assert b"DKIM-Signature" not in latest_raw()  # never sign with a key nobody can find

    dns_server({SUPPORT_DOMAIN: "@ MX 10 mx.helpdesk.test.\nmx A 192.0.2.25"})
    result = check_dkim(Lookup(), Setup.from_settings())
    assert result.status == "fail" and result.records == [dkimkeys.record_for(key)]
    key.refresh_from_db()
    assert key.state == KeyState.PENDING

    server = publish(dns_server, key)
    result = check_dkim(Lookup(), Setup.from_settings())
    assert result.status == "pass"
    key.refresh_from_db()
    assert key.state == KeyState.ACTIVE and key.seen_published_at is not None
    update_ticket(ticket, actor=agent, via=Via.WEB, comment=CommentInput(body="Hola 2"))
    assert verify(latest_raw(), server.address)[0] == "pass"


def test_a_new_key_replaces_the_old_one_once_published(ticket, agent, dns_server):
    old = dkimkeys.generate(SUPPORT_DOMAIN, selector="jan", activate=True)
    new = dkimkeys.generate(SUPPORT_DOMAIN, selector="feb")
    publish(dns_server, old)
    assert check_dkim(Lookup(), Setup.from_settings()).status == "pass"  # old still signs
    new.refresh_from_db()
    assert new.state == KeyState.PENDING
    server = publish(dns_server, old, new)
    assert check_dkim(Lookup(), Setup.from_settings()).status == "pass"
    old.refresh_from_db()
    new.refresh_from_db()
    assert (old.state, new.state) == (KeyState.RETIRED, KeyState.ACTIVE)
    update_ticket(ticket, actor=agent, via=Via.WEB, comment=CommentInput(body="Hola"))
    result, signatures = verify(latest_raw(), server.address)
    assert result == "pass" and signatures[0].startswith("signature pass d=helpdesk.test s=feb")


def test_the_private_key_is_stored_encrypted_and_a_lost_secret_sends_unsigned(
    ticket, agent, settings
):
    key = dkimkeys.generate(SUPPORT_DOMAIN, selector="sel5", activate=True)
    stored = DkimKey.objects.get(pk=key.pk).private_key_encrypted
    assert "PRIVATE KEY" not in stored and "MII" not in stored
    assert b"BEGIN RSA PRIVATE KEY" in dkimkeys.decrypt_private_key(stored)

    original = settings.SECRET_KEY
    settings.SECRET_KEY = "another-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"
    dkimkeys._private_key.cache_clear()
    update_ticket(ticket, actor=agent, via=Via.WEB, comment=CommentInput(body="Hola"))
    email = EmailNotification.objects.latest("id")
    assert not email.build_error and b"DKIM-Signature" not in latest_raw()
    assert set(
        Delivery.objects.filter(email_notification=email).values_list("state", flat=True)
    ) == {"queued"}
    # The old secret as a fallback decrypts it again (rotation).
    settings.SECRET_KEY_FALLBACKS = [original]
    dkimkeys._private_key.cache_clear()
    assert b"BEGIN RSA PRIVATE KEY" in dkimkeys.decrypt_private_key(stored)
