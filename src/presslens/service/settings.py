"""What one running service is configured with: one object, kept on the application's state."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from presslens.document import Document
from presslens.service import DEFAULT_MAX_BYTES
from presslens.service.security import LOOPBACK_HOSTS

# Enough to absorb a burst of a few clients; a longer queue only makes every answer later
# (at about 1.5 s an analysis on 2 cores, 8 waiting is some 12 s).
DEFAULT_MAX_QUEUE = 8

Analysis = Callable[[Document], Document]
"""What a pipeline is to the service: a Document in, the same Document with its layers out."""


@dataclass(frozen=True)
class ServiceSettings:
    """``store_path``: the corpus store to read (None: the corpus endpoints answer 503).
    ``token``: the bearer token POST requests need (None: none needed). ``max_bytes``: the
    largest request body. ``pipeline_factory``: builds the pipeline on the first analysis
    (None: ``Pipeline()``, every stage). ``analysis_workers``: analyses run at once, each
    thread with its own pipeline (about 1.5 GB each at peak). ``max_queue``: analyses that
    may wait beyond those running; past it a request gets 503 with Retry-After.
    ``fact_checks``: an index whose matches the analysed claims get (None: none).
    ``allowed_hosts``: the names a request's Host header may give (``*``: any; see
    ``presslens.service.security``)."""

    store_path: Path | None = None
    token: str | None = None
    max_bytes: int = DEFAULT_MAX_BYTES
    pipeline_factory: Callable[[], Analysis] | None = None
    analysis_workers: int = 1
    max_queue: int = DEFAULT_MAX_QUEUE
    fact_checks: str | None = None  # a fact-check index (`presslens claims index`) for the claims stage
    allowed_hosts: tuple[str, ...] = LOOPBACK_HOSTS
