"""The shared encoder pass on ONNX Runtime (``runtime="onnx"``): loads offline, reads the
windows the torch encoder reads, stays close to float32, keeps each document's states its
own, and its cached body is rebuilt when damaged."""

from __future__ import annotations

import shutil
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import cast

import numpy as np
import pytest
import torch

from presslens.document import Document
from presslens.encoder.analysis import Analysis
from presslens.encoder.bases import default_cache_dir
from presslens.encoder.encoding import Encoding
from presslens.encoder.onnx import (
    BODY_FILE,
    MANIFEST,
    OnnxSettings,
    OnnxWindowEncoder,
    load_onnx_encoder,
    open_session,
    prepared_body,
)
from presslens.encoder.stage import EncoderStage, load_encoder
from presslens.encoder.transformer import RUN_WINDOWS, WindowEncoder
from presslens.errors import ModelError
from presslens.ingest import read_documents
from presslens.models.loader import TECHNIQUE_ENCODER
from presslens.pipeline import Pipeline
from presslens.techniques.model import DEFAULT_MODEL_DIR, load_predictor, load_technique_predictor
from presslens.techniques.predictor import CONFIG_FILE, MODEL_FILE, EncoderTechniqueNetwork
from presslens.techniques.stage import TechniqueStage

from .conftest import EXAMPLES, assert_offsets

pytestmark = pytest.mark.skipif(not (DEFAULT_MODEL_DIR / CONFIG_FILE).exists(), reason="no shipped model")

SOURCES = [DEFAULT_MODEL_DIR / MODEL_FILE, DEFAULT_MODEL_DIR / "encoder" / "config.json"]
# How far the int8 body (per-channel weights) may lie from float32, about twice what it lies on
# these texts (states: mean 0.056, largest 0.57; piece probabilities: largest 0.10, mean 0.005).
# Torch's int8 body, the shipped default, lies further (0.16, 1.4; 0.29, 0.025), and so does a
# per-tensor int8 body (largest piece-probability gap 0.52 on the PTC dev articles).
STATE_MEAN_TOLERANCE = 0.12  # mean absolute difference of the pieces' states
STATE_TOLERANCE = 1.2  # largest one
PROBABILITY_TOLERANCE = 0.2  # largest difference of a piece's probability of lying in a technique span
PROBABILITY_MEAN_TOLERANCE = 0.012


def _texts() -> list[str]:
    """The examples, and a document long enough for two runs of windows (more than RUN_WINDOWS)."""
    texts = [cast(Document, d).text for d in read_documents([str(EXAMPLES / "minister-warns.txt")])]
    texts += [cast(Document, d).text for d in read_documents([str(EXAMPLES / "two-articles.jsonl")])]
    return [*texts, "\n\n".join(texts * 10), "Such traitors."]


def _onnx() -> OnnxWindowEncoder:
    encoder = load_encoder(TECHNIQUE_ENCODER, runtime="onnx")
    assert isinstance(encoder, OnnxWindowEncoder)
    return encoder


@pytest.fixture(scope="module")
def float_network() -> EncoderTechniqueNetwork:
    """The float32 model, loaded here rather than through the registry, whose loads other
    tests count."""
    return EncoderTechniqueNetwork.load(DEFAULT_MODEL_DIR, quantise=False)


def _float_body() -> torch.nn.Module:
    # A fresh load: building may change the body it is given (eager attention for the fusions).
    return EncoderTechniqueNetwork.load(DEFAULT_MODEL_DIR, quantise=False).model.encoder


def _piece_states(encoding: Encoding) -> torch.Tensor:
    return torch.cat([encoding.hidden[row, 1 : b - a + 1] for row, (a, b) in enumerate(encoding.windows)])


def test_the_onnx_encoder_loads_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the ONNX encoder tried to reach the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    encoder = _onnx()
    assert _onnx() is encoder  # once per process
    # Its states are read by the shipped model's heads, which check the encoder's name.
    assert encoder.name == load_technique_predictor().encoder.name == load_predictor().encoder.name
    assert encoder.path.is_file() and (encoder.path.parent / MANIFEST).is_file()
    assert encoder.path.parent.parent == default_cache_dir() / "onnx"  # <cache>/onnx/<key>/body.onnx, outside git
    (encoding,) = encoder.encode(["They are traitors and liars who hate our great nation!"])
    assert encoding.hidden.dtype == torch.float32 and encoding.hidden.shape[0] == 1


def test_an_unknown_runtime_is_one_clear_error() -> None:
    with pytest.raises(ModelError, match=r"^encoder runtime 'tensorflow': not one of onnx, torch$"):
        load_encoder(TECHNIQUE_ENCODER, runtime="tensorflow")


def test_the_windows_and_states_are_shaped_as_the_torch_encoders() -> None:
    torch_encoder = load_encoder(TECHNIQUE_ENCODER, runtime="torch")
    assert isinstance(torch_encoder, WindowEncoder)
    texts = [*_texts(), ""]
    for text, ours, theirs in zip(texts, _onnx().encode(texts), torch_encoder.encode(texts), strict=True):
        assert ours.windows == theirs.windows
        assert ours.hidden.shape == theirs.hidden.shape
        assert np.array_equal(ours.pieces.ids, theirs.pieces.ids)
        assert np.array_equal(ours.pieces.starts, theirs.pieces.starts)
        assert np.array_equal(ours.pieces.ends, theirs.pieces.ends)
        assert ours.pieces.ends.max(initial=0) <= len(text)
    assert len(ours.windows) == 0 and ours.hidden.numel() == 0  # the empty text
    assert max(len(e.windows) for e in _onnx().encode(texts)) > RUN_WINDOWS  # two runs in one document


def test_int8_states_are_close_to_float32(float_network: EncoderTechniqueNetwork) -> None:
    """States and the token head's probabilities of the int8 ONNX body (read by the int8
    heads, as the pipeline pairs them) against the float32 torch model's."""
    int8_network = load_predictor(quantise=True)
    texts = _texts()
    state_gaps, probability_gaps = [], []
    for text, ours, reference in zip(texts, _onnx().encode(texts), float_network.encoder.encode(texts), strict=True):
        state_gaps.append((_piece_states(ours) - _piece_states(reference)).abs().flatten())
        ours_p = int8_network.analyse(text, ours).probabilities
        reference_p = float_network.analyse(text, reference).probabilities
        probability_gaps.append(np.abs(ours_p - reference_p))
    states, probabilities = torch.cat(state_gaps), np.concatenate(probability_gaps)
    assert float(states.mean()) < STATE_MEAN_TOLERANCE and float(states.max()) < STATE_TOLERANCE
    assert float(probabilities.max()) < PROBABILITY_TOLERANCE
    assert float(probabilities.mean()) < PROBABILITY_MEAN_TOLERANCE


def test_the_float32_export_is_the_torch_body(tmp_path: Path, float_network: EncoderTechniqueNetwork) -> None:
    """Without quantisation, the exported (and fused) body gives torch's float32 states."""
    network = float_network
    encoder = load_onnx_encoder(
        SOURCES,
        _float_body,
        network.tokenizer,
        (network.cls_id, network.sep_id),
        network.encoder.name,
        OnnxSettings(quantise=False, fuse=True),
        cache=tmp_path,
    )
    texts = _texts()
    for ours, theirs in zip(encoder.encode(texts), network.encoder.encode(texts), strict=True):
        assert ours.windows == theirs.windows
        assert torch.allclose(_piece_states(ours), _piece_states(theirs), atol=1e-4)


def test_a_documents_states_do_not_depend_on_the_others() -> None:
    texts = _texts()
    together = _onnx().encode(texts)
    reordered = _onnx().encode([texts[3], texts[0], "Quite another text, about the harbour.", texts[1]])
    for index, encoding in enumerate(together):
        (alone,) = _onnx().encode([texts[index]])
        assert torch.equal(encoding.hidden, alone.hidden)
    for index, encoding in zip((3, 0, 1), (reordered[0], reordered[1], reordered[3]), strict=True):
        assert torch.equal(encoding.hidden, together[index].hidden)


class OnnxStatesCheck:
    """A stage after the technique stage: the states the heads were given are the ONNX
    encoder's for the document alone (the technique stage checked their encoder's name)."""

    name = "onnx-states-check"

    def __init__(self) -> None:
        self.checked = 0

    def __call__(self, analysis: Analysis) -> None:
        assert analysis.encoding is not None
        (alone,) = _onnx().encode([analysis.document.text])
        assert torch.equal(analysis.encoding.hidden, alone.hidden)
        self.checked += 1


def test_techniques_through_a_pipeline_on_the_onnx_runtime() -> None:
    texts = _texts()
    check = OnnxStatesCheck()
    stages = [EncoderStage(TECHNIQUE_ENCODER, runtime="onnx"), TechniqueStage(), check]
    documents = list(Pipeline(stages=stages, spacy_name="sm").analyze_all([Document.from_text(t) for t in texts], 3))
    assert check.checked == len(texts)
    for text, document in zip(texts, documents, strict=True):
        assert isinstance(document, Document) and document.text == text
        assert_offsets(document)
        for finding in document.techniques:
            assert 0 <= finding.start < finding.end <= len(text) and text[finding.start : finding.end] == finding.text
    assert any(d.techniques for d in documents if isinstance(d, Document))


@pytest.fixture
def cached_copy(tmp_path: Path) -> Iterator[Path]:
    """A cache holding a copy of the default ONNX body (same key, so found as built)."""
    built = _onnx().path.parent
    copy = tmp_path / "onnx" / built.name
    shutil.copytree(built, copy)
    yield tmp_path


def test_a_whole_cached_body_is_used_as_it_is(cached_copy: Path) -> None:
    def no_build() -> torch.nn.Module:
        raise AssertionError("a whole cached body was rebuilt")

    path = prepared_body(SOURCES, no_build, OnnxSettings(), cached_copy)
    assert path.read_bytes() == _onnx().path.read_bytes()


@pytest.mark.parametrize("damage", ["truncated", "missing"])
def test_a_damaged_cached_body_is_rebuilt(cached_copy: Path, damage: str) -> None:
    (folder,) = (cached_copy / "onnx").iterdir()
    body = folder / BODY_FILE
    if damage == "truncated":
        body.write_bytes(body.read_bytes()[: body.stat().st_size // 2])
    else:
        body.unlink()
    builds = []

    def float_body() -> torch.nn.Module:
        builds.append(1)
        return _float_body()

    assert prepared_body(SOURCES, float_body, OnnxSettings(), cached_copy) == body
    assert builds == [1]
    session = open_session(body)
    ids = torch.tensor([[101, 2027, 2024, 102]]).numpy()
    (hidden,) = session.run(None, {"input_ids": ids, "attention_mask": np.ones_like(ids)})
    (expected,) = _onnx().session.run(None, {"input_ids": ids, "attention_mask": np.ones_like(ids)})
    assert np.array_equal(hidden, expected)  # the same build, the same body
    assert not [p for p in folder.iterdir() if p.name.startswith(".")]  # no temporary files left


def test_a_body_onnx_runtime_cannot_read_is_one_clear_error(tmp_path: Path) -> None:
    garbage = tmp_path / BODY_FILE
    garbage.write_bytes(b"not an onnx model")
    with pytest.raises(ModelError) as raised:
        open_session(garbage)
    message = str(raised.value)
    assert message.startswith(f"the ONNX encoder body {garbage} cannot be loaded: ") and "\n" not in message
