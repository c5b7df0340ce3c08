"""Finding the fact-checks that check a claim: lexical (BM25) and dense (a sentence encoder)
retrieval, fused, then re-ranked.

- ``BM25``: Okapi BM25 (k1, b) over words (lower-cased, stop words out, a light plural
  strip), as one sparse matrix of term weights: a query is one sparse product.
- ``SentenceEncoder``: all-MiniLM-L6-v2 used as the sentence encoder it was trained to be
  (mean of the last hidden states over the word pieces, L2-normalised), or a copy of it
  fine-tuned on claim pairs (``presslens.claims.training``).
- ``FactCheckIndex``: the fact-checks, their BM25 matrix, the embeddings of their claims and
  of their titles, and a usearch HNSW index of the two summed (inner product: the sum of the
  query's cosines with claim and title), saved in one folder. ``search`` takes the top candidates of both, scores
  each (query, fact-check) pair with a few features (cosine, BM25 normalised per query, the
  ranks in each list) and orders them by a linear re-ranker fitted on training pairs
  (``Reranker``); without one, by reciprocal-rank fusion.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from presslens import lexicon
from presslens.claims.factchecks import FactCheck
from presslens.errors import ModelError

if TYPE_CHECKING:
    import torch
    from scipy.sparse import csr_matrix

_URL = re.compile(r"https?://\S+|pic\.twitter\.com/\S+|www\.\S+")
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)?")
_KEY_WORD = re.compile(r"[^\W_]+")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")

INDEX_META = "index.json"
FACT_CHECKS_FILE = "fact-checks.jsonl"
BM25_FILE = "bm25.npz"
EMBEDDINGS_FILE = "embeddings.npy"
VECTORS_FILE = "vectors.usearch"
RERANKER_FILE = "reranker.json"


def words(text: str) -> list[str]:
    """The words BM25 counts: URLs out, hashtags and CamelCase split, lower-cased, stop words
    out, a plural's s and a possessive's 's stripped."""
    stop = lexicon.get("en").SEARCH_STOP_WORDS
    text = _CAMEL.sub(" ", _URL.sub(" ", text))
    out = []
    for word in _WORD.findall(text.lower()):
        word = re.sub(r"['’]s$", "", word)
        if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
            word = word[:-1]
        if word not in stop:
            out.append(word)
    return out


# --- lexical ------------------------------------------------------------------------------


@dataclass
class BM25:
    """Okapi BM25 term weights of a fixed collection (documents × vocabulary, sparse)."""

    vocabulary: dict[str, int]
    weights: csr_matrix
    k1: float = 1.2
    b: float = 0.75

    @classmethod
    def build(cls, texts: Sequence[str], k1: float = 1.2, b: float = 0.75) -> BM25:
        from scipy.sparse import csr_matrix

        vocabulary: dict[str, int] = {}
        rows, columns, counts = [], [], []
        lengths = np.zeros(len(texts), dtype=np.float64)
        for row, text in enumerate(texts):
            tokens = words(text)
            lengths[row] = len(tokens)
            tally: dict[int, int] = {}
            for token in tokens:
                column = vocabulary.setdefault(token, len(vocabulary))
                tally[column] = tally.get(column, 0) + 1
            rows += [row] * len(tally)
            columns += list(tally)
            counts += list(tally.values())
        tf = csr_matrix((np.array(counts, dtype=np.float64), (rows, columns)), shape=(len(texts), len(vocabulary)))
        documents = np.bincount(np.array(columns, dtype=np.int64), minlength=len(vocabulary))
        idf = np.log(1 + (len(texts) - documents + 0.5) / (documents + 0.5))
        average = lengths.mean() if len(texts) else 1.0
        norm = k1 * (1 - b + b * lengths / max(average, 1e-9))
        weighted = tf.tocoo()
        values = weighted.data * (k1 + 1) / (weighted.data + norm[weighted.row]) * idf[weighted.col]
        weights = csr_matrix((values, (weighted.row, weighted.col)), shape=tf.shape)
        return cls(vocabulary, weights, k1, b)

    def scores(self, query: str) -> np.ndarray:
        """Every document's BM25 score for ``query`` (a query word counted once)."""
        columns = sorted({self.vocabulary[w] for w in words(query) if w in self.vocabulary})
        if not columns:
            return np.zeros(self.weights.shape[0], dtype=np.float64)
        return np.asarray(self.weights[:, columns].sum(axis=1)).ravel()

    def save(self, path: Path) -> None:
        from scipy.sparse import save_npz

        save_npz(path, self.weights)
        path.with_suffix(".json").write_text(
            json.dumps({"k1": self.k1, "b": self.b, "vocabulary": self.vocabulary}), encoding="utf-8"
        )

    @classmethod
    def load(cls, path: Path) -> BM25:
        from scipy.sparse import load_npz

        meta = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
        return cls(meta["vocabulary"], load_npz(path).tocsc().tocsr(), meta["k1"], meta["b"])


# --- dense --------------------------------------------------------------------------------


class SentenceEncoder:
    """A sentence-transformers encoder read with transformers: mean-pooled, L2-normalised
    embeddings. ``folder``: a Hugging Face folder (default: the installed all-MiniLM-L6-v2)."""

    def __init__(self, folder: Path | None = None, max_pieces: int = 128, threads: int | None = None) -> None:
        import torch
        from transformers import AutoModel, AutoTokenizer
        from transformers.utils import logging as transformers_logging

        from presslens.encoder.bases import base_path

        transformers_logging.disable_progress_bar()  # its "Loading weights" bar is not the user's business

        self.folder = folder or base_path("minilm")
        self.tokenizer = AutoTokenizer.from_pretrained(self.folder)
        # float32 whatever the file holds (a shipped fine-tuned copy is float16 on disk).
        self.model = AutoModel.from_pretrained(self.folder).float().eval()
        self.max_pieces = max_pieces
        if threads:
            torch.set_num_threads(threads)
        weights = self.folder / "model.safetensors"
        digest = hashlib.sha256(weights.read_bytes()).hexdigest()[:12] if weights.is_file() else "?"
        # Which weights made an index's embeddings: an index refuses an encoder of other weights.
        self.name = f"{self.folder.name} sha256:{digest}"

    def embed_batch(self, texts: Sequence[str]) -> torch.Tensor:
        """Embeddings with gradients (training reads this)."""
        batch = self.tokenizer(
            list(texts), padding=True, truncation=True, max_length=self.max_pieces, return_tensors="pt"
        )
        hidden = self.model(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
        return pooled / pooled.norm(dim=-1, keepdim=True).clamp(min=1e-9)

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        import torch

        if not texts:
            return np.zeros((0, int(self.model.config.hidden_size)), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))  # less padding
        out = np.zeros((len(texts), int(self.model.config.hidden_size)), dtype=np.float32)
        with torch.inference_mode():
            for start in range(0, len(order), batch_size):
                chunk = order[start : start + batch_size]
                out[chunk] = self.embed_batch([texts[i] for i in chunk]).float().numpy()
        return out


# --- fusion and re-ranking -------------------------------------------------------------

FEATURES = ("cosine", "cosine_claim", "cosine_title", "bm25_share", "bm25_log", "dense_rr", "bm25_rr", "cosine_gap")


@dataclass
class Reranker:
    """A linear score over the pair features (FEATURES), fitted by logistic regression on
    training pairs (``presslens.claims.training``)."""

    weights: list[float]
    bias: float = 0.0
    means: list[float] = field(default_factory=list)
    scales: list[float] = field(default_factory=list)

    def score(self, features: np.ndarray) -> np.ndarray:
        x = (features - np.array(self.means)) / np.array(self.scales)
        return np.asarray(x @ np.array(self.weights) + self.bias)

    def to_json(self) -> dict[str, Any]:
        return {"features": list(FEATURES), "weights": self.weights, "bias": self.bias, "means": self.means,
                "scales": self.scales}  # fmt: skip

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Reranker:
        if data.get("features") != list(FEATURES):
            raise ModelError(f"a re-ranker for other features ({data.get('features')}); rebuild the index")
        return cls(data["weights"], data["bias"], data["means"], data["scales"])


def pair_features(
    cosine_claim: np.ndarray, cosine_title: np.ndarray, bm25: np.ndarray, dense_rank: np.ndarray, bm25_rank: np.ndarray
) -> np.ndarray:
    """FEATURES of a query's candidates (one row each) from their cosines with the claim and
    the title, BM25 score and ranks (1 = first) in the dense and the BM25 lists."""
    cosine = cosine_claim + cosine_title
    top_bm25 = float(bm25.max()) if len(bm25) else 0.0
    top_cosine = float(cosine.max()) if len(cosine) else 0.0
    return np.column_stack(
        [
            cosine,
            cosine_claim,
            cosine_title,
            bm25 / top_bm25 if top_bm25 > 0 else np.zeros_like(bm25),
            np.log1p(np.maximum(bm25, 0)),
            1.0 / (60 + dense_rank),
            1.0 / (60 + bm25_rank),
            top_cosine - cosine,
        ]
    )


@dataclass
class Match:
    """A fact-check found for a claim: ``score`` orders them; ``probability`` (with a
    re-ranker) is that it checks the claim, calibrated on CheckThat! training pairs."""

    fact_check: FactCheck
    score: float
    cosine: float
    bm25: float
    probability: float | None = None


CANDIDATES = 100  # from each of the dense and the BM25 list, for the re-ranker to order


class FactCheckIndex:
    """Fact-checks searchable by claim: BM25 + a usearch HNSW index of their embeddings."""

    def __init__(
        self,
        fact_checks: list[FactCheck],
        bm25: BM25,
        claims: np.ndarray,
        titles: np.ndarray,
        encoder: SentenceEncoder,
        reranker: Reranker | None = None,
        vectors: Any = None,
    ) -> None:
        self.fact_checks = fact_checks
        self.bm25 = bm25
        self.claims = claims
        self.titles = titles
        self.encoder = encoder
        self.reranker = reranker
        self.vectors = vectors if vectors is not None else _vector_index(claims + titles)
        self.originals = first_of_same_claim(fact_checks)

    @classmethod
    def build(
        cls, fact_checks: list[FactCheck], encoder: SentenceEncoder, reranker: Reranker | None = None
    ) -> FactCheckIndex:
        claims = encoder.encode([f.claim for f in fact_checks])
        titles = encoder.encode([f.title or f.claim for f in fact_checks])
        return cls(fact_checks, BM25.build([f.text for f in fact_checks]), claims, titles, encoder, reranker)

    def __len__(self) -> int:
        return len(self.fact_checks)

    def candidates(self, query: str, candidates: int = CANDIDATES) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(rows, features, cosines) of the union of the top dense and BM25 candidates."""
        embedding = self.encoder.encode([query])[0]
        return self.candidates_for(query, embedding, candidates)

    def candidates_for(
        self, query: str, embedding: np.ndarray, candidates: int = CANDIDATES
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        count = min(candidates, len(self))
        if count == 0:
            return np.zeros(0, dtype=np.int64), np.zeros((0, len(FEATURES))), np.zeros(0)
        found = self.vectors.search(embedding.astype(np.float32), count)
        dense_rows = np.asarray(found.keys, dtype=np.int64)
        bm25_all = self.bm25.scores(query)
        bm25_rows = np.argsort(-bm25_all, kind="stable")[:count]
        bm25_rows = bm25_rows[bm25_all[bm25_rows] > 0]
        rows = np.unique(np.concatenate([dense_rows, bm25_rows]))
        cosine_claim, cosine_title = self.claims[rows] @ embedding, self.titles[rows] @ embedding
        dense_rank = np.full(len(rows), float(count + 1))
        bm25_rank = np.full(len(rows), float(count + 1))
        position = {int(r): i for i, r in enumerate(rows)}
        for rank, row in enumerate(dense_rows, start=1):
            dense_rank[position[int(row)]] = rank
        for rank, row in enumerate(bm25_rows, start=1):
            bm25_rank[position[int(row)]] = rank
        features = pair_features(cosine_claim, cosine_title, bm25_all[rows], dense_rank, bm25_rank)
        return rows, features, features[:, 0]

    def search(self, query: str, k: int = 5, candidates: int = CANDIDATES) -> list[Match]:
        return self.search_embedded(query, self.encoder.encode([query])[0], k, candidates)

    def search_embedded(
        self, query: str, embedding: np.ndarray, k: int = 5, candidates: int = CANDIDATES
    ) -> list[Match]:
        rows, features, cosine = self.candidates_for(query, embedding, candidates)
        if self.reranker is not None:
            scores = self.reranker.score(features)
        else:  # reciprocal-rank fusion of the two lists
            scores = features[:, FEATURES.index("dense_rr")] + features[:, FEATURES.index("bm25_rr")]
        scores = below_originals(rows, scores, self.originals)
        order = np.argsort(-scores, kind="stable")[:k]
        bm25 = features[:, FEATURES.index("bm25_log")]
        probability = 1 / (1 + np.exp(-scores)) if self.reranker is not None else None
        return [
            Match(
                self.fact_checks[int(rows[i])],
                float(scores[i]),
                float(cosine[i]),
                float(math.expm1(bm25[i])),
                float(probability[i]) if probability is not None else None,
            )
            for i in order
        ]

    # --- on disk --------------------------------------------------------------------------

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        with (folder / FACT_CHECKS_FILE).open("w", encoding="utf-8") as out:
            for fact_check in self.fact_checks:
                out.write(json.dumps(fact_check.to_json(), ensure_ascii=False) + "\n")
        self.bm25.save(folder / BM25_FILE)
        np.save(folder / EMBEDDINGS_FILE, np.stack([self.claims, self.titles]))
        self.vectors.save(str(folder / VECTORS_FILE))
        if self.reranker is not None:
            (folder / RERANKER_FILE).write_text(json.dumps(self.reranker.to_json()), encoding="utf-8")
        meta = {"fact_checks": len(self), "encoder": self.encoder.name, "dimensions": int(self.claims.shape[1])}
        (folder / INDEX_META).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, folder: Path, encoder: SentenceEncoder) -> FactCheckIndex:
        meta_file = folder / INDEX_META
        if not meta_file.is_file():
            raise ModelError(
                f"{folder}: not a fact-check index (build one with `presslens claims index FILE --out DIR`)"
            )
        meta = json.loads(meta_file.read_text(encoding="utf-8"))
        if meta.get("encoder") != encoder.name:
            raise ModelError(
                f"{folder}: built with the encoder {meta.get('encoder')!r}, not {encoder.name!r}; build it again"
            )
        with (folder / FACT_CHECKS_FILE).open(encoding="utf-8") as lines:
            fact_checks = [FactCheck(**json.loads(line)) for line in lines if line.strip()]
        claims, titles = np.load(folder / EMBEDDINGS_FILE)
        reranker_file = folder / RERANKER_FILE
        reranker = Reranker.from_json(json.loads(reranker_file.read_text())) if reranker_file.is_file() else None
        from usearch.index import Index

        vectors = Index.restore(str(folder / VECTORS_FILE), view=False)
        return cls(fact_checks, BM25.load(folder / BM25_FILE), claims, titles, encoder, reranker, vectors)


def claim_key(claim: str) -> str:
    """A claim's text without case, punctuation or spacing: two fact-checks with the same key
    state the same claim in the same words."""
    return " ".join(_KEY_WORD.findall(claim.lower()))


def first_of_same_claim(fact_checks: Sequence[FactCheck]) -> np.ndarray:
    """For each fact-check, the row of the first one indexed whose claim has the same
    ``claim_key`` (its own row when it is the first)."""
    first: dict[str, int] = {}
    return np.array([first.setdefault(claim_key(f.claim), row) for row, f in enumerate(fact_checks)], dtype=np.int64)


def below_originals(rows: np.ndarray, scores: np.ndarray, originals: np.ndarray) -> np.ndarray:
    """Scores where a repeat (a fact-check whose claim, word for word, an earlier-indexed one
    already states) ranks just below its original when both are candidates. Between two
    texts that say the same in the same words the encoder's order is noise; the first one
    indexed is the one checked first. In CheckThat! 2020 Task 2 train, 185 of the 190 relevant
    fact-checks whose claim is repeated are the first of their repeats."""
    scores = scores.copy()
    position = {int(row): i for i, row in enumerate(rows)}
    for i, row in enumerate(rows):
        original = position.get(int(originals[row]))
        if original is not None and original != i and scores[i] >= scores[original]:
            scores[i] = np.nextafter(scores[original], -np.inf)
    return scores


def _vector_index(vectors: np.ndarray) -> Any:
    # usearch's HNSW by inner product (each row is a claim's and a title's unit vectors summed);
    # expansion_search well above the candidates wanted keeps recall near exact search's.
    from usearch.index import Index

    index = Index(ndim=int(vectors.shape[1]), metric="ip", expansion_search=256)
    if len(vectors):
        # One thread: usearch's parallel insertion builds a different graph each run (measured:
        # other neighbours for every query of 300), and a rebuilt index must rank the same.
        # Insertion is a small part of a build; encoding the texts is most of it.
        index.add(np.arange(len(vectors), dtype=np.uint64), vectors.astype(np.float32), threads=1)
    return index


# --- the shipped matcher -----------------------------------------------------------------

MATCHER_DIR = Path(__file__).resolve().parent.parent / "models" / "claims"


@dataclass
class Matcher:
    """What builds and reads a fact-check index: the sentence encoder and the re-ranker."""

    encoder: SentenceEncoder
    reranker: Reranker | None


def load_matcher(folder: str | None = None) -> Matcher:
    """The matcher in ``folder`` (default: the shipped one, ``models/claims``): its fine-tuned
    encoder (``encoder/``) and re-ranker (``reranker.json``). Load it through the model loader
    (``load_model("claims")``), once per process."""
    root = Path(folder) if folder else MATCHER_DIR
    encoder_folder = root / "encoder"
    if not (encoder_folder / "model.safetensors").is_file():
        raise ModelError(f"no claim matcher in {root} (train one with `presslens train claims`)")
    reranker_file = root / RERANKER_FILE
    reranker = Reranker.from_json(json.loads(reranker_file.read_text())) if reranker_file.is_file() else None
    return Matcher(SentenceEncoder(encoder_folder), reranker)
