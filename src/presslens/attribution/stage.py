"""The attribution stage of the pipeline: who said what, on a Document.

The tagger finds the fragments (source, cue, content); ``resolve`` turns them into
attributions tied to the article's actors. The stage runs after the actor stage, whose
entities and roles the speaker resolution needs (the stage registry, ``presslens.stages``,
says so). Taggers load through the one model loader (kind "attribution"): a new tagger is a
class with ``extract`` and one registry entry.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Protocol, cast

from presslens.attribution.extract import model_dir
from presslens.attribution.resolve import build_attributions
from presslens.attribution.types import FoundAttribution
from presslens.encoder.analysis import Analysis
from presslens.encoder.encoding import Encoding
from presslens.models.loader import ATTRIBUTION, load_model, registry

if TYPE_CHECKING:
    from spacy.tokens import Doc


class AttributionTagger(Protocol):
    """What the attribution stage needs of an attribution model."""

    def extract(self, parsed: Doc, encoding: Encoding | None = None) -> list[FoundAttribution]:
        """The attributions in ``parsed`` (its ``.text`` is the document text), in text order;
        ``encoding``: the shared encoder's pass over the same text, when the pipeline ran it
        (a tagger that reads token states and gets none encodes the text itself)."""
        ...


def load_tagger(name: str | None = None, folder: Path | None = None) -> AttributionTagger:
    """The attribution model ``name`` (default: the registry's default, the CRF tagger), from
    ``folder`` (default ``$PRESSLENS_ATTRIBUTION_MODEL`` or the packaged model), loaded once
    per process."""
    name = name or registry.default(ATTRIBUTION)
    return cast(AttributionTagger, load_model(ATTRIBUTION, name, folder=model_dir(folder, name)))


class AttributionStage:
    """Fills ``Document.attributions``. ``model`` names the tagger in the model registry;
    ``model_dir`` overrides where it is read from (by default the packaged model, or
    ``$PRESSLENS_ATTRIBUTION_MODEL``)."""

    name = "attribution"

    def __init__(self, model_dir: Path | None = None, model: str | None = None) -> None:
        self.model_dir = model_dir
        self.model = model

    def __call__(self, analysis: Analysis) -> None:
        # Loaded on first use, once per process (the loader caches it), so that building a
        # pipeline stays cheap and a missing model shows up as a ModelError of this stage.
        tagger = load_tagger(self.model, self.model_dir)
        document, parsed = analysis.document, analysis.parsed
        found = tagger.extract(parsed, analysis.encoding)
        document.attributions = build_attributions(document, parsed, found)
