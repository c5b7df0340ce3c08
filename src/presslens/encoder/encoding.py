"""What the shared encoder pass leaves for the analyses: a document's ``Encoding``, and the
``Encoder`` protocol that makes them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

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
