"""Endpoints as typed declarations, and the one dispatcher that serves them.

    @api.get("tickets/{ticket_id}", response=TicketResponse, summary="Show a ticket")
    def show_ticket(call: Call, ticket_id: int) -> TicketResponse: ...

Each declaration gives the URL (with `.json` accepted as in Zendesk), who may call
it, its query parameters, request body and response types. The dispatcher
authenticates, rate-limits, checks access, parses and validates the body, runs the
view and turns errors into Zendesk's error shape. `buzon.api.openapi` builds the
OpenAPI document from the same declarations.
"""

from __future__ import annotations

import inspect
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal, NotRequired, TypedDict
from urllib.parse import urlencode

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import URLPattern, path
from django.views.decorators.csrf import csrf_exempt

from buzon.api import ratelimit
from buzon.api.auth import Caller, authenticate
from buzon.api.errors import ApiError, bad_request, forbidden, invalid_fields, not_found
from buzon.api.schema import MAX_INTEGER, check
from buzon.tickets.changes import TicketChangeError

log = logging.getLogger("buzon.api")

Access = Literal["public", "user", "agent", "admin"]
MAX_BODY_BYTES = 1_000_000


@dataclass(frozen=True)
class Param:
    """A query parameter."""

    name: str
    type: Any = str
    description: str = ""
    required: bool = False


@dataclass
class Endpoint:
    method: str
    path: str  # e.g. "tickets/{ticket_id}/comments"
    view: Callable[..., Any]
    summary: str
    response: Any  # a TypedDict, or None for 204
    status: int = 200
    body: Any = None
    query: list[Param] = field(default_factory=list)
    access: Access = "agent"
    tag: str = ""
    description: str = ""
    errors: tuple[int, ...] = ()

    @property
    def operation_id(self) -> str:
        return self.view.__name__

    @property
    def path_params(self) -> list[str]:
        return [part[1:-1] for part in self.path.split("/") if part.startswith("{")]

    @property
    def django_path(self) -> str:
        parts = [f"<int:{p[1:-1]}>" if p.startswith("{") else p for p in self.path.split("/")]
        return "/".join(parts)


@dataclass
class Call:
    """One API request as a view sees it."""

    request: HttpRequest
    caller: Caller
    body: dict[str, Any] = field(default_factory=dict)  # the parsed body, if it has one

    @property
    def user(self) -> Any:
        return self.caller.user

    def param(self, name: str) -> str | None:
        """A query parameter's value (Rails-style `name[]` accepted for lists)."""
        value = self.request.GET.get(name)
        if value is None:
            return None
        _check_text(value, name)
        return value.strip()

    def list_param(self, name: str) -> list[str]:
        values = self.request.GET.getlist(name) + self.request.GET.getlist(f"{name}[]")
        items: list[str] = []
        for value in values:
            _check_text(value, name)
            items.extend(v.strip() for v in value.split(",") if v.strip())
        return items

    def int_param(
        self, name: str, default: int | None = None, *, low: int = 1, high: int | None = None
    ) -> int | None:
        raw = self.param(name)
        if raw is None or raw == "":
            return default
        try:
            value = int(raw)
        except ValueError:
            raise bad_request(f"{name} must be a whole number", name) from None
        if value < low or (high is not None and value > high):
            bounds = f"between {low} and {high}" if high is not None else f"at least {low}"
            raise bad_request(f"{name} must be {bounds}", name)
        return value

    def ids_param(self, name: str, limit: int = 100) -> list[int]:
        ids: list[int] = []
        for item in self.list_param(name):
            if not item.isdigit() or len(item) > 18:
                raise bad_request(f"{name} must be a comma-separated list of ids", name)
            ids.append(int(item))
        if len(ids) > limit:
            raise bad_request(f"{name} takes at most {limit} ids", name)
        return list(dict.fromkeys(ids))

    @cached_property
    def base_url(self) -> str:
        return self.request.build_absolute_uri("/api/v2/")

    def url(self, api_path: str, query: dict[str, Any] | None = None) -> str:
        """An absolute URL under /api/v2/ (with `.json`, as Zendesk writes them)."""
        text = f"{self.base_url}{api_path}.json"
        return f"{text}?{urlencode(query)}" if query else text

    def this_url(self, **changes: Any) -> str:
        """This request's URL with some query parameters changed (None removes one)."""
        query = {k: v for k, v in self.request.GET.items()}
        for key, value in changes.items():
            if value is None:
                query.pop(key, None)
            else:
                query[key] = str(value)
        base = self.request.build_absolute_uri(self.request.path)
        return f"{base}?{urlencode(query)}" if query else base


def _paragraphs(doc: str) -> str:
    """A docstring as text: paragraphs kept, the lines within each joined."""
    blocks = inspect.cleandoc(doc).split("\n\n")
    return "\n\n".join(" ".join(block.split()) for block in blocks)


def _check_text(value: str, name: str) -> None:
    if "\x00" in value:
        raise bad_request(f"{name} must not contain NUL characters", name)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise bad_request(f"{name} must be valid Unicode", name) from None


class Router:
    def __init__(self) -> None:
        self.endpoints: list[Endpoint] = []

    def route(
        self, method: str, path_: str, **options: Any
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        def register(view: Callable[..., Any]) -> Callable[..., Any]:
            endpoint = Endpoint(method=method, path=path_, view=view, **options)
            if endpoint.description == "" and view.__doc__:
                endpoint.description = _paragraphs(view.__doc__)
            self.endpoints.append(endpoint)
            return view

        return register

    def get(self, path_: str, **options: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        return self.route("GET", path_, **options)

    def post(
        self, path_: str, **options: Any
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        return self.route("POST", path_, **options)

    def put(self, path_: str, **options: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        return self.route("PUT", path_, **options)

    def delete(
        self, path_: str, **options: Any
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        return self.route("DELETE", path_, **options)

    def by_path(self) -> dict[str, list[Endpoint]]:
        grouped: dict[str, list[Endpoint]] = {}
        for endpoint in self.endpoints:
            grouped.setdefault(endpoint.path, []).append(endpoint)
        return grouped

    def urls(self) -> list[URLPattern]:
        patterns = []
        for _api_path, endpoints in self.by_path().items():
            view = csrf_exempt(_dispatcher(endpoints))
            django_path = endpoints[0].django_path
            name = f"api-{endpoints[0].operation_id}"
            patterns.append(path(f"{django_path}.json", view))
            patterns.append(path(django_path, view, name=name))
        return patterns


api = Router()


def _dispatcher(endpoints: list[Endpoint]) -> Callable[..., HttpResponse]:
    by_method = {e.method: e for e in endpoints}

    def dispatch(request: HttpRequest, **kwargs: Any) -> HttpResponse:
        if any(isinstance(v, int) and v > MAX_INTEGER for v in kwargs.values()):
            return not_found().response()  # no row has an id beyond a database integer
        endpoint = by_method.get(request.method or "")
        if endpoint is None:
            response = ApiError(
                405, "MethodNotAllowed", f"{request.method} is not allowed here"
            ).response()
            response["Allow"] = ", ".join(sorted(by_method))
            return response
        return serve(endpoint, request, kwargs)

    return dispatch


def serve(endpoint: Endpoint, request: HttpRequest, kwargs: dict[str, Any]) -> HttpResponse:
    allowance = None
    try:
        # A public endpoint has no caller and its view reads none; the others get theirs below.
        call = Call(request=request, caller=None)  # type: ignore[arg-type]
        if endpoint.access != "public":
            call.caller = authenticate(request)
            allowance = ratelimit.take(call.caller.rate_key)
            if allowance is not None and allowance.exceeded:
                raise ApiError(
                    429,
                    "TooManyRequests",
                    f"Rate limit exceeded; retry after {allowance.reset} seconds",
                    headers={"Retry-After": str(allowance.reset)},
                )
            _check_access(endpoint, call.caller)
        if endpoint.body is not None:
            call.body = _parse_body(request, endpoint.body)
        result = endpoint.view(call, **kwargs)
        response = _to_response(endpoint, result)
    except ApiError as error:
        response = error.response()
    except TicketChangeError as error:
        response = invalid_fields({error.field or "base": [str(error)]}).response()
    except ValidationError as error:
        response = _validation_response(error)
    if allowance is not None:
        for name, value in allowance.headers().items():
            response[name] = value
    return response


def _check_access(endpoint: Endpoint, caller: Caller) -> None:
    if endpoint.access == "agent" and not caller.is_agent:
        raise forbidden("Only agents may use this endpoint")
    if endpoint.access == "admin" and not caller.is_admin:
        raise forbidden("Only admins may use this endpoint")


def _parse_body(request: HttpRequest, body_type: Any) -> dict[str, Any]:
    if len(request.body) > MAX_BODY_BYTES:
        raise ApiError(413, "RequestTooLarge", f"The body is limited to {MAX_BODY_BYTES} bytes")
    try:
        data = json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise ApiError(400, "InvalidJSON", "The request body is not valid JSON") from None
    problems = check(data, body_type)
    if problems:
        errors: dict[str, list[str]] = {}
        for where, message in problems[:20]:
            # Zendesk names the field without the envelope: "status", not "ticket.status".
            field_name = where.split(".", 1)[1] if "." in where else where
            errors.setdefault(field_name or "base", []).append(
                f"{field_name or 'the body'} {message}"
            )
        raise invalid_fields(errors)
    return data


def _to_response(endpoint: Endpoint, result: Any) -> HttpResponse:
    if isinstance(result, HttpResponse):
        return result
    if result is None:
        return HttpResponse(status=204)
    return JsonResponse(result, status=endpoint.status, json_dumps_params={"ensure_ascii": False})


def _validation_response(error: ValidationError) -> HttpResponse:
    if hasattr(error, "error_dict"):
        errors = {
            name: [m for e in items for m in e.messages] for name, items in error.error_dict.items()
        }
    else:
        errors = {"base": list(error.messages)}
    return invalid_fields(errors).response()


# -------------------------------------------------------------------------- pages


_page_types: dict[str, Any] = {}


def page_of(key: str, item: Any, name: str) -> Any:
    """The declaration of a list envelope: `{key: [item], next_page, previous_page, count}`
    for offset pagination, `{key: [item], meta, links}` for cursor pagination."""
    if name not in _page_types:
        from buzon.api.types import CursorLinks, CursorMeta

        # Built at run time for the schema only; mypy reads no TypedDict made from variables.
        _page_types[name] = TypedDict(  # type: ignore[operator]
            name,
            {
                key: list[item],
                "next_page": NotRequired[str | None],
                "previous_page": NotRequired[str | None],
                "count": NotRequired[int],
                "meta": NotRequired[CursorMeta],
                "links": NotRequired[CursorLinks],
            },
        )
    return _page_types[name]
