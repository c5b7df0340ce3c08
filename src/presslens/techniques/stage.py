"""The techniques stage of the pipeline: findings, a summary and explanations on a Document."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from presslens.document import Document, TechniqueFinding, TechniqueSummary
from presslens.techniques.explanations import explain, explanation
from presslens.techniques.model import load_technique_predictor
from presslens.text import share_of_text

if TYPE_CHECKING:
    from spacy.tokens import Doc


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

    def __call__(self, document: Document, parsed: Doc | None = None) -> None:
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
            for found in predictor.predict(document.text, self.threshold)
        ]
        document.techniques = findings
        threshold = predictor.threshold if self.threshold is None else self.threshold
        document.technique_summary = summarise(document, threshold)


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
