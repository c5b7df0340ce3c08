"""The presslens web service: a JSON API over the pipeline and the corpus store, and a web
interface served by the same process (``presslens serve``; ``presslens.service.app.create_app``).
Nothing it offers writes to the store; analysing a text never stores it."""

from __future__ import annotations

DEFAULT_MAX_BYTES = 2_000_000  # largest request body, in bytes
