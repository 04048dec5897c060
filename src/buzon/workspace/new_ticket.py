"""The new-ticket form: who it is for, who is copied, and what the first comment says.

An agent types addresses; each is checked before anything is sent (a suppressed or
undeliverable address, a likely typo of the domain) and the form comes back with the
problems flagged next to the address until the agent fixes them or confirms.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from buzon.domains.typos import suggest_address
from buzon.tickets.models import Role, Status, User, normalize_email
from buzon.workspace import deliverydata
from buzon.workspace.labels import STATUS_LABELS

MAX_CCS = 48


@dataclass(frozen=True)
class AddressProblem:
    """Why an address typed into the form may not get the email, and what to do."""

    address: str
    field: str  # "requester" | "ccs"
    undeliverable: str  # "" | "undeliverable" | "suppressed"
    suggestion: str | None

    @property
    def message(self) -> str:
        return undeliverable_message(self.undeliverable)


def undeliverable_message(reason: str) -> str:
    """What an agent should know and do about an address we would not send to."""
    if reason == "suppressed":
        return gettext(
            "Suppressed after failures: the email will not be sent to it. Ask for another "
            "address, or make the first comment an internal note."
        )
    if reason == "undeliverable":
        return gettext(
            "Undeliverable: earlier emails to it failed. Ask for another address, or send "
            "anyway to try again."
        )
    return ""


def split_addresses(value: str) -> list[str]:
    parts = value.replace(";", ",").replace("\n", ",").split(",")
    return [normalize_email(p.strip()) for p in parts if p.strip()]


class NewTicketForm(forms.Form):
    PUBLIC, INTERNAL = "public", "internal"

    requester = forms.CharField(label=_("Requester"), max_length=320)
    requester_name = forms.CharField(
        label=_("Name (for a new person)"), max_length=255, required=False
    )
    ccs = forms.CharField(label=_("CCs"), max_length=8000, required=False)
    subject = forms.CharField(label=_("Subject"), max_length=255)
    visibility = forms.ChoiceField(
        label=_("First comment"),
        choices=[(PUBLIC, _("Public reply")), (INTERNAL, _("Internal note"))],
        initial=PUBLIC,
        widget=forms.RadioSelect,
    )
    body = forms.CharField(
        label=_("Comment"), widget=forms.Textarea(attrs={"rows": 6}), max_length=64_000
    )
    status = forms.ChoiceField(label=_("Status"), initial=Status.OPEN)
    assignee = forms.ChoiceField(label=_("Assignee"), required=False)
    send_anyway = forms.BooleanField(label=_("Send anyway"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["status"]).choices = [
            (value, STATUS_LABELS[value]) for value in Status.values if value != "closed"
        ]
        agents = User.objects.filter(role__in=[Role.AGENT, Role.ADMIN], is_active=True)
        cast(forms.ChoiceField, self.fields["assignee"]).choices = [("", _("Nobody"))] + [
            (str(pk), name) for pk, name in agents.order_by("name").values_list("pk", "name")
        ]

    def clean_requester(self) -> str:
        address = normalize_email(self.cleaned_data["requester"].strip())
        try:
            validate_email(address)
        except ValidationError:
            raise ValidationError(_("Enter the requester's email address.")) from None
        return address

    def clean_ccs(self) -> list[str]:
        addresses = split_addresses(self.cleaned_data["ccs"])
        for address in addresses:
            try:
                validate_email(address)
            except ValidationError:
                raise ValidationError(
                    _("“%(address)s” is not an email address.") % {"address": address}
                ) from None
        if len(addresses) > MAX_CCS:
            raise ValidationError(_("At most %(n)d CCs.") % {"n": MAX_CCS})
        return list(dict.fromkeys(addresses))

    @property
    def is_public(self) -> bool:
        return self.cleaned_data.get("visibility") == self.PUBLIC

    def address_problems(self) -> list[AddressProblem]:
        """The typed addresses that would not get the email, or look mistyped."""
        typed = [(self.cleaned_data["requester"], "requester")] + [
            (a, "ccs") for a in self.cleaned_data.get("ccs", [])
        ]
        reasons = deliverydata.undeliverable_reasons(a for a, _ in typed)
        problems = [
            AddressProblem(a, field, reasons.get(a.lower(), ""), suggest_address(a))
            for a, field in typed
        ]
        return [p for p in problems if p.undeliverable or p.suggestion]
