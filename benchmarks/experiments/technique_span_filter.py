"""Tried for issue 3: does a second-stage filter over the shipped model's spans raise SI F1?

    python benchmarks/experiments/technique_span_filter.py [--data DIR]

Reads the dev and held-out PTC articles with the shipped technique model (int8, as `analyze`
runs it), decodes candidate spans at two thresholds, describes each span (length, mean / max /
min / median piece probability, inside-span rates of its words in PTC train, the linear
classifier's technique probabilities, position, capitals, quotes, recurrence in the article),
trains a gradient-boosted regressor of each span's precision on the dev articles and keeps the
spans it predicts above a cut. Prints SI F1 by 5-fold cross-validation on dev and on held-out.
Result (2026-11-29): gains on dev by cross-validation, none on held-out.
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

import numpy as np
from sklearn.ensemble import HistGradientBoostingRegressor

from presslens.techniques.features import SpanContext
from presslens.techniques.model import load_predictor
from presslens.techniques.predictor import Decoding
from presslens.techniques.ptc import SpanRef, gold_spans
from presslens.techniques.scorer import score_si
from presslens.techniques.train import load_split

DEFAULT_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
WORD = re.compile(r"\w+")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args()
    train, dev, heldout = load_split(args.data / "ptc")
    predictor = load_predictor()
    inside, total = Counter(), Counter()
    for article in train:
        covered = np.zeros(len(article.text), bool)
        for span in article.spans:
            covered[span.start : span.end] = True
        for match in WORD.finditer(article.text):
            word = match.group().lower()
            total[word] += 1
            inside[word] += bool(covered[match.start() : match.end()].any())

    def rate(word: str) -> float:
        return (inside[word] + 3 * 0.13) / (total[word] + 3)

    analyses = {a.id: predictor.read(a.text) for a in [*dev, *heldout]}

    def candidates(articles, decoding):  # type: ignore[no-untyped-def]
        rows, labels, refs = [], [], []
        for article in articles:
            analysis, text = analyses[article.id], article.text
            covered = np.zeros(len(text) + 1, bool)
            for span in article.spans:
                covered[span.start : span.end] = True
            spans = predictor.spans(analysis, decoding)
            if not spans:
                continue
            linear = predictor.classifier.predict_proba([SpanContext(text, s, e) for s, e, _ in spans])
            for (start, end, mean), techniques in zip(spans, linear, strict=True):
                pieces = analysis.probabilities[analysis.encoded.pieces_in(start, end)]
                rates = [rate(w.lower()) for w in WORD.findall(text[start:end])] or [0.13]
                stretch = text[start:end]
                shape = [sum(c.isupper() for c in stretch) / len(stretch), int('"' in stretch or "“" in stretch)]
                recurrence = text.count(stretch) if len(stretch) > 3 else 1
                probability = [mean, pieces.max(), pieces.min(), np.median(pieces)]
                lexical = [np.mean(rates), max(rates), techniques.max(), *techniques]
                rows.append([end - start, len(pieces), *probability, *lexical, start / len(text), *shape, recurrence])
                labels.append(covered[start:end].mean())
                refs.append(SpanRef(article.id, start, end))
        return np.array(rows), np.array(labels), refs

    def f1(refs, keep, articles) -> float:  # type: ignore[no-untyped-def]
        chosen = [r for r, k in zip(refs, keep, strict=True) if k]
        return score_si(chosen, gold_spans(articles), {a.id for a in articles}).f1

    def model() -> HistGradientBoostingRegressor:
        return HistGradientBoostingRegressor(max_iter=150, learning_rate=0.05, max_leaf_nodes=15, min_samples_leaf=20)

    for threshold in (0.35, 0.45):
        decoding = Decoding(threshold=threshold, max_gap=4, min_chars=6)
        x_dev, y_dev, r_dev = candidates(dev, decoding)
        x_ho, _, r_ho = candidates(heldout, decoding)
        print(
            f"threshold {threshold}: no filter: dev SI F1 {f1(r_dev, [1] * len(r_dev), dev):.4f}, "
            f"held-out {f1(r_ho, [1] * len(r_ho), heldout):.4f}"
        )
        articles = sorted({r.article_id for r in r_dev})
        fold = np.array([articles.index(r.article_id) % 5 for r in r_dev])
        cross = np.zeros(len(y_dev))
        for k in range(5):
            cross[fold == k] = model().fit(x_dev[fold != k], y_dev[fold != k]).predict(x_dev[fold == k])
        on_heldout = model().fit(x_dev, y_dev).predict(x_ho)
        for cut in (0.05, 0.1, 0.15, 0.2, 0.25, 0.3):
            print(
                f"  keep predicted precision >= {cut}: dev (5-fold) {f1(r_dev, cross >= cut, dev):.4f}  "
                f"held-out {f1(r_ho, on_heldout >= cut, heldout):.4f}"
            )


if __name__ == "__main__":
    main()
