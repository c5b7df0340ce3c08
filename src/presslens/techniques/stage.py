"""The techniques stage of the pipeline: findings, a summary and explanations on a Document.

The shipped model reads the encoder stage's states of the document (``Analysis.encoding``)
and applies only its heads; a model that reads no shared states (not an ``EncodingReader``)
is given the text.
"""

from __future__ import annotations

from pathlib import Path

from presslens.document import Document, TechniqueFinding, TechniqueSummary
from presslens.encoder.analysis import Analysis
from presslens.errors import ModelError
from presslens.techniques.explanations import explain, explanation
from presslens.techniques.model import EncodingReader, PredictedTechnique, TechniquePredictor, load_technique_predictor
from presslens.text import share_of_text


class TechniqueStage:
    """Marks technique spans. ``threshold`` overrides the model's tuned span threshold:
    lower finds more (and more wrongly), higher finds less. ``model`` names the technique
    model in the model registry (default: its default, the shipped encoder); ``model_dir``
    is where it is read from (default ``$PRESSLENS_TECHNIQUE_MODEL`` or the packaged model)."""

    name = "techniques"

    def __init__(self, threshold: float | None = None, model_dir: Path | None = None, model: str | None = None) -> None:
        self.threshold = threshold
        self.model_dir = model_dir
        self.model = model

    def __call__(self, analysis: Analysis) -> None:
        document = analysis.document
        # Loaded on first use, once per process, so that building a pipeline stays cheap.
        predictor = load_technique_predictor(self.model, self.model_dir)
        findings = [
            TechniqueFinding(
                **document.span(found.start, found.end),
                technique=found.technique,
                label=explain(found.technique).label,
                confidence=round(found.confidence, 4),
                span_probability=round(found.span_probability, 4),
                technique_probability=round(found.technique_probability, 4),
            )
            for found in self._predict(predictor, analysis)
        ]
        document.techniques = findings
        threshold = predictor.threshold if self.threshold is None else self.threshold
        document.technique_summary = summarise(document, threshold)

    def _predict(self, predictor: TechniquePredictor, analysis: Analysis) -> list[PredictedTechnique]:
        text, encoding = analysis.document.text, analysis.encoding
        # A model that reads no shared states, or a stage run without an encoder stage before
        # it (outside a pipeline): the model reads the text itself.
        if not isinstance(predictor, EncodingReader) or encoding is None:
            return predictor.predict(text, self.threshold)
        if encoding.encoder != predictor.encoder.name:
            raise ModelError(
                f"the technique model reads the states of '{predictor.encoder.name}', "
                f"but the encoder stage ran '{encoding.encoder}'"
            )
        return predictor.predict_encoded(text, encoding, self.threshold)


def summarise(document: Document, threshold: float) -> TechniqueSummary:
    counts: dict[str, int] = {}
    for finding in document.techniques:
        counts[finding.technique] = counts.get(finding.technique, 0) + 1
    return TechniqueSummary(
        counts=dict(sorted(counts.items(), key=lambda kv: -kv[1])),
        share_of_text=share_of_text(document.text, [(f.start, f.end) for f in document.techniques]),
        threshold=threshold,
        explanations={name: explanation(name) for name in counts},
    )
