"""The one model loader: every kind of model loads through it, once per process, and a model
registered there is the one its stage uses."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import spacy
from spacy.tokens import Doc

from presslens.attribution import extract
from presslens.attribution.extract import load_extractor
from presslens.attribution.stage import AttributionStage, load_tagger
from presslens.attribution.types import FoundAttribution
from presslens.document import Document
from presslens.encoder.analysis import Analysis
from presslens.encoder.encoding import Encoding
from presslens.encoder.stage import load_encoder
from presslens.errors import ModelError
from presslens.models import loader
from presslens.models.loader import (
    ATTRIBUTION,
    BUILT_IN_MODELS,
    SPACY,
    TECHNIQUES,
    ModelEntry,
    ModelRegistry,
    load_model,
    register_model,
    registry,
    spacy_model,
)
from presslens.nlp import PARAGRAPH_COMPONENT
from presslens.pipeline import Pipeline
from presslens.stages import StageOptions, build_stages
from presslens.techniques import model as technique_model
from presslens.techniques.model import EncoderTechniquePredictor, PredictedTechnique
from presslens.techniques.stage import TechniqueStage


class Counter:
    """Wraps a factory and counts its calls."""

    def __init__(self, factory: Callable[..., object]) -> None:
        self.factory = factory
        self.calls = 0

    def __call__(self, *args: object, **kwargs: object) -> object:
        self.calls += 1
        return self.factory(*args, **kwargs)


# --- each kind through the one loader, loaded once --------------------------------------


def test_spacy_loads_once_through_the_loader(monkeypatch: pytest.MonkeyPatch) -> None:
    import spacy

    spacy_load = Counter(spacy.load)
    monkeypatch.setattr(spacy, "load", spacy_load)
    fresh = ModelRegistry(BUILT_IN_MODELS)
    nlp = fresh.load(SPACY, "sm")
    assert fresh.load(SPACY, "sm") is nlp
    assert spacy_load.calls == 1
    assert list(fresh.load_seconds) == ["spacy:sm"] and fresh.load_seconds["spacy:sm"] > 0
    assert PARAGRAPH_COMPONENT in nlp.pipe_names  # the nlp layer's component, added on load
    # The process's loader: spacy_model is load_model, by name and by $PRESSLENS_SPACY_MODEL.
    assert spacy_model("sm") is load_model(SPACY, "sm")
    monkeypatch.setenv(loader.SPACY_MODEL_ENV, "sm")
    assert spacy_model() is spacy_model("sm")
    assert "spacy:sm" in registry.load_seconds


def test_a_spacy_folder_that_cannot_load_is_a_model_error(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match=r"spaCy model '.*nothing-here' cannot be loaded"):
        spacy_model(str(tmp_path / "nothing-here"))


def test_attribution_tagger_loads_once_through_the_loader(monkeypatch: pytest.MonkeyPatch) -> None:
    opened = Counter(extract.open_extractor)
    monkeypatch.setattr(extract, "open_extractor", opened)  # the entry names it by reference
    fresh = ModelRegistry(BUILT_IN_MODELS)
    folder = extract.model_dir()
    tagger = fresh.load(ATTRIBUTION, "crf", folder=folder)
    assert fresh.load(ATTRIBUTION, "crf", folder=folder) is tagger
    assert opened.calls == 1 and isinstance(tagger, extract.AttributionExtractor)
    assert list(fresh.load_seconds) == [f"attribution:crf:folder={folder}"]
    # The stage's loader and the CLI's are one cache entry of the process's loader.
    assert load_tagger("crf") is load_extractor()
    # The default tagger is the neural one, read from its own packaged folder.
    assert fresh.default(ATTRIBUTION) == "neural"
    assert extract.model_dir(None, "neural") == extract.NEURAL_MODEL_DIR != folder


def test_technique_model_loads_once_through_the_loader(monkeypatch: pytest.MonkeyPatch) -> None:
    from presslens.techniques import predictor

    network = object()
    loads = Counter(lambda folder, quantise, body=True: network)
    monkeypatch.setattr(predictor.EncoderTechniqueNetwork, "load", loads)
    folder = technique_model.model_dir()
    if not (folder / predictor.CONFIG_FILE).exists():
        pytest.skip("no shipped technique model")
    fresh = ModelRegistry(BUILT_IN_MODELS)
    # The torch runtime: the fake network has no body for ONNX Runtime to run.
    model = fresh.load(TECHNIQUES, folder=folder, quantise=True, runtime="torch")
    assert fresh.load(TECHNIQUES, "encoder", folder=folder, quantise=True, runtime="torch") is model
    assert isinstance(model, EncoderTechniquePredictor) and model.network is network
    assert loads.calls == 1
    fresh.load(TECHNIQUES, folder=folder, quantise=False, runtime="torch")  # float32: another model
    assert loads.calls == 2 and len(fresh.load_seconds) == 2


def test_a_missing_technique_model_is_a_model_error(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="no technique model in"):
        ModelRegistry(BUILT_IN_MODELS).load(TECHNIQUES, folder=tmp_path, quantise=True)


# --- the registry of entries ------------------------------------------------------------


def test_entries_defaults_and_unknown_names() -> None:
    fresh = ModelRegistry(BUILT_IN_MODELS)
    assert fresh.names(SPACY) == ["md", "sm", "path"] and fresh.default(SPACY) == "md"
    assert fresh.default(ATTRIBUTION) == "neural" and fresh.default(TECHNIQUES) == "encoder"
    assert fresh.names(ATTRIBUTION) == ["crf", "neural"]
    with pytest.raises(ModelError, match=r"no techniques model named 'huge' \(models: encoder\)"):
        fresh.load(TECHNIQUES, "huge")
    with pytest.raises(ModelError, match="no parsing model is registered"):
        fresh.load("parsing")
    made = Counter(lambda: "first")
    fresh.register(ModelEntry(TECHNIQUES, "tiny", made), default=True)
    assert fresh.default(TECHNIQUES) == "tiny" and fresh.load(TECHNIQUES) == "first" and made.calls == 1
    # Replacing an entry forgets what it had loaded; removing the default gives the first back.
    fresh.register(ModelEntry(TECHNIQUES, "tiny", lambda: "second"), default=True)
    assert fresh.load(TECHNIQUES) == "second"
    fresh.unregister(TECHNIQUES, "tiny")
    assert fresh.default(TECHNIQUES) == "encoder" and fresh.names(TECHNIQUES) == ["encoder"]


def test_factories_by_reference_resolve_on_first_load() -> None:
    for entry, _ in BUILT_IN_MODELS:
        assert callable(entry.resolve()), entry
    with pytest.raises(ModelError, match="is not callable"):
        ModelEntry(TECHNIQUES, "bad", "presslens.techniques.model:MODEL_DIR_ENV").resolve()


# --- a model registered in a test is the one its stage uses -----------------------------


class FakeTechniques:
    """A technique model that marks every "traitors" (a TechniquePredictor)."""

    made = 0

    def __init__(self, folder: Path, quantise: bool = True) -> None:
        FakeTechniques.made += 1
        self.thresholds: list[float | None] = []

    @property
    def threshold(self) -> float:
        return 0.25

    def predict(self, text: str, threshold: float | None = None) -> list[PredictedTechnique]:
        self.thresholds.append(threshold)
        start = text.find("traitors")
        if start < 0:
            return []
        return [PredictedTechnique(start, start + 8, "Name_Calling,Labeling", 0.81234, 0.5, 0.40617)]


@dataclass
class FixedTagger:
    """An attribution model that finds "<first two words> said <the rest>" (an AttributionTagger)."""

    folder: Path

    def extract(self, parsed: Doc, encoding: Encoding | None = None) -> list[FoundAttribution]:
        text = parsed.text
        cue = text.index(" said ") + 1
        return [
            FoundAttribution(
                source=((0, cue - 1),), cue=((cue, cue + 4),), content=((cue + 5, len(text) - 1),), confidence=0.9
            )
        ]


@pytest.fixture
def fakes() -> Iterator[None]:
    FakeTechniques.made = 0
    register_model(TECHNIQUES, "fake", FakeTechniques)
    register_model(ATTRIBUTION, "fixed", FixedTagger)
    yield
    registry.unregister(TECHNIQUES, "fake")
    registry.unregister(ATTRIBUTION, "fixed")


def _analysis(text: str) -> Analysis:
    """A document to hand a stage directly (a blank spaCy parse: the technique stage reads none)."""
    return Analysis(Document.from_text(text), spacy.blank("en")(text))


def test_a_registered_technique_model_is_used_by_its_stage(fakes: None) -> None:
    analysis = _analysis("They are traitors, all of them.")
    document = analysis.document
    TechniqueStage(model="fake")(analysis)
    assert [(f.text, f.technique, f.confidence, f.span_probability) for f in document.techniques] == [
        ("traitors", "Name_Calling,Labeling", 0.4062, 0.8123)
    ]
    assert document.technique_summary is not None and document.technique_summary.threshold == 0.25
    # A threshold given to the stage reaches the model and the summary; the model loads once.
    again_analysis = _analysis("No traitors here.")
    again = again_analysis.document
    TechniqueStage(threshold=0.6, model="fake")(again_analysis)
    assert again.technique_summary is not None and again.technique_summary.threshold == 0.6
    assert FakeTechniques.made == 1
    assert load_model(TECHNIQUES, "fake", folder=technique_model.model_dir(), quantise=True).thresholds == [None, 0.6]
    # Named in the stage options, as the engines build stages.
    encoder, stage = build_stages(["encoder", "techniques"], StageOptions(technique_model="fake"))
    named = _analysis("traitors")
    assert isinstance(stage, TechniqueStage)
    encoder(named)
    # A technique model that reads no shared states has no encoder: the encoder stage leaves none.
    assert named.encoding is None and load_encoder(technique_model="fake") is None
    stage(named)
    assert [f.text for f in named.document.techniques] == ["traitors"]


def test_a_default_model_is_used_by_the_default_stages(fakes: None) -> None:
    register_model(TECHNIQUES, "fake", FakeTechniques, default=True)
    stages = build_stages(["encoder", "techniques"])
    document = Pipeline(stages=stages, spacy_name="sm")(Document.from_text("Such traitors."))
    assert [f.text for f in document.techniques] == ["traitors"]


def test_a_registered_tagger_is_used_by_the_attribution_stage(fakes: None) -> None:
    text = "Tomas Brandt said the port would reopen."
    stages = build_stages(["actors", "attribution"], StageOptions(attribution_model="fixed"))
    assert isinstance(stages[1], AttributionStage) and stages[1].model == "fixed"
    document = Pipeline(stages=stages, spacy_name="sm")(Document.from_text(text))
    (attribution,) = document.attributions
    assert [c.text for c in attribution.cue] == ["said"]
    assert [c.text for c in attribution.content] == ["the port would reopen"]
