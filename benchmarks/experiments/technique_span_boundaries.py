"""Tried for issue 13 (item 3): do word and constituent boundaries from the spaCy parse raise SI F1?

    python benchmarks/experiments/technique_span_boundaries.py [--data DIR] [--heldout]

Reads the dev articles of the training split with the shipped technique model (int8, as `analyze`
runs it), decodes spans as today, parses the articles with spaCy md and applies boundary rules:
(a) today's spans; (b) trim leading and trailing function words (determiners, adpositions,
auxiliaries, conjunctions, particles such as "to": word classes from the parse), b+punct also
trims punctuation; (c) extend a span that ends inside a noun chunk, or whose last word's head
lies just beyond it, to that phrase's end, by at most N tokens (N in 2, 4); (d) c then b, and
b then c. Prints dev SI P/R/F1 per variant and writes benchmarks/results/technique-span-boundaries-<date>.json.
``--heldout`` scores the chosen variant on the held-out split once, after choosing on dev.
Result (2026-12-02, 41 dev articles): no variant beats today's spans by 0.005 SI F1 (best, extending
to the end of a nominal phrase by at most 2 tokens: +0.003, recall up, precision down; trimming
function words costs recall, since PTC spans keep their determiners and particles). The product is
unchanged and held-out was not read. b_trim_trailing, c_nominal* and d_nominal* were added after the
first dev table (its examples showed "Society" -> "Society was caught").
Adopted later in the product (issue 13 item 3, "no span that ends inside a phrase", at no cost to
SI): d_nominal2_then_trim_trailing, as ``presslens.techniques.boundaries`` (the rules live there and
are imported here). The ``product`` row is the stage's own ``fit_spans`` (that rule, and a span
keeps its end where the rule would end it inside a word or reach the next span); the FLC rows
compare the product's spans with the model's techniques of the span it found (what the stage
does) against the techniques the model gives the new span (``flc_reclassified``).
"""

from __future__ import annotations

import argparse
import datetime
import json
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from presslens.models.loader import spacy_model
from presslens.techniques.boundaries import FUNCTION_POS, Parse, Rule, Span, extend, fit_spans, keep, then, trim
from presslens.techniques.evaluate import predict_flc
from presslens.techniques.model import load_predictor
from presslens.techniques.predictor import ArticleAnalysis, EncoderTechniqueNetwork
from presslens.techniques.ptc import Article, SpanRef, TechniqueSpan, gold_spans
from presslens.techniques.scorer import Score, score_flc, score_si
from presslens.techniques.train import load_split

if TYPE_CHECKING:
    from spacy.tokens import Doc

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DATA = ROOT.parent / "shared" / "data"
PRODUCT = "d_nominal2_then_trim_trailing"


def variants() -> dict[str, Rule]:
    out: dict[str, Rule] = {
        "a_today": keep,
        "b_trim": trim,
        "b_trim+punct": partial(trim, punct=True),
        "b_trim_trailing": partial(trim, leading=False),
    }
    for n in (2, 4):
        out[f"c_nominal{n}"] = partial(extend, limit=n, nominal=True)
        out[f"d_nominal{n}_then_trim_trailing"] = then(out[f"c_nominal{n}"], out["b_trim_trailing"])
        out[f"c_extend{n}"] = partial(extend, limit=n)
        out[f"d_extend{n}_then_trim"] = then(out[f"c_extend{n}"], trim)
        out[f"d_trim_then_extend{n}"] = then(trim, out[f"c_extend{n}"])
    return out


class Read:
    """The dev (or held-out) articles read by the model and parsed by spaCy md."""

    def __init__(self, articles: list[Article]) -> None:
        self.articles = articles
        self.predictor: EncoderTechniqueNetwork = load_predictor()
        nlp = spacy_model("md")
        self.analyses: dict[str, ArticleAnalysis] = {a.id: self.predictor.read(a.text) for a in articles}
        self.raw: dict[str, list[Span]] = {
            a.id: [(s, e) for s, e, _ in self.predictor.spans(self.analyses[a.id])] for a in articles
        }
        self.docs: dict[str, Doc] = {
            a.id: doc for a, doc in zip(articles, nlp.pipe(a.text for a in articles), strict=True)
        }
        self.parses = {a.id: Parse.of(self.docs[a.id], a.text) for a in articles}

    def fitted(self, article: Article, rule: Rule | None) -> dict[Span, Span]:
        """Each raw span -> the rule's span (None: the product's ``fit_spans``)."""
        parse = self.parses[article.id]
        if rule is None:
            return fit_spans(parse, self.raw[article.id])
        assert parse is not None
        return {span: rule(parse, span) for span in self.raw[article.id]}


def score(read: Read, rule: Rule | None) -> tuple[Score, list[dict[str, str]], int]:
    found: list[SpanRef] = []
    changed: list[dict[str, str]] = []
    moved = 0
    for article in read.articles:
        fitted = read.fitted(article, rule)
        for span in read.raw[article.id]:
            new = fitted[span]
            found.append(SpanRef(article.id, *new))
            if new != span:
                moved += 1
                if len(changed) < 12:
                    changed.append({"before": article.text[span[0] : span[1]], "after": article.text[new[0] : new[1]]})
    return score_si(found, gold_spans(read.articles), {a.id for a in read.articles}), changed, moved


def ending_on_a_function_word(read: Read, rule: Rule | None) -> dict[str, int]:
    """How many spans end on a function word, before and after ``rule`` (None: the product)."""
    counts = {"spans": 0, "before": 0, "after": 0}
    for article in read.articles:
        parse = read.parses[article.id]
        assert parse is not None
        fitted = read.fitted(article, rule)
        for span in read.raw[article.id]:
            counts["spans"] += 1
            for key, (start, end) in (("before", span), ("after", fitted[span])):
                inside = parse.tokens_within(start, end)
                counts[key] += bool(inside) and parse.doc[inside[-1]].pos_ in FUNCTION_POS
    return counts


def flc_rows(read: Read) -> dict[str, dict[str, float]]:
    """FLC of the model's spans, of the product's spans with the techniques of the span the model
    found (the stage), and of the product's spans with the techniques the model gives them."""
    model, kept, reclassified = [], [], []
    predictor = read.predictor
    for article in read.articles:
        analysis = read.analyses[article.id]
        found = predict_flc(predictor, article.id, analysis)
        fitted = fit_spans(read.parses[article.id], [(t.start, t.end) for t in found])
        model += found
        kept += [TechniqueSpan(article.id, *fitted[t.start, t.end], t.technique) for t in found]
        # The techniques of the new spans, chosen as predict_flc chooses them.
        new_spans = list(dict.fromkeys(fitted[t.start, t.end] for t in found))
        probabilities = predictor.classify(analysis, new_spans)
        for span, techniques in zip(new_spans, probabilities, strict=True):
            order = techniques.argsort()[::-1]
            reclassified.append(TechniqueSpan(article.id, *span, predictor.techniques[order[0]]))
            if techniques[order[1]] >= predictor.decoding.second_label:
                reclassified.append(TechniqueSpan(article.id, *span, predictor.techniques[order[1]]))
    gold, ids = gold_spans(read.articles), {a.id for a in read.articles}
    return {
        name: row(score_flc(spans, gold, ids).overall)
        for name, spans in (("flc_model", model), ("flc_product", kept), ("flc_reclassified", reclassified))
    }


def row(s: Score) -> dict[str, float]:
    return {"precision": round(s.precision, 4), "recall": round(s.recall, 4), "f1": round(s.f1, 4)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--heldout", metavar="VARIANT", help="score this variant (chosen on dev) on held-out, once")
    args = parser.parse_args()
    _, dev, heldout = load_split(args.data / "ptc")
    out = ROOT / "benchmarks" / "results" / f"technique-span-boundaries-{datetime.date.today()}.json"
    results: dict[str, Any] = json.loads(out.read_text()) if out.exists() else {}
    rules = variants()
    if args.heldout:
        read = Read(heldout)
        held = {name: row(score(read, rules[name])[0]) for name in ("a_today", args.heldout)}
        results["heldout_measured_after_choosing"] = {"articles": len(heldout), "chosen": args.heldout, **held}
        for name, scores in held.items():
            print(f"held-out {name:24s} P {scores['precision']:.4f} R {scores['recall']:.4f} F1 {scores['f1']:.4f}")
    else:
        read = Read(dev)
        results = {
            "split": "dev (training split)",
            "articles": len(dev),
            "model": "shipped, int8",
            "rule": "adopt a variant only if it beats a_today on dev SI F1 by at least 0.005",
            "dev": {},
        }
        print(f"{'variant':32s} {'P':>7s} {'R':>7s} {'F1':>7s}  changed")
        for name, rule in [*rules.items(), ("product", None)]:
            s, changed, moved = score(read, rule)
            results["dev"][name] = {**row(s), "spans_changed": moved, "examples": changed}
            print(f"{name:32s} {s.precision:7.4f} {s.recall:7.4f} {s.f1:7.4f}  {moved}")
        best = max(rules, key=lambda name: results["dev"][name]["f1"])
        gain = round(results["dev"][best]["f1"] - results["dev"]["a_today"]["f1"], 4)
        results["best_variant"], results["gain_over_a_today"], results["adopted"] = best, gain, gain >= 0.005
        print(f"best {best}: {gain:+.4f} over today ({'adopt' if gain >= 0.005 else 'below 0.005'})")
        results["adopted_later"] = {
            "variant": PRODUCT,
            "why": "issue 13 item 3: no span that ends inside a phrase; it does not cost dev SI",
        }
        results["product_spans_ending_on_a_function_word"] = ending_on_a_function_word(read, None)
        print("spans ending on a function word:", results["product_spans_ending_on_a_function_word"])
        results["dev_flc"] = flc_rows(read)
        for name, scores in results["dev_flc"].items():
            print(f"{name:32s} {scores['precision']:7.4f} {scores['recall']:7.4f} {scores['f1']:7.4f}")
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
