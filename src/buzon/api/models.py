"""API tokens: the `{email}/token:{token}` credentials of Zendesk's API, per user.

Only a SHA-256 digest of each token is stored; the token itself is shown once, when
it is created (`buzon create_api_token EMAIL`, or the API tokens page).
"""

from __future__ import annotations

import hashlib
import secrets
import string

from django.conf import settings
from django.db import models
from django.utils import timezone

from buzon.tickets.prepared import RowQuery

TOKEN_ALPHABET = string.ascii_letters + string.digits
TOKEN_LENGTH = 40  # like Zendesk's: 40 letters and digits, about 238 bits
PREFIX_LENGTH = 6


def new_token() -> str:
    return "".join(secrets.choice(TOKEN_ALPHABET) for _ in range(TOKEN_LENGTH))


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def active(self) -> ApiTokenQuerySet:
        return self.filter(revoked_at__isnull=True, user__is_active=True)


class ApiToken(models.Model):
    """One API token of one user. Revoked tokens stay listed (revoked_at is set)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    description = models.CharField(max_length=255, blank=True)
    prefix = models.CharField(
        max_length=PREFIX_LENGTH, help_text="The first characters, to recognise a token."
    )
    digest = models.CharField(max_length=64, unique=True, help_text="SHA-256 of the token.")
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    @classmethod
    def create_for(
        cls, user: models.Model, description: str = "", created_by: models.Model | None = None
    ) -> tuple[ApiToken, str]:
        """A new token for `user`: the row, and the token itself (shown once, never stored)."""
        token = new_token()
        row = cls.objects.create(
            user=user,
            description=description.strip()[:255],
            prefix=token[:PREFIX_LENGTH],
            digest=token_digest(token),
            created_by=created_by,
        )
        return row, token

    @classmethod
    def find(cls, token: str) -> ApiToken | None:
        """The active token with this value, or None."""
        if not token or len(token) > 200:
            return None
        return ACTIVE_TOKEN_BY_DIGEST.get(token_digest(token))

    def revoke(self) -> None:
        if self.revoked_at is None:
            self.revoked_at = timezone.now()
            self.save(update_fields=["revoked_at"])


# Asked on every token request: compiled once (digests are unique, so no ordering).
ACTIVE_TOKEN_BY_DIGEST = RowQuery(
    lambda: ApiToken.objects.select_related("user"),
    '"api_apitoken"."digest" = %s AND "api_apitoken"."revoked_at" IS NULL'
    ' AND "tickets_user"."is_active"',
)
