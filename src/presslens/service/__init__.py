"""The presslens web service: a JSON API over the pipeline and the corpus store, and a web
interface served by the same process (``presslens serve``; ``presslens.service.app.create_app``).
Nothing it offers writes to the store; analysing a text never stores it.

``app`` assembles the application from ``routes`` (one router per resource, and the web
interface), ``dependencies`` (the settings, the store opened read-only per request, the
filters, the bearer token), ``models`` (the answers' shapes, for the OpenAPI schema),
``errors`` (every answer other than 200 is ``{"error": ...}``) and ``security`` (headers, limits).
"""

from __future__ import annotations

from presslens.ingest.raw import DEFAULT_MAX_BYTES  # largest request body: the one input limit

__all__ = ["DEFAULT_MAX_BYTES"]
