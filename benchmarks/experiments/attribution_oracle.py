"""How much of the attribution error is the tagger's, and how much the grouping's.

    python benchmarks/experiments/attribution_oracle.py [--data DIR]

Runs ``presslens.attribution.extract.group`` on the GOLD tags of PolNeAR dev (each token tagged
as ``presslens.attribution.train.gold_tags`` does for training) and scores the result with the
official scorer: what the extractor would score with a perfect tagger. Also counts gold cues
that lie inside another attribution's content (nesting in the annotation).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from presslens.attribution.extract import group
from presslens.attribution.features import paragraphs
from presslens.attribution.polnear import load_polnear
from presslens.attribution.scorer import format_report, score
from presslens.attribution.train import gold_tags, parse_all

DEFAULT_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args()
    dev = load_polnear(args.data / "polnear" / "dev")
    predictions = {}
    nested = 0
    for doc, document in zip(parse_all([d.text for d in dev], "md"), dev, strict=True):
        tags = gold_tags(list(doc), document)
        found = []
        for paragraph in paragraphs(doc):
            tokens = list(paragraph)
            found += group(tokens, tags[paragraph.start : paragraph.end], [1.0] * len(tokens))
        predictions[document.name] = [f.as_polnear() for f in found]
        for attribution in document.attributions:
            cue = attribution.cue[0][0]
            others = (a for a in document.attributions if a is not attribution)
            nested += any(s <= cue < e for a in others for s, e in a.content)
    total = sum(len(d.attributions) for d in dev)
    print(f"gold cues inside another attribution's content: {nested} of {total}")
    print(format_report(score(predictions, dev), "grouping on gold tags, PolNeAR dev"))


if __name__ == "__main__":
    main()
