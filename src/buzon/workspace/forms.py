"""Forms of the workspace. Every one is posted with a CSRF token."""

from __future__ import annotations

import zoneinfo
from functools import cache
from typing import Any, cast

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from buzon.tickets.models import Status, User
from buzon.workspace.labels import STATUS_LABELS


class AgentAuthenticationForm(AuthenticationForm):
    """Django's sign-in form, refusing end users with a message that says why."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("That email and password do not match an account. Check both."),
        "inactive": _("This account is disabled."),
        "end_user": _(
            "This workspace is for agents and admins only. End users cannot sign in here; "
            "reply to our emails to reach support."
        ),
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].label = _("Email")
        self.fields["username"].widget.attrs.update({"autocomplete": "username", "autofocus": True})

    def confirm_login_allowed(self, user: User) -> None:
        super().confirm_login_allowed(user)
        if not getattr(user, "is_agent", False):
            raise ValidationError(self.error_messages["end_user"], code="end_user")


class ReplyForm(forms.Form):
    PUBLIC, INTERNAL = "public", "internal"

    visibility = forms.ChoiceField(
        choices=[(PUBLIC, _("Public reply")), (INTERNAL, _("Internal note"))],
        initial=PUBLIC,
        widget=forms.RadioSelect,
    )
    body = forms.CharField(
        label=_("Comment"), widget=forms.Textarea(attrs={"rows": 5}), max_length=64_000
    )
    status = forms.ChoiceField(label=_("Submit as"), required=False)
    send_anyway = forms.BooleanField(
        label=_("Send anyway to the undeliverable addresses"), required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["status"]).choices = [("", _("Keep status"))] + [
            (value, STATUS_LABELS[value]) for value in Status.values if value != "closed"
        ]

    def clean_body(self) -> str:
        body = self.cleaned_data["body"]
        if not body.strip():
            raise ValidationError(_("Write something first."))
        return body

    @property
    def is_public(self) -> bool:
        return self.cleaned_data.get("visibility") == self.PUBLIC


@cache
def time_zone_choices() -> list[tuple[str, str]]:
    names = sorted(z for z in zoneinfo.available_timezones() if "/" in z or z == "UTC")
    return [(name, name.replace("_", " ")) for name in names]


class PreferencesForm(forms.Form):
    locale = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    time_zone = forms.ChoiceField(label=_("Time zone"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["time_zone"]).choices = time_zone_choices()


class LanguageForm(forms.Form):
    locale = forms.ChoiceField(choices=settings.LANGUAGES)
    next = forms.CharField(required=False)


class AddressForm(forms.Form):
    address = forms.EmailField(label=_("Email address"), max_length=320)
