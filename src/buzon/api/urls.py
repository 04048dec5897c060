"""/api/v2/… (every endpoint registered with `router.api`), the docs and the tokens page."""

from django.http import HttpRequest, JsonResponse
from django.urls import path, re_path
from django.views.decorators.csrf import csrf_exempt

from buzon.api.errors import not_found
from buzon.api.router import api
from buzon.api.ui import api_tokens
from buzon.api.views import (  # noqa: F401 (each module registers its endpoints)
    docs,
    email_notifications,
    rules,
    search,
    tickets,
    users,
)


@csrf_exempt
def unknown_endpoint(request: HttpRequest, rest: str = "") -> JsonResponse:
    return not_found("No such API endpoint").response()


api_patterns = [
    *api.urls(),
    path("docs", docs.docs_page, name="api-docs"),
    re_path(r"^(?P<rest>.*)$", unknown_endpoint),
]

ui_patterns = [path("settings/api-tokens/", api_tokens, name="api-tokens")]
