"""The encoder stage: one encoder pass per document, whose states the later stages read.

It runs the configured encoder (kind "encoder" in the model loader) over the windows of each
document once and keeps the ``Encoding`` in the document's ``Analysis``; the stages that need
token states (techniques; attribution next) read it there instead of running an encoder of
their own. Given a batch of documents (``pipe``), it encodes their windows together.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import cast

from presslens.encoder.analysis import Analysis
from presslens.encoder.encoding import Encoder
from presslens.models.loader import ENCODER, load_model


def load_encoder(name: str | None = None, **options: Hashable) -> Encoder | None:
    """The encoder ``name`` of the model registry (default: its default, the encoder of the
    technique model), loaded once per process; None when that model reads no shared states
    (a technique model that encodes its own way), so there is nothing to run."""
    return cast("Encoder | None", load_model(ENCODER, name, **options))


class EncoderStage:
    """Fills ``Analysis.encoding``. ``model`` names the encoder in the model registry;
    ``options`` are its loader options (the default encoder's: ``technique_model``, the
    technique model whose encoder it is)."""

    name = "encoder"

    def __init__(self, model: str | None = None, **options: Hashable) -> None:
        self.model = model
        self.options = options

    def __call__(self, analysis: Analysis) -> None:
        self.pipe([analysis])

    def pipe(self, analyses: Sequence[Analysis]) -> None:
        # Loaded on first use, once per process, so that building a pipeline stays cheap.
        encoder = load_encoder(self.model, **self.options)
        if encoder is None or not analyses:
            return
        encodings = encoder.encode([analysis.document.text for analysis in analyses])
        for analysis, encoding in zip(analyses, encodings, strict=True):
            analysis.encoding = encoding
