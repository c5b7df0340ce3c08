"""One document under analysis: what the pipeline hands to every stage.

The Document is what a stage fills in and what the pipeline gives back. The spaCy parse and
the encoder's states are what stages read; they are kept here, not in the Document (neither
goes into its JSON), and only while the document is analysed. ``Analysis`` lives in the
encoder layer because that is the lowest layer that knows all of its parts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from presslens.document import Document
from presslens.encoder.encoding import Encoding

if TYPE_CHECKING:
    from spacy.tokens import Doc


@dataclass
class Analysis:
    """``document``: the Document the stages fill in; ``parsed``: its spaCy parse (the nlp
    stage's); ``encoding``: the shared encoder pass over its text (the encoder stage's, None
    before it runs or when no stage needs it)."""

    document: Document
    parsed: Doc
    encoding: Encoding | None = None

    def release(self) -> None:
        """Free what only the analysis needed (the encoder's states are the large part)."""
        self.encoding = None
