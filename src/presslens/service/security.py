"""What every response carries and what every request is held to.

Analysed text is hostile input. The API returns it as JSON only; the web interface puts it
into the page with ``textContent`` and never as markup; every response carries a strict
Content-Security-Policy (no inline script, no other hosts). Request bodies are limited to
``max_bytes`` (here by their Content-Length; a body without one is counted as it is read, in
``presslens.service.analysis.read_body``). With a token, the POST endpoints need
``Authorization: Bearer <token>`` (``presslens.service.dependencies.require_token``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import Request
from fastapi.responses import JSONResponse, Response

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)

NextCall = Callable[[Request], Awaitable[Response]]


def secured(response: Response) -> Response:
    """The headers every response carries: no inline script, no other hosts, no framing."""
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers.setdefault("Cache-Control", "no-store")
    return response


def body_over_limit(max_bytes: int) -> str:
    return f"request body over the {max_bytes} byte limit"


def guard(max_bytes: int) -> Callable[[Request, NextCall], Awaitable[Response]]:
    """The HTTP middleware: a body whose Content-Length is bad or over ``max_bytes`` is
    refused before it is read; every response gets the security headers."""

    async def guarded(request: Request, call_next: NextCall) -> Response:
        length = request.headers.get("content-length")
        if length is not None and not length.isdigit():
            response: Response = JSONResponse({"error": "bad Content-Length"}, status_code=400)
        elif length is not None and int(length) > max_bytes:
            response = JSONResponse({"error": body_over_limit(max_bytes)}, status_code=413)
        else:
            response = await call_next(request)
        return secured(response)

    return guarded
