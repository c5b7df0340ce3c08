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
"""

from __future__ import annotations

import argparse
import datetime
import json
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from presslens.models.loader import spacy_model
from presslens.techniques.model import load_predictor
from presslens.techniques.ptc import Article, SpanRef, gold_spans
from presslens.techniques.scorer import Score, score_si
from presslens.techniques.train import load_split

if TYPE_CHECKING:
    from spacy.tokens import Doc

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DATA = ROOT.parent / "shared" / "data"
FUNCTION_POS = {"DET", "ADP", "AUX", "CCONJ", "SCONJ", "PART"}
NOMINAL_POS = {"NOUN", "PROPN", "ADJ", "NUM"}

Span = tuple[int, int]
Rule = Callable[["Doc", str, Span], Span]


def _tokens_within(doc: Doc, start: int, end: int) -> list[int]:
    return [t.i for t in doc if t.idx >= start and t.idx + len(t.text) <= end]


def trim(doc: Doc, text: str, span: Span, punct: bool = False, leading: bool = True) -> Span:
    start, end = span
    inside = _tokens_within(doc, start, end)
    drop = FUNCTION_POS | ({"PUNCT"} if punct else set())
    first, last = 0, len(inside) - 1
    while leading and first <= last and doc[inside[first]].pos_ in drop:
        first += 1
    while last >= first and doc[inside[last]].pos_ in drop:
        last -= 1
    if first > last:
        return span  # all function words: leave it to the model
    if first > 0:
        start = doc[inside[first]].idx
    if last < len(inside) - 1:
        token = doc[inside[last]]
        end = token.idx + len(token.text)
    return start, end


def extend(doc: Doc, text: str, span: Span, limit: int, nominal: bool = False) -> Span:
    start, end = span
    inside = _tokens_within(doc, start, end)
    if not inside:
        return span
    last = doc[inside[-1]]
    target = last.i
    for chunk in doc.noun_chunks:
        if chunk.start <= last.i < chunk.end - 1:
            target = max(target, chunk.end - 1)
    # nominal: only a head that is a noun or adjective (a modifier's phrase), not a subject's verb.
    if last.head.i > last.i and last.head.sent == last.sent and (not nominal or last.head.pos_ in NOMINAL_POS):
        target = max(target, last.head.i)
    if target == last.i or target - last.i > limit:
        return span
    token = doc[target]
    new_end = token.idx + len(token.text)
    if "\n" in text[end:new_end]:
        return span
    return start, new_end


def keep(doc: Doc, text: str, span: Span) -> Span:
    return span


def then(first: Rule, second: Rule) -> Rule:
    def both(doc: Doc, text: str, span: Span) -> Span:
        return second(doc, text, first(doc, text, span))

    return both


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


def score(
    articles: list[Article], raw: dict[str, list[Span]], docs: dict[str, Doc], rule: Rule
) -> tuple[Score, list[dict[str, str]]]:
    found: list[SpanRef] = []
    changed: list[dict[str, str]] = []
    for article in articles:
        for span in raw[article.id]:
            new = rule(docs[article.id], article.text, span)
            found.append(SpanRef(article.id, *new))
            if new != span and len(changed) < 12:
                changed.append({"before": article.text[span[0] : span[1]], "after": article.text[new[0] : new[1]]})
    return score_si(found, gold_spans(articles), {a.id for a in articles}), changed


def read(articles: list[Article]) -> tuple[dict[str, list[Span]], dict[str, Doc]]:
    predictor = load_predictor()
    nlp = spacy_model("md")
    raw = {a.id: [(s, e) for s, e, _ in predictor.spans(predictor.read(a.text))] for a in articles}
    docs = {a.id: nlp(a.text) for a in articles}
    return raw, docs


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
    if args.heldout:
        raw, docs = read(heldout)
        rules = variants()
        held = {name: row(score(heldout, raw, docs, rules[name])[0]) for name in ("a_today", args.heldout)}
        results["heldout_measured_after_choosing"] = {"articles": len(heldout), "chosen": args.heldout, **held}
        for name, scores in held.items():
            print(f"held-out {name:24s} P {scores['precision']:.4f} R {scores['recall']:.4f} F1 {scores['f1']:.4f}")
    else:
        raw, docs = read(dev)
        results = {
            "split": "dev (training split)",
            "articles": len(dev),
            "model": "shipped, int8",
            "rule": "adopt a variant only if it beats a_today on dev SI F1 by at least 0.005",
            "dev": {},
        }
        print(f"{'variant':24s} {'P':>7s} {'R':>7s} {'F1':>7s}  changed")
        for name, rule in variants().items():
            s, changed = score(dev, raw, docs, rule)
            n = sum(rule(docs[a.id], a.text, sp) != sp for a in dev for sp in raw[a.id])
            results["dev"][name] = {**row(s), "spans_changed": n, "examples": changed}
            print(f"{name:24s} {s.precision:7.4f} {s.recall:7.4f} {s.f1:7.4f}  {n}")
        best = max(results["dev"], key=lambda name: results["dev"][name]["f1"])
        gain = round(results["dev"][best]["f1"] - results["dev"]["a_today"]["f1"], 4)
        results["best_variant"], results["gain_over_a_today"], results["adopted"] = best, gain, gain >= 0.005
        print(f"best {best}: {gain:+.4f} over today ({'adopt' if gain >= 0.005 else 'below 0.005: not adopted'})")
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
