"""A linear technique classifier on what a span looks like and how its article uses it.

The words of a span say much (loaded adjectives, labels, "we must"), but some techniques
are defined by the article around it: Repetition by recurrence, Doubt and Appeal to
Authority by length and reporting verbs, Slogans by capitals and exclamation marks. The
transformer head reads the words; this model adds those signals, and the two are averaged.

``SpanClassifier`` is fitted with scikit-learn (training only); ``FrozenSpanClassifier`` is
the same model as numbers (its TF-IDF vocabularies, weights and coefficients), read without
scikit-learn or scipy: importing those costs an analysing process some 140 MB and a second.
"""

from __future__ import annotations

import bisect
import functools
import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from presslens.text import WORD, words

if TYPE_CHECKING:
    from scipy import sparse


@dataclass(frozen=True)
class SpanContext:
    """A span with the article it stands in."""

    text: str  # the article
    start: int
    end: int

    @property
    def span(self) -> str:
        return self.text[self.start : self.end]

    def sentence(self) -> str:
        """The text from the previous to the next sentence break around the span."""
        breaks = _sentence_breaks(self.text)
        before = bisect.bisect_left(breaks, self.start)
        left = breaks[before - 1] + 1 if before else 0
        after = bisect.bisect_left(breaks, self.end)
        right = breaks[after] if after < len(breaks) else len(self.text)
        return self.text[left:right]


_SENTENCE_BREAK = re.compile(r"[.!?\n]")


@functools.lru_cache(maxsize=4)
def _sentence_breaks(text: str) -> list[int]:
    # Found once per article: a search from each span for a mark the article lacks ("?")
    # would read the whole text each time.
    return [match.start() for match in _SENTENCE_BREAK.finditer(text)]


def _normalise(text: str) -> str:
    return " ".join(words(text.lower()))


# How far around a span its recurrence is counted, in characters each side. Every article the
# model was trained on is shorter, so for them the count is over the whole article; in a text
# of a million characters, counting over all of it for every span would make the stage
# quadratic in the text's length.
RECURRENCE_WINDOW = 100_000


class _Article:
    """What the features read of a span's article, found once for all its spans: where its
    title ends, and how often a span's words recur in it (normalised as ``_normalise``), over
    the whole article or, in a long one, the RECURRENCE_WINDOW characters around the span."""

    def __init__(self, text: str) -> None:
        self.title_end = text.find("\n")  # -1: no line break, no title
        self.short = len(text) <= RECURRENCE_WINDOW
        self.article = _normalise(text)
        if not self.short:
            lowered = text.lower()
            self.word_starts = [m.start() for m in WORD.finditer(lowered)]
            # Where each word begins in the normalised article (words joined by one space).
            self.offsets: list[int] = []
            offset = 0
            for word in WORD.findall(lowered):
                self.offsets.append(offset)
                offset += len(word) + 1

    def count(self, norm: str, start: int, end: int) -> int:
        if not norm:
            return 0
        if self.short:
            return self.article.count(norm)
        first = bisect.bisect_left(self.word_starts, start - RECURRENCE_WINDOW)
        last = bisect.bisect_left(self.word_starts, end + RECURRENCE_WINDOW)
        until = self.offsets[last] if last < len(self.offsets) else len(self.article)
        return self.article[self.offsets[first] if first < len(self.offsets) else until : until].count(norm)


def numeric_features(contexts: Sequence[SpanContext]) -> np.ndarray:
    rows = []
    articles: dict[int, _Article] = {}
    for c in contexts:
        if id(c.text) not in articles:
            articles[id(c.text)] = _Article(c.text)
        article = articles[id(c.text)]
        span = c.span
        norm = _normalise(span)
        span_words = norm.split()
        occurrences = article.count(norm, c.start, c.end)
        letters = [ch for ch in span if ch.isalpha()]
        sentence = c.sentence()
        rows.append(
            [
                np.log1p(len(span)),
                np.log1p(len(span_words)),
                np.log1p(max(occurrences - 1, 0)),  # recurrence: the mark of Repetition
                float(occurrences > 1),
                sum(ch.isupper() for ch in letters) / max(len(letters), 1),
                float("!" in span),
                float("?" in span),
                float(any(q in span for q in '"“”')),
                float(any(q in sentence for q in '"“”')),
                len(span) / max(len(sentence), 1),  # how much of its sentence the span takes
                c.start / max(len(c.text), 1),  # position in the article
                float(c.start < article.title_end),  # in the title
            ]
        )
    return np.asarray(rows, dtype=np.float64)


class SpanClassifier:
    """TF-IDF of span words and characters, context words, and numeric features → LR."""

    def __init__(self, techniques: Sequence[str], c: float = 4.0) -> None:
        # scikit-learn only here: training fits this, analysis reads its frozen form.
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        self.techniques = list(techniques)
        self.words = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True, lowercase=True)
        self.chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=3, sublinear_tf=True)
        self.context = TfidfVectorizer(ngram_range=(1, 1), min_df=3, sublinear_tf=True)
        self.model = LogisticRegression(C=c, max_iter=3000, class_weight="balanced")

    def _matrix(self, contexts: Sequence[SpanContext], fit: bool) -> sparse.csr_matrix:
        from scipy import sparse

        spans = [c.span for c in contexts]
        sentences = [c.sentence() for c in contexts]
        if fit:
            parts = [
                self.words.fit_transform(spans),
                self.chars.fit_transform(spans),
                self.context.fit_transform(sentences),
            ]
        else:
            parts = [self.words.transform(spans), self.chars.transform(spans), self.context.transform(sentences)]
        return sparse.hstack([*parts, sparse.csr_matrix(numeric_features(contexts))]).tocsr()

    def fit(self, contexts: Sequence[SpanContext], labels: Sequence[str]) -> SpanClassifier:
        y = np.array([self.techniques.index(label) for label in labels])
        self.model.fit(self._matrix(contexts, fit=True), y)
        return self

    def predict_proba(self, contexts: Sequence[SpanContext]) -> np.ndarray:
        """(n, len(techniques)) probabilities, columns in self.techniques order."""
        if not contexts:
            return np.zeros((0, len(self.techniques)))
        proba = self.model.predict_proba(self._matrix(contexts, fit=False))
        full = np.zeros((len(contexts), len(self.techniques)))
        full[:, self.model.classes_] = proba
        return full

    def frozen(self) -> FrozenSpanClassifier:
        """The fitted model as numbers, for analysis without scikit-learn."""
        terms = [
            TfidfTerms.of(vectorizer, source)
            for vectorizer, source in ((self.words, "span"), (self.chars, "span"), (self.context, "sentence"))
        ]
        return FrozenSpanClassifier(
            self.techniques,
            terms,
            np.asarray(self.model.coef_, dtype=np.float64),
            np.asarray(self.model.intercept_, dtype=np.float64),
            np.asarray(self.model.classes_, dtype=np.int64),
        )


# scikit-learn's defaults, which the fitted vectorizers use (checked in TfidfTerms.of).
_TOKEN_PATTERN = r"(?u)\b\w\w+\b"
_TOKEN = re.compile(_TOKEN_PATTERN)
_SPACES = re.compile(r"\s\s+")


@dataclass
class TfidfTerms:
    """One fitted TF-IDF vectorizer (lower-cased, sublinear tf, l2-normalised rows) as its
    vocabulary and idf weights: the terms of a text counted as scikit-learn counts them."""

    analyzer: str  # "word" (tokens of two or more word characters) or "char_wb"
    ngrams: tuple[int, int]
    vocabulary: dict[str, int]
    idf: np.ndarray
    source: str  # which text of a SpanContext it reads: "span" or "sentence"

    @classmethod
    def of(cls, vectorizer: Any, source: str) -> TfidfTerms:
        settings = (vectorizer.lowercase, vectorizer.sublinear_tf, vectorizer.norm, vectorizer.use_idf)
        if settings != (True, True, "l2", True) or vectorizer.analyzer not in ("word", "char_wb"):
            raise ValueError(f"a vectorizer of other settings cannot be frozen: {vectorizer}")
        if vectorizer.analyzer == "word" and vectorizer.token_pattern != _TOKEN_PATTERN:
            raise ValueError(f"a vectorizer of another token pattern cannot be frozen: {vectorizer.token_pattern}")
        vocabulary = {str(term): int(index) for term, index in vectorizer.vocabulary_.items()}
        low, high = vectorizer.ngram_range
        return cls(vectorizer.analyzer, (int(low), int(high)), vocabulary, np.asarray(vectorizer.idf_), source)

    def terms(self, text: str) -> list[str]:
        text = text.lower()
        low, high = self.ngrams
        if self.analyzer == "word":
            tokens = _TOKEN.findall(text)
            return [" ".join(tokens[i : i + n]) for n in range(low, high + 1) for i in range(len(tokens) - n + 1)]
        found: list[str] = []
        for word in _SPACES.sub(" ", text).split():
            padded = f" {word} "
            for n in range(low, high + 1):
                found.extend(padded[i : i + n] for i in range(max(1, len(padded) - n + 1)))
                if n >= len(padded):  # as scikit-learn's char_wb: the whole word once, then no longer n
                    break
        return found

    def row(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """The text's non-zero columns and their values."""
        counts: dict[int, int] = {}
        for term in self.terms(text):
            column = self.vocabulary.get(term)
            if column is not None:
                counts[column] = counts.get(column, 0) + 1
        columns = np.fromiter(counts, dtype=np.int64, count=len(counts))
        values = np.array([(1.0 + math.log(c)) for c in counts.values()], dtype=np.float64) * self.idf[columns]
        norm = float(np.sqrt((values**2).sum()))
        return columns, values / norm if norm > 0 else values

    def to_json(self) -> dict[str, object]:
        ordered = sorted(self.vocabulary, key=self.vocabulary.__getitem__)
        return {"analyzer": self.analyzer, "ngrams": list(self.ngrams), "source": self.source, "terms": ordered}


CLASSIFIER_ARRAYS = "span_classifier.npz"
CLASSIFIER_TERMS = "span_classifier.json"


@dataclass
class FrozenSpanClassifier:
    """A fitted ``SpanClassifier`` as numbers: the same probabilities, computed with numpy.
    ``coef`` is (classes × features): the vectorizers' columns in order, then the numeric
    features; ``classes`` are indices into ``techniques``."""

    techniques: list[str]
    terms: list[TfidfTerms]
    coef: np.ndarray
    intercept: np.ndarray
    classes: np.ndarray

    def predict_proba(self, contexts: Sequence[SpanContext]) -> np.ndarray:
        """(n, len(techniques)) probabilities, columns in self.techniques order."""
        full = np.zeros((len(contexts), len(self.techniques)))
        if not contexts:
            return full
        weights = self.coef.T  # features × classes
        decision = np.tile(self.intercept, (len(contexts), 1))
        offset = 0
        for terms in self.terms:
            texts = [c.span if terms.source == "span" else c.sentence() for c in contexts]
            for number, text in enumerate(texts):
                columns, values = terms.row(text)
                decision[number] += values @ weights[offset + columns]
            offset += len(terms.vocabulary)
        decision += numeric_features(contexts) @ weights[offset:]
        if len(self.classes) == 2:  # one row of coefficients: the second class's logistic
            second = 1.0 / (1.0 + np.exp(-decision[:, 0]))
            full[:, self.classes] = np.column_stack([1.0 - second, second])
            return full
        # Multinomial logistic regression: a softmax over the classes.
        decision -= decision.max(axis=1, keepdims=True)
        exp = np.exp(decision)
        full[:, self.classes] = exp / exp.sum(axis=1, keepdims=True)
        return full

    def save(self, folder: Path) -> None:
        arrays = {f"idf_{n}": t.idf for n, t in enumerate(self.terms)}
        np.savez(folder / CLASSIFIER_ARRAYS, coef=self.coef, intercept=self.intercept, classes=self.classes, **arrays)
        terms = {"techniques": self.techniques, "vectorizers": [t.to_json() for t in self.terms]}
        (folder / CLASSIFIER_TERMS).write_text(json.dumps(terms, ensure_ascii=False) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> FrozenSpanClassifier:
        described = json.loads((folder / CLASSIFIER_TERMS).read_text(encoding="utf-8"))
        with np.load(folder / CLASSIFIER_ARRAYS) as arrays:
            terms = [
                TfidfTerms(
                    v["analyzer"],
                    (int(v["ngrams"][0]), int(v["ngrams"][1])),
                    {term: index for index, term in enumerate(v["terms"])},
                    arrays[f"idf_{n}"],
                    v["source"],
                )
                for n, v in enumerate(described["vectorizers"])
            ]
            return cls(described["techniques"], terms, arrays["coef"], arrays["intercept"], arrays["classes"])
