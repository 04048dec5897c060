"""The operator's window on received mail: every stored message with its envelope,
what the worker made of it, and its raw bytes (shown escaped, downloadable as a file,
never rendered). Errors, held messages and unmatched bounces can be replayed."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html

from buzon.mail.inbound.models import InboundMessage, UnmatchedBounce
from buzon.mail.inbound.processor import replay
from buzon.tickets.admin import ReadOnlyAdmin

PREVIEW = 20_000


@admin.register(InboundMessage)
class InboundMessageAdmin(ReadOnlyAdmin):
    list_display = [
        "id", "received_at", "state", "kind", "outcome", "sender", "subject", "size", "ticket",
    ]  # fmt: skip
    list_filter = ["state", "kind", "source", "outcome"]
    search_fields = ["sender", "mail_from", "message_id", "subject", "sha256"]
    date_hierarchy = "received_at"
    raw_id_fields = ["ticket", "comment"]
    actions = ["replay_selected"]
    fields = (
        "received_at", "source", "peer", "mail_from", "rcpt_tos", "size", "sha256",
        "message_id", "state", "attempts", "claimed_by", "lease_expires_at", "processed_at",
        "kind", "outcome", "detail", "error", "sender", "subject", "ticket", "comment",
        "delivery_ids", "download", "preview",
    )  # fmt: skip
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).defer("raw")

    @admin.display(description="raw message")
    def download(self, obj: InboundMessage) -> str:
        url = reverse("admin:mail_inboundmessage_raw", args=[obj.pk])
        return format_html('<a href="{}">download .eml ({} bytes)</a>', url, obj.size)

    @admin.display(description="first 20,000 bytes (as text)")
    def preview(self, obj: InboundMessage) -> str:
        raw = bytes(InboundMessage.objects.filter(pk=obj.pk).values_list("raw", flat=True)[0])
        text = raw[:PREVIEW].decode("utf-8", "replace")
        return format_html("<pre>{}</pre>", text)

    def get_urls(self) -> list:
        own = [
            path(
                "<int:pk>/raw/",
                self.admin_site.admin_view(self.raw_view),
                name="mail_inboundmessage_raw",
            )
        ]
        return own + super().get_urls()

    def raw_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not self.has_view_permission(request):
            return HttpResponse(status=403)
        row = get_object_or_404(InboundMessage, pk=pk)
        response = HttpResponse(bytes(row.raw), content_type="application/octet-stream")
        response["Content-Disposition"] = f'attachment; filename="inbound-{row.pk}.eml"'
        response["X-Content-Type-Options"] = "nosniff"
        return response

    @admin.action(description="Replay: put back in the queue")
    def replay_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        n = replay(list(queryset.values_list("pk", flat=True)))
        self.message_user(request, f"{n} message(s) back in the queue.", messages.SUCCESS)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(UnmatchedBounce)
class UnmatchedBounceAdmin(InboundMessageAdmin):
    list_display = ["id", "received_at", "kind", "source", "sender", "subject", "detail"]
    list_filter = ["kind", "source"]

    def download(self, obj: InboundMessage) -> str:
        url = reverse("admin:mail_inboundmessage_raw", args=[obj.pk])
        return format_html('<a href="{}">download .eml ({} bytes)</a>', url, obj.size)
