"""The neural attribution tagger: source / cue / content tags from the shared encoder's token
states and the CRF tagger's parse features, decoded by a linear-chain CRF.

Each token of a paragraph is read as two things side by side: the state the shared encoder
pass gave it (``Encoding.span_states``: the mean of its word pieces' last hidden states; the
same pass the technique stage reads, so attribution adds no encoder run of its own), and the
parse features of the CRF tagger (``features.sequence_features``: word, lemma, tags, the
dependency relation by which it hangs under the nearest likely cue, the cue lexicon's rate,
the quote state …), hashed into a bag of learned feature vectors. A two-layer BiLSTM reads
the paragraph; a CRF over BIO tags (``TAGS``) with the transitions BIO forbids masked out
gives the best tag sequence and, per token, the marginal probability of its tag (the
confidence of an attribution). The tags then go through the CRF extractor's grouping and
rules (``AttributionExtractor.complete``), unchanged.

The states are those of one encoder: the model records its name and refuses another's.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from torch import nn

from presslens.attribution.extract import CONFIG_FILE, LEXICON_FILE, AttributionExtractor
from presslens.attribution.features import CueLexicon, paragraphs, sequence_features
from presslens.attribution.types import FoundAttribution
from presslens.encoder.encoding import Encoder, Encoding
from presslens.encoder.stage import load_encoder
from presslens.errors import ModelError

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span

NEURAL = "neural"  # the model registry's name of this tagger
NETWORK_FILE = "network.pt"
TAGS = ("O", "B-S", "I-S", "B-C", "I-C", "B-Q", "I-Q")
TAG_INDEX = {tag: i for i, tag in enumerate(TAGS)}
FORBIDDEN = -1e4  # the score of a transition BIO forbids: never chosen, never learned


@dataclass(frozen=True)
class NetworkShape:
    """The sizes of an AttributionNetwork (saved with it)."""

    state_size: int
    feature_buckets: int = 1 << 18
    feature_size: int = 64
    projection: int = 256
    hidden: int = 192
    layers: int = 2
    dropout: float = 0.3
    feature_dropout: float = 0.0  # in training: each hashed feature of a token dropped with this probability
    # The CRF's features of the neighbouring words (±2) and word bigrams: the BiLSTM reads the
    # neighbours itself, and they are half the hashing's cost.
    neighbour_features: bool = True

    def hashing(self) -> Hashing:
        return Hashing(self.feature_buckets, self.neighbour_features)


@dataclass(frozen=True)
class Hashing:
    """How a token's parse features become bag ids: into how many buckets, and whether the
    neighbours' features (names starting "-2:", "-1:", "1:", "2:", "-1|0", "0|+1") are kept."""

    buckets: int = 1 << 18
    neighbours: bool = True


def allowed_transitions() -> tuple[torch.Tensor, torch.Tensor]:
    """BIO's rules as masks: (from, to) pairs allowed, and tags a paragraph may start with.
    An I- tag continues its own role only."""
    allowed = torch.ones((len(TAGS), len(TAGS)), dtype=torch.bool)
    start = torch.ones(len(TAGS), dtype=torch.bool)
    for to, tag in enumerate(TAGS):
        if tag.startswith("I-"):
            role = tag[2:]
            start[to] = False
            for source, before in enumerate(TAGS):
                allowed[source, to] = before in (f"B-{role}", f"I-{role}")
    return allowed, start


# Feature name -> bucket, per bucket count: most features recur, and hashing is most of the cost.
# Bounded (cleared when full): in a long batch run the distinct names keep coming, and two
# million of them held some 300 MB in every analysing process.
_BUCKETS: dict[int, dict[str, int]] = {}
_MOST_CACHED = 1 << 17


# Paragraphs tagged at once (an article has some 20; a book-length text thousands).
TAG_BATCH = 64


def _is_neighbours(name: str) -> bool:
    return name[0] in "-12" or name.startswith("0|")


def feature_ids(
    features: Sequence[dict[str, float | str]], buckets: int, neighbours: bool = True
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The hashed bags of a paragraph's token features (``sequence_features`` rows: a string
    value is the feature ``name=value`` with weight 1, as crfsuite reads it): (ids, weights,
    offsets), the form ``nn.EmbeddingBag`` takes (token i's features are
    ids[offsets[i]:offsets[i + 1]]). crc32 is stable across processes and machines, unlike
    Python's ``hash``."""
    cache = _BUCKETS.setdefault(buckets, {})
    if len(cache) >= _MOST_CACHED:
        cache.clear()
    get = cache.get
    ids: list[int] = []
    weights: list[float] = []
    offsets = [0]
    for token in features:
        for key, value in token.items():
            # The loop runs some 45 times a token: kept free of calls but the one lookup.
            if not neighbours and _is_neighbours(key):
                continue
            if isinstance(value, str):
                name, weight = key + "=" + value, 1.0
            else:
                name, weight = key, float(value)
            bucket = get(name)
            if bucket is None:
                bucket = cache[name] = zlib.crc32(name.encode("utf-8")) % buckets
            ids.append(bucket)
            weights.append(weight)
        offsets.append(len(ids))
    return np.array(ids, dtype=np.int64), np.array(weights, dtype=np.float32), np.array(offsets, dtype=np.int64)


@dataclass
class Paragraph:
    """One tagger sequence, ready for the network: token states (tokens × state size,
    float16 to halve the memory of a training set), hashed features, and gold tag indices
    when known."""

    states: np.ndarray
    ids: np.ndarray
    weights: np.ndarray
    offsets: np.ndarray
    tags: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.states)


def paragraph_inputs(
    paragraph: Span,
    token_states: np.ndarray,
    lexicon: CueLexicon,
    hashing: Hashing,
    tags: Sequence[str] | None = None,
    first_token: int = 0,
) -> Paragraph:
    """``token_states``: the states of the tokens of the paragraph's document from token
    ``first_token`` on (doc order), the paragraph's among them."""
    ids, weights, offsets = feature_ids(sequence_features(paragraph, lexicon), hashing.buckets, hashing.neighbours)
    gold = np.array([TAG_INDEX[t] for t in tags], dtype=np.int64) if tags is not None else None
    states = token_states[paragraph.start - first_token : paragraph.end - first_token].astype(np.float16)
    return Paragraph(states, ids, weights, offsets, gold)


def token_states(parsed: Doc | Span, encoding: Encoding) -> np.ndarray:
    """The encoder's state of every token of ``parsed`` (tokens × hidden size)."""
    starts = np.array([t.idx for t in parsed], dtype=np.int64)
    ends = starts + np.array([len(t.text) for t in parsed], dtype=np.int64)
    return encoding.span_states(starts, ends)


class TagCRF(nn.Module):
    """A linear-chain CRF over ``TAGS`` with BIO's forbidden transitions masked out."""

    def __init__(self) -> None:
        super().__init__()
        size = len(TAGS)
        self.transitions = nn.Parameter(torch.zeros(size, size))
        self.start = nn.Parameter(torch.zeros(size))
        self.end = nn.Parameter(torch.zeros(size))
        allowed, start = allowed_transitions()
        self.transition_mask: torch.Tensor
        self.start_mask: torch.Tensor
        self.register_buffer("transition_mask", torch.where(allowed, 0.0, FORBIDDEN))
        self.register_buffer("start_mask", torch.where(start, 0.0, FORBIDDEN))

    def _scores(self) -> tuple[torch.Tensor, torch.Tensor]:
        return self.transitions + self.transition_mask, self.start + self.start_mask

    def negative_log_likelihood(self, emissions: torch.Tensor, tags: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Summed over the batch. emissions: batch × time × tags; tags, mask: batch × time
        (mask: True on real tokens, which come first in each row)."""
        transitions, start = self._scores()
        batch = torch.arange(emissions.shape[0])
        lengths = mask.sum(1)
        # The gold path's score.
        gold = start[tags[:, 0]] + emissions[batch, 0, tags[:, 0]]
        for t in range(1, emissions.shape[1]):
            step = transitions[tags[:, t - 1], tags[:, t]] + emissions[batch, t, tags[:, t]]
            gold = gold + step * mask[:, t]
        gold = gold + self.end[tags[batch, lengths - 1]]
        # The log partition, by the forward algorithm.
        alpha = start + emissions[:, 0]
        for t in range(1, emissions.shape[1]):
            following = torch.logsumexp(alpha.unsqueeze(2) + transitions.unsqueeze(0), dim=1) + emissions[:, t]
            alpha = torch.where(mask[:, t : t + 1], following, alpha)
        partition = torch.logsumexp(alpha + self.end, dim=1)
        return (partition - gold).sum()

    def decode(self, emissions: torch.Tensor) -> tuple[list[int], np.ndarray]:
        """The best tag sequence of one sequence (time × tags) and each position's
        marginal probability of every tag (time × tags)."""
        paths, marginals = self.decode_batch(emissions.unsqueeze(0), np.array([emissions.shape[0]]))
        return paths[0], marginals[0]

    def decode_batch(self, emissions: torch.Tensor, lengths: np.ndarray) -> tuple[list[list[int]], list[np.ndarray]]:
        """Per sequence of a padded batch (batch × time × tags; ``lengths``: each row's real
        length): its best tag sequence (Viterbi) and each position's marginal probability of
        every tag (forward-backward). In numpy, a step for the whole batch at a time: on 7 × 7
        matrices torch's per-call cost would dominate."""
        transitions_t, start_t = self._scores()
        transitions = transitions_t.detach().numpy().astype(np.float64)
        start = start_t.detach().numpy().astype(np.float64)
        end = self.end.detach().numpy().astype(np.float64)
        scores = emissions.detach().numpy().astype(np.float64)
        rows, longest, size = scores.shape
        best = start + scores[:, 0]
        back = np.zeros((rows, longest, size), dtype=np.int64)
        alpha = np.zeros((rows, longest, size))
        alpha[:, 0] = best
        for t in range(1, longest):
            active = (t < lengths)[:, None]
            total = best[:, :, None] + transitions[None]
            back[:, t] = total.argmax(1)
            best = np.where(active, total.max(1) + scores[:, t], best)
            following = _logsumexp(alpha[:, t - 1][:, :, None] + transitions[None], axis=1) + scores[:, t]
            alpha[:, t] = np.where(active, following, alpha[:, t - 1])
        beta = np.zeros((rows, longest, size))
        beta[:, longest - 1] = end
        for t in range(longest - 2, -1, -1):
            inner = (t < lengths - 1)[:, None]
            computed = _logsumexp(transitions[None] + (scores[:, t + 1] + beta[:, t + 1])[:, None, :], axis=2)
            beta[:, t] = np.where(inner, computed, end)
        paths, marginals = [], []
        for row in range(rows):
            length = int(lengths[row])
            last = int((best[row] + end).argmax())
            path = [last]
            for t in range(length - 1, 0, -1):
                last = int(back[row, t, last])
                path.append(last)
            path.reverse()
            paths.append(path)
            joint = alpha[row, :length] + beta[row, :length]
            joint -= joint.max(1, keepdims=True)
            probabilities = np.exp(joint)
            marginals.append(probabilities / probabilities.sum(1, keepdims=True))
        return paths, marginals


def _logsumexp(values: np.ndarray, axis: int) -> np.ndarray:
    top = values.max(axis=axis, keepdims=True)
    return np.squeeze(top, axis=axis) + np.log(np.exp(values - top).sum(axis=axis))


class AttributionNetwork(nn.Module):
    """Token states and hashed parse features → BiLSTM → tag scores → CRF."""

    def __init__(self, shape: NetworkShape) -> None:
        super().__init__()
        self.shape = shape
        self.features = nn.EmbeddingBag(shape.feature_buckets, shape.feature_size, mode="sum")
        self.states = nn.Sequential(nn.Dropout(shape.dropout), nn.Linear(shape.state_size, shape.projection), nn.GELU())
        self.lstm = nn.LSTM(
            shape.projection + shape.feature_size,
            shape.hidden,
            num_layers=shape.layers,
            bidirectional=True,
            batch_first=True,
            dropout=shape.dropout if shape.layers > 1 else 0.0,
        )
        self.dropout = nn.Dropout(shape.dropout)
        self.out = nn.Linear(2 * shape.hidden, len(TAGS))
        self.crf = TagCRF()

    def emissions(self, paragraphs: Sequence[Paragraph]) -> tuple[torch.Tensor, torch.Tensor]:
        """Tag scores (batch × longest × tags) and the mask of real tokens."""
        lengths = torch.tensor([len(p) for p in paragraphs])
        longest = int(lengths.max())
        states = torch.zeros((len(paragraphs), longest, self.shape.state_size))
        ids: list[np.ndarray] = []
        weights: list[np.ndarray] = []
        offsets: list[np.ndarray] = []
        rows: list[int] = []
        base = 0
        for row, paragraph in enumerate(paragraphs):
            states[row, : len(paragraph)] = torch.from_numpy(paragraph.states.astype(np.float32))
            ids.append(paragraph.ids)
            weights.append(paragraph.weights)
            offsets.append(paragraph.offsets[:-1] + base)
            base += len(paragraph.ids)
            rows.extend(row * longest + i for i in range(len(paragraph)))
        feature_weights = torch.from_numpy(np.concatenate(weights))
        if self.training and self.shape.feature_dropout:
            # Word features are easy to memorise: dropping some makes the states count.
            keep = torch.rand(feature_weights.shape) >= self.shape.feature_dropout
            feature_weights = feature_weights * keep
        bags = self.features(
            torch.from_numpy(np.concatenate(ids)),
            torch.from_numpy(np.concatenate(offsets)),
            per_sample_weights=feature_weights,
        )
        features = torch.zeros((len(paragraphs) * longest, self.shape.feature_size))
        features[torch.tensor(rows)] = bags
        inputs = torch.cat([self.states(states), features.view(len(paragraphs), longest, -1)], dim=2)
        packed = nn.utils.rnn.pack_padded_sequence(inputs, lengths, batch_first=True, enforce_sorted=False)
        output, _ = self.lstm(packed)
        read, _ = nn.utils.rnn.pad_packed_sequence(output, batch_first=True, total_length=longest)
        mask = torch.arange(longest).unsqueeze(0) < lengths.unsqueeze(1)
        return self.out(self.dropout(read)), mask

    def loss(self, paragraphs: Sequence[Paragraph]) -> torch.Tensor:
        emissions, mask = self.emissions(paragraphs)
        tags = torch.zeros(mask.shape, dtype=torch.long)
        for row, paragraph in enumerate(paragraphs):
            assert paragraph.tags is not None
            tags[row, : len(paragraph)] = torch.from_numpy(paragraph.tags)
        return self.crf.negative_log_likelihood(emissions, tags, mask)

    @torch.no_grad()
    def tag(self, paragraphs: Sequence[Paragraph]) -> list[tuple[list[str], np.ndarray]]:
        """Per paragraph: its tags and each token's marginal probability of its tag."""
        tagged: list[tuple[list[str], np.ndarray]] = []
        # In batches: one batch of a long text's every paragraph, padded to the longest,
        # would hold gigabytes of states at once.
        for first in range(0, len(paragraphs), TAG_BATCH):
            batch = paragraphs[first : first + TAG_BATCH]
            emissions, _ = self.emissions(batch)
            paths, marginals = self.crf.decode_batch(emissions, np.array([len(p) for p in batch]))
            tagged.extend(
                ([TAGS[i] for i in path], marginal[np.arange(len(path)), path])
                for path, marginal in zip(paths, marginals, strict=True)
            )
        return tagged


def save_network(network: AttributionNetwork, folder: Path, extra: dict[str, Any]) -> None:
    """The weights in float16 (the embedding table is most of them), the shape in config.json."""
    state = {k: (v.half() if v.is_floating_point() else v) for k, v in network.state_dict().items()}
    torch.save(state, folder / NETWORK_FILE)
    config = {"tagger": NEURAL, "shape": asdict(network.shape), **extra}
    (folder / CONFIG_FILE).write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")


def load_network(folder: Path) -> tuple[AttributionNetwork, dict[str, Any]]:
    config = json.loads((folder / CONFIG_FILE).read_text(encoding="utf-8"))
    network = AttributionNetwork(NetworkShape(**config["shape"]))
    # Mapped, and copied into the float32 parameters as they are (copy_ casts): no float32
    # copy of the whole state beside the network, which was some 100 MB of peak at load.
    state = torch.load(folder / NETWORK_FILE, map_location="cpu", weights_only=True, mmap=True)
    network.load_state_dict(state)
    network.eval()
    return network, config


class NeuralAttributionExtractor(AttributionExtractor):
    """The CRF extractor's grouping and rules over the neural tagger's tags."""

    def __init__(self, network: AttributionNetwork, lexicon: CueLexicon, encoder_name: str) -> None:
        super().__init__(None, lexicon)
        self.network = network
        self.encoder_name = encoder_name
        self._encoder: Encoder | None = None

    @classmethod
    def load(cls, folder: Path) -> NeuralAttributionExtractor:
        if not (folder / NETWORK_FILE).exists():
            raise ModelError(
                f"no attribution model in {folder}: train one with `presslens train attribution --tagger neural`"
            )
        network, config = load_network(folder)
        lexicon = CueLexicon.from_json(json.loads((folder / LEXICON_FILE).read_text(encoding="utf-8")))
        return cls(network, lexicon, str(config["encoder"]))

    def encoder(self) -> Encoder:
        """The shared encoder, for documents that come without its states (loaded once)."""
        if self._encoder is None:
            encoder = load_encoder()
            if encoder is None or encoder.name != self.encoder_name:
                found = encoder.name if encoder is not None else "none"
                raise ModelError(
                    f"the attribution model reads the states of {self.encoder_name!r}, but the shared encoder is "
                    f"{found!r}: train the attribution model again on it"
                )
            self._encoder = encoder
        return self._encoder

    def encoding_of(self, parsed: Doc, encoding: Encoding | None) -> Encoding:
        if encoding is not None and encoding.encoder == self.encoder_name:
            return encoding
        if encoding is not None:
            raise ModelError(
                f"the attribution model reads the states of {self.encoder_name!r}, not of {encoding.encoder!r}"
            )
        return self.encoder().encode([parsed.text])[0]

    def extract(self, parsed: Doc, encoding: Encoding | None = None) -> list[FoundAttribution]:
        blocks = paragraphs(parsed)
        if not blocks:
            return []
        encoding = self.encoding_of(parsed, encoding)
        hashing = self.network.shape.hashing()
        tagged: list[tuple[list[str], list[float]]] = []
        # A batch of paragraphs at a time, with the states of its tokens only: a long text's
        # every token state at once would take gigabytes.
        for first in range(0, len(blocks), TAG_BATCH):
            batch = blocks[first : first + TAG_BATCH]
            first_token = batch[0].start
            states = token_states(parsed[first_token : batch[-1].end], encoding)
            inputs = [paragraph_inputs(p, states, self.lexicon, hashing, first_token=first_token) for p in batch]
            tagged.extend((labels, [float(m) for m in marginals]) for labels, marginals in self.network.tag(inputs))
        return self.complete(parsed, blocks, tagged)


def open_neural_extractor(folder: Path) -> NeuralAttributionExtractor:
    """The model registry's factory of attribution "neural"."""
    return NeuralAttributionExtractor.load(folder)
