"""What the shared encoder pass leaves for the analyses: a document's ``Encoding``, and the
``Encoder`` protocol that makes them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import numpy as np

from presslens.encoder.windows import EncodedArticle

if TYPE_CHECKING:
    import torch


SPAN_CHUNK = 4096  # spans whose states are computed together (see Encoding.span_states)


@dataclass
class Encoding:
    """One document as the encoder read it: its word pieces with their character offsets
    (``pieces``), the windows they were read in (``windows``: [first, last) piece ranges) and
    the last hidden states of each window (``hidden``: windows × width × hidden size; row
    ``w``, position ``1 + i`` is piece ``windows[w][0] + i``, position 0 the start token).
    A document without pieces has no windows and an empty ``hidden``."""

    encoder: str  # the name of the encoder that made it: a reader checks it is the one its heads read
    pieces: EncodedArticle
    windows: list[tuple[int, int]]
    hidden: torch.Tensor

    def piece_states(self, first: int = 0, last: int | None = None) -> np.ndarray:
        """One state per piece of ``[first, last)`` (every piece by default; pieces × hidden
        size, float32): the mean of its states in the windows that hold it (overlapping
        windows read a piece twice). Only the windows that hold those pieces are read, so a
        long text's states can be taken a stretch at a time."""
        count = len(self.pieces.ids)
        last = count if last is None else min(last, count)
        first = max(0, min(first, last))
        width = int(self.hidden.shape[-1]) if self.hidden.ndim == 3 else 0
        total = np.zeros((last - first, width), dtype=np.float32)
        seen = np.zeros(last - first, dtype=np.float32)
        for row, (window_first, window_last) in enumerate(self.windows):
            low, high = max(first, window_first), min(last, window_last)
            if low >= high:
                continue
            window = self.hidden[row, 1 + low - window_first : 1 + high - window_first]
            total[low - first : high - first] += window.detach().float().numpy()
            seen[low - first : high - first] += 1
        return total / np.maximum(seen, 1)[:, None]

    def span_states(self, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
        """One state per character span [starts[i], ends[i]) (spans × hidden size, float32):
        the mean of the states of the pieces that overlap it; zeros where no piece does (a
        span of spaces)."""
        width = int(self.hidden.shape[-1]) if self.hidden.ndim == 3 else 0
        out = np.zeros((len(starts), width), dtype=np.float32)
        if not len(self.pieces.ids) or not len(starts):
            return out
        # Pieces are in text order and do not overlap: the pieces overlapping [s, e) are those
        # from the first that ends after s to the last that starts before e.
        first = np.searchsorted(self.pieces.ends, starts, side="right")
        last = np.searchsorted(self.pieces.starts, ends, side="left")
        # A chunk of spans at a time, over the pieces that chunk reaches: the running sums of
        # a whole long text's piece states would take gigabytes (float64).
        for chunk in range(0, len(starts), SPAN_CHUNK):
            rows = slice(chunk, chunk + SPAN_CHUNK)
            low = int(first[rows].min())
            high = max(low, int(last[rows].max()))
            pieces = self.piece_states(low, high)
            cumulative = np.vstack(
                [np.zeros((1, width), dtype=np.float64), np.cumsum(pieces, axis=0, dtype=np.float64)]
            )
            span_first, span_last = first[rows] - low, last[rows] - low
            count = span_last - span_first
            has = count > 0
            block = out[rows]  # a view: filled in place
            block[has] = ((cumulative[span_last[has]] - cumulative[span_first[has]]) / count[has, None]).astype(
                np.float32
            )
        return out


class Encoder(Protocol):
    """What the encoder stage needs of an encoder model."""

    @property
    def name(self) -> str:
        """Which encoder this is (with which weights): ``Encoding.encoder`` of what it makes."""
        ...

    def encode(self, texts: Sequence[str]) -> list[Encoding]:
        """The encodings of ``texts``, in order; a document's encoding does not depend on the
        other texts it is encoded with."""
        ...
