"""Where the shipped technique model lives, and loading it once per process."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from presslens.errors import ModelError
from presslens.models.loader import registry

if TYPE_CHECKING:
    from presslens.techniques.predictor import TechniquePredictor

DEFAULT_MODEL_DIR = Path(__file__).resolve().parents[1] / "models" / "techniques"
MODEL_DIR_ENV = "PRESSLENS_TECHNIQUE_MODEL"


def model_dir(folder: Path | None = None) -> Path:
    return folder or Path(os.environ.get(MODEL_DIR_ENV, DEFAULT_MODEL_DIR))


def load_predictor(folder: Path | None = None, quantise: bool = True) -> TechniquePredictor:
    """The technique model, loaded once per process. ``quantise``: int8 linear layers, as
    `analyze` runs it (faster on CPU, scores a point or so lower than float32)."""
    path = model_dir(folder)

    def load() -> TechniquePredictor:
        import torch

        from presslens.techniques.predictor import CONFIG_FILE, TechniquePredictor

        if not (path / CONFIG_FILE).exists():
            raise ModelError(f"no technique model in {path}: train one with `presslens train techniques`")
        # The pipeline runs one document at a time per process; more threads than cores only thrash.
        torch.set_num_threads(max(1, min(torch.get_num_threads(), os.cpu_count() or 1)))
        return TechniquePredictor.load(path, quantise=quantise)

    return registry.get(f"techniques:{path}:{'int8' if quantise else 'float32'}", load)
