"""The stage registry: every stage of the pipeline, in order, with what it requires and provides.

    ingest → nlp → actors → attribution → techniques

Like a spaCy component, each stage declares the layers of a Document it ``requires`` and the
ones it ``provides``: "parse" (sentences and tokens), "actors" (entities and actors),
"attributions", "techniques". The pipeline, the local and the Ray engines, the store (which
stages a document went through) and the CLI's ``--skip`` all read this one table, so "the
attribution stage needs the actors stage" is said here once.

The nlp stage is the spaCy parse, which the Pipeline runs itself (in batches) before the
others; the stages after it are built by name (``build_stages``) and an ingest may leave them
out (``without``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from presslens.actors.stage import ActorStage
from presslens.attribution.stage import AttributionStage
from presslens.document import Document
from presslens.errors import PresslensError
from presslens.techniques.stage import TechniqueStage

if TYPE_CHECKING:
    from spacy.tokens import Doc


class Stage(Protocol):
    """A pipeline component: adds layers to a Document, given its spaCy parse."""

    name: str

    def __call__(self, document: Document, parsed: Doc) -> None: ...


@dataclass(frozen=True)
class StageOptions:
    """What building the stages may be told (every field: None for the stage's default)."""

    technique_threshold: float | None = None
    technique_model: str | None = None  # a technique model's name in the model registry
    attribution_model: str | None = None  # an attribution model's name in the model registry


# The layers of a Document that stages provide, and how a Document shows it has each (for
# documents stored without saying which stages ran).
PARSE = "parse"
ACTORS = "actors"
ATTRIBUTIONS = "attributions"
TECHNIQUES = "techniques"
LAYER_SIGNS: dict[str, Callable[[Document], bool]] = {
    PARSE: lambda document: bool(document.sentences or document.tokens),
    ACTORS: lambda document: bool(document.entities or document.actors),
    ATTRIBUTIONS: lambda document: bool(document.attributions),
    TECHNIQUES: lambda document: document.technique_summary is not None or bool(document.techniques),
}


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


def _actor_stage(options: StageOptions) -> Stage:
    return ActorStage()


def _attribution_stage(options: StageOptions) -> Stage:
    return AttributionStage(model=options.attribution_model)


def _technique_stage(options: StageOptions) -> Stage:
    return TechniqueStage(threshold=options.technique_threshold, model=options.technique_model)


NLP = "nlp"

# Every stage, in pipeline order.
STAGES: tuple[StageSpec, ...] = (
    StageSpec(NLP, provides=(PARSE,)),
    # The shared encoder pass (issue 13) goes here, after the parse and before the analyses
    # that read its token states: a StageSpec("encoder", provides=("encoding",), ...), and the
    # stages that read it add "encoding" to their ``requires``.
    StageSpec("actors", provides=(ACTORS,), requires=(PARSE,), build=_actor_stage),
    StageSpec(
        "attribution",
        provides=(ATTRIBUTIONS,),
        requires=(PARSE, ACTORS),
        build=_attribution_stage,
        because="speakers and targets are actors",
    ),
    StageSpec("techniques", provides=(TECHNIQUES,), build=_technique_stage),
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
    """The stages after the parse less ``skipped``, and less every stage that requires a
    layer only a skipped stage provides (skipping actors skips attribution too), in order."""
    left_out = set(skipped)
    _refuse_unknown(left_out)
    available = set(_GIVEN) | set(_BY_NAME[NLP].provides)
    kept: list[str] = []
    for name in ANALYSIS_STAGES:
        spec = _BY_NAME[name]
        if name not in left_out and all(layer in available for layer in spec.requires):
            kept.append(name)
            available.update(spec.provides)
    return tuple(kept)


def stage_names(names: Iterable[str]) -> list[str]:
    """The names a run of the stages ``names`` records: the parse first."""
    return [NLP, *names]


def infer_stages(document: Document) -> list[str]:
    """The stages a document shows signs of, for documents added without saying."""
    return [spec.name for spec in STAGES if spec.shows_in(document)]
