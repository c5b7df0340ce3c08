"""A linear technique classifier on what a span looks like and how its article uses it.

The words of a span say much (loaded adjectives, labels, "we must"), but some techniques
are defined by the article around it: Repetition by recurrence, Doubt and Appeal to
Authority by length and reporting verbs, Slogans by capitals and exclamation marks. The
transformer head reads the words; this model adds those signals, and the two are averaged.
"""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from presslens.text import WORD, words


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
