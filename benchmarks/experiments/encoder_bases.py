"""Issue 13: which base encoder for the technique model? One recipe, the same budget.

    .venv/bin/python benchmarks/experiments/encoder_bases.py [--bases minilm,e5-small,...]
        [--threads 2] [--limit N] [--data DIR] [--out FILE]

Every variant is trained with the recipe of `presslens train techniques`
(presslens.techniques.train.train_encoder, imported, not copied: the same loss, windows of 256
pieces, token and span heads, square-root class weights, AdamW, warm-up, frozen word
embeddings) for one epoch over the train part of the PTC split, with the TrainConfig defaults
except the encoder learning rate (8e-5 for the small bases, 4e-5 for MPNet-base). Each is then
scored on the dev articles (quick_dev_scores, and the SI threshold out of 0.3 / 0.4 / 0.5) and,
for the table only, once on the held-out articles (evaluate(), default Decoding; SI also at the
threshold chosen on dev). Speed: whitespace words per second of EncoderTechniqueNetwork.read over
the dev articles, float32, on --threads threads. The variants, in the order run:

- minilm: all-MiniLM-L6-v2, the base in use (6 x 384, uncased);
- e5-small: multilingual-e5-small (12 x 384, cased XLM-R SentencePiece);
- mpnet-base-frozen6: all-mpnet-base-v2 (12 x 768) with its embeddings and lower 6 layers frozen;
- mpnet-base: all-mpnet-base-v2, all layers trained (word embeddings frozen, as for all).

The bases come from presslens.encoder.bases (`python -m presslens.encoder.bases build NAME`
first). Training writes a resumable checkpoint every 20 batches under --checkpoints (default
runs/encoder-bases/<variant>, outside git): a run stopped by a session's end and started again
with the same command goes on from there, with the same result. Results go to
benchmarks/results/encoder-bases-<date>.json (with --limit: encoder-bases-<date>-limit<N>.json),
rewritten after each variant, so a partial run keeps what it finished; a later run with --bases
replaces only the variants it runs. A markdown table is printed on stdout at the end; progress,
with timestamps, goes to stderr.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import logging
import os
import platform
import random
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

import presslens.techniques.train as train_module
from presslens.encoder.bases import BASES, base_path, special_ids
from presslens.encoder.windows import WINDOW, encode, load_tokenizer
from presslens.techniques.encoder import TechniqueEncoder
from presslens.techniques.evaluate import evaluate
from presslens.techniques.features import SpanClassifier, SpanContext
from presslens.techniques.predictor import ArticleAnalysis, Decoding, EncoderTechniqueNetwork
from presslens.techniques.ptc import TECHNIQUES, Article, SpanRef, gold_spans
from presslens.techniques.scorer import score_si
from presslens.techniques.train import (
    TrainConfig,
    article_windows,
    encode_all,
    load_split,
    quick_dev_scores,
    train_encoder,
)

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DATA = ROOT / "../shared/data/ptc"
RESULTS = ROOT / "benchmarks" / "results"
THRESHOLDS = (0.3, 0.4, 0.5)
PROGRESS_EVERY = 10  # batches between progress lines

log = logging.getLogger("encoder_bases")


@dataclass(frozen=True)
class Variant:
    name: str
    base: str  # a key of presslens.encoder.bases.BASES
    encoder_lr: float
    frozen_layers: int = 0  # lower transformer layers (and the embeddings) kept as pre-trained


VARIANTS = {
    v.name: v
    for v in (
        Variant("minilm", "minilm", 8e-5),
        Variant("e5-small", "e5-small", 8e-5),
        Variant("mpnet-base-frozen6", "mpnet-base", 4e-5, frozen_layers=6),
        Variant("mpnet-base", "mpnet-base", 4e-5),
    )
}

# Words that tokenizers cut in different ways: casing, an apostrophe, quotes, a dash, digits,
# Persian, a line break and a double space.
OFFSET_CHECK = (
    'The regime\'s "smear campaigns" — reckless and insulting to 12,000 voters — هستند.\nHolding the nation  hostage.'
)
OFFSET_SPANS = ("smear campaigns", "reckless and insulting", "Holding the nation  hostage", "regime's")


def check_offsets(name: str, tokenizer: object, predictor: EncoderTechniqueNetwork) -> None:
    """Every piece's offsets cover its own characters (SentencePiece pieces may take the space
    before them: "▁regime" is " regime"), and a run of pieces decodes back to the exact span."""
    encoded = encode(tokenizer, OFFSET_CHECK)  # type: ignore[arg-type]
    for piece_id, start, end in zip(encoded.ids, encoded.starts, encoded.ends, strict=True):
        piece = tokenizer.id_to_token(int(piece_id))  # type: ignore[attr-defined]
        expected = piece.replace("▁", "").removeprefix("##")
        found = OFFSET_CHECK[start:end]
        if found.strip().lower() != expected.lower() and expected:
            raise SystemExit(f"{name}: piece {piece!r} maps to {found!r} at {start}:{end}")
    for phrase in OFFSET_SPANS:
        start = OFFSET_CHECK.index(phrase)
        probabilities = np.zeros(len(encoded.ids))
        probabilities[encoded.pieces_in(start, start + len(phrase))] = 1.0
        analysis = ArticleAnalysis(OFFSET_CHECK, encoded, probabilities, torch.zeros((0, 0, 0)), encoded.windows())
        spans = [(s, e) for s, e, _ in predictor.spans(analysis, Decoding(threshold=0.5, max_gap=0))]
        if spans != [(start, start + len(phrase))]:
            got = [OFFSET_CHECK[s:e] for s, e in spans]
            raise SystemExit(f"{name}: the pieces of {phrase!r} decode to {got!r}")
    log.info("%s: offsets check out (%d pieces for %d characters)", name, len(encoded.ids), len(OFFSET_CHECK))


def freeze_lower(model: TechniqueEncoder, layers: int) -> None:
    """Freeze the embeddings and the lower ``layers`` transformer layers: backward stops above them."""
    encoder = model.encoder
    frozen = [encoder.embeddings, *encoder.encoder.layer[:layers]]  # type: ignore[union-attr,index]
    bias = getattr(encoder.encoder, "relative_attention_bias", None)  # MPNet: shared by all layers
    if bias is not None:
        frozen.append(bias)
    for module in frozen:
        for parameter in module.parameters():
            parameter.requires_grad_(False)


@contextlib.contextmanager
def recipe_for(variant: Variant, folder: Path, batches: int) -> Iterator[dict[str, int]]:
    """train_encoder as it is, on this base: its base folder, its frozen layers, and a progress
    line every few batches (train_encoder logs every 50 steps only)."""
    saved = train_module.base_model_path, train_module.TechniqueEncoder, train_module._collate
    collate = train_module._collate
    state = {"batches": 0, "trainable": 0}
    first_batch = [0.0]  # when the first batch started: the model load is not in the rate

    class Encoder(TechniqueEncoder):
        @classmethod
        def from_folder(cls, folder: Path, techniques: int, token_outputs: int = 1) -> TechniqueEncoder:
            model = TechniqueEncoder.from_folder(folder, techniques, token_outputs)
            if variant.frozen_layers:
                freeze_lower(model, variant.frozen_layers)
            # train_encoder freezes the word embeddings after this; counted without them.
            embeddings = model.encoder.get_parameter("embeddings.word_embeddings.weight")
            state["trainable"] = sum(p.numel() for p in model.parameters() if p.requires_grad and p is not embeddings)
            return model

    def counting_collate(batch: list, cls_id: int, sep_id: int) -> tuple[torch.Tensor, ...]:
        state["batches"] += 1
        done = state["batches"]
        if done == 1:
            first_batch[0] = time.time()
        elif done % PROGRESS_EVERY == 0:
            rate = (time.time() - first_batch[0]) / (done - 1)
            log.info(
                "%s: batch %d/%d, %.1f s/batch, about %.0f min left",
                variant.name,
                done,
                batches,
                rate,
                rate * (batches - done + 1) / 60,
            )
        return collate(batch, cls_id, sep_id)

    train_module.base_model_path = lambda name="minilm": folder
    train_module.TechniqueEncoder = Encoder  # type: ignore[misc]
    train_module._collate = counting_collate
    try:
        yield state
    finally:
        train_module.base_model_path, train_module.TechniqueEncoder, train_module._collate = saved  # type: ignore[misc]


def si_f1(
    predictor: EncoderTechniqueNetwork, articles: list[Article], analyses: dict[str, ArticleAnalysis], t: float
) -> float:
    decoding = replace(Decoding(), threshold=t)
    spans = [SpanRef(a.id, s, e) for a in articles for s, e, _ in predictor.spans(analyses[a.id], decoding)]
    return score_si(spans, gold_spans(articles), {a.id for a in articles}).f1


def run_variant(
    variant: Variant,
    split: tuple[list[Article], list[Article], list[Article]],
    classifier: SpanClassifier,
    threads: int,
    limit: int,
    checkpoints: Path | None,
) -> dict[str, object]:
    train, dev, heldout = split
    folder = base_path(variant.base)
    tokenizer = load_tokenizer(folder)
    cls_id, sep_id = special_ids(tokenizer)
    config = TrainConfig(
        epochs=1,
        encoder_lr=variant.encoder_lr,
        threads=threads,
        limit_articles=limit,
        checkpoints=checkpoints / variant.name if checkpoints else None,
    )
    encoded_train = encode_all(tokenizer, train)
    # The windows of train_encoder's one epoch: the same seeded offsets it draws.
    rng = random.Random(config.seed)
    windows = sum(len(article_windows(a, e, rng.randrange(WINDOW))) for a, e in encoded_train)
    batches = -(-windows // config.batch_windows)
    log.info(
        "%s: base %s, [CLS]/[SEP] ids %d/%d, %d train pieces, %d windows, %d batches",
        variant.name,
        variant.base,
        cls_id,
        sep_id,
        sum(len(e.ids) for _, e in encoded_train),
        windows,
        batches,
    )
    started = time.time()
    with recipe_for(variant, folder, batches) as state:
        model = train_encoder(encoded_train, config, cls_id, sep_id)
    train_seconds = time.time() - started
    log.info("%s: trained in %.0f s (%d batches)", variant.name, train_seconds, state["batches"])
    resumed = state["batches"] < batches
    if resumed and config.checkpoints is not None:
        # The run went on from a checkpoint, which counts the time of every run that went into it.
        saved = train_module.load_checkpoint(config.checkpoints, None)
        train_seconds = saved.seconds if saved is not None else 0.0
    model.eval()
    # The network looks up "[CLS]" and "[SEP]" by name unless told: MPNet has them in its
    # vocabulary but was trained with <s> and </s>; XLM-R has neither.
    predictor = EncoderTechniqueNetwork(
        model, tokenizer, classifier, list(TECHNIQUES), Decoding(), special_ids=(cls_id, sep_id)
    )
    check_offsets(variant.name, tokenizer, predictor)

    predictor.read("A short warm-up sentence, so that one-time costs stay out of the timing.")
    words = sum(len(a.text.split()) for a in dev)
    read_started = time.perf_counter()
    dev_analyses = {a.id: predictor.read(a.text) for a in dev}
    read_seconds = time.perf_counter() - read_started
    # quick_dev_scores reads the articles itself: hand it the analyses already made.
    by_text = {a.text: dev_analyses[a.id] for a in dev}
    predictor.read = lambda text: by_text[text]  # type: ignore[method-assign]
    dev_scores = quick_dev_scores(predictor, dev)
    del predictor.read
    dev_si = {t: si_f1(predictor, dev, dev_analyses, t) for t in THRESHOLDS}
    threshold = max(THRESHOLDS, key=lambda t: (dev_si[t], -abs(t - Decoding().threshold)))
    log.info("%s: dev %s, SI F1 by threshold %s", variant.name, dev_scores, dev_si)

    heldout_analyses = {a.id: predictor.read(a.text) for a in heldout}
    scores = evaluate(predictor, heldout, heldout_analyses)
    result: dict[str, object] = {
        "variant": variant.name,
        "base": variant.base,
        "base_description": BASES[variant.base].description,
        "encoder_lr": variant.encoder_lr,
        "frozen_layers": variant.frozen_layers,
        "trainable_parameters": state["trainable"],
        "train_windows": windows,
        "train_batches": batches,
        "train_seconds": round(train_seconds, 1),
        "seconds_per_batch": round(train_seconds / max(batches, 1), 2),
        "resumed_after_batches": batches - state["batches"] if resumed else 0,
        "dev": {
            "si_f1": dev_scores["si_f1"],
            "tc_accuracy": dev_scores["tc_accuracy"],
            "si_f1_by_threshold": {str(t): round(f, 4) for t, f in dev_si.items()},
            "si_threshold": threshold,
        },
        "heldout": {
            "si": _score(scores.si),
            "si_f1_at_dev_threshold": round(si_f1(predictor, heldout, heldout_analyses, threshold), 4),
            "tc_micro_f1": round(scores.tc.micro.f1, 4),
            "flc": _score(scores.flc.overall),
        },
        "inference": {
            "words": words,
            "seconds": round(read_seconds, 2),
            "words_per_second": round(words / read_seconds, 1),
            "threads": threads,
            "dtype": "float32",
        },
        "config": {k: str(v) if isinstance(v, Path) else v for k, v in asdict(config).items()},
    }
    log.info(
        "%s: held-out SI F1 %.3f (%.3f at %.1f), TC %.3f, FLC %.3f; %.0f words/s",
        variant.name,
        scores.si.f1,
        result["heldout"]["si_f1_at_dev_threshold"],  # type: ignore[index]
        threshold,
        scores.tc.micro.f1,
        scores.flc.overall.f1,
        words / read_seconds,
    )
    return result


def _score(score: object) -> dict[str, float]:
    return {k: round(getattr(score, k), 4) for k in ("precision", "recall", "f1")}


def table(results: list[dict[str, Any]]) -> str:
    head = (
        "| variant | enc. lr | trainable | windows | train s | s/batch | dev SI F1 | dev TC acc | "
        "held-out SI F1 (0.4 / dev thr.) | held-out TC micro-F1 | held-out FLC F1 | words/s |"
    )
    rows = [head, "|" + " --- |" * head.count(" | ") + " --- |"]
    for r in results:
        d, h, i = r["dev"], r["heldout"], r["inference"]
        rows.append(
            f"| {r['variant']} | {r['encoder_lr']:g} | {r['trainable_parameters'] / 1e6:.1f} M "
            f"| {r['train_windows']} | {r['train_seconds']:.0f} | {r['seconds_per_batch']:.1f} "
            f"| {d['si_f1']:.3f} | {d['tc_accuracy']:.3f} "
            f"| {h['si']['f1']:.3f} / {h['si_f1_at_dev_threshold']:.3f} ({d['si_threshold']}) "
            f"| {h['tc_micro_f1']:.3f} | {h['flc']['f1']:.3f} | {i['words_per_second']:.0f} |"
        )
    return "\n".join(rows)


def environment(threads: int) -> dict[str, object]:
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=False
        ).stdout.strip()
    except OSError:
        commit = ""
    return {
        "commit": commit,
        "python": platform.python_version(),
        "torch": torch.__version__,
        "cpus": os.cpu_count(),
        "threads": threads,
        "processor": platform.processor() or platform.machine(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bases", default=",".join(VARIANTS), help=f"comma-separated, of: {', '.join(VARIANTS)}")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--limit", type=int, default=0, help="train on N articles (a smoke run)")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the PTC folder")
    parser.add_argument("--out", type=Path, default=None, help="the result JSON (default benchmarks/results/...)")
    parser.add_argument(
        "--checkpoints",
        type=Path,
        default=ROOT / "runs" / "encoder-bases",
        help="resumable checkpoints, a folder per variant (a stopped run started again goes on); '' for none",
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s", stream=sys.stderr)
    import transformers

    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()
    names = [n.strip() for n in args.bases.split(",") if n.strip()]
    unknown = [n for n in names if n not in VARIANTS]
    if unknown:
        parser.error(f"unknown variant(s) {', '.join(unknown)}; known: {', '.join(VARIANTS)}")
    for base in dict.fromkeys(VARIANTS[n].base for n in names):
        base_path(base)  # fails early, in one line, when a base is not built
    torch.set_num_threads(args.threads)
    today = dt.date.today().isoformat()
    out = args.out or RESULTS / (f"encoder-bases-{today}" + (f"-limit{args.limit}" if args.limit else "") + ".json")

    split = load_split(args.data.resolve(), args.limit)
    train, dev, heldout = split
    log.info("articles: %d train, %d dev, %d held out (%s)", len(train), len(dev), len(heldout), args.data.resolve())
    pairs = [(SpanContext(a.text, s.start, s.end), s.technique) for a in train for s in a.spans]
    classifier = SpanClassifier(TECHNIQUES).fit([c for c, _ in pairs], [t for _, t in pairs])
    report: dict[str, object] = {
        "experiment": "issue 13: base encoders for the technique model, one recipe and budget",
        "command": " ".join(["benchmarks/experiments/encoder_bases.py", *sys.argv[1:]]),
        "recipe": "presslens.techniques.train.train_encoder, 1 epoch over train, TrainConfig defaults but encoder_lr",
        "articles": {"train": len(train), "dev": len(dev), "heldout": len(heldout)},
        "limit": args.limit,
        "environment": environment(args.threads),
        "results": [],
    }
    if out.exists():  # keep the variants this run does not redo
        earlier = json.loads(out.read_text(encoding="utf-8"))
        report["results"] = [r for r in earlier.get("results", []) if r["variant"] not in names]
    out.parent.mkdir(parents=True, exist_ok=True)
    for name in names:
        log.info("%s: starting", name)
        checkpoints = args.checkpoints if str(args.checkpoints) not in ("", ".") else None
        if checkpoints is not None and args.limit:
            checkpoints = checkpoints / f"limit{args.limit}"
        result = run_variant(VARIANTS[name], split, classifier, args.threads, args.limit, checkpoints)
        result["finished"] = dt.datetime.now().isoformat(timespec="seconds")
        report["results"].append(result)  # type: ignore[attr-defined]
        report["results"].sort(key=lambda r: list(VARIANTS).index(r["variant"]))  # type: ignore[attr-defined]
        temporary = out.with_suffix(".json.tmp")
        temporary.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        temporary.replace(out)
        log.info("%s: results written to %s", name, out)
    print(table(report["results"]))  # type: ignore[arg-type]
    print(f"\nResults: {out}")


if __name__ == "__main__":
    main()
