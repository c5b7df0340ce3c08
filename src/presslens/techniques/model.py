"""The technique model: what the technique stage calls (``TechniquePredictor``, and
``EncodingReader`` for a model that reads the shared encoder's states), the shipped model
(``EncoderTechniquePredictor``) and where it lives.

Models load through the one loader (``presslens.models.loader``, kind "techniques"): a new
technique model is a class with ``threshold`` and ``predict`` and one registry entry. The
shipped model's encoder is also the pipeline's default shared encoder (kind "encoder",
``load_technique_encoder``): the encoder stage runs it once per document and the technique
stage applies only the heads to its states.
"""

from __future__ import annotations

import os
from collections.abc import Hashable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, cast, runtime_checkable

from presslens.encoder.encoding import Encoder, Encoding
from presslens.errors import ModelError
from presslens.models.loader import TECHNIQUES, load_model, registry

if TYPE_CHECKING:
    from presslens.techniques.predictor import EncoderTechniqueNetwork

DEFAULT_MODEL_DIR = Path(__file__).resolve().parents[1] / "models" / "techniques"
MODEL_DIR_ENV = "PRESSLENS_TECHNIQUE_MODEL"
SHIPPED = "encoder"  # the registry name of the shipped model
RUNTIMES = ("onnx", "torch")  # what can run the shipped model's encoder body
DEFAULT_RUNTIME = "onnx"


def model_dir(folder: Path | None = None) -> Path:
    return folder or Path(os.environ.get(MODEL_DIR_ENV, DEFAULT_MODEL_DIR))


@dataclass(frozen=True)
class PredictedTechnique:
    """One technique on one span [start, end) of the text, with the model's probabilities."""

    start: int
    end: int
    technique: str
    span_probability: float  # that the span is a technique at all
    technique_probability: float  # that it is this technique, given that it is one
    confidence: float  # of the two together


class TechniquePredictor(Protocol):
    """What the technique stage needs of a technique model."""

    @property
    def threshold(self) -> float:
        """The span threshold ``predict`` uses when it is given none (the model's tuned value)."""
        ...

    def predict(self, text: str, threshold: float | None = None) -> list[PredictedTechnique]:
        """The techniques in ``text``, in span order; ``threshold`` overrides the span threshold."""
        ...


@runtime_checkable
class EncodingReader(Protocol):
    """A technique model that reads the pipeline's shared encoder pass instead of running an
    encoder itself (the technique stage then hands it the document's ``Encoding``)."""

    @property
    def encoder(self) -> Encoder:
        """The encoder whose states its heads read."""
        ...

    def predict_encoded(
        self, text: str, encoding: Encoding, threshold: float | None = None
    ) -> list[PredictedTechnique]:
        """``predict`` given ``encoding``, the encoder's pass over ``text``."""
        ...


class EncoderTechniquePredictor:
    """The shipped model: an encoder marks likely word pieces, runs of them become spans, and
    the span head blended with a linear classifier names each span (see
    ``presslens.techniques.predictor``). A span takes its best technique, and its second
    one too when that is above the model's ``second_label`` probability."""

    def __init__(self, network: EncoderTechniqueNetwork) -> None:
        self.network = network

    @classmethod
    def load(cls, folder: Path, quantise: bool = True, runtime: str = DEFAULT_RUNTIME) -> EncoderTechniquePredictor:
        """The model in ``folder``. ``quantise``: int8 linear layers, as `analyze` runs it
        (faster on CPU). ``runtime``: what runs the encoder body, "onnx" (ONNX Runtime, the
        default: 2.5-3 x torch int8's speed and nearer float32, benchmarks/experiments/onnx_encoder.py)
        or "torch"; the heads always run in torch."""
        # torch and transformers only here: importing the stage must stay cheap.
        import torch

        from presslens.techniques.predictor import CONFIG_FILE, EncoderTechniqueNetwork

        if runtime not in RUNTIMES:
            raise ModelError(f"encoder runtime '{runtime}': not one of {', '.join(RUNTIMES)}")
        if not (folder / CONFIG_FILE).exists():
            raise ModelError(f"no technique model in {folder}: train one with `presslens train techniques`")
        # The pipeline runs one document at a time per process; more threads than cores only thrash.
        torch.set_num_threads(max(1, min(torch.get_num_threads(), os.cpu_count() or 1)))
        # On ONNX Runtime the torch body would go unused: only the heads are loaded.
        network = EncoderTechniqueNetwork.load(folder, quantise=quantise, body=runtime != "onnx")
        if runtime == "onnx":
            # Its own reads (predict, the PTC commands) and the shared pass alike: one runtime.
            network.encoder = _onnx_encoder(network, folder, quantise)
        return cls(network)

    @property
    def threshold(self) -> float:
        return self.network.decoding.threshold

    @property
    def encoder(self) -> Encoder:
        return self.network.encoder

    def predict(self, text: str, threshold: float | None = None) -> list[PredictedTechnique]:
        """The techniques in ``text``, read on its own (its own encoder pass)."""
        return self.predict_encoded(text, self.network.encoder.encode([text])[0], threshold)

    def predict_encoded(
        self, text: str, encoding: Encoding, threshold: float | None = None
    ) -> list[PredictedTechnique]:
        network = self.network
        decoding = network.decoding if threshold is None else replace(network.decoding, threshold=threshold)
        analysis = network.analyse(text, encoding)
        spans = network.spans(analysis, decoding)
        probabilities = network.classify(analysis, [(s, e) for s, e, _ in spans], blend=decoding.blend)
        predicted: list[PredictedTechnique] = []
        for (start, end, span_probability), row in zip(spans, probabilities, strict=True):
            ranked = row.argsort()[::-1]
            picks = [ranked[0]] + ([ranked[1]] if row[ranked[1]] >= decoding.second_label else [])
            for index in picks:
                predicted.append(
                    PredictedTechnique(
                        start=start,
                        end=end,
                        technique=network.techniques[int(index)],
                        span_probability=float(span_probability),
                        technique_probability=float(row[index]),
                        confidence=float(span_probability * row[index]),
                    )
                )
        return predicted


def _options(name: str | None, folder: Path | None, quantise: bool, runtime: str | None) -> dict[str, Hashable]:
    # runtime is an option of the shipped model, not of every model; spelt out for the shipped
    # model, so that its default and an explicit "onnx" are one load, not two.
    options: dict[str, Hashable] = {"folder": model_dir(folder), "quantise": quantise}
    if runtime is None and (name or registry.default(TECHNIQUES)) == SHIPPED:
        runtime = DEFAULT_RUNTIME
    if runtime is not None:
        options["runtime"] = runtime
    return options


def load_technique_predictor(
    name: str | None = None, folder: Path | None = None, quantise: bool = True, runtime: str | None = None
) -> TechniquePredictor:
    """The technique model ``name`` (default: the registry's default, the shipped encoder),
    from ``folder`` (default ``$PRESSLENS_TECHNIQUE_MODEL`` or the packaged model), loaded
    once per process."""
    return cast(TechniquePredictor, load_model(TECHNIQUES, name, **_options(name, folder, quantise, runtime)))


def load_predictor(
    folder: Path | None = None, quantise: bool = True, runtime: str | None = None
) -> EncoderTechniqueNetwork:
    """The shipped model's network itself, loaded once per process (the same load as
    ``load_technique_predictor``): the PTC commands read its piece probabilities and spans."""
    options = _options(SHIPPED, folder, quantise, runtime)
    return cast(EncoderTechniquePredictor, load_model(TECHNIQUES, SHIPPED, **options)).network


def load_technique_encoder(
    technique_model: str | None = None, folder: Path | None = None, quantise: bool = True, runtime: str | None = None
) -> Encoder | None:
    """The encoder of the technique model ``technique_model`` (default: the registry's
    default), loaded with it (``load_technique_predictor``); the loader's default encoder
    (kind "encoder"). None for a technique model that reads no shared states. ``runtime``
    (the shipped model's option): "onnx" (its default) or "torch"."""
    predictor = load_technique_predictor(technique_model, folder, quantise, runtime)
    return predictor.encoder if isinstance(predictor, EncodingReader) else None


def _onnx_encoder(network: EncoderTechniqueNetwork, folder: Path, quantise: bool) -> Encoder:
    """``network``'s body on ONNX Runtime, built from the float32 weights in ``folder``; its
    name says which weights and precision the heads read, and on which runtime."""
    # onnxruntime only here: the torch runtime, and importing the stage, do without it.
    from presslens.encoder.onnx import OnnxSettings, load_onnx_encoder
    from presslens.techniques.predictor import MODEL_FILE, EncoderTechniqueNetwork

    return load_onnx_encoder(
        sources=[folder / MODEL_FILE, folder / "encoder" / "config.json"],
        float_body=lambda: EncoderTechniqueNetwork.load(folder, quantise=False).model.encoder,
        tokenizer=network.tokenizer,
        special_ids=(network.cls_id, network.sep_id),
        name=f"{network.encoder.name} on ONNX Runtime",
        settings=OnnxSettings(quantise=quantise),
    )
