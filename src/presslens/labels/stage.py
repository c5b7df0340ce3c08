"""The labels stage of the pipeline: ``Document.labels`` from the parse and the layers before it."""

from __future__ import annotations

from presslens.encoder.analysis import Analysis
from presslens.labels.extract import extract_labels


class LabelStage:
    """Labels every mention of an actor; reads the attributions (whose words a label is) and
    the techniques (name calling over a mention) when those stages ran."""

    name = "labels"

    def __call__(self, analysis: Analysis) -> None:
        analysis.document.labels = extract_labels(analysis.document, analysis.parsed)
