"""Admins list received mail, see why a message failed, download its raw bytes and
replay it."""

from __future__ import annotations

from inboundmail import process_all

from buzon.mail.inbound import store
from buzon.mail.inbound.models import InboundMessage

HOSTILE = (
    b"From: x@example.org\r\nSubject: <script>alert(1)</script>\r\n"
    + b"X-Many: v\r\n" * 1500
    + b"\r\nbody <img src=x onerror=alert(2)>\r\n"
)


def test_errors_are_listed_shown_escaped_downloadable_and_replayable(admin_client):
    row = store.store(HOSTILE, "x@example.org", ["support@helpdesk.test"])
    process_all()
    row.refresh_from_db()
    assert row.state == "error" and "header fields" in row.error
    listing = admin_client.get("/admin/mail/inboundmessage/?state__exact=error")
    assert listing.status_code == 200 and b"x@example.org" in listing.content
    page = admin_client.get(f"/admin/mail/inboundmessage/{row.pk}/change/")
    assert page.status_code == 200
    assert b"<script>alert(1)</script>" not in page.content
    assert b"&lt;script&gt;" in page.content and b"header fields" in page.content
    raw = admin_client.get(f"/admin/mail/inboundmessage/{row.pk}/raw/")
    assert raw["Content-Type"] == "application/octet-stream"
    assert "attachment" in raw["Content-Disposition"] and raw.content == HOSTILE
    response = admin_client.post(
        "/admin/mail/inboundmessage/",
        {"action": "replay_selected", "_selected_action": [row.pk]},
        follow=True,
    )
    assert b"1 message(s) back in the queue" in response.content
    assert InboundMessage.objects.get(pk=row.pk).state == "received"


def test_unmatched_bounces_have_their_own_list(admin_client):
    raw = b"From: MAILER-DAEMON@mx.example\r\nSubject: failure\r\n\r\nsomething\r\n"
    store.store(raw, "", ["support@helpdesk.test"])
    process_all()
    page = admin_client.get("/admin/mail/unmatchedbounce/")
    assert page.status_code == 200 and b"mailer-daemon@mx.example" in page.content


def test_agents_and_anonymous_users_cannot_read_raw_mail(client, agent):
    row = store.store(HOSTILE, "x@example.org", ["support@helpdesk.test"])
    assert client.get(f"/admin/mail/inboundmessage/{row.pk}/raw/").status_code == 302
    client.force_login(agent)
    assert client.get(f"/admin/mail/inboundmessage/{row.pk}/raw/").status_code in (302, 403)
