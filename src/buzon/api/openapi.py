"""The OpenAPI 3.1 document, built from the endpoint declarations in `router.api`."""

from __future__ import annotations

from functools import cache
from typing import Any

from buzon.api import types as t
from buzon.api.router import Endpoint, Router, api
from buzon.api.schema import SchemaBuilder

ERROR_STATUSES = {
    400: "Bad request: a malformed parameter, body or search query",
    401: "No valid credentials",
    403: "Not allowed for this user",
    404: "Not found (or not visible to this user)",
    409: "Changed since it was read (safe_update)",
    413: "The body is too large",
    422: "Validation failed: details names each field",
    429: "Rate limit exceeded: retry after Retry-After seconds",
}


def _errors_for(endpoint: Endpoint) -> list[int]:
    statuses = [400]
    if endpoint.access != "public":
        statuses += [401, 403, 429]
    if endpoint.path_params:
        statuses.append(404)
    if endpoint.method in ("POST", "PUT", "DELETE"):
        statuses += [413, 422]
    if endpoint.method == "PUT" and endpoint.path.startswith("tickets/{"):
        statuses.append(409)
    return sorted(set(statuses))


def _operation(endpoint: Endpoint, builder: SchemaBuilder) -> dict[str, Any]:
    error_ref = builder.schema(t.Error)
    operation: dict[str, Any] = {
        "operationId": endpoint.operation_id,
        "summary": endpoint.summary,
        "tags": [endpoint.tag] if endpoint.tag else [],
        "parameters": [],
        "responses": {},
    }
    if endpoint.description:
        operation["description"] = endpoint.description
    access = {
        "public": "Anyone.",
        "user": "Agents, and end users for what is theirs.",
        "agent": "Agents and admins.",
        "admin": "Admins.",
    }[endpoint.access]
    operation["description"] = (
        operation.get("description", "") + f"\n\nAllowed for: {access}"
    ).strip()
    for name in endpoint.path_params:
        operation["parameters"].append(
            {
                "name": name,
                "in": "path",
                "required": True,
                "schema": {"type": "integer", "minimum": 1},
            }
        )
    for param in endpoint.query:
        schema = builder.schema(param.type)
        if param.type is int:
            schema["minimum"] = 1
            if "size" in param.name or param.name == "per_page":
                schema["maximum"] = 100
        if param.type is bool:
            schema = {"type": "string", "enum": ["true", "false"]}
        entry = {"name": param.name, "in": "query", "required": param.required, "schema": schema}
        if param.description:
            entry["description"] = param.description
        operation["parameters"].append(entry)
    if endpoint.body is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": builder.schema(endpoint.body)}},
        }
    if endpoint.response is None:
        operation["responses"][str(endpoint.status)] = {"description": "Done (no content)"}
    else:
        operation["responses"][str(endpoint.status)] = {
            "description": "Success",
            "content": {"application/json": {"schema": builder.schema(endpoint.response)}},
        }
    for status in _errors_for(endpoint):
        response: dict[str, Any] = {
            "description": ERROR_STATUSES[status],
            "content": {"application/json": {"schema": error_ref}},
        }
        if status == 429:
            response["headers"] = {
                "Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait"}
            }
        operation["responses"][str(status)] = response
    if endpoint.access == "public":
        operation["security"] = []
    return operation


def build(router: Router = api) -> dict[str, Any]:
    builder = SchemaBuilder()
    paths: dict[str, dict[str, Any]] = {}
    for endpoint in router.endpoints:
        item = paths.setdefault(f"/api/v2/{endpoint.path}", {})
        item[endpoint.method.lower()] = _operation(endpoint, builder)
    tags = sorted({e.tag for e in router.endpoints if e.tag})
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Buzón API",
            "version": "2",
            "description": (
                "Zendesk's Support API shapes for what Buzón has: tickets, comments, "
                "audits, users and identities, email notifications with per-recipient "
                "delivery status, search, views and triggers. Paths also accept a `.json` "
                "suffix. Authenticate with an API token as HTTP basic auth "
                "(`{email}/token` as user name, the token as password) or as a Bearer token."
            ),
        },
        "servers": [{"url": "/"}],
        "tags": [{"name": tag} for tag in tags],
        "paths": paths,
        "components": {
            "schemas": dict(sorted(builder.components.items())),
            "securitySchemes": {
                "apiToken": {
                    "type": "http",
                    "scheme": "basic",
                    "description": "User name `{email}/token`, password: the API token",
                },
                "bearerToken": {"type": "http", "scheme": "bearer"},
            },
        },
        "security": [{"apiToken": []}, {"bearerToken": []}],
    }


@cache
def document() -> dict[str, Any]:
    from buzon.api import urls  # noqa: F401 (registers every endpoint)

    return build()
