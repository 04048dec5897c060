"""Sign-in, sign-out and personal preferences (language, time zone)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from buzon.api.auth import locked_out as api_locked_out
from buzon.workspace.access import AgentRequest, agent_required
from buzon.workspace.forms import AgentAuthenticationForm, LanguageForm, PreferencesForm


class SignInView(auth_views.LoginView):
    template_name = "workspace/login.html"
    authentication_form = AgentAuthenticationForm
    redirect_authenticated_user = False


sign_in = SignInView.as_view()


def locked_out(
    request: HttpRequest, response: HttpResponse | None = None, credentials: dict | None = None
) -> HttpResponse:
    """What django-axes answers while an account or a client address is locked out:
    the sign-in page saying so (429), or the API's error for API calls."""
    if request.path.startswith("/api/"):
        return api_locked_out().response()
    minutes = max(1, round(settings.AXES_COOLOFF_TIME.total_seconds() / 60))
    message = ngettext(
        "Too many failed sign-in attempts for this account or from this address. Sign-in "
        "is locked for %(minutes)d minute after the last attempt; try again later, or ask "
        "an admin to unlock it.",
        "Too many failed sign-in attempts for this account or from this address. Sign-in "
        "is locked for %(minutes)d minutes after the last attempt; try again later, or ask "
        "an admin to unlock it.",
        minutes,
    ) % {"minutes": minutes}
    response = render(
        request,
        "workspace/login.html",
        {
            "form": AgentAuthenticationForm(request),
            "next": request.POST.get("next", ""),
            "locked_out": message,
        },
        status=429,
    )
    response["Retry-After"] = str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
    return response


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    from django.contrib.auth import logout

    logout(request)
    return redirect("workspace:login")


def _safe_next(request: HttpRequest, target: str, default: str) -> str:
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


@agent_required
def preferences(request: AgentRequest) -> HttpResponse:
    user = request.user
    if request.method == "POST":
        form = PreferencesForm(request.POST)
        if form.is_valid():
            user.locale = form.cleaned_data["locale"]
            user.time_zone = form.cleaned_data["time_zone"]
            user.save(update_fields=["locale", "time_zone", "updated_at"])
            translation.activate(user.locale)
            messages.success(request, _("Preferences saved."))
            return redirect("workspace:preferences")
    else:
        form = PreferencesForm(initial={"locale": user.locale, "time_zone": user.time_zone})
    return render(request, "workspace/preferences.html", {"form": form})


@agent_required
@require_POST
def set_language(request: AgentRequest) -> HttpResponse:
    form = LanguageForm(request.POST)
    target = _safe_next(request, request.POST.get("next", ""), "/")
    if form.is_valid():
        request.user.locale = form.cleaned_data["locale"]
        request.user.save(update_fields=["locale", "updated_at"])
    return HttpResponseRedirect(target)
