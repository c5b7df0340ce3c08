"""The stage registry: every stage of the pipeline, in order, with what it requires and provides.

    ingest → nlp → encoder → actors → attribution → techniques → claims → labels

Like a spaCy component, each stage declares the layers it ``requires`` and the ones it
``provides``: "parse" (sentences and tokens), "encoding" (the shared encoder pass),
"actors" (entities and actors), "attributions", "techniques", "claims", "labels". The pipeline, the local and
the Ray engines, the store (which stages a document went through) and the CLI's ``--skip``
all read this one table, so "the attribution stage needs the actors stage" is said here once.

The nlp stage is the spaCy parse, which the Pipeline runs itself (in batches) before the
others; the stages after it are built by name (``build_stages``) and an ingest may leave them
out (``without``). A stage receives the document's ``Analysis`` (``presslens.encoder``): the
Document it fills in, its parse and its encoding. The encoding is a layer of the analysis,
not of the Document (``CONTEXT_LAYERS``): it is kept only while the document is analysed, and
the encoder stage runs only for a stage that reads it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from presslens.actors.stage import ActorStage
from presslens.attribution.stage import AttributionStage
from presslens.claims.stage import ClaimStage
from presslens.document import Document
from presslens.encoder.analysis import Analysis
from presslens.encoder.stage import EncoderStage
from presslens.errors import PresslensError
from presslens.labels.stage import LabelStage
from presslens.models.loader import TECHNIQUE_ENCODER
from presslens.techniques.stage import TechniqueStage


class Stage(Protocol):
    """A pipeline component: adds layers to a document's Analysis (its Document, mostly)."""

    name: str

    def __call__(self, analysis: Analysis) -> None: ...


@runtime_checkable
class BatchStage(Stage, Protocol):
    """A stage that does better given a batch of documents at once (the encoder stage):
    the Pipeline calls ``pipe`` with the batch instead of the stage once per document."""

    def pipe(self, analyses: Sequence[Analysis]) -> None: ...


@dataclass(frozen=True)
class StageOptions:
    """What building the stages may be told (every field: None for the stage's default)."""

    technique_threshold: float | None = None
    technique_model: str | None = None  # a technique model's name in the model registry
    encoder_model: str | None = None  # an encoder's name in the model registry (default: the technique model's)
    attribution_model: str | None = None  # an attribution model's name in the model registry
    fact_checks: str | None = None  # a fact-check index folder (`presslens claims index`) for the claims stage


# The layers of a Document that stages provide, and how a Document shows it has each (for
# documents stored without saying which stages ran).
PARSE = "parse"
ENCODING = "encoding"
ACTORS = "actors"
ATTRIBUTIONS = "attributions"
TECHNIQUES = "techniques"
CLAIMS = "claims"
LABELS = "labels"
LAYER_SIGNS: dict[str, Callable[[Document], bool]] = {
    PARSE: lambda document: bool(document.sentences or document.tokens),
    ACTORS: lambda document: bool(document.entities or document.actors),
    ATTRIBUTIONS: lambda document: bool(document.attributions),
    TECHNIQUES: lambda document: document.technique_summary is not None or bool(document.techniques),
    CLAIMS: lambda document: bool(document.claims),
    LABELS: lambda document: bool(document.labels),
}
# Layers of the Analysis, not of the Document: nothing of them is stored, and a stage that
# provides only such layers is worth running only for a stage that requires them.
CONTEXT_LAYERS = frozenset([ENCODING])


@dataclass(frozen=True)
class StageSpec:
    """One stage: its name, the layers it requires and provides, and how to build it
    (``build`` None: the parse, which the Pipeline runs itself)."""

    name: str
    provides: tuple[str, ...]
    requires: tuple[str, ...] = ()
    build: Callable[[StageOptions], Stage] | None = None
    because: str = ""  # why it requires what it does, for the error that names a missing stage

    def shows_in(self, document: Document) -> bool:
        """Whether ``document`` has a layer this stage provides."""
        return any(LAYER_SIGNS[layer](document) for layer in self.provides if layer in LAYER_SIGNS)


def _encoder_stage(options: StageOptions) -> Stage:
    if options.encoder_model is not None:
        return EncoderStage(options.encoder_model)
    # By default the technique model's own encoder: its heads were trained on its states.
    if options.technique_model is not None:
        return EncoderStage(TECHNIQUE_ENCODER, technique_model=options.technique_model)
    return EncoderStage(TECHNIQUE_ENCODER)


def _actor_stage(options: StageOptions) -> Stage:
    return ActorStage()


def _attribution_stage(options: StageOptions) -> Stage:
    return AttributionStage(model=options.attribution_model)


def _technique_stage(options: StageOptions) -> Stage:
    return TechniqueStage(threshold=options.technique_threshold, model=options.technique_model)


def _claim_stage(options: StageOptions) -> Stage:
    return ClaimStage(fact_checks=options.fact_checks)


def _label_stage(options: StageOptions) -> Stage:
    return LabelStage()


NLP = "nlp"

# Every stage, in pipeline order.
STAGES: tuple[StageSpec, ...] = (
    StageSpec(NLP, provides=(PARSE,)),
    # One encoder pass per document, whose token states the neural analyses read.
    StageSpec("encoder", provides=(ENCODING,), build=_encoder_stage),
    StageSpec("actors", provides=(ACTORS,), requires=(PARSE,), build=_actor_stage),
    StageSpec(
        "attribution",
        provides=(ATTRIBUTIONS,),
        requires=(PARSE, ACTORS),
        build=_attribution_stage,
        because="speakers and targets are actors",
    ),
    StageSpec(
        "techniques",
        provides=(TECHNIQUES,),
        requires=(ENCODING,),
        build=_technique_stage,
        because="it reads the encoder's token states",
    ),
    # After attribution: an attribution's content is a reported claim (without the
    # attribution stage, the article's own sentences only).
    StageSpec("claims", provides=(CLAIMS,), requires=(PARSE,), build=_claim_stage),
    # Last: a label's voice is the attribution it stands in, its technique the span over it.
    StageSpec(
        "labels",
        provides=(LABELS,),
        requires=(PARSE, ACTORS),
        build=_label_stage,
        because="labels characterise actors' mentions",
    ),
)
STAGE_NAMES: tuple[str, ...] = tuple(spec.name for spec in STAGES)
# The stages after the parse: built by name, and the ones an ingest may leave out (--skip).
ANALYSIS_STAGES: tuple[str, ...] = tuple(spec.name for spec in STAGES if spec.build is not None)
_BY_NAME = {spec.name: spec for spec in STAGES}
# What every document has before any stage runs: its text.
_GIVEN = frozenset(["text"])


def stage_spec(name: str) -> StageSpec:
    if name not in _BY_NAME:
        raise PresslensError(f"unknown stage: {name} (stages: {', '.join(STAGE_NAMES)})")
    return _BY_NAME[name]


def _provider(layer: str) -> str:
    return next(spec.name for spec in STAGES if layer in spec.provides)


def _refuse_unknown(names: Iterable[str]) -> None:
    unknown = set(names) - set(ANALYSIS_STAGES)
    if unknown:
        raise PresslensError(f"unknown stage(s): {', '.join(sorted(unknown))} (stages: {', '.join(ANALYSIS_STAGES)})")


def check_requirements(names: Iterable[str]) -> None:
    """Raise a PresslensError (one line) if a stage of ``names``, run in that order after the
    parse, requires a layer that no stage before it provides. Names not in the registry (a
    caller's own stages) require and provide nothing here."""
    available = set(_GIVEN) | set(_BY_NAME[NLP].provides)
    for name in names:
        spec = _BY_NAME.get(name)
        if spec is None:
            continue
        for layer in spec.requires:
            if layer not in available:
                because = f" ({spec.because})" if spec.because else ""
                raise PresslensError(f"the {name} stage needs the {_provider(layer)} stage{because}")
        available.update(spec.provides)


def build_stages(names: Sequence[str], options: StageOptions | None = None) -> list[Stage]:
    """The stages ``names`` (of ``ANALYSIS_STAGES``), built in pipeline order; a PresslensError
    names an unknown stage or a stage whose requirement is left out."""
    _refuse_unknown(names)
    ordered = [name for name in ANALYSIS_STAGES if name in names]
    check_requirements(ordered)
    options = options or StageOptions()
    return [build(options) for name in ordered if (build := _BY_NAME[name].build) is not None]


def default_stages(technique_threshold: float | None = None) -> list[Stage]:
    """Every stage after the parse, as `presslens analyze` runs them."""
    return build_stages(ANALYSIS_STAGES, StageOptions(technique_threshold=technique_threshold))


def without(skipped: Iterable[str]) -> tuple[str, ...]:
    """The stages after the parse less ``skipped``, less every stage that requires a layer
    only a skipped stage provides (skipping actors skips attribution too), and less every
    stage that provides only layers of the analysis that no stage left requires (skipping
    techniques skips the encoder), in order."""
    left_out = set(skipped)
    _refuse_unknown(left_out)
    available = set(_GIVEN) | set(_BY_NAME[NLP].provides)
    kept: list[str] = []
    for name in ANALYSIS_STAGES:
        spec = _BY_NAME[name]
        if name not in left_out and all(layer in available for layer in spec.requires):
            kept.append(name)
            available.update(spec.provides)
    required = {layer for name in kept for layer in _BY_NAME[name].requires}

    def worth_running(name: str) -> bool:
        provided = set(_BY_NAME[name].provides)
        return not provided <= CONTEXT_LAYERS or bool(provided & required)

    return tuple(name for name in kept if worth_running(name))


def stage_names(names: Iterable[str]) -> list[str]:
    """The names a run of the stages ``names`` records: the parse first."""
    return [NLP, *names]


def infer_stages(document: Document) -> list[str]:
    """The stages a document shows signs of, for documents added without saying."""
    return [spec.name for spec in STAGES if spec.shows_in(document)]
