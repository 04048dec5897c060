"""The new-ticket page (shortcut `n`) and the people lookup behind its requester field."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib import messages
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from buzon.api.people import user_by_email
from buzon.tickets.changes import TicketChangeError
from buzon.tickets.models import Role, Ticket, User, Via
from buzon.tickets.services import CommentInput, create_ticket
from buzon.workspace.access import AgentRequest, agent_required
from buzon.workspace.new_ticket import AddressProblem, NewTicketForm

LOOKUP_LIMIT = 8


class InactivePerson(Exception):
    pass


def person(address: str, name: str = "") -> User:
    """The user with this address (any of their identities), or a new end user."""
    user = user_by_email(address)
    if user is None:
        name = " ".join(name.split())[:255]
        return User.objects.create_user(address, name, role=Role.END_USER)
    if not user.is_active:
        raise InactivePerson(address)
    return user


def open_ticket(form: NewTicketForm, actor: User) -> Ticket:
    data = form.cleaned_data
    with transaction.atomic():
        requester = person(data["requester"], data["requester_name"])
        ccs = [person(address) for address in data["ccs"]]
        fields = {
            "subject": data["subject"],
            "requester_id": requester.pk,
            "status": data["status"],
            "email_cc_ids": [cc.pk for cc in ccs],
        }
        if data["assignee"]:
            fields["assignee_id"] = int(data["assignee"])
        return create_ticket(
            actor=actor,
            via=Via.WEB,
            fields=fields,
            comment=CommentInput(body=data["body"], public=form.is_public),
        )


def _page(
    request: HttpRequest,
    form: NewTicketForm,
    problems: Iterable[AddressProblem] = (),
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "workspace/new_ticket.html",
        {"form": form, "problems": list(problems), "nav": "new_ticket"},
        status=status,
    )


@agent_required
def new_ticket(request: AgentRequest) -> HttpResponse:
    if request.method != "POST":
        return _page(
            request, NewTicketForm(initial={"requester": request.GET.get("requester", "")})
        )
    form = NewTicketForm(request.POST)
    if not form.is_valid():
        return _page(request, form)
    problems = form.address_problems()
    if form.is_public and problems and not form.cleaned_data["send_anyway"]:
        return _page(request, form, problems, status=409)
    try:
        ticket = open_ticket(form, request.user)
    except InactivePerson as exc:
        form.add_error(None, _("The person with %(address)s is deactivated.") % {"address": exc})
        return _page(request, form)
    except TicketChangeError as exc:
        form.add_error(None, str(exc))
        return _page(request, form)
    messages.success(request, _("Ticket #%(id)d created.") % {"id": ticket.pk})
    return redirect(reverse("workspace:ticket", args=[ticket.pk]))


@agent_required
@require_GET
def people_lookup(request: HttpRequest) -> JsonResponse:
    """People whose name contains, or whose address starts with, what was typed."""
    typed = " ".join(request.GET.get("q", "").split())[:100]
    if len(typed) < 2:
        return JsonResponse({"people": []})
    found = (
        User.objects.filter(is_active=True)
        .filter(Q(name__icontains=typed) | Q(email__istartswith=typed))
        .order_by("name", "id")
        .values("id", "name", "email")[:LOOKUP_LIMIT]
    )
    return JsonResponse({"people": list(found)})
