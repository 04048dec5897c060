"""Who may use the workspace: signed-in agents and admins, nobody else."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

if TYPE_CHECKING:
    from buzon.tickets.models import User


class AgentRequest(HttpRequest):
    """The request a view behind `agent_required` receives: its user is signed in."""

    user: User


def refuse_end_user(request: HttpRequest) -> HttpResponse:
    return render(request, "workspace/forbidden.html", status=403)


def agent_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Sign-in first (redirect to the login page); then 403 for anyone but agents/admins."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if not (user.is_active and getattr(user, "is_agent", False)):
            return refuse_end_user(request)
        return view(request, *args, **kwargs)

    return wrapper
