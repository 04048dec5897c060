"""Settings → Mailboxes (admins only): the IMAP mailboxes `buzon imap` reads.

Mailboxes from BUZON_IMAP_MAILBOXES are listed read-only; the ones added here keep
their password encrypted at rest (`buzon.mail.inbound.mailboxes`) and are never shown
it again. A running `buzon imap` picks up a change within ten seconds.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from buzon.mail.inbound.mailboxes import FLAG, Health, Mailbox, Origin, Security, mailbox_key
from buzon.workspace.access import agent_required, refuse_end_user


def admin_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Agents see the workspace; only admins change how mail comes in."""

    @agent_required
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_staff:
            return refuse_end_user(request)
        return view(request, *args, **kwargs)

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return wrapper


class MailboxForm(forms.Form):
    host = forms.CharField(label=gettext_lazy("IMAP server"), max_length=255)
    security = forms.ChoiceField(label=gettext_lazy("Security"), choices=Security.choices)
    port = forms.IntegerField(
        label=gettext_lazy("Port"),
        min_value=1,
        max_value=65535,
        required=False,
        help_text=gettext_lazy("Empty: 993 with TLS, 143 otherwise."),
    )
    username = forms.CharField(label=gettext_lazy("User name"), max_length=320)
    password = forms.CharField(
        label=gettext_lazy("Password or app password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=gettext_lazy("Stored encrypted. Leave empty to keep the current one."),
    )
    folder = forms.CharField(label=gettext_lazy("Folder"), max_length=255, initial="INBOX")
    processed = forms.CharField(
        label=gettext_lazy("Processed mail"),
        max_length=255,
        required=False,
        help_text=gettext_lazy(
            "A folder to move processed messages to (created if missing), or the word flag "
            "to leave them where they are, marked as read. Empty: BUZON_IMAP_PROCESSED."
        ),
    )
    address = forms.EmailField(
        label=gettext_lazy("Support address"),
        required=False,
        help_text=gettext_lazy("The address this mailbox receives. Empty: the user name."),
    )
    tls_verify = forms.BooleanField(
        label=gettext_lazy("Verify the server's certificate"), required=False, initial=True
    )
    enabled = forms.BooleanField(
        label=gettext_lazy("Read this mailbox"), required=False, initial=True
    )

    def __init__(self, *args: Any, instance: Mailbox | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instance = instance
        if instance is None:
            self.fields["password"].required = True
            self.fields["password"].help_text = _("Stored encrypted; never shown again.")

    def clean_processed(self) -> str:
        value = self.cleaned_data["processed"].strip()
        return FLAG if value.lower() == FLAG else value

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if self.errors:
            return data
        port = data.get("port") or (993 if data["security"] == Security.TLS else 143)
        data["port"] = port
        data["key"] = mailbox_key(
            data["security"], data["username"], data["host"], port, data["folder"]
        )
        clash = Mailbox.objects.filter(key=data["key"])
        if self.instance is not None:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError(_("This mailbox is already configured."))
        return data

    def save(self) -> Mailbox:
        data = self.cleaned_data
        row = self.instance or Mailbox(origin=Origin.ADMIN)
        for name in ("key", "host", "security", "port", "username", "folder", "processed",
                     "address", "tls_verify", "enabled"):  # fmt: skip
            setattr(row, name, data[name])
        if data["password"]:
            row.set_password(data["password"])
        # A changed configuration gets a fresh status (and, for another folder, UIDs).
        row.health, row.failures, row.last_error, row.next_attempt_at = Health.NEW, 0, "", None
        row.save()
        return row


@admin_required
def mailboxes(request: HttpRequest) -> HttpResponse:
    form = MailboxForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        row = form.save()
        messages.success(request, _("Mailbox %(key)s added.") % {"key": row.key})
        return redirect("workspace:mailboxes")
    return render(
        request,
        "workspace/mailboxes.html",
        {"mailboxes": Mailbox.objects.order_by("origin", "key"), "form": form, "nav": "settings"},
    )


@admin_required
def mailbox_edit(request: HttpRequest, mailbox_id: int) -> HttpResponse:
    row = get_object_or_404(Mailbox, pk=mailbox_id)
    if row.origin != Origin.ADMIN:
        raise Http404("Mailboxes from BUZON_IMAP_MAILBOXES are changed in the environment.")
    initial = {name: getattr(row, name) for name in ("host", "security", "port", "username",
               "folder", "processed", "address", "tls_verify", "enabled")}  # fmt: skip
    form = MailboxForm(request.POST or None, instance=row, initial=initial)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Mailbox %(key)s saved.") % {"key": row.key})
        return redirect("workspace:mailboxes")
    return render(
        request, "workspace/mailbox_edit.html", {"mailbox": row, "form": form, "nav": "settings"}
    )


@require_POST
@admin_required
def mailbox_delete(request: HttpRequest, mailbox_id: int) -> HttpResponse:
    row = get_object_or_404(Mailbox, pk=mailbox_id, origin=Origin.ADMIN)
    key = row.key
    row.delete()
    messages.success(request, _("Mailbox %(key)s removed.") % {"key": key})
    return redirect("workspace:mailboxes")
