"""Changes agents make to an end user's email identities (from the profile page).

`User.email` mirrors the primary identity, so every change that touches the
primary address updates both in one transaction.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from buzon.tickets.models import DeliverableState, User, UserIdentity, normalize_email
from buzon.workspace import deliverydata


class IdentityError(ValueError):
    """A change that cannot be made; the message is for the agent."""


def _check_free(address: str, identity: UserIdentity | None = None) -> None:
    taken = UserIdentity.objects.filter(value__lower=address)
    users = User.objects.filter(email__lower=address)
    if identity is not None:
        taken = taken.exclude(pk=identity.pk)
        users = users.exclude(pk=identity.user_id)
    if taken.exists() or users.exists():
        raise IdentityError(
            _("Another user already has the address %(address)s.") % {"address": address}
        )


def change_address(identity: UserIdentity, address: str) -> UserIdentity:
    """Correct an address (e.g. a typo). The corrected address starts deliverable."""
    address = normalize_email(address)
    if address == identity.value:
        return identity
    _check_free(address, identity)
    with transaction.atomic():
        identity = UserIdentity.objects.select_for_update().get(pk=identity.pk)
        identity.value = address
        identity.deliverable_state = DeliverableState.DELIVERABLE
        identity.undeliverable_count = 0
        identity.verified = False
        identity.save()
        if identity.primary:
            User.objects.filter(pk=identity.user_id).update(email=address)
    return identity


def add_address(user: User, address: str) -> UserIdentity:
    address = normalize_email(address)
    _check_free(address)
    return UserIdentity.objects.create(user=user, value=address, primary=False)


def make_primary(identity: UserIdentity) -> None:
    with transaction.atomic():
        UserIdentity.objects.filter(user_id=identity.user_id, primary=True).exclude(
            pk=identity.pk
        ).update(primary=False)
        UserIdentity.objects.filter(pk=identity.pk).update(primary=True)
        User.objects.filter(pk=identity.user_id).update(email=identity.value)


def mark_deliverable(identity: UserIdentity, by: User) -> bool:
    """Lift the suppression (if any) and mark the address deliverable again."""
    with transaction.atomic():
        lifted = deliverydata.lift_suppression(identity.value, by)
        changed = UserIdentity.objects.filter(pk=identity.pk).update(
            deliverable_state=DeliverableState.DELIVERABLE, undeliverable_count=0
        )
    return lifted or bool(changed)
