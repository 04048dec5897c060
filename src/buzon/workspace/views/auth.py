"""Sign-in, sign-out and personal preferences (language, time zone)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from buzon.workspace.access import agent_required
from buzon.workspace.forms import AgentAuthenticationForm, LanguageForm, PreferencesForm


class SignInView(auth_views.LoginView):
    template_name = "workspace/login.html"
    authentication_form = AgentAuthenticationForm
    redirect_authenticated_user = False


sign_in = SignInView.as_view()


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
def preferences(request: HttpRequest) -> HttpResponse:
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
def set_language(request: HttpRequest) -> HttpResponse:
    form = LanguageForm(request.POST)
    target = _safe_next(request, request.POST.get("next", ""), "/")
    if form.is_valid():
        request.user.locale = form.cleaned_data["locale"]
        request.user.save(update_fields=["locale", "updated_at"])
    return HttpResponseRedirect(target)
