"""Issue 13: does self-training on unlabelled news help the technique model? (dev only)

    .venv/bin/python benchmarks/experiments/self_training.py [--data DIR] [--threads 2]
        [--confidence 0.5] [--limit N] [--out FILE] [--students gold,gold+pseudo] [--adopt DIR]

The ApplicaAI recipe (SemEval-2020 Task 11, first in TC): label articles the model has not
seen with the model itself, keep the confident labels, and train on gold plus those. Here:

1. The teacher is the shipped technique model (src/presslens/models/techniques, int8 as the
   product reads). It labels the texts of PolNeAR's train part (840 news articles; its dev
   part is left alone, for attribution's evaluation) and the article bodies of the extraction
   benchmark (181): its spans (the shipped decoding), each named by its most likely technique,
   kept when that technique's probability is at least --confidence.
2. Two students start from the teacher's weights and train for the same number of batches
   with train_encoder (presslens.techniques.train, imported: the same losses, windows and
   class weights), at a continuation learning rate:
   - gold: two passes over the PTC train articles;
   - gold+pseudo: one pass over the PTC train articles and as many windows again drawn from
     the pseudo-labelled articles.
   Same budget, so a gain is the pseudo-labels', not more training's.
3. Teacher and students are scored on the PTC dev articles only (quick_dev_scores: SI F1 at
   the best of thresholds 0.3/0.4/0.5, TC accuracy on gold spans). The held-out articles are
   not read in choosing.
4. ``--adopt DIR`` (after a run that trained gold+pseudo; the rule, fixed before any held-out
   score was seen: adopt the student when it beats the teacher on dev in both SI and TC) makes
   the student a complete technique model as ``presslens train techniques`` makes one
   (``finish_training``: decoding chosen on dev, the linear classifier fitted on train + dev,
   the held-out articles scored once, config.json and MODEL_CARD.md).

Results: benchmarks/results/self-training-<date>.json. Checkpoints: runs/self-training/<student>
(a stopped run started again goes on). Progress with timestamps on stderr.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import logging
import random
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import torch

import presslens.techniques.train as train_module
from presslens.encoder.windows import encode
from presslens.techniques.encoder import TechniqueEncoder
from presslens.techniques.features import SpanClassifier, SpanContext
from presslens.techniques.model import DEFAULT_MODEL_DIR
from presslens.techniques.predictor import MODEL_FILE, Decoding, EncoderTechniqueNetwork
from presslens.techniques.ptc import TECHNIQUES, Article, TechniqueSpan
from presslens.techniques.train import (
    TrainConfig,
    finish_training,
    load_split,
    quick_dev_scores,
    tokenizer_and_ids,
    train_encoder,
)

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT.parent / "shared" / "data"
RESULTS = ROOT / "benchmarks" / "results"
CONTINUATION_LR = 2e-5  # the teacher is trained already: a fifth of its learning rate

log = logging.getLogger("self_training")


def unlabelled_texts(data: Path, limit: int) -> list[tuple[str, str]]:
    """(id, text) of the news articles no technique model here was trained on."""
    texts = [
        (f"polnear/{p.stem}", p.read_text(encoding="utf-8"))
        for p in sorted((data / "polnear/train/text").glob("*.txt"))
    ]
    truth = json.loads((data / "article-extraction/ground-truth.json").read_text(encoding="utf-8"))
    texts += [
        (f"extraction/{key}", item["articleBody"]) for key, item in sorted(truth.items()) if item.get("articleBody")
    ]
    texts = [(i, t) for i, t in texts if len(t.split()) >= 50]
    return texts[:limit] if limit else texts


def pseudo_label(
    teacher: EncoderTechniqueNetwork, texts: list[tuple[str, str]], confidence: float
) -> tuple[list[Article], dict[str, int]]:
    articles, kept, dropped = [], 0, 0
    started = time.time()
    for number, (article_id, text) in enumerate(texts, 1):
        analysis = teacher.read(text)
        spans = teacher.spans(analysis)
        probabilities = teacher.classify(analysis, [(s, e) for s, e, _ in spans])
        labelled = []
        for (start, end, _), row in zip(spans, probabilities, strict=True):
            best = int(np.argmax(row))
            if row[best] >= confidence:
                labelled.append(TechniqueSpan(article_id, start, end, TECHNIQUES[best]))
            else:
                dropped += 1
        kept += len(labelled)
        articles.append(Article(article_id, text, tuple(labelled)))
        if number % 100 == 0:
            log.info("pseudo-labelled %d/%d articles (%.0f s)", number, len(texts), time.time() - started)
    counts = {t: 0 for t in TECHNIQUES}
    for article in articles:
        for span in article.spans:
            counts[span.technique] += 1
    return articles, {"spans_kept": kept, "spans_dropped": dropped, **counts}


@contextlib.contextmanager
def starting_from(state: dict[str, torch.Tensor]) -> Iterator[None]:
    """train_encoder as it is, but its model starts from the teacher's weights."""
    saved = train_module.TechniqueEncoder

    class FromTeacher(TechniqueEncoder):
        @classmethod
        def from_folder(cls, folder: Path, techniques: int, token_outputs: int = 1) -> TechniqueEncoder:
            model = TechniqueEncoder.from_folder(folder, techniques, token_outputs)
            model.load_state_dict(state)
            return model

    train_module.TechniqueEncoder = FromTeacher  # type: ignore[misc]
    try:
        yield
    finally:
        train_module.TechniqueEncoder = saved  # type: ignore[misc]


def window_subset(articles: list[Article], windows_wanted: int, seed: int) -> list[Article]:
    """Articles drawn at random until they hold about ``windows_wanted`` training windows."""
    tokenizer, _, _ = tokenizer_and_ids()
    order = list(range(len(articles)))
    random.Random(seed).shuffle(order)
    chosen, windows = [], 0
    for index in order:
        if windows >= windows_wanted:
            break
        pieces = len(encode(tokenizer, articles[index].text).ids)
        windows += max(1, -(-pieces // (train_module.WINDOW - 2)))
        chosen.append(articles[index])
    return chosen


def score_dev(model: TechniqueEncoder, classifier: SpanClassifier, dev: list[Article]) -> dict[str, float]:
    tokenizer, _, _ = tokenizer_and_ids()
    model.eval()
    predictor = EncoderTechniqueNetwork(model, tokenizer, classifier, list(TECHNIQUES), Decoding())
    return quick_dev_scores(predictor, dev)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--confidence", type=float, default=0.5, help="least technique probability kept")
    parser.add_argument("--limit", type=int, default=0, help="a smoke run: this many unlabelled and PTC articles")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument(
        "--adopt",
        type=Path,
        default=None,
        help="write the gold+pseudo student as a complete technique model here (decoding chosen on dev, "
        "held-out scored once, model card): what `presslens train techniques` does with the model it trains",
    )
    parser.add_argument(
        "--students",
        default="gold,gold+pseudo",
        help="which students to train (comma-separated); those already in the results file are kept, not retrained",
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s", stream=sys.stderr)
    import transformers

    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()
    torch.set_num_threads(args.threads)
    today = dt.date.today().isoformat()
    out = args.out or RESULTS / (f"self-training-{today}" + (f"-limit{args.limit}" if args.limit else "") + ".json")
    runs = ROOT / "runs" / "self-training" / (f"limit{args.limit}" if args.limit else "full")

    # The held-out part is read only by --adopt, once, after the student is chosen on dev.
    train, dev, heldout = load_split(args.data / "ptc", args.limit)
    log.info("PTC: %d train, %d dev articles", len(train), len(dev))
    teacher = EncoderTechniqueNetwork.load(DEFAULT_MODEL_DIR)
    teacher_state = {
        k: v.float()
        for k, v in torch.load(DEFAULT_MODEL_DIR / MODEL_FILE, map_location="cpu", weights_only=True).items()
    }
    pairs = [(SpanContext(a.text, s.start, s.end), s.technique) for a in train for s in a.spans]
    classifier = SpanClassifier(TECHNIQUES).fit([c for c, _ in pairs], [t for _, t in pairs])

    report: dict[str, object] = {
        "experiment": "issue 13: self-training on unlabelled news (ApplicaAI), dev only",
        "command": " ".join(["benchmarks/experiments/self_training.py", *sys.argv[1:]]),
        "teacher": str(DEFAULT_MODEL_DIR.relative_to(ROOT)),
        "confidence": args.confidence,
        "continuation_lr": CONTINUATION_LR,
        "articles": {"train": len(train), "dev": len(dev)},
    }

    # A student already scored in this results file (same teacher, confidence and split) is
    # kept: a run that spans machines trains only what is missing. Read before anything is written.
    earlier = json.loads(out.read_text(encoding="utf-8")) if out.exists() else {}

    def write() -> None:
        out.parent.mkdir(parents=True, exist_ok=True)
        temporary = out.with_suffix(".json.tmp")
        temporary.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        temporary.replace(out)

    # The teacher scored as the students will be: float32 weights, the train-only classifier.
    teacher_float = TechniqueEncoder.from_folder(train_module.base_model_path(), len(TECHNIQUES), 1 + len(TECHNIQUES))
    teacher_float.load_state_dict(teacher_state)
    report["teacher_dev"] = score_dev(teacher_float, classifier, dev)
    log.info("teacher dev %s", report["teacher_dev"])
    del teacher_float

    labels_file = runs / f"pseudo-labels-{args.confidence}.json"
    if labels_file.exists():
        saved = json.loads(labels_file.read_text(encoding="utf-8"))
        pseudo = [
            Article(a["id"], a["text"], tuple(TechniqueSpan(a["id"], s, e, t) for s, e, t in a["spans"]))
            for a in saved["articles"]
        ]
        report["pseudo_labels"] = saved["counts"]
    else:
        texts = unlabelled_texts(args.data, args.limit)
        log.info("pseudo-labelling %d unlabelled articles", len(texts))
        pseudo, counts = pseudo_label(teacher, texts, args.confidence)
        report["pseudo_labels"] = {"articles": len(pseudo), **counts}
        runs.mkdir(parents=True, exist_ok=True)
        labels_file.write_text(
            json.dumps(
                {
                    "counts": report["pseudo_labels"],
                    "articles": [
                        {"id": a.id, "text": a.text, "spans": [[s.start, s.end, s.technique] for s in a.spans]}
                        for a in pseudo
                    ],
                }
            ),
            encoding="utf-8",
        )
    log.info("pseudo-labels: %s", report["pseudo_labels"])
    write()

    tokenizer, cls_id, sep_id = tokenizer_and_ids()
    encoded_gold = [(a, encode(tokenizer, a.text)) for a in train]
    gold_windows = sum(max(1, -(-len(e.ids) // (train_module.WINDOW - 2))) for _, e in encoded_gold)
    students = {
        "gold": encoded_gold + encoded_gold,
        "gold+pseudo": encoded_gold
        + [(a, encode(tokenizer, a.text)) for a in window_subset(pseudo, gold_windows, seed=13)],
    }
    same_run = all(earlier.get(k) == report[k] for k in ("teacher", "confidence", "continuation_lr", "articles"))
    results: dict[str, object] = dict(earlier.get("students", {})) if same_run else {}
    report["students"] = results
    wanted = {name.strip() for name in args.students.split(",")}
    for name, articles in students.items():
        if name not in wanted or name in results:
            continue
        config = TrainConfig(
            epochs=1, encoder_lr=CONTINUATION_LR, threads=args.threads, checkpoints=runs / name.replace("+", "-")
        )
        started = time.time()
        with starting_from(teacher_state):
            model = train_encoder(articles, config, cls_id, sep_id)
        seconds = time.time() - started
        # The student's weights, in the shipped model's layout (float16), for adoption.
        weights = runs / f"{name.replace('+', '-')}-{MODEL_FILE}"
        torch.save({k: v.half() if v.is_floating_point() else v for k, v in model.state_dict().items()}, weights)
        log.info("%s: weights in %s", name, weights)
        results[name] = {
            "dev": score_dev(model, classifier, dev),
            "train_articles": len(articles),
            "seconds": round(seconds),
        }
        log.info("%s: dev %s (%.0f s)", name, results[name], seconds)
        write()
    if args.adopt is not None:
        weights = runs / f"gold-pseudo-{MODEL_FILE}"
        student = TechniqueEncoder.from_folder(train_module.base_model_path(), len(TECHNIQUES), 1 + len(TECHNIQUES))
        student.load_state_dict({k: v.float() for k, v in torch.load(weights, weights_only=True).items()})
        recipe = {
            "self_training": {
                "teacher": report["teacher"],
                "command": report["command"],
                "unlabelled_articles": report["pseudo_labels"]["articles"],  # type: ignore[index]
                "pseudo_spans": report["pseudo_labels"]["spans_kept"],  # type: ignore[index]
                "confidence": args.confidence,
                "continuation_lr": CONTINUATION_LR,
                "student_dev": results["gold+pseudo"],
            }
        }
        config = TrainConfig(epochs=1, encoder_lr=CONTINUATION_LR, threads=args.threads)
        split = (train, dev, heldout)
        metrics = finish_training(student, classifier, split, args.adopt, config, 1, time.time(), recipe)
        log.info("adopted into %s: %s", args.adopt, {k: metrics[k] for k in ("heldout_si", "heldout_tc_micro_f1")})
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
