"""Answers other than 200: every one is ``{"error": "<one line for the user>"}``, whatever
raised it (a route, request validation, an unknown path, a bug), and is documented as such
in the OpenAPI schema."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from presslens.service.security import secured


class ApiError(Exception):
    """An answer other than 200, with a one-line message for the user."""

    def __init__(self, status: int, message: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


class ErrorBody(BaseModel):
    """The body of every answer other than 200."""

    error: str = Field(description="What went wrong, in one line.", examples=["no actor #12 in the store"])


_MEANINGS = {
    400: "Bad request: an empty or non-UTF-8 body, invalid JSON, contradictory filters",
    401: "The server has a token and the request lacks 'Authorization: Bearer <token>'",
    404: "No such document, actor, outlet or technique in the store",
    413: "The request body, or the batch, is over the server's limit",
    415: "A content type the endpoint does not take",
    422: "A parameter or a record that is not valid, or a text that cannot be analysed",
    503: (
        "No corpus store, a store that cannot be opened or is damaged, a model that cannot be loaded, "
        "or a server busy with a full analysis queue (then with Retry-After, in seconds)"
    ),
}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for these statuses, each with the ErrorBody schema."""
    return {status: {"model": ErrorBody, "description": _MEANINGS[status]} for status in statuses}


def _error(message: str, status: int, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


async def _api_error(_: Request, error: ApiError) -> Response:
    return _error(error.message, error.status, error.headers)


async def _invalid_request(_: Request, error: RequestValidationError) -> Response:
    problems = []
    for item in error.errors():
        where = ".".join(str(p) for p in item.get("loc", ()) if p != "body") or "request"
        problems.append(f"{where}: {item.get('msg', 'invalid')}")
    return _error("; ".join(problems) or "invalid request", 422)


async def _http_error(_: Request, error: StarletteHTTPException) -> Response:
    message = error.detail if isinstance(error.detail, str) else "request refused"
    return _error(message, error.status_code)


async def _unexpected(_: Request, error: Exception) -> Response:
    # Raised past the middleware, so the security headers are set here too.
    return secured(_error(f"internal error ({error.__class__.__name__})", 500))


def add_error_handlers(app: FastAPI) -> None:
    app.exception_handler(ApiError)(_api_error)
    app.exception_handler(RequestValidationError)(_invalid_request)
    app.exception_handler(StarletteHTTPException)(_http_error)
    app.exception_handler(Exception)(_unexpected)
