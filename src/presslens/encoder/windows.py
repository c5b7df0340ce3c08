"""An article as word pieces with character offsets, and the overlapping windows an encoder reads.

An encoder reads at most ``WINDOW`` pieces at a time, so a longer article is read in windows
that start ``STRIDE`` pieces apart: each piece has context on both sides in some window, and
readers of the states average or choose among the windows that hold a piece.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from presslens.errors import ModelError

if TYPE_CHECKING:
    import torch
    from tokenizers import Tokenizer

WINDOW = 256  # word pieces per window, the start and end tokens included
STRIDE = 192  # windows start this many pieces apart, so each piece has context both sides


def load_tokenizer(folder: Path) -> Tokenizer:
    from tokenizers import Tokenizer  # here: importing the encoder layer stays cheap

    tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    return tokenizer


def special_token_id(tokenizer: Tokenizer, token: str) -> int:
    """The id of a special token such as "[CLS]"; a tokenizer without it is no model of ours."""
    token_id = tokenizer.token_to_id(token)
    if token_id is None:
        raise ModelError(f"the tokenizer has no {token} token")
    return token_id


@dataclass
class EncodedArticle:
    """Word pieces of one article: ids and the character span of each piece."""

    ids: np.ndarray  # (n,) int64, no special tokens
    starts: np.ndarray  # (n,) character offsets into the article text
    ends: np.ndarray
    ordered: bool | None = field(default=None, repr=False, compare=False)  # starts and ends rising: found once

    def windows(self) -> list[tuple[int, int]]:
        """[first, last) piece ranges of the overlapping windows."""
        size = WINDOW - 2
        n = len(self.ids)
        if n <= size:
            return [(0, n)]
        spans, first = [], 0
        while True:
            last = min(first + size, n)
            spans.append((first, last))
            if last == n:
                return spans
            first += STRIDE

    def pieces_in(self, start: int, end: int) -> np.ndarray:
        """Indices of the pieces that overlap characters [start, end)."""
        if self._in_order():
            # Only the pieces between these two can overlap: the test below on them alone.
            first = int(np.searchsorted(self.ends, start, side="right"))
            last = int(np.searchsorted(self.starts, end, side="left"))
            window = slice(first, max(first, last))
            return first + np.nonzero((self.starts[window] < end) & (self.ends[window] > start))[0]
        return np.nonzero((self.starts < end) & (self.ends > start))[0]

    def _in_order(self) -> bool:
        if self.ordered is None:
            self.ordered = bool(np.all(np.diff(self.starts) >= 0) and np.all(np.diff(self.ends) >= 0))
        return self.ordered


def encode(tokenizer: Tokenizer, text: str) -> EncodedArticle:
    encoding = tokenizer.encode(text, add_special_tokens=False)
    offsets = np.array(encoding.offsets, dtype=np.int64).reshape(-1, 2)
    return EncodedArticle(np.array(encoding.ids, dtype=np.int64), offsets[:, 0], offsets[:, 1])


def batch_windows(
    article: EncodedArticle, cls_id: int, sep_id: int
) -> tuple[torch.Tensor, torch.Tensor, list[tuple[int, int]]]:
    """Padded id and mask tensors for an article's windows (all as wide as its widest), and
    each window's piece range."""
    import torch  # here: importing the encoder layer stays cheap

    ranges = article.windows()
    width = max(b - a for a, b in ranges) + 2
    ids = torch.zeros((len(ranges), width), dtype=torch.long)
    mask = torch.zeros((len(ranges), width), dtype=torch.long)
    for row, (a, b) in enumerate(ranges):
        pieces = torch.from_numpy(article.ids[a:b])
        ids[row, 0] = cls_id
        ids[row, 1 : 1 + len(pieces)] = pieces
        ids[row, 1 + len(pieces)] = sep_id
        mask[row, : len(pieces) + 2] = 1
    return ids, mask, ranges


def best_window(ranges: list[tuple[int, int]], first: int, last: int) -> int:
    """The window holding most of pieces [first, last], preferring one where they sit
    furthest from the edges."""

    def fit(r: tuple[int, int]) -> tuple[int, int]:
        a, b = r
        inside = max(0, min(b, last + 1) - max(a, first))
        return inside, min(first - a, b - 1 - last)

    # Only windows that hold a piece of the span can win (windows are in text order, their
    # starts and ends rising): a scan of all of them per span is quadratic in a long text.
    starts = [a for a, _ in ranges]
    ends = [b for _, b in ranges]
    holding = range(bisect.bisect_right(ends, first), bisect.bisect_right(starts, last))
    return max(holding or range(len(ranges)), key=lambda i: fit(ranges[i]))
