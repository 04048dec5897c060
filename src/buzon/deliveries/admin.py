"""Read-only views of deliveries for operators, and lifting suppressions.

The agent-facing views (under the comment, the events log) belong to the workspace;
this is the operator's window: what was sent, to whom, what happened, and which
addresses are suppressed.
"""

from __future__ import annotations

from typing import cast

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from buzon.deliveries.models import (
    Delivery,
    DeliveryEvent,
    EmailNotification,
    Suppression,
    UnverifiedReport,
)
from buzon.deliveries.suppression import lift_suppression
from buzon.tickets.admin import ReadOnlyAdmin, ReadOnlyInline
from buzon.tickets.models import User


class DeliveryEventInline(ReadOnlyInline):
    model = DeliveryEvent
    fields = ("at", "kind", "source", "reply_code", "enhanced_status", "text")
    readonly_fields = fields


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    list_display = [
        "email", "kind", "state", "reply_code", "enhanced_status", "reason", "blame",
        "zendesk_status_name", "attempts", "ticket", "created_at",
    ]  # fmt: skip
    list_filter = ["state", "failure_source", "blame", "reason", "hard"]
    search_fields = [
        "email",
        "return_token",
        "provider_message_id",
        "email_notification__message_id",
    ]
    raw_id_fields = ["ticket", "user", "recipient", "email_notification"]
    inlines = [DeliveryEventInline]


class DeliveryInline(ReadOnlyInline):
    model = Delivery
    fields = ("email", "kind", "state", "reply_code", "enhanced_status", "reason", "diagnostic")
    readonly_fields = fields
    show_change_link = True


@admin.register(EmailNotification)
class EmailNotificationAdmin(ReadOnlyAdmin):
    list_display = ["message_id", "ticket", "subject", "created_at"]
    search_fields = ["message_id", "subject"]
    raw_id_fields = ["notification", "ticket", "comment"]
    inlines = [DeliveryInline]


@admin.register(Suppression)
class SuppressionAdmin(admin.ModelAdmin):
    list_display = [
        "address", "reason", "reply_code", "enhanced_status", "source", "created_at",
        "expires_at", "lifted_at", "lifted_by",
    ]  # fmt: skip
    list_filter = ["reason", "source"]
    search_fields = ["address"]
    readonly_fields = [f.name for f in Suppression._meta.fields]
    actions = ["lift"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    @admin.action(description="Lift the suppression (mail these addresses again)")
    def lift(self, request: HttpRequest, queryset: QuerySet[Suppression]) -> None:
        by = cast(User, request.user)  # the admin site lets in signed-in staff only
        lifted = sum(lift_suppression(s.address, by=by) for s in queryset)
        self.message_user(request, f"{lifted} suppression(s) lifted.", messages.SUCCESS)


@admin.register(UnverifiedReport)
class UnverifiedReportAdmin(ReadOnlyAdmin):
    """Reports that named a delivery but could not be verified; agents accept them from
    the ticket page (the workspace), where the audit names them."""

    list_display = [
        "delivery", "reporter", "matched_by", "action", "reply_code", "enhanced_status",
        "blame", "received_at", "accepted_by",
    ]  # fmt: skip
    list_filter = ["matched_by", "action", "blame"]
    search_fields = ["reporter", "delivery__email", "peer"]
    raw_id_fields = ["delivery", "accepted_by"]
