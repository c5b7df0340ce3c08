"""Issue 13: inference speed of the base encoders, as ratios measured in one run.

    .venv/bin/python benchmarks/experiments/encoder_speed.py [--bases minilm,e5-small,mpnet-base]
        [--threads 2] [--articles 12] [--rounds 3] [--out FILE]

Speed does not depend on the weights' values, only on the architecture, so each base is read
as it is built (presslens.encoder.bases), through the shared encoder pass the product runs
(presslens.encoder.transformer.WindowEncoder: windows of 256 pieces, the same overlap), in
float32 and in dynamic int8 (torch.ao quantize_dynamic over the linear layers, as the shipped
model loads). Rounds are interleaved (every configuration once per round, the order rotated)
so that the load of a shared machine falls on all alike; the fastest round counts. The texts
are PTC dev articles (the first --articles of presslens.techniques.train.load_split's dev part).
Reported: whitespace words per second and the ratio to MiniLM int8 in the same run.
Results: benchmarks/results/encoder-speed-<date>.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import sys
import time
import warnings
from pathlib import Path

import torch

from presslens.encoder.bases import BASES, base_path, special_ids
from presslens.encoder.transformer import WindowEncoder
from presslens.encoder.windows import load_tokenizer
from presslens.techniques.train import load_split

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT.parent / "shared" / "data" / "ptc"
REFERENCE = "minilm int8"


def encoder_for(name: str, quantise: bool) -> WindowEncoder:
    from transformers import AutoModel

    folder = base_path(name)
    body = AutoModel.from_pretrained(folder).eval()
    if quantise:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch's notice that eager quantisation moves to torchao
            body = torch.ao.quantization.quantize_dynamic(body, {torch.nn.Linear}, dtype=torch.qint8)
    tokenizer = load_tokenizer(folder)
    return WindowEncoder(body, tokenizer, special_ids(tokenizer), f"{name} {'int8' if quantise else 'float32'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bases", default="minilm,e5-small,mpnet-base")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--articles", type=int, default=12)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    import transformers

    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()
    torch.set_num_threads(args.threads)
    names = [n.strip() for n in args.bases.split(",") if n.strip()]
    if "minilm" not in names:
        names.insert(0, "minilm")  # the reference of the ratios
    _, dev, _ = load_split(args.data.resolve())
    texts = [a.text for a in dev[: args.articles]]
    words = sum(len(t.split()) for t in texts)
    encoders = {e.name: e for n in names for e in (encoder_for(n, False), encoder_for(n, True))}
    for encoder in encoders.values():
        encoder.encode(["A short warm-up sentence, so that one-time costs stay out of the timing."])
    best: dict[str, float] = {}
    order = list(encoders)
    for round_number in range(args.rounds):
        shift = round_number % len(order)
        for name in order[shift:] + order[:shift]:
            started = time.perf_counter()
            for text in texts:  # one document at a time, as the pipeline reads a single article
                encoders[name].encode([text])
            seconds = time.perf_counter() - started
            best[name] = min(best.get(name, seconds), seconds)
            print(f"round {round_number + 1}: {name}: {words / seconds:.0f} words/s", file=sys.stderr)
    reference = words / best[REFERENCE]
    rows = {
        name: {
            "words_per_second": round(words / seconds, 1),
            "ratio_to_minilm_int8": round(words / seconds / reference, 3),
        }
        for name, seconds in best.items()
    }
    report = {
        "experiment": "issue 13: inference speed of the base encoders (shared encoder pass), interleaved rounds",
        "command": " ".join(["benchmarks/experiments/encoder_speed.py", *sys.argv[1:]]),
        "texts": {"articles": len(texts), "words": words, "split": "PTC dev"},
        "threads": args.threads,
        "rounds": args.rounds,
        "torch": torch.__version__,
        "processor": platform.processor() or platform.machine(),
        "descriptions": {n: BASES[n].description for n in names},
        "results": rows,
    }
    out = args.out or ROOT / "benchmarks" / "results" / f"encoder-speed-{dt.date.today().isoformat()}.json"
    out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print("| encoder | words/s | × MiniLM int8 |\n| --- | --- | --- |")
    for name, row in rows.items():
        print(f"| {name} | {row['words_per_second']:.0f} | {row['ratio_to_minilm_int8']:.2f} |")
    print(f"\nResults: {out}")


if __name__ == "__main__":
    main()
