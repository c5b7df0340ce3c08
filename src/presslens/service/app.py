"""The FastAPI application: the JSON API under /api (one router per resource, in
``presslens.service.routes``) and the web interface under /.

Security, in short (see ``presslens.service.security``): analysed text is hostile input, and
goes back as JSON only; every response carries a strict Content-Security-Policy; request
bodies are limited to ``max_bytes``; a request must name an allowed host (loopback unless
configured: against DNS rebinding), and a POST from a page of another site is refused.
Nothing here writes to the store (it is opened read-only per request) and the server never
fetches a URL. With a ``token``, the POST endpoints need
``Authorization: Bearer <token>`` (``presslens serve`` sets one when it listens beyond loopback).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from fastapi import FastAPI

from presslens.service import DEFAULT_MAX_BYTES
from presslens.service.analysis import MAX_BATCH_LINES, Analyzer
from presslens.service.errors import ApiError, add_error_handlers
from presslens.service.routes import actors, analyze, documents, labels, narratives, outlets, search, techniques, web
from presslens.service.security import CSP, LOOPBACK_HOSTS, guard, secured
from presslens.service.settings import DEFAULT_MAX_QUEUE, Analysis, ServiceSettings

__all__ = ["CSP", "MAX_BATCH_LINES", "ApiError", "ServiceSettings", "build_app", "create_app", "secured"]

DESCRIPTION = (
    "Who says what about whom in news articles, and how they persuade. Read-only: "
    "analysing never stores; the corpus store is read, never written."
)


def build_app(settings: ServiceSettings) -> FastAPI:
    """The application for these settings."""
    app = FastAPI(
        title="presslens",
        description=DESCRIPTION,
        version="1",
        docs_url=None,  # Swagger and ReDoc load their assets from a CDN: the schema is enough
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.state.settings = settings
    app.state.analyzer = Analyzer(settings)
    add_error_handlers(app)
    app.middleware("http")(guard(settings.max_bytes, settings.allowed_hosts))
    for router in (
        analyze.router,
        documents.router,
        search.router,
        actors.router,
        outlets.router,
        techniques.router,
        narratives.router,
        labels.router,
    ):
        app.include_router(router)
    app.mount("/static", web.static_files(), name="static")
    app.include_router(web.router)
    return app


def create_app(
    store_path: Path | None = None,
    token: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    *,
    pipeline_factory: Callable[[], Analysis] | None = None,
    analysis_workers: int = 1,
    max_queue: int = DEFAULT_MAX_QUEUE,
    fact_checks: str | None = None,
    allowed_hosts: tuple[str, ...] = LOOPBACK_HOSTS,
) -> FastAPI:
    """The application. ``pipeline_factory`` builds the pipeline on the first analysis
    (default: ``Pipeline()``, every stage); tests pass a lighter one."""
    return build_app(
        ServiceSettings(
            store_path, token, max_bytes, pipeline_factory, analysis_workers, max_queue, fact_checks, allowed_hosts
        )
    )
