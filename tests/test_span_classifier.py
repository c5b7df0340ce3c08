"""The linear span classifier read without scikit-learn: its frozen form (vocabularies,
idf weights, coefficients) gives the fitted model's probabilities."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from presslens.techniques.features import FrozenSpanClassifier, SpanClassifier, SpanContext
from presslens.techniques.model import DEFAULT_MODEL_DIR
from presslens.techniques.ptc import TECHNIQUES
from presslens.techniques.train import load_split

from .conftest import DATA, need


@pytest.fixture(scope="module")
def fitted_and_contexts() -> tuple[SpanClassifier, list[SpanContext]]:
    need(DATA / "ptc")
    train, dev, _ = load_split(DATA / "ptc")
    pairs = [(SpanContext(a.text, s.start, s.end), s.technique) for a in train[:40] for s in a.spans]
    fitted = SpanClassifier(TECHNIQUES).fit([c for c, _ in pairs], [t for _, t in pairs])
    contexts = [SpanContext(a.text, s.start, s.end) for a in dev[:10] for s in a.spans]
    # Edges of the analyzers: one-letter words, words shorter than the longest n-gram, no word.
    text = "I a We must act! ‘Now’ —  said he.\n\nThe regime, the regime."
    contexts += [
        SpanContext(text, 0, 1),
        SpanContext(text, 0, 16),
        SpanContext(text, 16, 17),
        SpanContext(text, 34, 36),
    ]
    return fitted, contexts


def test_the_frozen_classifier_gives_the_fitted_ones_probabilities(
    fitted_and_contexts: tuple[SpanClassifier, list[SpanContext]], tmp_path: Path
) -> None:
    fitted, contexts = fitted_and_contexts
    expected = fitted.predict_proba(contexts)
    fitted.frozen().save(tmp_path)
    loaded = FrozenSpanClassifier.load(tmp_path)
    assert np.allclose(loaded.predict_proba(contexts), expected, atol=1e-12)
    assert loaded.predict_proba([]).shape == (0, len(TECHNIQUES))


def test_a_two_class_classifier_freezes_too(tmp_path: Path) -> None:
    """scikit-learn keeps one row of coefficients for two classes (the second's logistic)."""
    need(DATA / "ptc")
    train, dev, _ = load_split(DATA / "ptc")
    two = ("Loaded_Language", "Name_Calling,Labeling")
    pairs = [(SpanContext(a.text, s.start, s.end), s.technique) for a in train[:40] for s in a.spans]
    pairs = [(c, t) for c, t in pairs if t in two]
    fitted = SpanClassifier(TECHNIQUES).fit([c for c, _ in pairs], [t for _, t in pairs])
    assert fitted.model.coef_.shape[0] == 1
    contexts = [SpanContext(a.text, s.start, s.end) for a in dev[:5] for s in a.spans]
    fitted.frozen().save(tmp_path)
    frozen = FrozenSpanClassifier.load(tmp_path).predict_proba(contexts)
    assert np.allclose(frozen, fitted.predict_proba(contexts), atol=1e-12)
    assert np.count_nonzero(frozen.sum(axis=0)) == 2


def test_frozen_terms_are_the_vectorizers_terms(fitted_and_contexts: tuple[SpanClassifier, list[SpanContext]]) -> None:
    fitted, contexts = fitted_and_contexts
    frozen = fitted.frozen()
    for vectorizer, terms in zip((fitted.words, fitted.chars, fitted.context), frozen.terms, strict=True):
        analyse = vectorizer.build_analyzer()
        for context in contexts[:60] + contexts[-4:]:
            text = context.span if terms.source == "span" else context.sentence()
            assert sorted(terms.terms(text)) == sorted(analyse(text)), text


def test_analysis_does_not_import_scikit_learn() -> None:
    """Reading the shipped model and classifying spans needs neither scikit-learn nor scipy
    (some 140 MB and a second in every analysing process)."""
    code = (
        "import sys\n"
        "from presslens.techniques.features import FrozenSpanClassifier, SpanContext\n"
        f"c = FrozenSpanClassifier.load(__import__('pathlib').Path({str(DEFAULT_MODEL_DIR)!r}))\n"
        "text = 'They are holding the nation hostage, the minister warned.'\n"
        "p = c.predict_proba([SpanContext(text, 9, 35)])\n"
        "assert p.shape == (1, 14) and abs(p.sum() - 1) < 1e-9\n"
        "print(sorted(m for m in ('sklearn', 'scipy') if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_a_model_folder_without_its_classifier_is_one_clear_error(tmp_path: Path) -> None:
    from presslens.errors import ModelError
    from presslens.techniques.predictor import EncoderTechniqueNetwork

    for name in ("config.json", "encoder.pt"):
        (tmp_path / name).symlink_to(DEFAULT_MODEL_DIR / name)
    (tmp_path / "encoder").symlink_to(DEFAULT_MODEL_DIR / "encoder")
    with pytest.raises(ModelError, match="no span classifier"):
        EncoderTechniqueNetwork.load(tmp_path)
