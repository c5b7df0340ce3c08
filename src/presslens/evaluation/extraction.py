"""Score article extraction on the ScrapingHub article-extraction benchmark.

The benchmark (MIT, Scrapinghub 2020) is a folder with ``html/<id>.html.gz`` pages and
``ground-truth.json`` mapping each id to ``{"articleBody": ..., "url": ...}``.

Scoring follows the benchmark's ``evaluate.py``:

* tokens are ``re.findall(r"\\w+", text)``, case kept (the benchmark does not lowercase);
* shingles are the token 4-grams, counted as a multiset; a text of 1 to 3 tokens is one
  shorter shingle (as in the benchmark), an empty text has none;
* per document, over all shingles: tp = min(true, predicted) counts, fp = predicted excess,
  fn = true excess.

Averaging: per-document precision tp/(tp+fp) and recall tp/(tp+fn) are averaged over all
documents (macro), and F1 is the harmonic mean of the two averages. A ratio whose
denominator is 0 is 1.0 when both texts have no shingles (nothing to find, nothing found)
and 0.0 otherwise: an empty extraction of a page with an article scores precision 0, not 1,
and is not left out of the average. This is stricter than leaving such pages out of the
precision average; ``ExtractionReport.empty`` counts them, so the two readings can be told
apart (no page is empty for presslens or trafilatura on this benchmark).
"""

from __future__ import annotations

import gzip
import json
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from presslens.errors import InputError
from presslens.ingest import IngestOptions, RawInput, to_document

Shingle = tuple[str, ...]
Extractor = Callable[[str, str], str]
"""An extractor takes (html, url) and returns the article text ('' when it finds none)."""

SHINGLE_SIZE = 4
_TOKEN = re.compile(r"\w+")


def tokenize(text: str) -> list[str]:
    """Word tokens as the benchmark takes them: runs of \\w, case kept."""
    return _TOKEN.findall(text or "")


def shingles(text: str, n: int = SHINGLE_SIZE) -> Counter[Shingle]:
    """Multiset of token n-grams; a text shorter than n tokens is one shingle of all of them."""
    tokens = tokenize(text)
    if not tokens:
        return Counter()
    return Counter(tuple(tokens[i : i + n]) for i in range(max(1, len(tokens) - n + 1)))


@dataclass(frozen=True)
class Counts:
    tp: int
    fp: int
    fn: int


def shingle_counts(true: str, predicted: str, n: int = SHINGLE_SIZE) -> Counts:
    """True positives, false positives and false negatives over the shingle multisets."""
    true_sh, pred_sh = shingles(true, n), shingles(predicted, n)
    tp = sum((true_sh & pred_sh).values())
    fp = sum((pred_sh - true_sh).values())
    fn = sum((true_sh - pred_sh).values())
    return Counts(tp, fp, fn)


def _ratio(numerator: int, denominator: int, both_empty: bool) -> float:
    if denominator == 0:
        return 1.0 if both_empty else 0.0
    return numerator / denominator


def precision_recall(counts: Counts) -> tuple[float, float]:
    """Per-document precision and recall (see the module docstring for the empty cases)."""
    both_empty = counts.tp + counts.fp + counts.fn == 0
    return (
        _ratio(counts.tp, counts.tp + counts.fp, both_empty),
        _ratio(counts.tp, counts.tp + counts.fn, both_empty),
    )


def f1_score(precision: float, recall: float) -> float:
    return 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)


@dataclass(frozen=True)
class DocumentScore:
    doc_id: str
    url: str
    precision: float
    recall: float
    counts: Counts
    seconds: float = 0.0

    @property
    def f1(self) -> float:
        return f1_score(self.precision, self.recall)


def score_document(doc_id: str, true: str, predicted: str, url: str = "", seconds: float = 0.0) -> DocumentScore:
    counts = shingle_counts(true, predicted)
    precision, recall = precision_recall(counts)
    return DocumentScore(doc_id, url, precision, recall, counts, seconds)


@dataclass
class ExtractionReport:
    precision: float
    recall: float
    f1: float
    n: int
    seconds_per_page: float
    empty: int  # pages for which the extractor returned no text
    rows: list[DocumentScore] = field(default_factory=list)  # one per page, in id order

    def summary(self) -> str:
        return (
            f"P={self.precision:.4f} R={self.recall:.4f} F1={self.f1:.4f} n={self.n} "
            f"empty={self.empty} ({self.seconds_per_page:.3f} s/page)"
        )


def aggregate(documents: Iterable[DocumentScore]) -> ExtractionReport:
    """Macro averages of per-document precision and recall, and F1 of the averages."""
    docs = list(documents)
    n = len(docs)
    if n == 0:
        return ExtractionReport(0.0, 0.0, 0.0, 0, 0.0, 0, [])
    precision = sum(d.precision for d in docs) / n
    recall = sum(d.recall for d in docs) / n
    return ExtractionReport(
        precision=precision,
        recall=recall,
        f1=f1_score(precision, recall),
        n=n,
        seconds_per_page=sum(d.seconds for d in docs) / n,
        empty=sum(1 for d in docs if d.counts.tp + d.counts.fp == 0),
        rows=docs,
    )


@dataclass(frozen=True)
class BenchmarkPage:
    doc_id: str
    url: str
    html: str
    article_body: str


def iter_pages(data_dir: Path) -> Iterator[BenchmarkPage]:
    """The benchmark's pages in id order, decoded as UTF-8 (the benchmark's pages all are)."""
    truth = json.loads((data_dir / "ground-truth.json").read_text(encoding="utf-8"))
    for doc_id in sorted(truth):
        path = data_dir / "html" / f"{doc_id}.html.gz"
        html = gzip.decompress(path.read_bytes()).decode("utf-8", errors="replace")
        entry = truth[doc_id]
        yield BenchmarkPage(doc_id, entry.get("url") or "", html, entry.get("articleBody") or "")


def evaluate_extraction(data_dir: Path, extractor: Extractor) -> ExtractionReport:
    """Run the extractor over every benchmark page and score it against the ground truth.

    One untimed call on the first page comes first, so that imports and lazily loaded
    models do not count in the seconds per page."""
    scores = []
    warmed = False
    for page in iter_pages(Path(data_dir)):
        if not warmed:
            extractor(page.html, page.url)
            warmed = True
        start = time.perf_counter()
        predicted = extractor(page.html, page.url)
        seconds = time.perf_counter() - start
        scores.append(score_document(page.doc_id, page.article_body, predicted, page.url, seconds))
    return aggregate(scores)


def presslens_extractor(html: str, url: str) -> str:
    """The text presslens stores for a page: HTML extraction, then debris cleaning.
    Language is not enforced, so non-English pages are scored too; '' when nothing is found."""
    raw = RawInput(source=url or "page.html", text=html, is_html=True, metadata={"url": url} if url else {})
    try:
        return to_document(raw, IngestOptions(english_only=False)).text
    except InputError:
        return ""


def trafilatura_extractor(html: str, url: str) -> str:
    """Plain ``trafilatura.extract(html)`` with its defaults, for comparison."""
    import trafilatura

    return trafilatura.extract(html) or ""
