"""Issue 13 (item 5): the shared encoder pass on ONNX Runtime int8, against torch's.

    .venv/bin/python benchmarks/experiments/onnx_encoder.py [--threads 2] [--rounds 3] [--data DIR]
        [--limit N] [--cache DIR] [--out FILE]

On the dev articles of the PTC training split (never the held-out ones), with the shipped
technique model, compares the encoders the technique stage can read:

- torch-float32, torch-int8: the model's own body (``WindowEncoder``), float32 or with torch's
  dynamic int8 linear layers (int8 is today's default, the baseline of every speed ratio);
- onnx-*: ``presslens.encoder.onnx.OnnxWindowEncoder`` over bodies built with each
  ``OnnxSettings`` (float32; int8 weights per tensor or per channel; with or without ONNX
  Runtime's BERT fusions), and the per-channel int8 body with busy-waiting threads (``spinning``).

Speed: whitespace words per second of ``encode`` over the dev articles, 8 documents a call as
the pipeline batches them, on --threads threads; the variants run interleaved, --rounds times,
in an order rotated each round, so that the load of the machine falls on all alike. Each is
reported as its ratio to torch-int8 in the same round (median, min and max over rounds), for
wall time and for the process's CPU time. Agreement, against torch-float32 (states and heads in
float32): the largest and the mean absolute difference of the states (over the word pieces), of
the piece probabilities of the token head, and of the technique probabilities on the gold spans;
how many of float32's spans each finds exactly. Scores: dev SI F1 and FLC F1 with the shipped
model's decoding, and TC accuracy on the gold spans (``presslens.techniques.evaluate.evaluate``).
An int8 encoder is read by the int8 heads and a float32 one by the float32 heads, as
``load_technique_encoder(quantise=...)`` pairs them. The bodies are built afresh in --cache
(default: a temporary folder), so that their build times are measured too.

Writes benchmarks/results/onnx-encoder-<date>.json and prints a markdown table.
Result (2026-12-02, 41 dev articles, 27,191 words, 2 threads, two runs of 4 rounds while a
training and other jobs loaded the 2 cores, load average 2.7-5.9; the first run is kept as
onnx-encoder-2026-12-02-first-run.json, where the spinning variant was the fused per-tensor body):
every int8 ONNX body is 2.0-3.5x torch int8's words/s (medians 2.5-3.4) at 0.30-0.46 of its CPU
time; ONNX float32 1.4-1.8x, torch float32 0.54-0.77x. Per-channel weights keep the int8 body
3-4x closer to float32 than per tensor (largest piece-probability gap 0.12 against 0.52, torch
int8 0.39; technique probabilities on the gold spans 0.11 against 0.29, torch int8 0.21; 78% of
float32's spans found exactly, against 35%, torch int8 48%) at the same speed; dev SI F1 0.409
(float32 0.404, torch int8 0.392), TC accuracy 0.881 (0.879, 0.877), FLC F1 0.248 (0.243, 0.243).
The BERT fusions were no faster within the noise and a little further from float32; busy-waiting
threads were slower on the loaded cores (1.5x against 2.5x). So the ONNX default is int8,
per channel, unfused, no spinning. Build 4-7 s (here, float32 body loaded), session open 0.1 s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import torch

from presslens.encoder.encoding import Encoder, Encoding
from presslens.encoder.onnx import OnnxSettings, OnnxWindowEncoder, open_session, prepared_body
from presslens.techniques.evaluate import evaluate
from presslens.techniques.model import DEFAULT_MODEL_DIR
from presslens.techniques.predictor import MODEL_FILE, ArticleAnalysis, EncoderTechniqueNetwork
from presslens.techniques.ptc import Article
from presslens.techniques.train import load_split

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DATA = ROOT.parent / "shared" / "data"
BATCH = 8  # documents per encode call: the pipeline's default batch
BASELINE = "torch-int8"
REFERENCE = "torch-float32"


@dataclass(frozen=True)
class Variant:
    name: str
    runtime: str  # "torch" or "onnx"
    settings: OnnxSettings = field(default_factory=OnnxSettings)
    spinning: bool = False

    @property
    def int8(self) -> bool:
        return self.settings.quantise


VARIANTS = (
    Variant(REFERENCE, "torch", OnnxSettings(quantise=False)),
    Variant(BASELINE, "torch", OnnxSettings(quantise=True)),
    Variant("onnx-float32-fused", "onnx", OnnxSettings(quantise=False, fuse=True)),
    Variant("onnx-int8", "onnx", OnnxSettings(quantise=True, per_channel=False, fuse=False)),
    Variant("onnx-int8-per-channel", "onnx", OnnxSettings(quantise=True, per_channel=True, fuse=False)),
    Variant("onnx-int8-fused", "onnx", OnnxSettings(quantise=True, per_channel=False, fuse=True)),
    Variant("onnx-int8-fused-per-channel", "onnx", OnnxSettings(quantise=True, per_channel=True, fuse=True)),
    Variant("onnx-int8-per-channel-spinning", "onnx", OnnxSettings(quantise=True, per_channel=True, fuse=False), True),
)


def _log(message: str) -> None:
    print(f"{dt.datetime.now():%H:%M:%S} {message}", file=sys.stderr, flush=True)


def _encode_all(encoder: Encoder, texts: Sequence[str]) -> list[Encoding]:
    encodings: list[Encoding] = []
    for first in range(0, len(texts), BATCH):
        encodings += encoder.encode(texts[first : first + BATCH])
    return encodings


def _piece_states(encoding: Encoding) -> np.ndarray:
    """The states of every word piece in every window that holds it, (pieces in windows, hidden)."""
    rows = [encoding.hidden[row, 1 : b - a + 1].numpy() for row, (a, b) in enumerate(encoding.windows)]
    return np.concatenate(rows) if rows else np.zeros((0, 0), dtype=np.float32)


def _difference(values: Sequence[np.ndarray], reference: Sequence[np.ndarray]) -> dict[str, float]:
    gaps = [np.abs(a - b).ravel() for a, b in zip(values, reference, strict=True) if a.size]
    joined = np.concatenate(gaps)
    return {"max_abs": round(float(joined.max()), 5), "mean_abs": round(float(joined.mean()), 6)}


@dataclass
class Reading:
    """What one variant made of the dev articles, for comparison with the reference."""

    states: list[np.ndarray]
    piece_probabilities: list[np.ndarray]
    technique_probabilities: list[np.ndarray]
    spans: set[tuple[str, int, int]]
    scores: dict[str, float]


def _read(network: EncoderTechniqueNetwork, dev: list[Article], encodings: list[Encoding]) -> Reading:
    analyses: dict[str, ArticleAnalysis] = {
        a.id: network.analyse(a.text, e) for a, e in zip(dev, encodings, strict=True)
    }
    scores = evaluate(network, dev, analyses)
    return Reading(
        states=[_piece_states(e) for e in encodings],
        piece_probabilities=[analyses[a.id].probabilities for a in dev],
        technique_probabilities=[
            network.classify(analyses[a.id], [(s.start, s.end) for s in a.spans]) for a in dev if a.spans
        ],
        spans={(a.id, s, e) for a in dev for s, e, _ in network.spans(analyses[a.id])},
        scores={
            "si_precision": round(scores.si.precision, 4),
            "si_recall": round(scores.si.recall, 4),
            "si_f1": round(scores.si.f1, 4),
            "tc_accuracy": round(scores.tc.micro.f1, 4),
            "flc_f1": round(scores.flc.overall.f1, 4),
        },
    )


def _agreement(reading: Reading, reference: Reading) -> dict[str, Any]:
    same = len(reading.spans & reference.spans)
    return {
        "states": _difference(reading.states, reference.states),
        "piece_probabilities": _difference(reading.piece_probabilities, reference.piece_probabilities),
        "technique_probabilities": _difference(reading.technique_probabilities, reference.technique_probabilities),
        "spans": len(reading.spans),
        "spans_as_float32": same,
        "float32_spans_found": round(same / max(len(reference.spans), 1), 4),
    }


def _ratio_summary(values: list[float]) -> dict[str, Any]:
    return {
        "median": round(statistics.median(values), 3),
        "min": round(min(values), 3),
        "max": round(max(values), 3),
        "per_round": [round(v, 3) for v in values],
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--limit", type=int, default=0, help="only the first N dev articles (a quick look)")
    parser.add_argument("--cache", type=Path, help="where the ONNX bodies are built (default: a temporary folder)")
    parser.add_argument("--out", type=Path)
    arguments = parser.parse_args(argv)
    torch.set_num_threads(arguments.threads)
    _, dev, _ = load_split(arguments.data / "ptc")  # the held-out articles are never read here
    if arguments.limit:
        dev = dev[: arguments.limit]
    texts = [a.text for a in dev]
    words = sum(len(t.split()) for t in texts)
    _log(f"{len(dev)} dev articles, {words} words, {arguments.threads} threads, {arguments.rounds} rounds")
    load_average_start = os.getloadavg()

    networks = {
        quantise: EncoderTechniqueNetwork.load(DEFAULT_MODEL_DIR, quantise=quantise) for quantise in (False, True)
    }
    float_network = networks[False]
    sources = [DEFAULT_MODEL_DIR / MODEL_FILE, DEFAULT_MODEL_DIR / "encoder" / "config.json"]
    scratch = tempfile.TemporaryDirectory(prefix="onnx-encoder-")
    cache = arguments.cache or Path(scratch.name)
    encoders: dict[str, Encoder] = {}
    builds: dict[str, dict[str, float]] = {}
    for variant in VARIANTS:
        network = networks[variant.int8]
        if variant.runtime == "torch":
            encoders[variant.name] = network.encoder
            continue
        started = time.perf_counter()
        path = prepared_body(
            sources,
            lambda: EncoderTechniqueNetwork.load(DEFAULT_MODEL_DIR, quantise=False).model.encoder,
            variant.settings,
            cache,
        )
        built = time.perf_counter()
        session = open_session(path, arguments.threads, spinning=variant.spinning)
        opened = time.perf_counter()
        builds[variant.name] = {
            "build_s": round(built - started, 2),
            "session_open_s": round(opened - built, 3),
            "file_mb": round(path.stat().st_size / 2**20, 1),
        }
        encoders[variant.name] = OnnxWindowEncoder(
            session, network.tokenizer, (network.cls_id, network.sep_id), network.encoder.name, path
        )
        _log(f"{variant.name}: {builds[variant.name]}")

    wall: dict[str, list[float]] = {v.name: [] for v in VARIANTS}
    cpu: dict[str, list[float]] = {v.name: [] for v in VARIANTS}
    readings: dict[str, Reading] = {}
    for round_index in range(arguments.rounds):
        shift = round_index % len(VARIANTS)
        for variant in VARIANTS[shift:] + VARIANTS[:shift]:
            cpu_started, started = time.process_time(), time.perf_counter()
            encodings = _encode_all(encoders[variant.name], texts)
            wall[variant.name].append(time.perf_counter() - started)
            cpu[variant.name].append(time.process_time() - cpu_started)
            _log(f"round {round_index + 1} {variant.name}: {words / wall[variant.name][-1]:.0f} words/s")
            if round_index == 0:
                readings[variant.name] = _read(networks[variant.int8], dev, encodings)
            del encodings

    reference = readings[REFERENCE]
    results: dict[str, Any] = {}
    for variant in VARIANTS:
        name = variant.name
        results[name] = {
            "runtime": variant.runtime,
            "settings": asdict(variant.settings) if variant.runtime == "onnx" else {"quantise": variant.int8},
            "spinning": variant.spinning,
            "words_per_s": [round(words / t) for t in wall[name]],
            "speed_vs_torch_int8": _ratio_summary([b / t for b, t in zip(wall[BASELINE], wall[name], strict=True)]),
            "cpu_time_vs_torch_int8": _ratio_summary([t / b for b, t in zip(cpu[BASELINE], cpu[name], strict=True)]),
            "vs_float32": _agreement(readings[name], reference),
            "dev": readings[name].scores,
            **({"build": builds[name]} if name in builds else {}),
        }
    # The technique model's own load (torch int8), beside which the ONNX session opens (session_open_s).
    started = time.perf_counter()
    EncoderTechniqueNetwork.load(DEFAULT_MODEL_DIR, quantise=True)
    torch_load_s = time.perf_counter() - started
    del float_network
    report = {
        "experiment": "issue 13 item 5: the shared encoder on ONNX Runtime int8",
        "date": dt.date.today().isoformat(),
        "split": "PTC dev articles of the training split (held-out never read)",
        "articles": len(dev),
        "words": words,
        "threads": arguments.threads,
        "rounds": arguments.rounds,
        "batch_documents": BATCH,
        "machine": {
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "load_average_start": [round(x, 2) for x in load_average_start],
            "load_average_end": [round(x, 2) for x in os.getloadavg()],
        },
        "packages": {p: metadata.version(p) for p in ("torch", "transformers", "onnx", "onnxruntime")},
        "torch_int8_model_load_s": round(torch_load_s, 2),
        "speed": "whitespace words/s of encode() over the dev articles; ratios to torch-int8 in the same round",
        "agreement": "absolute differences against torch-float32 (states over word pieces; heads' probabilities)",
        "onnx_default": next(
            v.name for v in VARIANTS if v.runtime == "onnx" and v.settings == OnnxSettings() and not v.spinning
        ),
        "variants": results,
    }
    out = arguments.out or ROOT / "benchmarks" / "results" / f"onnx-encoder-{report['date']}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    scratch.cleanup()
    _log(f"wrote {out}")
    print(
        "| variant | words/s (median) | speed vs torch-int8 (median, min-max) | CPU time vs torch-int8 | "
        "max state diff | max piece-prob diff | max technique-prob diff | float32 spans found | "
        "dev SI F1 | dev TC acc | dev FLC F1 |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for name, result in results.items():
        speed, cpu_time, agreement, scores = (
            result["speed_vs_torch_int8"],
            result["cpu_time_vs_torch_int8"],
            result["vs_float32"],
            result["dev"],
        )
        print(
            f"| {name} | {statistics.median(result['words_per_s']):.0f} | {speed['median']:.2f} "
            f"({speed['min']:.2f}-{speed['max']:.2f}) | {cpu_time['median']:.2f} | "
            f"{agreement['states']['max_abs']:.3f} | {agreement['piece_probabilities']['max_abs']:.3f} | "
            f"{agreement['technique_probabilities']['max_abs']:.3f} | {agreement['float32_spans_found']:.3f} | "
            f"{scores['si_f1']:.4f} | {scores['tc_accuracy']:.4f} | {scores['flc_f1']:.4f} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
