"""The ticketing core, in Zendesk's vocabulary so the API can expose it unchanged.

Users (end users, agents, admins) with email identities; organizations and groups;
tickets with comments, tags, CCs and followers; audits holding typed events.
Audits and their events are append-only: see `AppendOnlyModel`.

Tickets change only through `buzon.tickets.services` (one transaction: apply the
change, append the audit, run the triggers).
"""

from __future__ import annotations

import secrets
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import connection, models
from django.db.models.functions import Lower
from django.utils import timezone

_UPDATES: dict[tuple[type[models.Model], str, tuple[str, ...]], tuple[str, list[Any]]] = {}


def update_columns(instance: models.Model, names: list[str]) -> None:
    """Write these fields (names or attnames) of a saved row, as
    `save(update_fields=names)` would, in one UPDATE built once per model and fields:
    for hot paths (a recorded bounce), where building the statement cost more than
    running it. No signals, no `auto_now`."""
    model = type(instance)
    key = (model, connection.vendor, tuple(names))
    if key not in _UPDATES:
        meta = model._meta
        by_name = {n: f for f in meta.concrete_fields for n in (f.name, f.attname)}
        fields = [by_name[name] for name in names]
        quote = connection.ops.quote_name
        columns = ", ".join(f"{quote(f.column)} = %s" for f in fields)
        where = quote(meta.pk.column) if meta.pk else "id"
        _UPDATES[key] = (f"UPDATE {quote(meta.db_table)} SET {columns} WHERE {where} = %s", fields)
    sql, fields = _UPDATES[key]
    params = [f.get_db_prep_save(getattr(instance, f.attname), connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, instance.pk])


_INSERTS: dict[tuple[type[models.Model], str], tuple[str, list[Any]]] = {}


def insert_row(instance: models.Model) -> None:
    """Insert a new instance as `save()` would (every concrete field but an automatic
    primary key, `pre_save` applied), in one INSERT built once per model, and set its
    id: for hot paths (a recorded bounce's audit and its event), where building the
    statement cost more than running it. No signals."""
    model = type(instance)
    key = (model, connection.vendor)
    if key not in _INSERTS:
        meta = model._meta
        fields = [f for f in meta.concrete_fields if f is not meta.auto_field]
        quote = connection.ops.quote_name
        columns = ", ".join(quote(f.column) for f in fields)
        values = ", ".join(["%s"] * len(fields))
        sql = f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ({values})"
        if connection.features.can_return_columns_from_insert:
            sql += f" RETURNING {quote(meta.pk.column)}"
        _INSERTS[key] = (sql, fields)
    sql, fields = _INSERTS[key]
    params = [f.get_db_prep_save(f.pre_save(instance, True), connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        if connection.features.can_return_columns_from_insert:
            instance.pk = cursor.fetchone()[0]
        else:
            instance.pk = cursor.lastrowid
    instance._state.adding = False
    instance._state.db = connection.alias


@models.CharField.register_lookup
class LowerEquals(models.Lookup):
    """`field__lower=value`: LOWER(field) = LOWER(value), both lower-cased by the
    database. Email addresses are compared this way, because it is the expression the
    functional unique indexes on `User.email` and `UserIdentity.value` hold: the
    database finds the row through the index (`__iexact` cannot use it: it is
    UPPER(…) on PostgreSQL and LIKE on SQLite)."""

    lookup_name = "lower"

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"LOWER({lhs}) = LOWER({rhs})", [*lhs_params, *rhs_params]


class Role(models.TextChoices):
    END_USER = "end-user", "End user"
    AGENT = "agent", "Agent"
    ADMIN = "admin", "Admin"


class Locale(models.TextChoices):
    EN = "en", "English"
    ES = "es", "Español"


class Via(models.TextChoices):
    """The channel a change came through (Zendesk's `via.channel`)."""

    WEB = "web", "Web"
    EMAIL = "email", "Email"
    API = "api", "API"
    RULE = "rule", "Trigger"
    SYSTEM = "system", "System"


class Organization(models.Model):
    name = models.CharField(max_length=255, unique=True)
    domain_names = models.JSONField(default=list, blank=True)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.name


class UserManager(BaseUserManager["User"]):
    def create_user(
        self, email: str, name: str = "", password: str | None = None, **fields: Any
    ) -> User:
        email = normalize_email(email)
        user = self.model(email=email, name=name or email.split("@")[0], **fields)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save()
        UserIdentity.objects.create(user=user, value=email, primary=True)
        return user

    def create_superuser(self, email: str, password: str, **fields: Any) -> User:
        fields.setdefault("role", Role.ADMIN)
        fields.setdefault("is_superuser", True)
        return self.create_user(email, password=password, **fields)

    def get_by_natural_key(self, username: str | None) -> User:
        """The user signing in: their address in any case."""
        return self.get(email__lower=(username or "").strip())


def normalize_email(value: str) -> str:
    """Lower-case the domain and strip spaces; the local part keeps its case."""
    value = value.strip()
    local, at, domain = value.rpartition("@")
    if not at:
        return value
    return f"{local}@{domain.lower()}"


class User(AbstractBaseUser, PermissionsMixin):
    """Anyone the help desk knows: requesters, CCs, agents, admins.

    `email` mirrors the primary email identity; the identities themselves (with
    their deliverability) are `UserIdentity` rows.
    """

    name = models.CharField(max_length=255)
    email = models.EmailField(max_length=320, unique=True)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.END_USER)
    locale = models.CharField(max_length=8, choices=Locale.choices, default=Locale.EN)
    time_zone = models.CharField(max_length=64, default="UTC")
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.SET_NULL, related_name="users"
    )
    notes = models.TextField(blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["name"]

    class Meta:
        indexes = [models.Index(fields=["role"])]
        constraints = [
            # One user per address whatever its case; found through this index by
            # `email__lower=…` (USERNAME_FIELD keeps its own exact unique index).
            models.UniqueConstraint(Lower("email"), name="unique_user_email_any_case")
        ]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"

    @property
    def is_staff(self) -> bool:
        """Only admins reach Django's admin site."""
        return self.is_active and (self.role == Role.ADMIN or self.is_superuser)

    @property
    def is_agent(self) -> bool:
        return self.role in (Role.AGENT, Role.ADMIN)

    def has_perm(self, perm: str, obj: Any = None) -> bool:
        if self.is_active and self.role == Role.ADMIN:
            return True
        return super().has_perm(perm, obj)

    def has_module_perms(self, app_label: str) -> bool:
        if self.is_active and self.role == Role.ADMIN:
            return True
        return super().has_module_perms(app_label)


class DeliverableState(models.TextChoices):
    """Zendesk's `deliverable_state` of an email identity."""

    DELIVERABLE = "deliverable", "Deliverable"
    UNDELIVERABLE = "undeliverable", "Undeliverable"
    RESERVED_EXAMPLE = "reserved_example", "Reserved example address"
    MAILING_LIST = "mailing_list", "Mailing list"
    MAILER_DAEMON = "mailer_daemon", "Mailer daemon"
    TICKET_SHARING_PARTNER = "ticket_sharing_partner", "Ticket sharing partner"


class UserIdentity(models.Model):
    """One email address of a user, with what we know about delivering to it."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="identities")
    type = models.CharField(max_length=16, default="email")
    value = models.CharField(max_length=320)
    primary = models.BooleanField(default=False)
    verified = models.BooleanField(default=False)
    deliverable_state = models.CharField(
        max_length=32, choices=DeliverableState.choices, default=DeliverableState.DELIVERABLE
    )
    undeliverable_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "user identities"
        ordering = ["-primary", "id"]
        constraints = [
            # An address belongs to one identity whatever its case (Ana@X is ana@x);
            # look-ups use this index through `value__lower=…`.
            models.UniqueConstraint(Lower("value"), name="unique_identity_value_any_case")
        ]

    def __str__(self) -> str:
        return self.value


class Group(models.Model):
    name = models.CharField(max_length=255, unique=True)
    description = models.TextField(blank=True)
    agents = models.ManyToManyField(User, blank=True, related_name="agent_groups")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.name


class Status(models.TextChoices):
    """Ticket statuses, declared in their natural order (for `less_than` etc.)."""

    NEW = "new", "New"
    OPEN = "open", "Open"
    PENDING = "pending", "Pending"
    HOLD = "hold", "On-hold"
    SOLVED = "solved", "Solved"
    CLOSED = "closed", "Closed"


class Priority(models.TextChoices):
    LOW = "low", "Low"
    NORMAL = "normal", "Normal"
    HIGH = "high", "High"
    URGENT = "urgent", "Urgent"


class TicketType(models.TextChoices):
    QUESTION = "question", "Question"
    INCIDENT = "incident", "Incident"
    PROBLEM = "problem", "Problem"
    TASK = "task", "Task"


# Ordered values, for the `less_than` / `greater_than` operators.
ORDERED_FIELDS: dict[str, list[str]] = {
    "status": list(Status.values),
    "priority": list(Priority.values),
}

# Letters and digits that cannot be mistaken for one another when read aloud.
ENCODED_ID_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def new_encoded_id() -> str:
    """A random `ABC123-DEF4` id: 10 symbols of 32, i.e. 50 bits from `secrets`."""
    chars = [secrets.choice(ENCODED_ID_ALPHABET) for _ in range(10)]
    return "".join(chars[:6]) + "-" + "".join(chars[6:])


class Ticket(models.Model):
    subject = models.CharField(max_length=255)
    description = models.TextField(blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.NEW)
    priority = models.CharField(max_length=16, choices=Priority.choices, blank=True)
    type = models.CharField(max_length=16, choices=TicketType.choices, blank=True)
    requester = models.ForeignKey(User, on_delete=models.PROTECT, related_name="requested_tickets")
    submitter = models.ForeignKey(User, on_delete=models.PROTECT, related_name="submitted_tickets")
    assignee = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="assigned_tickets"
    )
    group = models.ForeignKey(
        Group, null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets"
    )
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets"
    )
    email_ccs = models.ManyToManyField(User, blank=True, related_name="cc_tickets")
    followers = models.ManyToManyField(User, blank=True, related_name="followed_tickets")
    via = models.CharField(max_length=16, choices=Via.choices, default=Via.WEB)
    encoded_id = models.CharField(max_length=11, unique=True, default=new_encoded_id)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["status", "updated_at"]),
            models.Index(fields=["requester", "status"]),
            models.Index(fields=["assignee", "status"]),
            models.Index(fields=["updated_at"]),
            models.Index(fields=["created_at"]),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.subject}"

    @property
    def tag_list(self) -> list[str]:
        return sorted(t.name for t in self.tags.all())


class TicketTag(models.Model):
    """One tag on one ticket. A table (not a string) so views and search can index it."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="tags")
    name = models.CharField(max_length=80)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["ticket", "name"], name="unique_tag_per_ticket")
        ]
        indexes = [models.Index(fields=["name", "ticket"])]

    def __str__(self) -> str:
        return self.name


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs: Any) -> int:
        raise AppendOnlyError("the audit log is append-only")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("the audit log is append-only")


class AppendOnlyError(Exception):
    """Raised on any attempt to change or delete an audit or one of its events."""


class AppendOnlyModel(models.Model):
    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError("the audit log is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise AppendOnlyError("the audit log is append-only")


class Audit(AppendOnlyModel):
    """One create or update of a ticket: who, through which channel, when."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="audits")
    author = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    via = models.CharField(max_length=16, choices=Via.choices)
    metadata = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["ticket", "created_at"])]

    def __str__(self) -> str:
        return f"Audit {self.pk} of ticket {self.ticket_id}"


class EventType(models.TextChoices):
    CREATE = "Create"
    CHANGE = "Change"
    COMMENT = "Comment"
    NOTIFICATION = "Notification"
    EMAIL_CC_CHANGE = "EmailCcChange"
    ERROR = "Error"
    # Added by the deliveries app: a notification did not reach one recipient.
    DELIVERY_FAILURE = "DeliveryFailure"
    # Added by the deliveries app: a recipient reported a notification as spam.
    DELIVERY_COMPLAINT = "DeliveryComplaint"


class Comment(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(User, on_delete=models.PROTECT, related_name="comments")
    body = models.TextField()
    html_body = models.TextField()
    public = models.BooleanField(default=True)
    via = models.CharField(max_length=16, choices=Via.choices, default=Via.WEB)
    # Attachment metadata only: [{"file_name", "content_type", "size"}].
    attachments = models.JSONField(default=list, blank=True)
    # Free-form facts about where the comment came from (e.g. an inbound
    # email's Message-ID, or `auto_reply: true`).
    metadata = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["ticket", "created_at"])]

    def __str__(self) -> str:
        return f"Comment {self.pk} on ticket {self.ticket_id}"


class AuditEvent(AppendOnlyModel):
    """A typed event inside an audit.

    Change events use `field_name`, `previous_value`, `value`; Comment events point
    at the comment; Notification events at the notification; other facts (an
    EmailCcChange's lists, an Error's message, a delivery failure's codes) go in
    `data`.
    """

    audit = models.ForeignKey(Audit, on_delete=models.CASCADE, related_name="events")
    type = models.CharField(max_length=32, choices=EventType.choices)
    field_name = models.CharField(max_length=64, blank=True)
    previous_value = models.JSONField(null=True, blank=True)
    value = models.JSONField(null=True, blank=True)
    comment = models.ForeignKey(
        Comment, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.type} {self.field_name}".strip()


class Notification(AppendOnlyModel):
    """An email a trigger decided to send: the seam to outbound mail.

    Created in the same transaction as the change that fired the trigger, with one
    `NotificationRecipient` per address. The mail app turns each recipient into a
    delivery when it receives the `notification_created` signal.
    """

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="notifications")
    event = models.OneToOneField(AuditEvent, on_delete=models.CASCADE, related_name="notification")
    comment = models.ForeignKey(
        Comment, null=True, blank=True, on_delete=models.SET_NULL, related_name="notifications"
    )
    trigger_id = models.BigIntegerField(null=True, blank=True)
    trigger_title = models.CharField(max_length=255, blank=True)
    author = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    subject = models.CharField(max_length=998)
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"Notification {self.pk}: {self.subject}"


class RecipientKind(models.TextChoices):
    TO = "to", "To"
    CC = "cc", "Cc"


class NotificationRecipient(AppendOnlyModel):
    notification = models.ForeignKey(
        Notification, on_delete=models.CASCADE, related_name="recipients"
    )
    user = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    name = models.CharField(max_length=255, blank=True)
    email = models.CharField(max_length=320)
    kind = models.CharField(max_length=4, choices=RecipientKind.choices, default=RecipientKind.TO)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["notification", "email"], name="one_recipient_row_per_address"
            )
        ]

    def __str__(self) -> str:
        return self.email
