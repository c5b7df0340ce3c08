"""What one running service is configured with: one object, kept on the application's state."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from presslens.document import Document
from presslens.service import DEFAULT_MAX_BYTES

Analysis = Callable[[Document], Document]
"""What a pipeline is to the service: a Document in, the same Document with its layers out."""


@dataclass(frozen=True)
class ServiceSettings:
    """``store_path``: the corpus store to read (None: the corpus endpoints answer 503).
    ``token``: the bearer token POST requests need (None: none needed). ``max_bytes``: the
    largest request body. ``pipeline_factory``: builds the pipeline on the first analysis
    (None: ``Pipeline()``, every stage)."""

    store_path: Path | None = None
    token: str | None = None
    max_bytes: int = DEFAULT_MAX_BYTES
    pipeline_factory: Callable[[], Analysis] | None = None
