"""A linear technique classifier on what a span looks like and how its article uses it.

The words of a span say much (loaded adjectives, labels, "we must"), but some techniques
are defined by the article around it: Repetition by recurrence, Doubt and Appeal to
Authority by length and reporting verbs, Slogans by capitals and exclamation marks. The
transformer head reads the words; this model adds those signals, and the two are averaged.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from presslens.text import words


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
        left = max(self.text.rfind(c, 0, self.start) for c in ".!?\n") + 1
        rights = [i for i in (self.text.find(c, self.end) for c in ".!?\n") if i >= 0]
        right = min(rights) if rights else len(self.text)
        return self.text[left:right]


def _normalise(text: str) -> str:
    return " ".join(words(text.lower()))


def numeric_features(contexts: Sequence[SpanContext]) -> np.ndarray:
    rows = []
    cache: dict[int, str] = {}
    for c in contexts:
        article = cache.setdefault(id(c.text), _normalise(c.text))
        span = c.span
        norm = _normalise(span)
        span_words = norm.split()
        occurrences = article.count(norm) if norm else 0
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
                float(c.start < c.text.find("\n") if "\n" in c.text else False),  # in the title
            ]
        )
    return np.asarray(rows, dtype=np.float64)


class SpanClassifier:
    """TF-IDF of span words and characters, context words, and numeric features → LR."""

    def __init__(self, techniques: Sequence[str], c: float = 4.0) -> None:
        self.techniques = list(techniques)
        self.words = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True, lowercase=True)
        self.chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=3, sublinear_tf=True)
        self.context = TfidfVectorizer(ngram_range=(1, 1), min_df=3, sublinear_tf=True)
        self.model = LogisticRegression(C=c, max_iter=3000, class_weight="balanced")

    def _matrix(self, contexts: Sequence[SpanContext], fit: bool) -> sparse.csr_matrix:
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
