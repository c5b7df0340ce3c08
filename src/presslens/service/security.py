"""What every response carries and what every request is held to.

Analysed text is hostile input. The API returns it as JSON only; the web interface puts it
into the page with ``textContent`` and never as markup; every response carries a strict
Content-Security-Policy (no inline script, no other hosts). Request bodies are limited to
``max_bytes`` (here by their Content-Length; a body without one is counted as it is read, in
``presslens.service.analysis.read_body``). With a token, the POST endpoints need
``Authorization: Bearer <token>`` (``presslens.service.dependencies.require_token``).

A server on loopback is still reachable from any page the user's browser opens: a page on
another site can point its own domain at 127.0.0.1 (DNS rebinding) and read the corpus, or
send a "simple" cross-site POST that needs no preflight. So a request must name an allowed
host in its ``Host`` header (the loopback names unless configured: ``presslens serve
--allow-host``), and a POST that says it comes from a page of another origin is refused.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Awaitable, Callable, Collection
from urllib.parse import urlsplit

from fastapi import Request
from fastapi.responses import JSONResponse, Response

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)

NextCall = Callable[[Request], Awaitable[Response]]

# The names a server on loopback answers to unless told others; any loopback address
# (127.0.0.0/8, ::1) is one too. "*" in a configured list allows every host.
LOOPBACK_HOSTS: tuple[str, ...] = ("localhost", "127.0.0.1", "::1")
ANY_HOST = "*"
# Requests that change or cost something: these are held to the Origin check.
_UNSAFE_METHODS = frozenset(["POST", "PUT", "PATCH", "DELETE"])


def host_name(host: str) -> str:
    """The name of a ``Host`` header, without its port, in lower case: 'LocalHost:8000' ->
    'localhost', '[::1]:8000' -> '::1'."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else host
    name, _, port = host.rpartition(":")
    return (name if name and port.isdigit() else host).rstrip(".")


def is_loopback_host(name: str) -> bool:
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def host_allowed(name: str, allowed: Collection[str]) -> bool:
    """Whether a request naming host ``name`` (see host_name) is answered."""
    if ANY_HOST in allowed or name in allowed:
        return True
    # The loopback names answer whenever any loopback name does: 127.0.0.2 is this machine.
    return is_loopback_host(name) and any(is_loopback_host(a) for a in allowed)


def cross_site(request: Request) -> str | None:
    """Why an unsafe request comes from a page of another site, or None. A browser says where
    a request comes from in ``Origin`` (a page's scheme, host and port; 'null' for a sandboxed
    or local file page) and in ``Sec-Fetch-Site``; a client that is not a browser sends
    neither, and is held to the token instead."""
    origin = request.headers.get("origin")
    if origin is not None:
        own = request.headers.get("host", "").strip().lower()
        parts = urlsplit(origin.strip().lower())
        if parts.scheme not in ("http", "https") or parts.netloc != own:
            return f"cross-site request refused (Origin {origin[:100]!r} is not this server)"
        return None
    if request.headers.get("sec-fetch-site", "").lower() == "cross-site":
        return "cross-site request refused (Sec-Fetch-Site: cross-site)"
    return None


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


def guard(
    max_bytes: int, allowed_hosts: Collection[str] = LOOPBACK_HOSTS
) -> Callable[[Request, NextCall], Awaitable[Response]]:
    """The HTTP middleware: a request naming a host not allowed gets 400, an unsafe one from
    another site 403; a body whose Content-Length is bad or over ``max_bytes`` is refused
    before it is read; every response gets the security headers."""
    allowed = frozenset(host_name(h) if h != ANY_HOST else h for h in allowed_hosts)

    async def guarded(request: Request, call_next: NextCall) -> Response:
        length = request.headers.get("content-length")
        host = host_name(request.headers.get("host", ""))
        refused = cross_site(request) if request.method in _UNSAFE_METHODS else None
        if not host_allowed(host, allowed):
            message = (
                f"host {host[:100]!r} is not served here (allowed: {', '.join(sorted(allowed))}; see --allow-host)"
            )
            response: Response = JSONResponse({"error": message}, status_code=400)
        elif refused is not None:
            response = JSONResponse({"error": refused}, status_code=403)
        elif length is not None and not length.isdigit():
            response = JSONResponse({"error": "bad Content-Length"}, status_code=400)
        elif length is not None and int(length) > max_bytes:
            response = JSONResponse({"error": body_over_limit(max_bytes)}, status_code=413)
        else:
            response = await call_next(request)
        return secured(response)

    return guarded
