"""The shared encoder pass: one pass per document, kept in its Analysis for every stage that
reads it, batched across documents without changing a score of the shipped model."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any, cast

import numpy as np
import pytest
import spacy
import torch

from presslens.document import Document
from presslens.encoder import encoding as encoding_module
from presslens.encoder.analysis import Analysis
from presslens.encoder.encoding import Encoding
from presslens.encoder.stage import EncoderStage, load_encoder
from presslens.encoder.transformer import RUN_WINDOWS, WindowEncoder
from presslens.encoder.windows import batch_windows
from presslens.errors import ModelError
from presslens.ingest import read_documents
from presslens.pipeline import Pipeline
from presslens.techniques.boundaries import Parse
from presslens.techniques.model import DEFAULT_MODEL_DIR, load_predictor, load_technique_predictor
from presslens.techniques.predictor import CONFIG_FILE
from presslens.techniques.stage import TechniqueStage, refine

from .conftest import EXAMPLES, assert_offsets

pytestmark = pytest.mark.skipif(not (DEFAULT_MODEL_DIR / CONFIG_FILE).exists(), reason="no shipped model")


def _examples() -> list[Document]:
    documents = list(read_documents([str(EXAMPLES / "minister-warns.txt"), str(EXAMPLES / "two-articles.jsonl")]))
    assert len(documents) == 3 and all(isinstance(d, Document) for d in documents)
    return cast(list[Document], documents)


def _texts() -> list[str]:
    """The examples, and longer articles made of them, so that a batch holds documents of
    several windows (whose runs share forward calls) and two one-window documents of one
    width (which share a call too)."""
    texts = [d.text for d in _examples()]
    return [*texts, "\n\n".join(texts * 2), "\n\n".join(texts[:2]), texts[1], texts[0] * 3]


def _encoder() -> WindowEncoder:
    encoder = load_encoder(runtime="torch")  # the torch body: these tests are of WindowEncoder
    assert isinstance(encoder, WindowEncoder)
    return encoder


class ForwardCounter:
    """Counts the windows (and the calls, with their runs) that go through an encoder body."""

    def __init__(self, body: torch.nn.Module) -> None:
        self.windows = 0
        self.calls: list[int] = []
        self._handle = body.register_forward_pre_hook(self._count, with_kwargs=True)

    def _count(self, module: torch.nn.Module, args: Any, kwargs: dict[str, Any]) -> None:
        rows = int(kwargs["input_ids"].shape[0])
        self.windows += rows
        self.calls.append(rows)

    def remove(self) -> None:
        self._handle.remove()


@pytest.fixture
def counter() -> Iterator[ForwardCounter]:
    counting = ForwardCounter(_encoder().body)
    yield counting
    counting.remove()


class StatesReader:
    """A second stage that reads the encoder's states (as attribution will)."""

    name = "reads-states"

    def __init__(self) -> None:
        self.seen: list[Analysis] = []
        self.shapes: list[tuple[int, ...]] = []

    def __call__(self, analysis: Analysis) -> None:
        assert analysis.encoding is not None, "the encoder's states are there for every reader"
        self.seen.append(analysis)
        self.shapes.append(tuple(analysis.encoding.hidden.shape))


def _windows(text: str) -> int:
    return len(_encoder().pieces(text).windows())


def test_the_stage_path_scores_as_the_model_alone() -> None:
    """The techniques of the pipeline (encoder stage, then only the heads, documents batched)
    are those of the model reading each text on its own (``predict`` without a context)."""
    texts = _texts()
    predictor = load_technique_predictor()
    pipeline = Pipeline(stages=[EncoderStage(), TechniqueStage()], spacy_name="sm")
    documents = [Document.from_text(text) for text in texts]
    batched = list(pipeline.analyze_all(documents, batch_size=len(documents)))
    for text, document in zip(texts, batched, strict=True):
        assert isinstance(document, Document)
        alone = predictor.predict(text)
        # The stage's rules over the parse (boundaries, designations) apply to both alike.
        fitted = refine(Parse.of(pipeline.nlp(text), text), [(p.start, p.end) for p in alone]).fitted
        model_findings = [f for f in document.techniques if f.origin == "model"]
        assert [(f.start, f.end, f.technique) for f in model_findings] == [
            (*fitted[p.start, p.end], p.technique) for p in alone
        ]
        for finding, predicted in zip(model_findings, alone, strict=True):
            assert finding.confidence == pytest.approx(predicted.confidence, abs=1e-4)
            assert finding.span_probability == pytest.approx(predicted.span_probability, abs=1e-4)
        assert_offsets(document)
    assert any(d.techniques for d in batched if isinstance(d, Document))


def test_batched_states_are_the_states_of_each_document_alone(counter: ForwardCounter) -> None:
    """The encoder reads each document's windows in runs of at most RUN_WINDOWS, as the
    shipped (int8) model has always been run: batching documents together leaves every
    state as it is, bit for bit."""
    encoder = _encoder()
    network = load_predictor(runtime="torch")  # the torch body that _encoder runs
    texts = _texts()
    encodings = encoder.encode(texts)
    # Some forward call held windows of more than one document.
    per_document = [-(-_windows(t) // RUN_WINDOWS) for t in texts]
    assert len(counter.calls) < sum(per_document)
    assert counter.windows == sum(_windows(t) for t in texts)  # every window read once
    with torch.inference_mode():
        for text, encoding in zip(texts, encodings, strict=True):
            ids, mask, ranges = batch_windows(encoder.pieces(text), encoder.cls_id, encoder.sep_id)
            alone = torch.cat(
                [
                    network.model.hidden_states(ids[first : first + RUN_WINDOWS], mask[first : first + RUN_WINDOWS])
                    for first in range(0, len(ids), RUN_WINDOWS)
                ]
            )
            assert encoding.windows == ranges
            assert torch.equal(encoding.hidden, alone)
            # The pieces' offsets are characters of the text.
            pieces = encoding.pieces
            assert len(pieces.ids) and (pieces.starts < pieces.ends).all() and pieces.ends.max() <= len(text)
            assert all(text[s:e].strip() for s, e in zip(pieces.starts, pieces.ends, strict=True))


def test_one_encoder_pass_per_document_for_two_readers(counter: ForwardCounter) -> None:
    """On the torch runtime (counted at the body's forward calls); two readers of the states
    (the technique stage reads the default runtime's, so a second StatesReader stands in)."""
    reader = StatesReader()
    pipeline = Pipeline(stages=[EncoderStage(runtime="torch"), StatesReader(), reader], spacy_name="sm")
    _check_one_pass(pipeline, reader, lambda: counter.windows)


def test_one_encoder_pass_per_document_on_the_default_runtime(monkeypatch: pytest.MonkeyPatch) -> None:
    """On the default runtime, ONNX Runtime (counted at its session calls)."""
    from presslens.encoder.onnx import OnnxWindowEncoder

    encoder = load_encoder()
    assert isinstance(encoder, OnnxWindowEncoder)
    windows = [0]
    states = encoder._states

    def counting(ids: torch.Tensor, mask: torch.Tensor) -> Any:
        windows[0] += int(ids.shape[0])
        return states(ids, mask)

    monkeypatch.setattr(encoder, "_states", counting)
    reader = StatesReader()
    pipeline = Pipeline(stages=[EncoderStage(), TechniqueStage(), reader], spacy_name="sm")
    _check_one_pass(pipeline, reader, lambda: windows[0])


def _check_one_pass(pipeline: Pipeline, reader: StatesReader, windows_read: Callable[[], int]) -> None:
    texts = _texts()
    documents = list(pipeline.analyze_all([Document.from_text(t) for t in texts], batch_size=3))
    assert all(isinstance(d, Document) for d in documents)
    assert windows_read() == sum(_windows(t) for t in texts)  # each window once, for both readers
    assert [shape[0] for shape in reader.shapes] == [_windows(t) for t in texts]
    # The states are freed when the document is done.
    assert len(reader.seen) == len(texts) and all(a.encoding is None for a in reader.seen)
    # One at a time, the same findings.
    one_by_one = [pipeline(Document.from_text(t)) for t in texts]
    assert [d.techniques for d in one_by_one] == [d.techniques for d in documents if isinstance(d, Document)]


def test_a_document_without_pieces_is_encoded_empty() -> None:
    (empty, short) = _encoder().encode(["", "Such traitors."])
    assert empty.windows == [] and empty.hidden.numel() == 0 and len(empty.pieces.ids) == 0
    assert short.windows == [(0, len(short.pieces.ids))] and short.hidden.shape[0] == 1
    document = Pipeline(stages=[EncoderStage(), TechniqueStage()], spacy_name="sm")(Document.from_text(""))
    assert document.techniques == []


def test_the_technique_stage_refuses_states_of_another_encoder() -> None:
    text = "They are traitors and liars."
    (encoding,) = _encoder().encode([text])
    foreign = Encoding("another encoder", encoding.pieces, encoding.windows, encoding.hidden)
    analysis = Analysis(Document.from_text(text), spacy.blank("en")(text), foreign)
    refused = r"reads the states of 'technique model .*', but the encoder stage ran 'another encoder'"
    with pytest.raises(ModelError, match=refused):
        TechniqueStage()(analysis)


def test_states_taken_a_stretch_at_a_time_are_those_of_the_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    """A long text's states are computed a chunk of spans at a time over the pieces that
    chunk reaches (memory): the same states as over every piece at once."""
    text = "\n\n".join(_texts())
    encoding = _encoder().encode([text])[0]
    pieces = encoding.piece_states()
    count = len(pieces)
    assert len(encoding.windows) > 1  # overlapping windows: pieces read twice are averaged
    for first, last in ((0, count), (3, 40), (count - 7, count), (count // 2, count // 2)):
        assert np.allclose(encoding.piece_states(first, last), pieces[first:last], atol=1e-6)
    words = [(m.start(), m.end()) for m in re.finditer(r"\S+", text)]
    starts, ends = np.array([s for s, _ in words]), np.array([e for _, e in words])
    whole = encoding.span_states(starts, ends)
    monkeypatch.setattr(encoding_module, "SPAN_CHUNK", 5)
    assert np.allclose(encoding.span_states(starts, ends), whole, atol=1e-5)
    # Each word's state is the mean of the pieces it overlaps.
    first_piece = int(np.searchsorted(encoding.pieces.ends, starts[10], side="right"))
    last_piece = int(np.searchsorted(encoding.pieces.starts, ends[10], side="left"))
    assert np.allclose(whole[10], pieces[first_piece:last_piece].mean(axis=0), atol=1e-5)
    # A stretch of spaces has no piece: zeros.
    assert not encoding.span_states(np.array([text.index("\n\n")]), np.array([text.index("\n\n") + 2])).any()
