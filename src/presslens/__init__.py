"""presslens: how political news and opinion articles work on the reader."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from presslens.version import __version__

__all__ = ["Corpus", "Document", "Pipeline", "__version__", "analyze_text", "display"]

if TYPE_CHECKING:
    from presslens.corpus.frames import Corpus
    from presslens.document import Document
    from presslens.pipeline import Pipeline


def __getattr__(name: str) -> Any:
    # Lazy, so that `import presslens.techniques.scorer` does not load spaCy.
    if name == "Document":
        from presslens.document import Document

        return Document
    if name == "Corpus":
        from presslens.corpus.frames import Corpus

        return Corpus
    if name == "Pipeline":
        from presslens.pipeline import Pipeline

        return Pipeline
    raise AttributeError(name)


def display(document: Document, layers: Any = None) -> Any:
    """The document as Jupyter shows it, with the chosen ``layers`` (default all: techniques,
    attributions, actors, labels); see ``presslens.document_html``."""
    from presslens.document_html import LAYERS
    from presslens.document_html import display as view

    return view(document, LAYERS if layers is None else layers)


def analyze_text(text: str, source: str | None = None) -> Document:
    """Analyse one article given as text (debris lines removed, any language accepted)."""
    # Here, as in __getattr__: `import presslens.x` loads x alone, and the pipeline loads spaCy.
    from presslens.ingest import IngestOptions, document_from_text
    from presslens.pipeline import Pipeline

    document = document_from_text(text, source or "<text>", IngestOptions(english_only=False))
    return Pipeline()(document)
