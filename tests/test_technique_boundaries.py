"""The technique stage's rules over the parse: span boundaries and the designation rule."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import spacy

from presslens.document import Document
from presslens.encoder.analysis import Analysis
from presslens.models.loader import TECHNIQUES, register_model, registry, spacy_model
from presslens.techniques import designations
from presslens.techniques.boundaries import Parse, Span, fit_spans
from presslens.techniques.designations import designation_spans, unclaimed
from presslens.techniques.model import PredictedTechnique
from presslens.techniques.stage import TechniqueStage, refine


def _parse(text: str) -> Parse:
    parse = Parse.of(spacy_model()(text), text)
    assert parse is not None
    return parse


def _span(text: str, words: str) -> Span:
    start = text.index(words)
    return start, start + len(words)


def _fitted(text: str, *words: str) -> list[str]:
    """The text of each span (given by its words) once the boundary rule has moved it."""
    spans = [_span(text, w) for w in words]
    fitted = fit_spans(_parse(text), spans)
    return [text[slice(*fitted[span])] for span in spans]


# --- boundaries ------------------------------------------------------------------------------


def test_a_span_that_stops_before_its_nominal_head_reaches_it() -> None:
    text = "They ran sophisticated and elaborate smear campaigns against the MEK."
    assert _fitted(text, "sophisticated and elaborate smear") == ["sophisticated and elaborate smear campaigns"]


def test_trailing_function_words_are_trimmed() -> None:
    text = "He has promised that the turmoil will continue. His remarks were reckless and insulting to the families."
    assert _fitted(text, "the turmoil will", "reckless and insulting to") == ["the turmoil", "reckless and insulting"]


def test_spans_that_end_well_stay_and_starts_never_move() -> None:
    text = "The so-called experts lied to the American people about the worst mass shooting in history."
    assert _fitted(text, "lied to the American people", "the worst mass shooting") == [
        "lied to the American people",
        "the worst mass shooting",
    ]
    # A span of function words only is the model's to keep or not.
    assert _fitted("The report has been shelved.", "has been") == ["has been"]


def test_a_span_does_not_grow_into_the_next_line_or_the_next_span() -> None:
    text = "A shocking\nreport was published. They ran elaborate smear campaigns against him."
    assert _fitted(text, "A shocking") == ["A shocking"]
    # Alone, "elaborate smear" ends at "campaigns"; with a span there, it keeps its end.
    assert _fitted(text, "elaborate smear") == ["elaborate smear campaigns"]
    assert _fitted(text, "elaborate smear", "campaigns against him") == ["elaborate smear", "campaigns against him"]


def test_a_rule_that_would_end_a_span_inside_a_word_is_refused() -> None:
    text = "They simply cannot go home."
    parse = _parse(text)
    span = _span(text, "simply cannot")
    # spaCy splits "cannot" into "can" + "not": a rule may not end a span between them.
    assert fit_spans(parse, [span], rule=lambda p, s: (s[0], s[1] - 3)) == {span: span}
    assert fit_spans(parse, [span], rule=lambda p, s: (s[0], s[0])) == {span: span}  # nor empty it


def test_without_a_usable_parse_nothing_changes() -> None:
    text = "They ran elaborate smear campaigns. The regime lied."
    assert Parse.of(spacy.blank("en")(text), text) is None  # no tags, no dependencies
    assert Parse.of(spacy_model()(text), text + " More.") is None  # the parse of another text
    span = _span(text, "elaborate smear")
    assert fit_spans(None, [span, span]) == {span: span}
    assert designation_spans(None) == []
    assert refine(None, [span]).labels == []


# --- designations ----------------------------------------------------------------------------


def _labels(text: str) -> list[str]:
    return [text[s:e] for s, e in designation_spans(_parse(text))]


def test_designations_that_refer_to_an_actor_are_labels() -> None:
    text = (
        "It is a threat to the regime. The Iranian regime denied it. Tehran's regime and its henchmen "
        "lied. The MEK is a terrorist cult. The junta arrested them. Despotic mullahs rule the country."
    )
    assert _labels(text) == [
        "regime",
        "Iranian regime",
        "Tehran's regime",
        "its henchmen",
        "terrorist cult",
        "junta",
        "Despotic mullahs",
    ]


def test_the_rule_takes_no_side() -> None:
    text = "Moscow says the Kyiv regime shelled the town, and Kyiv says the Kremlin regime did."
    assert _labels(text) == ["Kyiv regime", "Kremlin regime"]
    assert _labels("Critics call the group a cult. Its members call its critics Kremlin puppets.") == [
        "cult",
        "Kremlin puppets",
    ]


def test_designations_that_name_no_actor_are_not_labels() -> None:
    text = (
        "They support a regime change policy. The people were calling for regime change. Iranian regime "
        "officials met. The sanctions regime hurts exporters. A new tax regime starts in May. Any regime "
        "would do that. The government and its ministers met."
    )
    assert _labels(text) == []


def test_the_models_findings_win_over_the_rules() -> None:
    assert unclaimed([(0, 5), (10, 16), (12, 20), (30, 36)], [(3, 8)]) == [(10, 16), (30, 36)]


# --- in the stage ----------------------------------------------------------------------------


class _RegimeModel:
    """A technique model that marks "elaborate smear" and the second "the regime" (a TechniquePredictor)."""

    def __init__(self, folder: Path, quantise: bool = True) -> None:
        pass

    @property
    def threshold(self) -> float:
        return 0.3

    def predict(self, text: str, threshold: float | None = None) -> list[PredictedTechnique]:
        smear = text.index("elaborate smear")
        regime = text.index("the regime")  # the second: the first is "The regime"
        return [
            PredictedTechnique(smear, smear + 15, "Loaded_Language", 0.8, 0.75, 0.6),
            PredictedTechnique(smear, smear + 15, "Name_Calling,Labeling", 0.8, 0.25, 0.2),
            PredictedTechnique(regime, regime + 10, "Loaded_Language", 0.5, 0.5, 0.25),
        ]


@pytest.fixture
def regime_model() -> Iterator[str]:
    register_model(TECHNIQUES, "regime-test", _RegimeModel)
    yield "regime-test"
    registry.unregister(TECHNIQUES, "regime-test")


def test_the_stage_fits_the_models_spans_and_adds_the_rules(regime_model: str) -> None:
    text = "The regime ran elaborate smear campaigns. Then the regime lied."
    analysis = Analysis(Document.from_text(text), spacy_model()(text))
    TechniqueStage(model=regime_model)(analysis)
    found = [(f.text, f.technique, f.origin, f.span_probability) for f in analysis.document.techniques]
    assert found == [
        ("regime", "Name_Calling,Labeling", "rule", designations.SPAN_PROBABILITY),
        # The model's span ends at its phrase's head and keeps the model's probabilities.
        ("elaborate smear campaigns", "Loaded_Language", "model", 0.8),
        ("elaborate smear campaigns", "Name_Calling,Labeling", "model", 0.8),
        # The model found the second "the regime": its finding, not the rule's.
        ("the regime", "Loaded_Language", "model", 0.5),
    ]
    for finding in analysis.document.techniques:
        assert text[finding.start : finding.end] == finding.text
        assert 0 <= finding.confidence <= finding.span_probability <= 1
    summary = analysis.document.technique_summary
    assert summary is not None and summary.counts == {"Name_Calling,Labeling": 2, "Loaded_Language": 2}
