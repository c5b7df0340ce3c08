"""Predictions on PTC articles in the shared task's three forms, and their scores.

Two kinds of prediction: the model's own spans (``predict_si``, ``predict_flc``: what training
tunes and its model card reports), and what the product outputs (``predict_product``: the
technique stage's rules over the article's spaCy parse, ``presslens.techniques.stage.refine``),
which ``evaluate`` scores when it is given the parses (``parse_articles``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from presslens.models.loader import spacy_model
from presslens.techniques import designations
from presslens.techniques.boundaries import Parse
from presslens.techniques.features import SpanContext
from presslens.techniques.predictor import ArticleAnalysis, Decoding, EncoderTechniqueNetwork
from presslens.techniques.ptc import Article, SpanRef, TechniqueSpan, gold_spans
from presslens.techniques.scorer import FlcScore, Score, TcScore, score_flc, score_si, score_tc
from presslens.techniques.stage import refine

if TYPE_CHECKING:
    from spacy.tokens import Doc


@dataclass
class PtcScores:
    si: Score
    tc: TcScore
    flc: FlcScore


def predict_si(predictor: EncoderTechniqueNetwork, article_id: str, analysis: ArticleAnalysis) -> list[SpanRef]:
    return [SpanRef(article_id, s, e) for s, e, _ in predictor.spans(analysis)]


def predict_flc(
    predictor: EncoderTechniqueNetwork, article_id: str, analysis: ArticleAnalysis, decoding: Decoding | None = None
) -> list[TechniqueSpan]:
    """Spans found, each named by its most likely technique (and a second, when likely too)."""
    decoding = decoding or predictor.decoding
    spans = predictor.spans(analysis, decoding)
    probabilities = predictor.classify(analysis, [(s, e) for s, e, _ in spans], blend=decoding.blend)
    found = []
    for (start, end, _), row in zip(spans, probabilities, strict=True):
        order = np.argsort(-row)
        found.append(TechniqueSpan(article_id, start, end, predictor.techniques[order[0]]))
        if row[order[1]] >= decoding.second_label:
            found.append(TechniqueSpan(article_id, start, end, predictor.techniques[order[1]]))
    return found


def predict_product(
    predictor: EncoderTechniqueNetwork,
    article_id: str,
    analysis: ArticleAnalysis,
    parsed: Doc,
    decoding: Decoding | None = None,
) -> list[TechniqueSpan]:
    """What the technique stage outputs for the article, in FLC form: the model's spans (each
    with the techniques of ``predict_flc``) ending at the phrase boundaries of ``parsed``, the
    article's spaCy parse, and the designation rule's spans where the model found nothing."""
    found = predict_flc(predictor, article_id, analysis, decoding)
    refined = refine(Parse.of(parsed, analysis.text), [(t.start, t.end) for t in found])
    moved = [TechniqueSpan(article_id, *refined.fitted[t.start, t.end], t.technique) for t in found]
    labels = [TechniqueSpan(article_id, start, end, designations.TECHNIQUE) for start, end in refined.labels]
    return sorted(moved + labels, key=lambda t: (t.start, t.end))  # a span's techniques in the model's order


def parse_articles(articles: Iterable[Article], spacy_name: str | None = None) -> dict[str, Doc]:
    """Each article's spaCy parse, by the pipeline's spaCy model (default: its default)."""
    articles = list(articles)
    nlp = spacy_model(spacy_name)
    return {a.id: doc for a, doc in zip(articles, nlp.pipe(a.text for a in articles), strict=True)}


def predict_tc(
    predictor: EncoderTechniqueNetwork, article_id: str, analysis: ArticleAnalysis, template: Sequence[SpanRef]
) -> list[TechniqueSpan]:
    """One technique per template row. A span listed k times gets its k likeliest techniques,
    since PTC lists a span once per technique it uses."""
    distinct = list(dict.fromkeys((r.start, r.end) for r in template))
    probabilities = predictor.classify(analysis, distinct)
    repeats = Counter((r.start, r.end) for r in template)
    ranked = {span: list(np.argsort(-row)) for span, row in zip(distinct, probabilities, strict=True)}
    used: Counter[tuple[int, int]] = Counter()
    out = []
    for row in template:
        key = (row.start, row.end)
        label = ranked[key][min(used[key], repeats[key] - 1)]
        used[key] += 1
        out.append(TechniqueSpan(article_id, row.start, row.end, predictor.techniques[label]))
    return out


def evaluate(
    predictor: EncoderTechniqueNetwork,
    articles: Iterable[Article],
    analyses: dict[str, ArticleAnalysis] | None = None,
    parses: Mapping[str, Doc] | None = None,
) -> PtcScores:
    """SI, TC and FLC scores. With ``parses`` (each article's spaCy parse, ``parse_articles``),
    SI and FLC score what the product outputs (``predict_product``); without, the model's own
    spans, as training reports them. TC labels the gold spans either way."""
    articles = list(articles)
    analyses = analyses if analyses is not None else {a.id: predictor.read(a.text) for a in articles}
    si: list[SpanRef] = []
    tc: list[TechniqueSpan] = []
    flc: list[TechniqueSpan] = []
    for article in articles:
        analysis = analyses[article.id]
        tc += predict_tc(predictor, article.id, analysis, [s.ref for s in article.spans])
        if parses is None:
            si += predict_si(predictor, article.id, analysis)
            flc += predict_flc(predictor, article.id, analysis)
        else:
            found = predict_product(predictor, article.id, analysis, parses[article.id])
            si += list(dict.fromkeys(t.ref for t in found))
            flc += found
    gold = gold_spans(articles)
    ids = {a.id for a in articles}
    return PtcScores(score_si(si, gold, ids), score_tc(tc, gold), score_flc(flc, gold, ids))


def tune_decoding(
    predictor: EncoderTechniqueNetwork, articles: list[Article], analyses: dict[str, ArticleAnalysis]
) -> tuple[Decoding, dict[str, float]]:
    """Choose threshold, gap and minimum length for SI F1, and the blend for TC accuracy,
    on the given (dev) articles."""
    gold = gold_spans(articles)
    ids = {a.id for a in articles}
    best: tuple[float, Decoding] = (-1.0, predictor.decoding)
    for threshold in np.arange(0.15, 0.71, 0.05):
        for max_gap in (0, 1, 2, 4):
            for min_chars in (2, 6, 12):
                decoding = replace(predictor.decoding, threshold=float(threshold), max_gap=max_gap, min_chars=min_chars)
                found = [SpanRef(a.id, s, e) for a in articles for s, e, _ in predictor.spans(analyses[a.id], decoding)]
                f1 = score_si(found, gold, ids).f1
                if f1 > best[0]:
                    best = (f1, decoding)
    si_f1, decoding = best
    # The blend of the span head and the linear classifier, for TC accuracy.
    head, linear = [], []
    for a in articles:
        ranges = [(s.start, s.end) for s in a.spans]
        head.append(predictor.head_probabilities(analyses[a.id], ranges))
        linear.append(predictor.classifier.predict_proba([SpanContext(a.text, s, e) for s, e in ranges]))
    labels = np.array([predictor.techniques.index(s.technique) for a in articles for s in a.spans])
    head_all, linear_all = np.concatenate(head), np.concatenate(linear)
    scores = {}
    for weight in np.arange(0.0, 1.01, 0.1):
        blended = weight * head_all + (1 - weight) * linear_all
        scores[round(float(weight), 1)] = float((blended.argmax(1) == labels).mean())
    blend = max(scores, key=lambda w: scores[w])
    decoding = replace(decoding, blend=blend)
    # A second technique on a span pays in FLC only if it is right often enough.
    flc_best = (-1.0, decoding.second_label)
    for second in (1.0, 0.5, 0.4, 0.3, 0.25):
        trial = replace(decoding, second_label=second)
        named = [t for a in articles for t in predict_flc(predictor, a.id, analyses[a.id], trial)]
        f1 = score_flc(named, gold, ids).overall.f1
        if f1 > flc_best[0]:
            flc_best = (f1, second)
    decoding = replace(decoding, second_label=flc_best[1])
    return decoding, {"dev_si_f1": si_f1, "dev_tc_accuracy": scores[blend], "dev_flc_f1": flc_best[0]}
