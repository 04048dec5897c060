"""The API tokens page: list, create and revoke tokens (session sign-in).

Everyone manages their own tokens; admins see and can revoke everyone's.
"""

from __future__ import annotations

from typing import cast

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from buzon.api.models import ApiToken
from buzon.tickets.models import User


@login_required
def api_tokens(request: HttpRequest) -> HttpResponse:
    user = cast(User, request.user)  # login_required lets in signed-in users only
    show_all = user.is_staff
    visible = ApiToken.objects.select_related("user")
    if not show_all:
        visible = visible.filter(user=user)
    new_token = None
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "create":
            _, new_token = ApiToken.create_for(
                user, request.POST.get("description", ""), created_by=user
            )
        elif action == "revoke":
            token_id = request.POST.get("token", "")
            token = visible.filter(pk=int(token_id)).first() if token_id.isdigit() else None
            if token is not None:
                token.revoke()
    context = {
        "tokens": list(visible[:500]),
        "new_token": new_token,
        "show_all": show_all,
        "nav": "api-tokens",
    }
    response = render(request, "api/tokens.html", context)
    response["Cache-Control"] = "no-store"
    return response
