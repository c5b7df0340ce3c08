"""Inference with the technique model: spans, their techniques and confidences.

The encoder body's pass over an article (the pipeline's shared encoder pass, or
``EncoderTechniqueNetwork.read`` for one text) gives its word pieces and hidden states; the
token head gives every piece a probability of lying inside a technique span; runs of likely
pieces, widened to whole words and joined across small gaps, become spans. Each span is then
named by the blend of the span head and the linear span classifier.
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch

from presslens.encoder.bases import sha256_file
from presslens.encoder.encoding import Encoder, Encoding
from presslens.encoder.transformer import WindowEncoder
from presslens.encoder.windows import EncodedArticle, best_window, load_tokenizer, special_token_id
from presslens.errors import ModelError
from presslens.techniques.encoder import TechniqueEncoder
from presslens.techniques.features import CLASSIFIER_TERMS, FrozenSpanClassifier, SpanClassifier, SpanContext

if TYPE_CHECKING:
    from tokenizers import Tokenizer

MODEL_FILE = "encoder.pt"
CONFIG_FILE = "config.json"


@dataclass
class Decoding:
    """How piece probabilities become spans; chosen on the dev articles."""

    threshold: float = 0.4
    max_gap: int = 1  # join runs separated by at most this many pieces below threshold
    min_chars: int = 3
    blend: float = 0.5  # weight of the span head; the linear classifier gets the rest
    second_label: float = 1.0  # give a span a second technique whose probability is above this


@dataclass
class ArticleAnalysis:
    """An article's pieces, their probabilities, and the hidden states to pool spans from."""

    text: str
    encoded: EncodedArticle
    probabilities: np.ndarray  # (pieces,)
    hidden: torch.Tensor  # (windows, width, hidden)
    ranges: list[tuple[int, int]]
    span_cache: dict[tuple[int, int], np.ndarray] = field(default_factory=dict)


class EncoderTechniqueNetwork:
    """The shipped technique network: the fine-tuned encoder with its piece and span heads, the
    linear span classifier and the tuned decoding. ``presslens.techniques.model.EncoderTechniquePredictor``
    wraps it as the stage's ``TechniquePredictor``; training and the PTC commands use it directly."""

    def __init__(
        self,
        model: TechniqueEncoder,
        tokenizer: Tokenizer,
        classifier: SpanClassifier | FrozenSpanClassifier,
        techniques: list[str],
        decoding: Decoding,
        special_ids: tuple[int, int] | None = None,
        name: str = "technique encoder",
    ) -> None:
        """``special_ids``: the (start, end) ids put around a window; by default the
        tokenizer's [CLS] and [SEP] (other bases use others, see ``presslens.encoder.bases``).
        ``name``: the name of its encoder (``WindowEncoder.name``), which says which weights."""
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.classifier = classifier
        self.techniques = techniques
        self.decoding = decoding
        self.cls_id, self.sep_id = special_ids or (
            special_token_id(tokenizer, "[CLS]"),
            special_token_id(tokenizer, "[SEP]"),
        )
        # The body, read over windows: the encoder of the pipeline's shared pass (the same
        # module, so its weights are loaded once).
        self.encoder: Encoder = WindowEncoder(model.encoder, tokenizer, (self.cls_id, self.sep_id), name)

    # -- loading and saving -------------------------------------------------------------

    @classmethod
    def load(cls, folder: Path, quantise: bool = True, body: bool = True) -> EncoderTechniqueNetwork:
        """The network saved in ``folder``; ``body`` False: the heads only, for a caller that
        runs the body elsewhere (ONNX Runtime) and replaces ``encoder`` (a quicker load)."""
        from transformers import AutoConfig, AutoModel

        config = json.loads((folder / CONFIG_FILE).read_text(encoding="utf-8"))
        encoder_config = AutoConfig.from_pretrained(folder / "encoder")
        base = AutoModel.from_config(encoder_config) if body else torch.nn.Identity()
        model = TechniqueEncoder(
            base, encoder_config.hidden_size, len(config["techniques"]), config.get("token_outputs", 1)
        )
        state = torch.load(folder / MODEL_FILE, map_location="cpu", weights_only=True)
        if not body:
            state = {k: v for k, v in state.items() if not k.startswith("encoder.")}
        model.load_state_dict({k: v.float() for k, v in state.items()})
        model.eval()
        if quantise:
            # int8 weights for the linear layers: about twice as fast on CPU, same decisions.
            with warnings.catch_warnings():
                # torch announces the eager quantisation API's move to torchao on every call:
                # noise to a user of presslens, who can do nothing about it.
                warnings.simplefilter("ignore")
                model = torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)
        if not (folder / CLASSIFIER_TERMS).is_file():
            raise ModelError(f"technique model {folder}: no span classifier ({CLASSIFIER_TERMS}); train it again")
        classifier = FrozenSpanClassifier.load(folder)
        tokenizer = load_tokenizer(folder / "encoder")
        # Named by its weights, not its folder: the same model installed elsewhere (another
        # checkout, a worker node) makes the same states, which the attribution model checks.
        digest = sha256_file(folder / MODEL_FILE)[:12]
        name = f"technique model {folder.name} sha256:{digest} ({'int8' if quantise else 'float32'})"
        return cls(model, tokenizer, classifier, config["techniques"], Decoding(**config["decoding"]), name=name)

    def save(self, folder: Path, base_folder: Path, extra: dict[str, object]) -> None:
        import shutil

        folder.mkdir(parents=True, exist_ok=True)
        (folder / "encoder").mkdir(exist_ok=True)
        for name in ("config.json", "tokenizer.json", "tokenizer_config.json", "vocab.txt", "special_tokens_map.json"):
            if (base_folder / name).exists():
                shutil.copy(base_folder / name, folder / "encoder" / name)
        # Half precision halves the file; inference converts back to float32.
        state = {k: v.half() if v.is_floating_point() else v for k, v in self.model.state_dict().items()}
        torch.save(state, folder / MODEL_FILE)
        frozen = self.classifier.frozen() if isinstance(self.classifier, SpanClassifier) else self.classifier
        frozen.save(folder)
        config = {
            "techniques": self.techniques,
            "decoding": self.decoding.__dict__,
            "token_outputs": self.model.token_outputs,
            **extra,
        }
        (folder / CONFIG_FILE).write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")

    # -- inference ----------------------------------------------------------------------

    def read(self, text: str) -> ArticleAnalysis:
        """The article ``text`` read on its own: its encoder pass, then the token head."""
        return self.analyse(text, self.encoder.encode([text])[0])

    @torch.inference_mode()
    def analyse(self, text: str, encoding: Encoding) -> ArticleAnalysis:
        """The token head over ``encoding``, the encoder's pass over ``text``: each piece's
        probability of lying inside a technique span."""
        encoded, hidden, ranges = encoding.pieces, encoding.hidden, encoding.windows
        if len(encoded.ids) == 0:
            return ArticleAnalysis(text, encoded, np.zeros(0), hidden, [])
        logits = self.model.token_logits(hidden)
        # Average each piece's logit over the windows that hold it, away from window edges.
        total = np.zeros(len(encoded.ids))
        count = np.zeros(len(encoded.ids))
        for row, (a, b) in enumerate(ranges):
            values = logits[row, 1 : b - a + 1].numpy()
            weight = np.ones(b - a)
            edge = min(32, (b - a) // 4)
            if a > 0 and edge:
                weight[:edge] = 0.1
            if b < len(encoded.ids) and edge:
                weight[-edge:] = 0.1
            total[a:b] += values * weight
            count[a:b] += weight
        probabilities = 1.0 / (1.0 + np.exp(-total / np.maximum(count, 1e-9)))
        return ArticleAnalysis(text, encoded, probabilities, hidden, ranges)

    def spans(self, analysis: ArticleAnalysis, decoding: Decoding | None = None) -> list[tuple[int, int, float]]:
        """Character spans (start, end, mean piece probability) found in the article."""
        decoding = decoding or self.decoding
        probabilities, encoded, text = analysis.probabilities, analysis.encoded, analysis.text
        above = probabilities >= decoding.threshold
        runs: list[list[int]] = []
        gap = 0
        for i, on in enumerate(above):
            if on:
                if runs and gap <= decoding.max_gap and runs[-1][1] >= i - gap - 1:
                    runs[-1][1] = i
                else:
                    runs.append([i, i])
                gap = 0
            else:
                gap += 1
        found = []
        for first, last in runs:
            start, end = int(encoded.starts[first]), int(encoded.ends[last])
            # A span never runs across a line break: titles and paragraphs are separate units.
            for piece_start, piece_end in _split_lines(text, start, end):
                piece_start, piece_end = _whole_words(text, piece_start, piece_end)
                if piece_end - piece_start >= decoding.min_chars:
                    inside = encoded.pieces_in(piece_start, piece_end)
                    found.append((piece_start, piece_end, float(probabilities[inside].mean())))
        return found

    @torch.inference_mode()
    def classify(
        self, analysis: ArticleAnalysis, spans: list[tuple[int, int]], blend: float | None = None
    ) -> np.ndarray:
        """(len(spans), techniques) probabilities for character spans of the article."""
        if not spans:
            return np.zeros((0, len(self.techniques)))
        head = self.head_probabilities(analysis, spans)
        linear = self.classifier.predict_proba([SpanContext(analysis.text, s, e) for s, e in spans])
        weight = self.decoding.blend if blend is None else blend
        return weight * head + (1 - weight) * linear

    @torch.inference_mode()
    def head_probabilities(self, analysis: ArticleAnalysis, spans: list[tuple[int, int]]) -> np.ndarray:
        rows, keep = [], []
        for index, (start, end) in enumerate(spans):
            pieces = analysis.encoded.pieces_in(start, end)
            if not len(pieces):
                continue
            window = best_window(analysis.ranges, int(pieces[0]), int(pieces[-1]))
            a, b = analysis.ranges[window]
            first = max(int(pieces[0]), a) - a + 1
            last = min(int(pieces[-1]), b - 1) - a + 1
            rows.append((window, first, last))
            keep.append(index)
        out = np.full((len(spans), len(self.techniques)), 1.0 / len(self.techniques))
        if rows:
            logits = self.model.span_logits(analysis.hidden, rows)
            out[keep] = torch.softmax(logits, dim=-1).numpy()
        return out


def _split_lines(text: str, start: int, end: int) -> list[tuple[int, int]]:
    pieces, offset = [], start
    for line in text[start:end].split("\n"):
        if line.strip():
            pieces.append((offset, offset + len(line)))
        offset += len(line) + 1
    return pieces


def _whole_words(text: str, start: int, end: int) -> tuple[int, int]:
    """Widen a span to whole words and trim spaces and edge punctuation, as PTC spans are."""
    while start > 0 and (text[start - 1].isalnum() or text[start - 1] in "'’-") and text[start].isalnum():
        start -= 1
    while end < len(text) and text[end].isalnum() and (text[end - 1].isalnum() or text[end - 1] in "'’-"):
        end += 1
    while start < end and (text[start].isspace() or text[start] in ",.;:"):
        start += 1
    while end > start and (text[end - 1].isspace() or text[end - 1] in ",;:"):
        end -= 1
    return start, end
