"""`buzon create_api_token EMAIL`: print a new API token for that user."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from buzon.api.models import ApiToken
from buzon.tickets.models import User, UserIdentity, normalize_email


class Command(BaseCommand):
    help = (
        "Create an API token for the user with this email and print it. Use it as "
        "HTTP basic auth '{email}/token:{token}' (as with Zendesk) or as a Bearer token."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email")
        parser.add_argument("--description", default="", help="What the token is for.")

    def handle(self, *args: Any, email: str, description: str, **options: Any) -> None:
        address = normalize_email(email)
        user = User.objects.filter(email__lower=address).first()
        if user is None:
            identity = (
                UserIdentity.objects.select_related("user").filter(value__lower=address).first()
            )
            user = identity.user if identity else None
        if user is None:
            raise CommandError(f"no user with the address {email!r}")
        if not user.is_active:
            raise CommandError(f"{user.email} is inactive: an inactive user's token never works")
        _, token = ApiToken.create_for(user, description or "created with create_api_token")
        self.stdout.write(token)
