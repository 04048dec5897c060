"""The session store (SESSION_ENGINE): Django's database sessions, read with one
query compiled once per process instead of by the ORM on every request."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import BACKEND_SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone

from buzon.tickets.prepared import RowQuery

SESSION_BY_KEY = RowQuery(
    lambda: Session.objects.all(),
    '"django_session"."session_key" = %s AND "django_session"."expire_date" > %s',
)

# Sessions signed in before the account backend replaced Django's ModelBackend name
# it; they stay signed in (the account backend is a ModelBackend).
LEGACY_BACKENDS = {"django.contrib.auth.backends.ModelBackend": "buzon.core.signin.AccountBackend"}


class SessionStore(DatabaseSessionStore):
    def _get_session_from_db(self) -> Session | None:
        session = SESSION_BY_KEY.get(self.session_key, timezone.now())
        if session is None:
            self._session_key = None
        return session

    def load(self) -> dict[str, Any]:
        data = super().load()
        backend = data.get(BACKEND_SESSION_KEY)
        if backend in LEGACY_BACKENDS:
            data[BACKEND_SESSION_KEY] = LEGACY_BACKENDS[backend]
        return data
