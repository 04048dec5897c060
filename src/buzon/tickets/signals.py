"""Signals other apps listen to. Sent inside the transaction of the change."""

from django.dispatch import Signal

# Sent with `notification=<Notification>` once the notification and all its
# recipients exist. The mail app turns it into one delivery per recipient, in the
# same transaction (the transactional outbox).
notification_created = Signal()
