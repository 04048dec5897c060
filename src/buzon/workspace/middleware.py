"""Each signed-in person sees the workspace in their own language and time zone."""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation

LANGUAGE_CODES = {code for code, _ in settings.LANGUAGES}


class UserPreferencesMiddleware:
    """Activate the user's `locale` and `time_zone` (after AuthenticationMiddleware).

    LocaleMiddleware has already picked a language from the browser for anonymous
    pages (the sign-in form); a signed-in user's own setting wins over it.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            language = getattr(user, "locale", "") or settings.LANGUAGE_CODE
            if language in LANGUAGE_CODES:
                translation.activate(language)
                request.LANGUAGE_CODE = language
            try:
                timezone.activate(zoneinfo.ZoneInfo(user.time_zone or "UTC"))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                timezone.activate(zoneinfo.ZoneInfo("UTC"))
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
