"""Issue 14: which neural attribution tagger settings, chosen on the tuning part of PolNeAR train.

    .venv/bin/python benchmarks/experiments/attribution_neural.py [--configs NAME,...] [--data DIR]
        [--cache DIR] [--out FILE]

Every configuration trains on PolNeAR train less its tuning part (one article in ten, as
`presslens train attribution --tagger neural` splits it) and is scored each epoch on the tuning
part only (exact source, cue, content and attribution F1 of the whole extractor; the headline
is their mean). PolNeAR dev is not read: the chosen settings become the defaults of
`presslens train attribution --tagger neural`, whose run scores dev once.

Results: benchmarks/results/attribution-neural-<date>.json (each configuration's epochs).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import sys
from dataclasses import asdict, replace
from pathlib import Path

from presslens.attribution.neural import Hashing
from presslens.attribution.neural_train import (
    NeuralTrainConfig,
    parse,
    prepare,
    split_train,
    states_of,
    train_network,
)
from presslens.attribution.polnear import load_polnear
from presslens.attribution.train import build_lexicon

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT.parent / "shared" / "data" / "polnear"
BASE = NeuralTrainConfig()
CONFIGS: dict[str, NeuralTrainConfig] = {
    "small": replace(BASE, feature_dropout=0.0, dropout=0.3),
    "small-regularised": replace(BASE, epochs=8, feature_dropout=0.3, dropout=0.4, weight_decay=0.01),
    "wider-regularised": replace(BASE, epochs=8, hidden=192, projection=192, feature_dropout=0.3, dropout=0.4),
    # Without the neighbours' features (the BiLSTM reads the neighbours): half the hashing.
    "own-features-regularised": replace(
        BASE, epochs=8, feature_dropout=0.3, dropout=0.4, weight_decay=0.01, neighbour_features=False
    ),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", default=",".join(CONFIGS))
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--cache", type=Path, default=ROOT / "runs" / "attribution-neural" / "cache")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s", stream=sys.stderr)
    out = args.out or ROOT / "benchmarks" / "results" / f"attribution-neural-{dt.date.today().isoformat()}.json"
    report = json.loads(out.read_text(encoding="utf-8")) if out.exists() else {"configs": {}}
    report["command"] = "benchmarks/experiments/attribution_neural.py"
    report["chosen_on"] = "the tuning part of PolNeAR train (one article in ten by name); dev not read"

    train = load_polnear(args.data / "train")
    dev = load_polnear(args.data / "dev")
    fit_documents, tune_documents = split_train(train)
    # Parsed and encoded as the training command does (dev included, so that the cache is
    # the same one), but dev's part is never used here.
    everything = fit_documents + tune_documents + list(dev)
    docs = parse(everything, BASE.spacy_model, args.cache)
    encoder_name, states = states_of(everything, docs, args.cache)
    n_fit, n_tune = len(fit_documents), len(tune_documents)
    lexicon = build_lexicon(docs[:n_fit], fit_documents)
    for name in args.configs.split(","):
        if name in report["configs"]:
            continue
        config = CONFIGS[name]
        hashing = Hashing(1 << 18, config.neighbour_features)
        fit = prepare(fit_documents, docs[:n_fit], states[:n_fit], lexicon, hashing)
        tune = prepare(tune_documents, docs[n_fit : n_fit + n_tune], states[n_fit : n_fit + n_tune], lexicon, hashing)
        _, history = train_network(fit, tune, lexicon, encoder_name, config)
        best = max(history, key=lambda h: h["tune_headline"])
        report["configs"][name] = {"config": asdict(config), "history": history, "best": best}
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        logging.info("%s: best %s", name, best)


if __name__ == "__main__":
    main()
