"""What every signed-in request reads: the session and the user, one statement each
(buzon.core.sessions, buzon.core.signin.AccountBackend), and the checks that end a
session still end it."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import BACKEND_SESSION_KEY
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from buzon.tickets.models import Role, User

PASSWORD = "correct-horse-battery"


def signed_in_agent(db, email: str = "ana@helpdesk.test") -> tuple[User, Client]:
    user = User.objects.create_user(email, "Ana Agent", password=PASSWORD, role=Role.AGENT)
    client = Client()
    assert client.post("/login/", {"username": email, "password": PASSWORD}).status_code == 302
    return user, client


def is_signed_in(client: Client) -> bool:
    return client.get("/preferences/").status_code == 200


def test_a_signed_in_request_reads_the_session_and_the_user_once_each(db):
    _, client = signed_in_agent(db)
    with CaptureQueriesContext(connection) as captured:
        assert client.get("/favicon.ico").status_code == 301
    tables = [q["sql"].split(" FROM ")[1].split()[0].strip('"') for q in captured]
    assert tables == ["django_session", "tickets_user"]


def test_the_user_is_the_one_signed_in_with_every_field(db):
    user, client = signed_in_agent(db)
    User.objects.filter(pk=user.pk).update(locale="es", time_zone="Europe/Madrid")
    response = client.get("/preferences/")
    assert response.wsgi_request.user == user
    assert response.wsgi_request.user.locale == "es"
    assert response.wsgi_request.user.time_zone == "Europe/Madrid"
    assert response.wsgi_request.user.is_active is True
    assert response.wsgi_request.user.created_at == User.objects.get(pk=user.pk).created_at


def test_signing_out_ends_the_session(db):
    _, client = signed_in_agent(db)
    assert is_signed_in(client)
    cookie = client.cookies["sessionid"].value
    client.post("/logout/")
    client.cookies["sessionid"] = cookie  # replaying the old cookie does not work
    assert not is_signed_in(client)


def test_an_expired_session_is_not_read(db):
    _, client = signed_in_agent(db)
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))
    assert not is_signed_in(client)


def test_a_deactivated_user_is_signed_out(db):
    user, client = signed_in_agent(db)
    User.objects.filter(pk=user.pk).update(is_active=False)
    assert not is_signed_in(client)


def test_a_password_change_elsewhere_ends_the_session(db):
    user, client = signed_in_agent(db)
    user.set_password("another-long-passphrase")
    user.save()
    assert not is_signed_in(client)


def test_a_session_signed_in_through_djangos_model_backend_stays_signed_in(db):
    _, client = signed_in_agent(db)
    store = client.session
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store.save()
    assert is_signed_in(client)


def test_a_session_naming_an_unknown_backend_is_not_signed_in(db):
    _, client = signed_in_agent(db)
    store = client.session
    store[BACKEND_SESSION_KEY] = "somewhere.else.Backend"
    store.save()
    assert not is_signed_in(client)
