"""The techniques stage of the pipeline: findings, a summary and explanations on a Document.

The shipped model reads the encoder stage's states of the document (``Analysis.encoding``)
and applies only its heads; a model that reads no shared states (not an ``EncodingReader``)
is given the text. Over the document's spaCy parse (``Analysis.parsed``), the model's spans then
end at phrase boundaries (``presslens.techniques.boundaries``), and pejorative designations used
as labels are added where the model found nothing (``presslens.techniques.designations``).
A span the boundary rule moved keeps the model's probabilities, those of the span the model
found: the ``TechniquePredictor`` interface scores only the spans it finds itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from presslens.document import Document, TechniqueFinding, TechniqueSummary
from presslens.encoder.analysis import Analysis
from presslens.errors import ModelError
from presslens.techniques import designations
from presslens.techniques.boundaries import Parse, Span, fit_spans
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
        predicted = self._predict(predictor, analysis)
        refined = refine(Parse.of(analysis.parsed, document.text), [(found.start, found.end) for found in predicted])
        findings = [
            TechniqueFinding(
                **document.span(*refined.fitted[found.start, found.end]),
                technique=found.technique,
                label=explain(found.technique).label,
                confidence=round(found.confidence, 4),
                span_probability=round(found.span_probability, 4),
                technique_probability=round(found.technique_probability, 4),
            )
            for found in predicted
        ]
        findings += [designation_finding(document, start, end) for start, end in refined.labels]
        # In text order; the model's two techniques of one span keep their order.
        document.techniques = sorted(findings, key=lambda f: (f.start, f.end))
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


@dataclass(frozen=True)
class Refined:
    """What the stage's rules make of the model's spans over a document's parse."""

    fitted: dict[Span, Span]  # each of the model's spans -> the span ending at a phrase boundary
    labels: list[Span]  # the designation rule's spans, where the model found nothing overlapping


def refine(parse: Parse | None, spans: Iterable[Span]) -> Refined:
    """The boundary rule over the model's ``spans``, then the designation rule's spans that
    overlap none of them (``parse`` None: neither rule has a parse to read, nothing changes)."""
    fitted = fit_spans(parse, spans)
    return Refined(fitted, designations.unclaimed(designations.designation_spans(parse), list(fitted.values())))


def designation_finding(document: Document, start: int, end: int) -> TechniqueFinding:
    """A finding of the designation rule on [start, end): its probabilities are the rule's
    measured precision (``presslens.techniques.designations``)."""
    return TechniqueFinding(
        **document.span(start, end),
        technique=designations.TECHNIQUE,
        label=explain(designations.TECHNIQUE).label,
        confidence=round(designations.SPAN_PROBABILITY * designations.TECHNIQUE_PROBABILITY, 4),
        span_probability=designations.SPAN_PROBABILITY,
        technique_probability=designations.TECHNIQUE_PROBABILITY,
        origin="rule",
    )


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
