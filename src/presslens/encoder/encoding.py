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

    def piece_states(self) -> np.ndarray:
        """One state per piece (pieces × hidden size, float32): the mean of its states in
        the windows that hold it (overlapping windows read a piece twice)."""
        count = len(self.pieces.ids)
        width = int(self.hidden.shape[-1]) if self.hidden.ndim == 3 else 0
        total = np.zeros((count, width), dtype=np.float32)
        seen = np.zeros(count, dtype=np.float32)
        hidden = self.hidden.detach().float().numpy() if count else None
        for row, (first, last) in enumerate(self.windows):
            assert hidden is not None
            total[first:last] += hidden[row, 1 : 1 + last - first]
            seen[first:last] += 1
        return total / np.maximum(seen, 1)[:, None]

    def span_states(self, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
        """One state per character span [starts[i], ends[i]) (spans × hidden size, float32):
        the mean of the states of the pieces that overlap it; zeros where no piece does (a
        span of spaces)."""
        pieces = self.piece_states()
        out = np.zeros((len(starts), pieces.shape[1]), dtype=np.float32)
        if not len(pieces) or not len(starts):
            return out
        # Pieces are in text order and do not overlap: the pieces overlapping [s, e) are those
        # from the first that ends after s to the last that starts before e.
        first = np.searchsorted(self.pieces.ends, starts, side="right")
        last = np.searchsorted(self.pieces.starts, ends, side="left")
        cumulative = np.vstack([np.zeros((1, pieces.shape[1]), dtype=np.float64), np.cumsum(pieces, axis=0)])
        width = last - first
        has = width > 0
        out[has] = ((cumulative[last[has]] - cumulative[first[has]]) / width[has, None]).astype(np.float32)
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
