"""Issue 14: where attribution contents go wrong, on PolNeAR dev (a diagnosis, no scores to report).

    .venv/bin/python benchmarks/experiments/attribution_errors.py [--tagger neural] [--model DIR]
        [--data DIR] [--show N]

Each gold content (normalised as exact match normalises it) is put in one class by the
predicted content that overlaps it most: exact; starts late or early; ends early or late
(and whether the gold end is a sentence end, a paragraph end or a closing quote); split
(gold covered by several predicted contents); missed (no overlap). Prints the counts and N
examples of each class. It reads the tuning part of PolNeAR train (one article in ten, which
the neural tagger is not trained on; the CRF was, so its errors there are too few), never
dev: it guides repairs, and dev then scores them once.
"""

from __future__ import annotations

import argparse
import random
from collections import Counter
from pathlib import Path

from presslens.attribution.neural_train import split_train
from presslens.attribution.polnear import load_polnear
from presslens.attribution.scorer import intersection, normalise, role_spans
from presslens.attribution.stage import load_tagger
from presslens.models.loader import spacy_model

DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "polnear"


def _edge_kind(text: str, end: int) -> str:
    after = text[end : end + 3]
    if "\n" in after:
        return "paragraph end"
    if after[:1] in "\"”'’":
        return "quote"
    if text[end - 1 : end] in ".?!" or after[:1] in ".?!":
        return "sentence end"
    return "inside a sentence"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tagger", default="neural")
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--show", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1, help="torch threads (a training may hold the others)")
    args = parser.parse_args()
    import torch

    torch.set_num_threads(args.threads)
    _, documents = split_train(load_polnear(args.data / "train"))
    tagger = load_tagger(args.tagger, args.model)
    nlp = spacy_model()
    counts: Counter[str] = Counter()
    examples: dict[str, list[str]] = {}
    cue_found: Counter[str] = Counter()
    cue_total: Counter[str] = Counter()
    for document, doc in zip(documents, nlp.pipe([d.text for d in documents]), strict=True):
        text = document.text
        found = [f.as_polnear() for f in tagger.extract(doc)]
        predicted = [normalise(s, text) for s in role_spans(found, "content")]
        # Cue recall (exact) by the part of speech of the gold cue's first word: how far the
        # tagger gets beyond verbs of saying.
        predicted_cues = {normalise(s, text) for s in role_spans(found, "cue")}
        for gold_cue in role_spans(document.attributions, "cue"):
            cue = normalise(gold_cue, text)
            first = doc.char_span(cue[0][0], cue[0][1], alignment_mode="expand")
            kind = (
                "according to"
                if text[cue[0][0] : cue[0][1]].lower().startswith("according")
                else (first[0].pos_ if first is not None and len(first) else "?")
            )
            cue_total[kind] += 1
            cue_found[kind] += cue in predicted_cues
        for gold_span in role_spans(document.attributions, "content"):
            gold = normalise(gold_span, text)
            overlapping = [p for p in predicted if intersection(p, gold)]
            if not overlapping:
                kind = "missed"
            elif len(overlapping) > 1:
                kind = "split over several predictions"
            else:
                best = overlapping[0]
                if best == gold:
                    kind = "exact"
                else:
                    parts = []
                    if best[0][0] > gold[0][0]:
                        parts.append("starts late")
                    elif best[0][0] < gold[0][0]:
                        parts.append("starts early")
                    if best[-1][1] < gold[-1][1]:
                        parts.append(f"ends early (gold ends at a {_edge_kind(text, gold[-1][1])})")
                    elif best[-1][1] > gold[-1][1]:
                        parts.append(f"ends late (gold ends at a {_edge_kind(text, gold[-1][1])})")
                    kind = ", ".join(parts) or "fragments differ"
                    lo, hi = min(best[0][0], gold[0][0]), max(best[-1][1], gold[-1][1])
                    examples.setdefault(kind, []).append(
                        f"  gold: {text[gold[0][0] : gold[-1][1]]!r}\n  pred: {text[best[0][0] : best[-1][1]]!r}"
                        if hi - lo < 600
                        else "  (long)"
                    )
            counts[kind] += 1
    print("cue recall (exact) by the first word's part of speech")
    for kind, count in cue_total.most_common(8):
        print(f"{count:5d}  {cue_found[kind] / count:6.1%}  {kind}")
    total = sum(counts.values())
    for kind, count in counts.most_common():
        print(f"{count:5d} {count / total:6.1%}  {kind}")
    rng = random.Random(1)
    for kind, shown in examples.items():
        print(f"\n## {kind}")
        for example in rng.sample(shown, min(args.show, len(shown))):
            print(example)


if __name__ == "__main__":
    main()
