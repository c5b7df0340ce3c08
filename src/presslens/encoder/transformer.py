"""A transformer encoder read over windows: the ``Encoder`` the shared encoder pass runs.

``WindowEncoder`` encodes the windows of several documents in padded batches of windows.
Every window is read exactly once (the windows overlap where the readers' scores need it,
and no more), and a document's states never depend on the documents batched with it:

- Windows share a forward call only when they are as wide: every window of a document with
  more than one window is ``WINDOW`` wide (its last one padded, as alone), and a one-window
  document shares a call with documents of its exact width. Padding a window further would
  change its states in the last bits of float32, which int8 rounding can blow up.
- An int8 body (``torch.ao.quantization.quantize_dynamic``) quantises each linear layer's
  input with one range per call, so a batched call would mix the documents' ranges. Its
  linear layers are wrapped to quantise each *run* of a call on its own: at most
  ``RUN_WINDOWS`` consecutive windows of one document, which is how a document alone has
  always been read (the shipped technique model was tuned so).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from itertools import pairwise
from typing import TYPE_CHECKING

import numpy as np
import torch
from torch import nn

from presslens.encoder.encoding import Encoding
from presslens.encoder.windows import EncodedArticle, batch_windows, encode

if TYPE_CHECKING:
    from tokenizers import Tokenizer

RUN_WINDOWS = 8  # windows of one document read (and int8-quantised) together
# Windows per forward call, from one or several documents. Larger calls were no faster on
# 2 CPU cores (16 windows: 10-25% more CPU time than 8, measured single-threaded).
CALL_WINDOWS = 8

# The runs of the forward call in progress, as [first, last) rows; None outside a batched call.
_RUNS: ContextVar[tuple[tuple[int, int], ...] | None] = ContextVar("presslens_encoder_runs", default=None)


@contextmanager
def _quantised_by_run(runs: tuple[tuple[int, int], ...]) -> Iterator[None]:
    token = _RUNS.set(runs)
    try:
        yield
    finally:
        _RUNS.reset(token)


class RunQuantisedLinear(nn.Module):
    """A dynamically quantised linear layer that, inside a batched call, quantises the rows
    of each run on their own (outside one, it is the layer itself)."""

    def __init__(self, layer: nn.Module) -> None:
        super().__init__()
        self.layer = layer

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        runs = _RUNS.get()
        if runs is None or len(runs) == 1:
            return self.layer(inputs)
        return torch.cat([self.layer(inputs[first:last]) for first, last in runs])


def quantise_by_run(body: nn.Module) -> None:
    """Wrap every dynamically quantised linear layer of ``body`` in a ``RunQuantisedLinear``
    (once: a wrapped layer is left as it is); a float32 body has none."""
    quantised = torch.ao.nn.quantized.dynamic.Linear
    for module in list(body.modules()):
        if isinstance(module, RunQuantisedLinear):
            continue
        for name, child in list(module.named_children()):
            if isinstance(child, quantised):
                setattr(module, name, RunQuantisedLinear(child))


@dataclass
class _Run:
    """Windows [first, last) of document ``document``, ``width`` positions wide."""

    document: int
    first: int
    last: int
    width: int

    @property
    def windows(self) -> int:
        return self.last - self.first


class WindowEncoder:
    """A Hugging Face encoder body (``input_ids``, ``attention_mask`` → ``last_hidden_state``)
    with its tokenizer, read over windows. ``special_ids``: the (start, end) ids put around a
    window. An int8 body's linear layers are wrapped in place (see the module's docstring)."""

    def __init__(self, body: nn.Module, tokenizer: Tokenizer, special_ids: tuple[int, int], name: str) -> None:
        self.body = body.eval()
        self.tokenizer = tokenizer
        self.cls_id, self.sep_id = special_ids
        self._name = name
        quantise_by_run(body)

    @property
    def name(self) -> str:
        return self._name

    def pieces(self, text: str) -> EncodedArticle:
        return encode(self.tokenizer, text)

    @torch.inference_mode()
    def encode(self, texts: Sequence[str]) -> list[Encoding]:
        articles = [self.pieces(text) for text in texts]
        # Each document's windows, padded to its own widest (ids, mask, piece ranges).
        windows = {
            index: batch_windows(article, self.cls_id, self.sep_id)
            for index, article in enumerate(articles)
            if len(article.ids)
        }
        runs = [
            _Run(index, first, min(first + RUN_WINDOWS, len(ids)), ids.shape[1])
            for index, (ids, _, _) in windows.items()
            for first in range(0, len(ids), RUN_WINDOWS)
        ]
        states: dict[tuple[int, int], torch.Tensor] = {}
        for call in _calls(runs):
            ids = torch.cat([windows[r.document][0][r.first : r.last] for r in call])
            mask = torch.cat([windows[r.document][1][r.first : r.last] for r in call])
            rows = tuple(pairwise(np.cumsum([0] + [r.windows for r in call]).tolist()))
            with _quantised_by_run(rows):
                hidden = self.body(input_ids=ids, attention_mask=mask).last_hidden_state
            for run, (first, last) in zip(call, rows, strict=True):
                states[(run.document, run.first)] = hidden[first:last]
        encodings = []
        for index, article in enumerate(articles):
            if index not in windows:
                encodings.append(Encoding(self.name, article, [], torch.zeros((0, 0, 0))))
                continue
            ids, _, ranges = windows[index]
            parts = [states.pop((index, first)) for first in range(0, len(ids), RUN_WINDOWS)]
            # cat copies: the document keeps its own states, not a view of a batch's.
            encodings.append(Encoding(self.name, article, ranges, torch.cat(parts)))
        return encodings


def _calls(runs: list[_Run]) -> Iterator[list[_Run]]:
    """Runs grouped into forward calls: runs of one width, in document order, at most
    ``CALL_WINDOWS`` windows a call (a run is never split)."""
    by_width: dict[int, list[_Run]] = {}
    for run in runs:
        by_width.setdefault(run.width, []).append(run)
    for group in by_width.values():
        call: list[_Run] = []
        for run in group:
            if call and sum(r.windows for r in call) + run.windows > CALL_WINDOWS:
                yield call
                call = []
            call.append(run)
        if call:
            yield call
