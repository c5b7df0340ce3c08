"""Tried for issue 13 (item 3, the seed target): what the designation rule does to SI and FLC on PTC dev.

    python benchmarks/experiments/technique_designations.py [--data DIR]

Reads the dev articles of the training split (never the held-out ones) with the shipped technique
model (int8, as `analyze` runs it), parses them with spaCy md, and scores SI and FLC for: the model's
own spans (``model``); the product without the designation rule (``boundaries``: spans ending at
phrase boundaries, ``presslens.techniques.boundaries``); the product (``product``: boundaries, then
``presslens.techniques.designations`` where the model found nothing, exactly
``presslens.techniques.evaluate.predict_product``); and variants of the rule: the span the rule marks
(``head``: the designation alone; ``phrase``: with its article), ``any_use`` (every designation that
heads its phrase, whether or not it refers to an actor) and ``no_bare_plurals``. The rule's own
precision (the share of its spans that overlap a gold span, and of those the share that overlap a
Name_Calling,Labeling one) gives its findings' probabilities (``designations.SPAN_PROBABILITY``,
``TECHNIQUE_PROBABILITY``); the script says when those constants differ from what it measured.
Writes benchmarks/results/technique-designations-<date>.json.

The product's variant was fixed before this ran (qualified span, referring uses, bare plurals), from
PTC's annotation of labels ("hostile regime", "his corrupt regime", "despotic mullahs"); the rule is
added for the seed target and PTC's annotators rarely mark these words, so it is expected to cost
a little SI precision on PTC: the question is how much.
"""

from __future__ import annotations

import argparse
import datetime
import json
from collections import Counter
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from presslens.models.loader import spacy_model
from presslens.techniques import designations
from presslens.techniques.boundaries import Parse, Span, fit_spans
from presslens.techniques.evaluate import predict_flc, predict_product
from presslens.techniques.model import load_predictor
from presslens.techniques.ptc import Article, TechniqueSpan, gold_spans
from presslens.techniques.scorer import Score, score_flc, score_si
from presslens.techniques.train import load_split

if TYPE_CHECKING:
    from spacy.tokens import Doc

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DATA = ROOT.parent / "shared" / "data"
LABEL = designations.TECHNIQUE

RuleSpans = Callable[[Parse | None], list[Span]]
RULES: dict[str, RuleSpans] = {
    "product": designations.designation_spans,
    "head": partial(designations.designation_spans, extent="head"),
    "phrase": partial(designations.designation_spans, extent="phrase"),
    "any_use": partial(designations.designation_spans, referring=False),
    "no_bare_plurals": partial(designations.designation_spans, bare_plurals=False),
}


def row(s: Score) -> dict[str, float]:
    return {"precision": round(s.precision, 4), "recall": round(s.recall, 4), "f1": round(s.f1, 4)}


def scores(articles: list[Article], found: list[TechniqueSpan]) -> dict[str, Any]:
    gold, ids = gold_spans(articles), {a.id for a in articles}
    flc = score_flc(found, gold, ids)
    return {
        "si": row(score_si(found, gold, ids)),
        "flc": row(flc.overall),
        "flc_name_calling": row(flc.per_technique[LABEL]),
        "spans": len({t.ref for t in found}),
    }


def with_rule(
    article: Article, parse: Parse | None, found: list[TechniqueSpan], rule: RuleSpans
) -> list[TechniqueSpan]:
    """The product's steps (as ``stage.refine``) with another designation rule."""
    fitted = fit_spans(parse, [(t.start, t.end) for t in found])
    moved = [TechniqueSpan(article.id, *fitted[t.start, t.end], t.technique) for t in found]
    added = designations.unclaimed(rule(parse), list(fitted.values()))
    return moved + [TechniqueSpan(article.id, s, e, LABEL) for s, e in added]


def precision_of_rule(articles: list[Article], parses: dict[str, Parse | None]) -> dict[str, Any]:
    """The product rule alone, on every span it marks (whether or not the model found one there)."""
    fired = in_any = in_label = 0
    words: Counter[str] = Counter()
    words_in_gold: Counter[str] = Counter()
    examples: list[dict[str, object]] = []
    for article in articles:
        for start, end in designations.designation_spans(parses[article.id]):
            fired += 1
            overlapping = [g for g in article.spans if g.start < end and start < g.end]
            word = article.text[start:end].split()[-1].lower()
            words[word] += 1
            if overlapping:
                in_any += 1
                words_in_gold[word] += 1
                in_label += any(g.technique == LABEL for g in overlapping)
            if len(examples) < 30:
                examples.append(
                    {"span": article.text[start:end], "in_gold": sorted({g.technique for g in overlapping})}
                )
    span_probability = round(in_any / fired, 2) if fired else 0.0
    technique_probability = round(in_label / in_any, 2) if in_any else 0.0
    return {
        "spans": fired,
        "overlap_a_gold_span": in_any,
        "overlap_a_gold_name_calling_span": in_label,
        "span_probability": span_probability,
        "technique_probability": technique_probability,
        "per_word": {w: {"spans": n, "in_gold": words_in_gold[w]} for w, n in words.most_common()},
        "examples": examples,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args()
    _, dev, _ = load_split(args.data / "ptc")  # dev only
    predictor = load_predictor()
    nlp = spacy_model("md")
    analyses = {a.id: predictor.read(a.text) for a in dev}
    docs: dict[str, Doc] = {a.id: doc for a, doc in zip(dev, nlp.pipe(a.text for a in dev), strict=True)}
    parses = {a.id: Parse.of(docs[a.id], a.text) for a in dev}
    model = {a.id: predict_flc(predictor, a.id, analyses[a.id]) for a in dev}

    rows: dict[str, dict[str, Any]] = {
        "model": scores(dev, [t for a in dev for t in model[a.id]]),
        "boundaries": scores(dev, [t for a in dev for t in with_rule(a, parses[a.id], model[a.id], lambda _: [])]),
    }
    for name, spans_of in RULES.items():
        rows[name] = scores(dev, [t for a in dev for t in with_rule(a, parses[a.id], model[a.id], spans_of)])
    # The product row is the product's own code path.
    product = [t for a in dev for t in predict_product(predictor, a.id, analyses[a.id], docs[a.id])]
    assert scores(dev, product) == rows["product"], "predict_product and this script's steps disagree"

    rule = precision_of_rule(dev, parses)
    results: dict[str, Any] = {
        "split": "dev (training split)",
        "articles": len(dev),
        "model": "shipped, int8; spaCy md",
        "dev": rows,
        "rule": rule,
        "effect_of_rule": {
            key: round(rows["product"][key]["f1"] - rows["boundaries"][key]["f1"], 4)
            for key in ("si", "flc", "flc_name_calling")
        },
        "constants": {
            "SPAN_PROBABILITY": designations.SPAN_PROBABILITY,
            "TECHNIQUE_PROBABILITY": designations.TECHNIQUE_PROBABILITY,
        },
    }
    print(f"{'variant':16s} {'SI P':>7s} {'SI R':>7s} {'SI F1':>7s} {'FLC F1':>7s} {'NC F1':>7s} spans")
    for name, r in rows.items():
        si = r["si"]
        print(
            f"{name:16s} {si['precision']:7.4f} {si['recall']:7.4f} {si['f1']:7.4f} "
            f"{r['flc']['f1']:7.4f} {r['flc_name_calling']['f1']:7.4f} {r['spans']}"
        )
    print(
        f"rule: {rule['spans']} spans, {rule['overlap_a_gold_span']} overlap a gold span, "
        f"{rule['overlap_a_gold_name_calling_span']} a Name_Calling one"
    )
    print("effect of the rule (product - boundaries):", results["effect_of_rule"])
    measured = (rule["span_probability"], rule["technique_probability"])
    if measured != (designations.SPAN_PROBABILITY, designations.TECHNIQUE_PROBABILITY):
        print(f"designations.SPAN_PROBABILITY, TECHNIQUE_PROBABILITY should be {measured}")
    out = ROOT / "benchmarks" / "results" / f"technique-designations-{datetime.date.today()}.json"
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
