"""Signals other apps listen to. Sent inside the transaction of the change."""

from django.dispatch import Signal

# Sent with `notification=<Notification>` once the notification and all its
# recipients exist, and `html_body=<str>`: the body rendered as sanitised HTML (for
# the email's HTML part; `notification.body` is the plain-text rendering). The mail
# app turns it into one delivery per recipient, in the same transaction (the
# transactional outbox).
notification_created = Signal()

# Sent with `ticket=<Ticket>`, `comment=<Comment | None>` (the comment the change
# added), `created=<bool>` (a new ticket) and `subject_changed=<bool>` by every change
# that added a comment or set the subject, once the ticket row is saved. The search
# app keeps its index of the text with it, in the same transaction.
text_changed = Signal()
