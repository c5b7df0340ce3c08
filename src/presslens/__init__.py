"""presslens: how political news and opinion articles work on the reader."""

from __future__ import annotations

from presslens.document import Document
from presslens.pipeline import Pipeline

__version__ = "0.1.0"

__all__ = ["Document", "Pipeline", "__version__", "analyze_text"]


def analyze_text(text: str, source: str | None = None) -> Document:
    """Analyse one article given as text (debris lines removed, English assumed)."""
    from presslens.ingest import IngestOptions, document_from_text

    document = document_from_text(text, source or "<text>", IngestOptions(english_only=False))
    return Pipeline()(document)
