"""Who is calling: an API token (Zendesk's basic auth or a bearer token) or the session.

- `Authorization: Basic base64("{email}/token:{token}")`, as Zendesk's API tokens;
- `Authorization: Bearer {token}`, as Zendesk's OAuth access tokens (the same tokens);
- the browser's session cookie (then unsafe methods need the CSRF token, as any form).

Passwords are not accepted (Zendesk stopped accepting them too).

Token guessing is throttled like the sign-in page (django-axes, same counters): a
wrong token counts as a failed sign-in for the email it names (Basic) and for the
client address; while either is locked out, every token request from it is refused
with 429, even with a good token, until the lock-out ends or an admin lifts it.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import timedelta

from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.http import HttpRequest
from django.middleware.csrf import CsrfViewMiddleware
from django.utils import timezone

from buzon.api.errors import ApiError, unauthorized
from buzon.api.models import ApiToken
from buzon.tickets.models import Role, User

# last_used_at is written at most this often per token, not on every request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class Caller:
    user: User
    token: ApiToken | None
    method: str  # "token", "bearer" or "session"

    @property
    def is_agent(self) -> bool:
        return self.user.is_agent

    @property
    def is_admin(self) -> bool:
        return self.user.role == Role.ADMIN or self.user.is_superuser

    @property
    def rate_key(self) -> str:
        return f"token:{self.token.pk}" if self.token else f"user:{self.user.pk}"


def authenticate(request: HttpRequest) -> Caller:
    """The caller, or ApiError 401."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if header:
        scheme, _, credentials = header.strip().partition(" ")
        scheme = scheme.lower()
        if scheme == "basic":
            return _basic(request, credentials.strip())
        if scheme == "bearer":
            return _from_token(request, credentials.strip(), email=None, method="bearer")
        raise unauthorized("Unsupported authorization scheme; use Basic or Bearer")
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and user.is_active:
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            _check_csrf(request)
        return Caller(user=user, token=None, method="session")
    raise unauthorized()


def _basic(request: HttpRequest, credentials: str) -> Caller:
    try:
        decoded = base64.b64decode(credentials, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise unauthorized("Malformed basic credentials") from None
    username, colon, secret = decoded.partition(":")
    if not colon or not username.endswith("/token"):
        raise unauthorized(
            "Use an API token: '{email}/token' as the user name, the token as password"
        )
    return _from_token(request, secret, email=username[: -len("/token")], method="token")


def _from_token(request: HttpRequest, secret: str, email: str | None, method: str) -> Caller:
    attempt = {"username": email or ""}
    if not AxesProxyHandler.is_allowed(request, attempt):
        raise locked_out()
    token = ApiToken.find(secret)
    if token is None or (email is not None and email.strip().lower() != token.user.email.lower()):
        user_login_failed.send(sender=__name__, credentials=attempt, request=request)
        if getattr(request, "axes_locked_out", False):
            raise locked_out()
        raise unauthorized()
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return Caller(user=token.user, token=token, method=method)


def locked_out() -> ApiError:
    minutes = max(1, round(settings.AXES_COOLOFF_TIME.total_seconds() / 60))
    return ApiError(
        429,
        "TooManyFailedAttempts",
        f"Too many failed authentication attempts for this account or from this address: "
        f"refused for {minutes} minutes after the last attempt, or until an admin unlocks it.",
        headers={"Retry-After": str(int(settings.AXES_COOLOFF_TIME.total_seconds()))},
    )


def _check_csrf(request: HttpRequest) -> None:
    # Only the check is wanted: process_view calls neither get_response nor the view.
    rejected = CsrfViewMiddleware(lambda r: None).process_view(request, lambda r: None, (), {})  # type: ignore[arg-type,return-value]
    if rejected is not None:
        raise ApiError(403, "Forbidden", "CSRF check failed: send the X-CSRFToken header")
