"""The schema (/api/v2/openapi.json) and a browsable page of it (/api/v2/docs)."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from buzon.api.openapi import document
from buzon.api.router import Call, api


@api.get(
    "openapi",
    response=dict[str, Any],
    summary="This OpenAPI document",
    tag="Schema",
    access="public",
)
def openapi_schema(call: Call) -> Any:
    """Generated from the endpoint declarations in the code."""
    return JsonResponse(document(), json_dumps_params={"ensure_ascii": False, "indent": 1})


TAG_ORDER = [
    "Tickets", "Users", "User identities", "Email notifications", "Search", "Views",
    "Triggers", "Schema",
]  # fmt: skip


def docs_page(request: HttpRequest) -> HttpResponse:
    schema = document()
    operations = []
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            success = next(iter(operation["responses"].items()))
            content = success[1].get("content", {}).get("application/json", {})
            operations.append(
                {
                    "method": method.upper(),
                    "path": path,
                    "op": operation,
                    "tag": (operation.get("tags") or [""])[0],
                    "status": success[0],
                    "response": _ref_name(content.get("schema")),
                    "body": _ref_name(
                        operation.get("requestBody", {})
                        .get("content", {})
                        .get("application/json", {})
                        .get("schema")
                    ),
                }
            )
    operations.sort(key=lambda o: TAG_ORDER.index(o["tag"]) if o["tag"] in TAG_ORDER else 99)
    components = [
        {"name": name, "json": json.dumps(value, indent=2, ensure_ascii=False)}
        for name, value in schema["components"]["schemas"].items()
    ]
    return render(
        request,
        "api/docs.html",
        {"schema": schema, "operations": operations, "components": components},
    )


def _ref_name(schema: dict[str, Any] | None) -> str:
    if not schema:
        return ""
    ref = schema.get("$ref", "")
    return ref.rsplit("/", 1)[-1] if ref else "object"
