"""Who is trying to sign in, for sign-in throttling (django-axes, see settings).

An account is counted by its email address in lower case ("Ana@X" and "ana@x" are one
account, as email identities are), so changing the case does not buy more guesses.

A client is counted by its address. Without a proxy in front, that is the TCP peer
(REMOTE_ADDR). In HTTPS mode Buzón runs behind a TLS-terminating reverse proxy, so
every request comes from the proxy: the client is then the last address in
X-Forwarded-For — the one the proxy itself appended (nginx's
`$proxy_add_x_forwarded_for`, Caddy and HAProxy do the same). Addresses before it
were written by the client and are not trusted.
"""

from __future__ import annotations

import functools
from typing import Any

from axes.attempts import get_cool_off_threshold
from axes.backends import AxesStandaloneBackend
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_parameters, get_client_username
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import HttpRequest

from buzon.tickets.models import User
from buzon.tickets.prepared import RowQuery

USER_BY_ID = RowQuery(lambda: User.objects.all(), '"tickets_user"."id" = %s')


def username(request: HttpRequest | None, credentials: dict | None) -> str:
    value = (credentials or {}).get("username")
    if value is None and request is not None:
        value = request.POST.get("username") if request.method == "POST" else None
    return str(value or "").strip().lower()[:320]


def client_ip(request: HttpRequest) -> str:
    remote = request.META.get("REMOTE_ADDR", "")
    if settings.HTTPS:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        last = forwarded.rsplit(",", 1)[-1].strip()
        if last:
            return last[:64]
    return remote


def lockout_parameters(request: HttpRequest | None, credentials: dict | None) -> list[str]:
    """Count failures per account and per client address; a request that names no
    account (a Bearer token) only per address, so that such failures from everywhere
    never add up to one lock-out of "nobody" that would refuse every Bearer client."""
    if username(request, credentials):
        return ["username", "ip_address"]
    return ["ip_address"]


class ThrottlingBackend(AxesStandaloneBackend):
    """django-axes' check, for sign-ins that come with a request (every web sign-in
    does). Code that checks a password without one (a management command, a script)
    has no client to throttle, and is left to the next backend."""

    def authenticate(self, request: HttpRequest | None, *args: Any, **kwargs: Any) -> None:
        if request is None:
            return None
        return super().authenticate(request, *args, **kwargs)


class AccountBackend(ModelBackend):
    """Django's ModelBackend (passwords, permissions), reading the signed-in user of
    each request with a query compiled once (`tickets.prepared`)."""

    def get_user(self, user_id: Any) -> User | None:
        try:
            pk = User._meta.pk.to_python(user_id)
        except ValidationError:
            return None
        user = USER_BY_ID.get(pk)
        return user if user is not None and self.user_can_authenticate(user) else None


class DatabaseHandler(AxesDatabaseHandler):
    """django-axes' database handler, counting failures for all the lock-out parameters
    (the account, the client address) in one statement instead of one each, and with
    SQL written once: the API asks on every token request."""

    def get_failures(self, request: HttpRequest, credentials: dict | None = None) -> int:
        parameters = get_client_parameters(
            get_client_username(request, credentials),
            # Both set on the request by axes' middleware, which django-stubs cannot know.
            request.axes_ip_address,  # type: ignore[attr-defined]
            request.axes_user_agent,  # type: ignore[attr-defined]
            request,
            credentials,
        )
        if not parameters:
            return 0
        # The SQL is written once per shape of the parameters (which names, which of
        # them are missing): the ORM would build it anew on every token request.
        shape = tuple(tuple((name, value is None) for name, value in p.items()) for p in parameters)
        # Each value as the ORM would send it (on PostgreSQL an empty client address
        # is no inet: it becomes NULL, which matches nothing, as the ORM's filter did).
        values = [
            _prepared(name, value)
            for p in parameters
            for name, value in p.items()
            if value is not None
        ]
        threshold = connection.ops.adapt_datetimefield_value(get_cool_off_threshold(request))
        with connection.cursor() as cursor:
            cursor.execute(_failures_sql(shape, connection.vendor), [*values, *values, threshold])
            counts = cursor.fetchone()
        return max(value or 0 for value in counts)


def _prepared(name: str, value: Any) -> Any:
    return AccessAttempt._meta.get_field(name).get_db_prep_value(value, connection)


@functools.cache
def _failures_sql(shape: tuple[tuple[tuple[str, bool], ...], ...], vendor: str) -> str:
    """SELECT, for each set of lock-out parameters, the failures of the attempts that
    match it, among the attempts within the cool-off time that match any of them."""
    quote = connection.ops.quote_name
    meta = AccessAttempt._meta

    def column(name: str) -> str:
        return quote(meta.get_field(name).column)

    conditions = [
        " AND ".join(f"{column(n)} IS NULL" if null else f"{column(n)} = %s" for n, null in names)
        for names in shape
    ]
    failures = column("failures_since_start")
    sums = ", ".join(f"SUM(CASE WHEN {c} THEN {failures} ELSE 0 END)" for c in conditions)
    matches = " OR ".join(f"({c})" for c in conditions)
    return (
        f"SELECT {sums} FROM {quote(meta.db_table)} "
        f"WHERE ({matches}) AND {column('attempt_time')} >= %s"
    )
