"""Settings → Mailboxes: admins add, change and remove IMAP mailboxes; the password is
stored encrypted (Fernet, key derived from SECRET_KEY) and never shown again; a key
rotation with SECRET_KEY_FALLBACKS keeps it readable; agents cannot reach the page;
the delivery health page shows a mailbox whose connection fails."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from buzon.mail.inbound.mailboxes import (
    Health,
    Mailbox,
    Origin,
    configured,
    decrypt_password,
    parse_url,
    sync_settings_rows,
)

PASSWORD = "abcd efgh ijkl mnop"  # a Google app password's shape

FORM = {
    "host": "imap.gmail.com",
    "security": "tls",
    "port": "",
    "username": "support@example.com",
    "password": PASSWORD,
    "folder": "INBOX",
    "processed": "Buzon",
    "address": "",
    "tls_verify": "on",
    "enabled": "on",
}


@pytest.fixture
def added(admin_client) -> Mailbox:
    response = admin_client.post("/settings/mailboxes/", FORM)
    assert response.status_code == 302
    return Mailbox.objects.get()


def test_an_admin_adds_a_mailbox_whose_password_is_stored_encrypted(admin_client, added):
    assert added.key == "imaps://support@example.com@imap.gmail.com:993/INBOX"
    assert (added.origin, added.port, added.processed) == (Origin.ADMIN, 993, "Buzon")
    assert PASSWORD not in added.password_encrypted
    assert decrypt_password(added.password_encrypted) == (PASSWORD, None)
    page = admin_client.get("/settings/mailboxes/").content.decode()
    assert added.key in page and PASSWORD not in page and added.password_encrypted not in page
    [(row, config, problem)] = configured()
    assert (row.pk, config.password, problem) == (added.pk, PASSWORD, "")


def test_editing_without_a_password_keeps_it_and_removing_deletes(admin_client, added):
    token = added.password_encrypted
    form = {**FORM, "password": "", "processed": "flag"}
    assert admin_client.post(f"/settings/mailboxes/{added.pk}/", form).status_code == 302
    added.refresh_from_db()
    assert added.processed == "flag" and added.password_encrypted == token
    assert PASSWORD not in admin_client.get(f"/settings/mailboxes/{added.pk}/").content.decode()
    assert admin_client.post(f"/settings/mailboxes/{added.pk}/delete/").status_code == 302
    assert not Mailbox.objects.exists()


def test_a_new_mailbox_needs_a_password_and_may_not_repeat_another(admin_client, added):
    response = admin_client.post("/settings/mailboxes/", {**FORM, "password": ""})
    assert response.status_code == 200 and Mailbox.objects.count() == 1
    response = admin_client.post("/settings/mailboxes/", FORM)
    assert "already configured" in response.content.decode()
    assert Mailbox.objects.count() == 1


def test_agents_and_strangers_cannot_reach_the_settings(client, agent, added):
    client.logout()  # `added` was made by the admin on this client
    assert client.get("/settings/mailboxes/").status_code == 302  # to the sign-in page
    client.force_login(agent)
    assert client.get("/settings/mailboxes/").status_code == 403
    assert client.post("/settings/mailboxes/", {**FORM, "host": "evil.example"}).status_code == 403
    assert client.post(f"/settings/mailboxes/{added.pk}/delete/").status_code == 403
    assert Mailbox.objects.count() == 1


def test_mailboxes_from_the_environment_are_shown_but_not_editable(admin_client, settings):
    settings.IMAP_MAILBOXES = ["imaps://help%40example.org:s3cret@imap.example.org/INBOX"]
    [(row, config, _)] = configured()
    assert row.origin == Origin.SETTINGS and config.username == "help@example.org"
    page = admin_client.get("/settings/mailboxes/").content.decode()
    assert row.key in page and "s3cret" not in page
    assert admin_client.get(f"/settings/mailboxes/{row.pk}/").status_code == 404


def test_a_rotated_secret_key_still_reads_the_password_and_re_encrypts_it(settings, added):
    old = settings.SECRET_KEY
    settings.SECRET_KEY = "a-brand-new-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"
    settings.SECRET_KEY_FALLBACKS = [old]
    [(row, config, problem)] = configured()
    assert (config.password, problem) == (PASSWORD, "")
    row.refresh_from_db()
    assert row.password_encrypted != added.password_encrypted  # now under the new key
    settings.SECRET_KEY_FALLBACKS = []
    assert decrypt_password(row.password_encrypted) == (PASSWORD, None)


def test_a_password_whose_key_is_gone_stops_that_mailbox_with_a_clear_reason(settings, added):
    settings.SECRET_KEY = "another-secret-key-entirely-0123456789-abcdefghijklmnopqrstuv"
    settings.SECRET_KEY_FALLBACKS = []
    [(_row, config, problem)] = configured()
    assert config is None and "Enter the password again" in problem


def test_the_health_page_shows_a_failing_mailbox_and_its_next_try(admin_client, db):
    config = parse_url("imaps://support%40example.com:x@imap.example.com/INBOX")
    row = sync_settings_rows([config])[config.key]
    now = timezone.now()
    Mailbox.objects.filter(pk=row.pk).update(
        health=Health.FAILING, failures=3, last_error="Login refused: [AUTHENTICATIONFAILED]",
        last_error_at=now, next_attempt_at=now + timedelta(seconds=20),
    )  # fmt: skip
    page = admin_client.get("/health/").content.decode()
    assert "Mailboxes (IMAP)" in page and row.key in page
    assert "Login refused: [AUTHENTICATIONFAILED]" in page and "3 failures in a row" in page


def test_the_health_page_has_no_mailbox_block_without_mailboxes(admin_client):
    assert "Mailboxes (IMAP)" not in admin_client.get("/health/").content.decode()


@pytest.mark.parametrize(
    ("url", "error"),
    [
        ("pop3://u:p@h/INBOX", "scheme"),
        ("imaps://:p@h/INBOX", "user"),
        ("imaps://u:p@/INBOX", "host"),
        ("imaps://u:p@h/INBOX?move=x", "unknown parameter"),
    ],
)
def test_a_bad_mailbox_url_says_what_is_wrong(url, error):
    from buzon.mail.inbound.mailboxes import InvalidMailboxUrl

    with pytest.raises(InvalidMailboxUrl, match=error):
        parse_url(url)


def test_mailbox_urls_take_the_documented_options():
    config = parse_url(
        "imap://support@example.com:p%2Cw@mail.example.com/Soporte?processed=flag&tls=none"
    )
    assert (config.username, config.password, config.host, config.port) == (
        "support@example.com", "p,w", "mail.example.com", 143,
    )  # fmt: skip
    assert (config.security, config.folder, config.processed_action) == ("none", "Soporte", "flag")
    assert parse_url("imap://u:p@h/").security == "starttls"
    assert parse_url("imaps://u:p@h").folder == "INBOX"
