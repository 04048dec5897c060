"""Zendesk's error shape: `{"error": ..., "description": ..., "details": {...}}`."""

from __future__ import annotations

from typing import Any

from django.http import JsonResponse


class ApiError(Exception):
    """An answer other than success; raised anywhere below a view."""

    def __init__(
        self,
        status: int,
        error: str,
        description: str,
        details: dict[str, list[dict[str, Any]]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(description)
        self.status = status
        self.error = error
        self.description = description
        self.details = details
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"error": self.error, "description": self.description}
        if self.details:
            body["details"] = self.details
        return body

    def response(self) -> JsonResponse:
        response = JsonResponse(self.body(), status=self.status)
        for name, value in self.headers.items():
            response[name] = value
        return response


def bad_request(description: str, field: str | None = None, **extra: Any) -> ApiError:
    details = {field: [{"description": description, **extra}]} if field else None
    return ApiError(400, "InvalidValue", description, details)


def unauthorized(description: str = "Couldn't authenticate you") -> ApiError:
    return ApiError(401, "Couldn't authenticate you", description, headers=_challenge())


def _challenge() -> dict[str, str]:
    return {"WWW-Authenticate": 'Basic realm="Buzón API"'}


def forbidden(description: str = "You do not have access to this resource.") -> ApiError:
    return ApiError(403, "Forbidden", description)


def not_found(description: str = "Not found") -> ApiError:
    return ApiError(404, "RecordNotFound", description)


def record_invalid(field: str, description: str) -> ApiError:
    return invalid_fields({field: [description]})


def invalid_fields(errors: dict[str, list[str]]) -> ApiError:
    return ApiError(
        422,
        "RecordInvalid",
        "Record validation errors",
        {
            field: [{"description": message} for message in messages]
            for field, messages in errors.items()
        },
    )


def conflict(description: str) -> ApiError:
    return ApiError(409, "UpdateConflict", description)
