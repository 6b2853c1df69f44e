"""One error envelope for every failure: `{"error": {"code", "message", "field"}}`.

Codes are a small fixed set (`ErrorCode`); messages name the problem and never
carry a traceback or a file path. Validation errors also list every problem
found under `problems`, so a client fixes its request in one round trip.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Sequence
from enum import StrEnum
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from optimizer.errors import InfeasibleError, InputError, Problem

log = logging.getLogger("optimizer.api")


class ErrorCode(StrEnum):
    BAD_REQUEST = "bad_request"  # 400: unreadable request (bad JSON, bad header)
    UNAUTHORIZED = "unauthorized"  # 401: no key or an invalid one
    FORBIDDEN = "forbidden"  # 403: outside the key's role or scope
    NOT_FOUND = "not_found"  # 404
    METHOD_NOT_ALLOWED = "method_not_allowed"  # 405
    CONFLICT = "conflict"  # 409: the resource's state forbids it
    TOO_LARGE = "too_large"  # 413: body or list over a limit
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"  # 415
    INVALID = "invalid"  # 422: well-formed but wrong
    INFEASIBLE = "infeasible"  # 422: valid data for which no solution can exist
    INTERNAL = "internal"  # 500
    UNAVAILABLE = "unavailable"  # 503: overloaded or unhealthy; retry later


STATUS_CODES = {
    400: ErrorCode.BAD_REQUEST,
    401: ErrorCode.UNAUTHORIZED,
    403: ErrorCode.FORBIDDEN,
    404: ErrorCode.NOT_FOUND,
    405: ErrorCode.METHOD_NOT_ALLOWED,
    409: ErrorCode.CONFLICT,
    413: ErrorCode.TOO_LARGE,
    415: ErrorCode.UNSUPPORTED_MEDIA_TYPE,
    422: ErrorCode.INVALID,
    500: ErrorCode.INTERNAL,
    503: ErrorCode.UNAVAILABLE,
}
TOO_MANY = "too_many"  # pydantic error type raised by api.limits.MaxItems
LOCATIONS = ("body", "query", "path", "header", "cookie")


class ProblemOut(BaseModel):
    field: str | None = Field(None, description="dotted path of the offending input")
    message: str
    code: str


class ErrorBody(BaseModel):
    code: ErrorCode
    message: str
    field: str | None = Field(None, description="dotted path of the offending input")
    problems: list[ProblemOut] | None = Field(None, description="every problem found (422)")


class ErrorEnvelope(BaseModel):
    error: ErrorBody


class ApiError(Exception):
    """An error the API answers on purpose; handlers render it as the envelope."""

    def __init__(
        self,
        status: int,
        message: str,
        field: str | None = None,
        code: ErrorCode | None = None,
        problems: Sequence[Problem] = (),
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code or STATUS_CODES.get(status, ErrorCode.BAD_REQUEST)
        self.message = message
        self.field = field
        self.problems = list(problems)
        self.headers = headers


class NotFound(ApiError):
    def __init__(self, what: str, ident: str, field: str | None = None) -> None:
        super().__init__(404, f"{what} {ident!r} not found", field=field)


class Conflict(ApiError):
    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(409, message, field=field)


class Forbidden(ApiError):
    def __init__(self, message: str) -> None:
        super().__init__(403, message)


class Unauthorized(ApiError):
    def __init__(self, message: str) -> None:
        super().__init__(401, message, headers={"WWW-Authenticate": "Bearer"})


class TooLarge(ApiError):
    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(413, message, field=field)


class Unavailable(ApiError):
    def __init__(self, message: str, retry_after_s: int = 5) -> None:
        super().__init__(503, message, headers={"Retry-After": str(retry_after_s)})


class BodyTooLarge(StarletteHTTPException):
    """Raised while a body streams in; an HTTPException so FastAPI lets it through."""

    def __init__(self, maximum: int) -> None:
        super().__init__(413, f"Request body is larger than the maximum of {maximum} bytes")


def field_path(loc: Sequence[Any], prefix: Sequence[str] = ()) -> str:
    """`("body", "parcels", 0, "weight_g")` -> `"parcels.0.weight_g"`."""
    parts = [str(p) for p in loc]
    if len(parts) > 1 and parts[0] in LOCATIONS:
        parts = parts[1:]
    return ".".join([*prefix, *parts])


def problems_from_pydantic(errors: Sequence[Any], prefix: Sequence[str] = ()) -> list[Problem]:
    return [
        Problem(field=field_path(e.get("loc", ()), prefix), message=e["msg"], code=e["type"])
        for e in errors
    ]


def validation_error(errors: Sequence[Any], prefix: Sequence[str] = ()) -> ApiError:
    """Pydantic errors as an ApiError: 413 for a list over its limit, 400 for bad JSON, else 422."""
    for error in errors:
        if error.get("type") == TOO_MANY:
            return TooLarge(error["msg"], field=field_path(error["loc"], prefix))
    first: Any = errors[0] if errors else {"type": "invalid", "msg": "invalid request", "loc": ()}
    if first["type"] == "json_invalid":
        position = first["loc"][-1] if first.get("loc") else "?"
        reason = (first.get("ctx") or {}).get("error", "JSON decode error")
        return ApiError(400, f"Body is not valid JSON: {reason} at position {position}", "body")
    problems = problems_from_pydantic(errors, prefix)
    return _invalid(problems)


def _allowed_methods(request: Request) -> list[str]:
    """All methods of the path (the framework names only the first route that matched)."""
    methods: set[str] = set()
    for pattern, route_methods in getattr(request.app.state, "allowed_methods", []):
        if pattern.match(request.url.path):
            methods |= route_methods
    return sorted(methods - {"HEAD"})


def _body_not_json(request: Request, errors: Sequence[Any]) -> bool:
    """A body sent without a JSON content type reaches validation as raw bytes."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    is_json = content_type == "application/json" or content_type.endswith("+json")
    return (
        not is_json
        and any(tuple(e.get("loc", ())) == ("body",) for e in errors)
        and bool(request.headers.get("content-length", "0") != "0")
    )


def input_error(exc: InputError) -> ApiError:
    """The core's InputError: 422 with every problem it found."""
    code = ErrorCode.INFEASIBLE if isinstance(exc, InfeasibleError) else ErrorCode.INVALID
    return _invalid(exc.problems, code)


def _invalid(problems: list[Problem], code: ErrorCode = ErrorCode.INVALID) -> ApiError:
    if not problems:
        return ApiError(422, "invalid request", code=code)
    first = problems[0]
    more = len(problems) - 1
    message = first.message + (f" (and {more} more problem{'s' * (more > 1)})" if more else "")
    return ApiError(422, message, field=first.field or None, code=code, problems=problems)


def render(error: ApiError) -> JSONResponse:
    body: dict[str, Any] = {
        "code": error.code.value,
        "message": error.message,
        "field": error.field,
    }
    if error.problems:
        body["problems"] = [
            {"field": p.field or None, "message": p.message, "code": p.code} for p in error.problems
        ]
    return JSONResponse({"error": body}, status_code=error.status, headers=error.headers)


def install_error_handlers(app: FastAPI) -> None:
    """Route every exception to the envelope; anything unexpected becomes a logged 500."""

    async def api_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ApiError)
        return render(exc)

    async def request_validation(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        errors = list(exc.errors())
        if _body_not_json(request, errors):
            message = "Send the body as JSON with 'Content-Type: application/json'"
            return render(ApiError(415, message, "body"))
        return render(validation_error(errors))

    async def pydantic_validation(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ValidationError)
        return render(validation_error(exc.errors()))

    async def core_input(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, InputError)
        return render(input_error(exc))

    async def http_exception(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        status = exc.status_code
        message = exc.detail if isinstance(exc.detail, str) else "request refused"
        headers = dict(getattr(exc, "headers", None) or {})
        if status == 404 and message == "Not Found":
            message = "No such endpoint; the API is under /v1 (see /docs)"
        if status == 405:
            allowed = _allowed_methods(request)
            if allowed:
                headers["Allow"] = ", ".join(allowed)
                message = f"{request.method} is not allowed here; use {' or '.join(allowed)}"
        field = "body" if isinstance(exc, BodyTooLarge) else None
        return render(ApiError(status, message, field, headers=headers or None))

    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        incident = secrets.token_hex(6)
        log.error(
            "unhandled error %s on %s %s",
            incident,
            request.method,
            request.url.path,
            exc_info=(type(exc), exc, exc.__traceback__),
        )
        message = f"Internal error (incident {incident}); the server log has the details"
        return render(ApiError(500, message))

    app.add_exception_handler(ApiError, api_error)
    app.add_exception_handler(RequestValidationError, request_validation)
    app.add_exception_handler(ValidationError, pydantic_validation)
    app.add_exception_handler(InputError, core_input)
    app.add_exception_handler(StarletteHTTPException, http_exception)
    app.add_exception_handler(Exception, unexpected)


BODY_ERRORS = (400, 413, 415)  # what any route taking a JSON body may answer


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entries documenting the envelope for these status codes."""
    descriptions = {
        400: "Unreadable request",
        401: "Missing or invalid API key",
        403: "Outside the key's role or scope",
        404: "Not found",
        409: "Conflicts with the resource's state",
        413: "Body or a list over its limit",
        415: "Body is not JSON",
        422: "Invalid input; `problems` lists every problem",
        503: "Overloaded; retry later",
    }
    return {s: {"model": ErrorEnvelope, "description": descriptions[s]} for s in statuses}
