"""The attribution stage of the pipeline: who said what, on a Document.

The extractor finds the fragments (source, cue, content); ``resolve`` turns them into
attributions tied to the article's actors. The stage runs after the actor stage, whose
entities and roles the speaker resolution needs.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from presslens.attribution.extract import load_extractor
from presslens.attribution.resolve import build_attributions
from presslens.document import Document

if TYPE_CHECKING:
    from spacy.tokens import Doc


class AttributionStage:
    """Fills ``Document.attributions``. ``model_dir`` overrides where the tagger is read from
    (by default the packaged model, or ``$PRESSLENS_ATTRIBUTION_MODEL``)."""

    name = "attribution"

    def __init__(self, model_dir: Path | None = None) -> None:
        self.model_dir = model_dir

    def __call__(self, document: Document, parsed: Doc) -> None:
        # Loaded on first use, once per process (the registry caches it), so that building a
        # pipeline stays cheap and a missing model shows up as a ModelError of this stage.
        extractor = load_extractor(self.model_dir)
        document.attributions = build_attributions(document, parsed, extractor.extract(parsed))
