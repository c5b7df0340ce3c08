"""The techniques stage of the pipeline: findings, a summary and explanations on a Document."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from presslens.document import Document, TechniqueExplanation, TechniqueFinding, TechniqueSummary
from presslens.techniques.explanations import explain
from presslens.techniques.model import load_predictor

if TYPE_CHECKING:
    from spacy.tokens import Doc


def explanation(technique: str) -> TechniqueExplanation:
    info = explain(technique)
    return TechniqueExplanation(
        label=info.label, definition=info.definition, how_to_recognise=info.how_to_recognise, example=info.example
    )


class TechniqueStage:
    """Marks technique spans. ``threshold`` overrides the model's tuned piece threshold:
    lower finds more (and more wrongly), higher finds less."""

    name = "techniques"

    def __init__(self, threshold: float | None = None, model_dir: Path | None = None) -> None:
        self.threshold = threshold
        self.model_dir = model_dir

    def __call__(self, document: Document, parsed: Doc | None = None) -> None:
        predictor = load_predictor(self.model_dir)
        decoding = predictor.decoding
        if self.threshold is not None:
            decoding = replace(decoding, threshold=self.threshold)
        analysis = predictor.read(document.text)
        spans = predictor.spans(analysis, decoding)
        probabilities = predictor.classify(analysis, [(s, e) for s, e, _ in spans], blend=decoding.blend)
        findings = []
        for (start, end, span_probability), row in zip(spans, probabilities, strict=True):
            ranked = row.argsort()[::-1]
            picks = [ranked[0]] + ([ranked[1]] if row[ranked[1]] >= decoding.second_label else [])
            for index in picks:
                technique = predictor.techniques[int(index)]
                findings.append(
                    TechniqueFinding(
                        **document.span(start, end),  # type: ignore[arg-type]
                        technique=technique,
                        label=explain(technique).label,
                        confidence=round(float(span_probability * row[index]), 4),
                        span_probability=round(float(span_probability), 4),
                        technique_probability=round(float(row[index]), 4),
                    )
                )
        document.techniques = findings
        document.technique_summary = summarise(document, decoding.threshold)


def summarise(document: Document, threshold: float) -> TechniqueSummary:
    counts: dict[str, int] = {}
    for finding in document.techniques:
        counts[finding.technique] = counts.get(finding.technique, 0) + 1
    covered = set()
    for finding in document.techniques:
        covered.update(i for i in range(finding.start, finding.end) if not document.text[i].isspace())
    letters = sum(1 for ch in document.text if not ch.isspace())
    return TechniqueSummary(
        counts=dict(sorted(counts.items(), key=lambda kv: -kv[1])),
        share_of_text=round(len(covered) / letters, 4) if letters else 0.0,
        threshold=threshold,
        explanations={name: explanation(name) for name in counts},
    )
