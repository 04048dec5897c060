from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from buzon.tickets.models import (
    Audit,
    AuditEvent,
    Comment,
    Group,
    Notification,
    NotificationRecipient,
    Organization,
    Ticket,
    TicketTag,
    User,
    UserIdentity,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    """The audit log is append-only: the admin may look, never add, change or delete."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class IdentityInline(admin.TabularInline):
    model = UserIdentity
    extra = 0
    fields = ["value", "primary", "verified", "deliverable_state", "undeliverable_count"]


@admin.register(User)
class UserAdmin(admin.ModelAdmin):
    list_display = ["name", "email", "role", "locale", "organization", "is_active"]
    list_filter = ["role", "locale", "is_active"]
    search_fields = ["name", "email"]
    exclude = ["password", "user_permissions", "groups", "last_login"]
    inlines = [IdentityInline]


@admin.register(UserIdentity)
class UserIdentityAdmin(admin.ModelAdmin):
    list_display = ["value", "user", "primary", "deliverable_state", "undeliverable_count"]
    list_filter = ["deliverable_state"]
    search_fields = ["value"]


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "created_at"]
    search_fields = ["name"]


@admin.register(Group)
class GroupAdmin(admin.ModelAdmin):
    list_display = ["name"]
    filter_horizontal = ["agents"]


class TagInline(ReadOnlyInline):
    model = TicketTag


class CommentInline(ReadOnlyInline):
    model = Comment
    fields = ["author", "public", "via", "body", "created_at"]


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    """Shown for inspection; changes go through the workspace, API or email so that
    every change is audited and runs the triggers."""

    list_display = ["id", "subject", "status", "requester", "assignee", "updated_at"]
    list_filter = ["status", "priority", "via"]
    search_fields = ["subject", "encoded_id"]
    readonly_fields = [f.name for f in Ticket._meta.fields] + ["email_ccs", "followers"]
    inlines = [TagInline, CommentInline]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Comment)
class CommentAdmin(ReadOnlyAdmin):
    list_display = ["id", "ticket", "author", "public", "via", "created_at"]
    list_filter = ["public", "via"]


class EventInline(ReadOnlyInline):
    model = AuditEvent
    fields = ["type", "field_name", "previous_value", "value", "comment", "data"]


@admin.register(Audit)
class AuditAdmin(ReadOnlyAdmin):
    list_display = ["id", "ticket", "author", "via", "created_at"]
    list_filter = ["via"]
    inlines = [EventInline]


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["id", "audit", "type", "field_name", "value"]
    list_filter = ["type"]


class RecipientInline(ReadOnlyInline):
    model = NotificationRecipient
    fields = ["user", "name", "email", "kind"]


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ["id", "ticket", "trigger_title", "subject", "created_at"]
    inlines = [RecipientInline]
