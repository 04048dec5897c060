"""Finding people by address, and creating end users the way Zendesk does."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.db import IntegrityError, transaction

from buzon.api.errors import record_invalid
from buzon.tickets.models import Locale, Role, User, UserIdentity, normalize_email

_validate_email = EmailValidator()
LOCALES_BY_ZENDESK_ID = {1: Locale.EN, 2: Locale.ES}


def clean_email(value: str, field: str) -> str:
    address = normalize_email(value)
    try:
        _validate_email(address)
    except ValidationError:
        raise record_invalid(field, f"{value!r} is not a valid email address") from None
    if len(address) > 320:
        raise record_invalid(field, "an email address has at most 320 characters")
    return address


def user_by_email(address: str) -> User | None:
    """The user with this address among any of their identities (case-insensitive)."""
    identity = UserIdentity.objects.select_related("user").filter(value__lower=address).first()
    if identity is not None:
        return identity.user
    return User.objects.filter(email__lower=address).first()


def find_or_create_end_user(
    value: str, name: str = "", field: str = "requester", locale_id: int | None = None
) -> User:
    """The user with this address, or a new end user (as Zendesk does for a requester)."""
    address = clean_email(value, field)
    user = user_by_email(address)
    if user is not None:
        if not user.is_active:
            raise record_invalid(field, f"the user with {address} is inactive")
        return user
    extra = {}
    if locale_id is not None:
        if locale_id not in LOCALES_BY_ZENDESK_ID:
            raise record_invalid(
                f"{field}.locale_id", "locale_id must be 1 (English) or 2 (Spanish)"
            )
        extra["locale"] = LOCALES_BY_ZENDESK_ID[locale_id]
    name = " ".join((name or "").split())[:255]
    try:
        with transaction.atomic():
            return User.objects.create_user(address, name, role=Role.END_USER, **extra)
    except IntegrityError:  # created meanwhile by someone else
        user = user_by_email(address)
        if user is None:
            raise
        return user
