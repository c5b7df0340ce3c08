"""Training of the technique model on PTC: `presslens train techniques`.

Steps, all seeded: split PTC by article (held-out 20%, see ptc.split_ids; of the rest a
dev part for early stopping and for choosing thresholds), fine-tune the shared encoder on
the train part, fit the linear span classifier, choose the blend and the span decoding on
dev, then score once on the held-out articles and write the model and its card.
"""

from __future__ import annotations

import copy
import hashlib
import logging
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch
from torch import nn

from presslens.encoder.windows import WINDOW, EncodedArticle, encode, load_tokenizer, special_token_id
from presslens.scoring import Score
from presslens.techniques.card import ScoreSummary, TrainingMetrics, write_model_card
from presslens.techniques.encoder import TechniqueEncoder, base_model_path
from presslens.techniques.evaluate import evaluate, tune_decoding
from presslens.techniques.features import SpanClassifier, SpanContext
from presslens.techniques.predictor import Decoding, EncoderTechniqueNetwork
from presslens.techniques.ptc import TECHNIQUES, Article, SpanRef, gold_spans, load_ptc, split_ids
from presslens.techniques.scorer import score_si

if TYPE_CHECKING:
    from tokenizers import Tokenizer

log = logging.getLogger("presslens.train")

DEV_SALT = "presslens-ptc-dev-v1"
DEV_SHARE = 0.15


@dataclass
class TrainConfig:
    epochs: int = 5
    batch_windows: int = 8
    encoder_lr: float = 8e-5
    head_lr: float = 1e-3
    warmup: float = 0.06
    positive_weight: float = 2.5  # span pieces are ~15%: weigh them up for recall
    technique_token_weight: float = 0.5  # the per-technique token outputs: auxiliary
    span_loss_weight: float = 1.0
    seed: int = 13
    limit_articles: int = 0  # >0: a quick run on a few articles (smoke tests)
    threads: int = 2
    # A folder for resumable checkpoints (None: none). A run that stops (a session's end, a
    # kill) and is started again with the same folder and settings goes on from the last one.
    checkpoints: Path | None = None
    checkpoint_every: int = 20  # batches between checkpoints


def is_dev(article_id: str) -> bool:
    digest = hashlib.sha256(f"{DEV_SALT}:{article_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < DEV_SHARE


@dataclass
class Window:
    ids: np.ndarray
    inside: np.ndarray  # (pieces, 1 + techniques): 1.0 where the piece overlaps a gold span (of that technique)
    spans: list[tuple[int, int, int]]  # (first, last inclusive, technique index), window coordinates


def article_windows(article: Article, encoded: EncodedArticle, offset: int = 0) -> list[Window]:
    """Training windows side by side (no overlap), the first cut ``offset`` pieces in, so that
    each epoch sees other window edges."""
    inside = np.zeros((len(encoded.ids), 1 + len(TECHNIQUES)), dtype=np.float32)
    piece_spans = []
    for span in article.spans:
        pieces = encoded.pieces_in(span.start, span.end)
        if len(pieces):
            inside[pieces, 0] = 1.0
            inside[pieces, 1 + TECHNIQUES.index(span.technique)] = 1.0
            piece_spans.append((int(pieces[0]), int(pieces[-1]), TECHNIQUES.index(span.technique)))
    size = WINDOW - 2
    n = len(encoded.ids)
    cuts = [0, *range(offset % size or size, n, size)] if n > size else [0]
    windows = []
    for a, b in zip(cuts, [*cuts[1:], n], strict=True):
        spans = [(f - a + 1, z - a + 1, t) for f, z, t in piece_spans if f >= a and z < b]  # +1 for [CLS]
        windows.append(Window(encoded.ids[a:b], inside[a:b], spans))
    return windows


def _collate(batch: list[Window], cls_id: int, sep_id: int) -> tuple[torch.Tensor, ...]:
    width = max(len(w.ids) for w in batch) + 2
    ids = torch.zeros((len(batch), width), dtype=torch.long)
    mask = torch.zeros_like(ids)
    inside = torch.zeros((len(batch), width, batch[0].inside.shape[1]))
    weight = torch.zeros((len(batch), width))
    for row, w in enumerate(batch):
        n = len(w.ids)
        ids[row, 0], ids[row, n + 1] = cls_id, sep_id
        ids[row, 1 : n + 1] = torch.from_numpy(w.ids)
        mask[row, : n + 2] = 1
        inside[row, 1 : n + 1] = torch.from_numpy(w.inside)
        weight[row, 1 : n + 1] = 1.0
    return ids, mask, inside, weight


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


CHECKPOINT = "training-checkpoint.pt"


@dataclass
class _Checkpoint:
    """Where a run stands: enough to go on with the same result as an unbroken run."""

    epoch: int
    batch: int  # batches of this epoch already done
    step: int
    epoch_rng: object  # the window-and-order generator's state at the start of this epoch
    model: dict[str, torch.Tensor]
    optimiser: dict[str, object]
    scheduler: dict[str, object]
    torch_rng: torch.Tensor
    settings: dict[str, object]
    seconds: float = 0.0  # time spent training so far, over every run that went into it


def _checkpoint_settings(config: TrainConfig, windows: int) -> dict[str, object]:
    # What must match for a checkpoint to be resumed: not the folder, threads or interval.
    keep = {k: v for k, v in config.__dict__.items() if k not in ("checkpoints", "checkpoint_every", "threads")}
    return {**keep, "first_epoch_windows": windows}


def _save_checkpoint(folder: Path, checkpoint: _Checkpoint) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    temporary = folder / (CHECKPOINT + ".tmp")
    torch.save(checkpoint.__dict__, temporary)
    temporary.replace(folder / CHECKPOINT)  # a kill mid-write leaves the previous checkpoint whole


def load_checkpoint(folder: Path | None, settings: dict[str, object] | None) -> _Checkpoint | None:
    """The checkpoint in ``folder`` if it was written by a run with these settings (None: any)."""
    if folder is None or not (folder / CHECKPOINT).is_file():
        return None
    saved = torch.load(folder / CHECKPOINT, weights_only=False)
    if settings is not None and saved.get("settings") != settings:
        raise ValueError(
            f"{folder / CHECKPOINT}: written by a run with other settings; remove it or use another folder"
        )
    return _Checkpoint(**saved)


def train_encoder(
    train: list[tuple[Article, EncodedArticle]],
    config: TrainConfig,
    cls_id: int,
    sep_id: int,
    on_epoch: Callable[[int, TechniqueEncoder], None] | None = None,
) -> TechniqueEncoder:
    seed_everything(config.seed)
    model = TechniqueEncoder.from_folder(base_model_path(), len(TECHNIQUES), token_outputs=1 + len(TECHNIQUES))
    # The word embeddings stay as pre-trained: half the parameters, little to gain on 250 articles.
    model.encoder.get_parameter("embeddings.word_embeddings.weight").requires_grad_(False)
    rng = random.Random(config.seed)

    def epoch_windows() -> list[Window]:
        return [w for article, encoded in train for w in article_windows(article, encoded, rng.randrange(WINDOW))]

    windows = epoch_windows()
    counts = np.bincount([t for w in windows for *_, t in w.spans], minlength=len(TECHNIQUES)) + 1
    # Square-root inverse frequency: rare techniques count more, without drowning the common.
    class_weight = torch.tensor((counts.max() / counts) ** 0.5, dtype=torch.float32)
    encoder_params = [p for p in model.encoder.parameters() if p.requires_grad]
    head_params = [p for n, p in model.named_parameters() if not n.startswith("encoder.")]
    optimiser = torch.optim.AdamW(
        [{"params": encoder_params, "lr": config.encoder_lr}, {"params": head_params, "lr": config.head_lr}],
        weight_decay=0.01,
    )
    steps = config.epochs * math.ceil(len(windows) / config.batch_windows) + config.epochs
    warmup = max(1, int(steps * config.warmup))

    def schedule(step: int) -> float:
        return step / warmup if step < warmup else max(0.0, (steps - step) / max(1, steps - warmup))

    scheduler = torch.optim.lr_scheduler.LambdaLR(optimiser, schedule)
    bce = nn.BCEWithLogitsLoss(reduction="none", pos_weight=torch.tensor(config.positive_weight))
    ce = nn.CrossEntropyLoss(weight=class_weight)
    settings = _checkpoint_settings(config, len(windows))
    resumed = load_checkpoint(config.checkpoints, settings)
    step, first_epoch, skip = 0, 0, 0
    earlier_seconds, run_started = 0.0, time.time()
    if resumed is not None:
        earlier_seconds = resumed.seconds
        model.load_state_dict(resumed.model)
        optimiser.load_state_dict(resumed.optimiser)
        scheduler.load_state_dict(resumed.scheduler)
        torch.set_rng_state(resumed.torch_rng)
        rng.setstate(resumed.epoch_rng)  # type: ignore[arg-type]
        step, first_epoch, skip = resumed.step, resumed.epoch, resumed.batch
        log.info("resumed from %s: epoch %d, batch %d, step %d", config.checkpoints, first_epoch + 1, skip, step)

    def checkpoint(epoch: int, batch: int, epoch_rng: object) -> None:
        assert config.checkpoints is not None
        state = (model.state_dict(), optimiser.state_dict(), scheduler.state_dict(), torch.get_rng_state())
        seconds = earlier_seconds + time.time() - run_started
        _save_checkpoint(config.checkpoints, _Checkpoint(epoch, batch, step, epoch_rng, *state, settings, seconds))

    for epoch in range(first_epoch, config.epochs):
        model.train()
        epoch_rng = rng.getstate()
        if epoch:
            windows = epoch_windows()
        order = list(range(len(windows)))
        rng.shuffle(order)
        started, total = time.time(), 0.0
        for batch_index, first in enumerate(range(0, len(order), config.batch_windows)):
            if epoch == first_epoch and batch_index < skip:
                continue  # done before the run was resumed
            batch = [windows[i] for i in order[first : first + config.batch_windows]]
            ids, mask, inside, weight = _collate(batch, cls_id, sep_id)
            hidden = model.hidden_states(ids, mask)
            losses = bce(model.all_token_logits(hidden), inside) * weight.unsqueeze(-1)
            auxiliary = config.technique_token_weight * losses[..., 1:].mean(-1).sum()
            token_loss = (losses[..., 0].sum() + auxiliary) / weight.sum()
            spans = [(row, a, b) for row, w in enumerate(batch) for a, b, _ in w.spans]
            loss = token_loss
            if spans:
                labels = torch.tensor([t for w in batch for *_, t in w.spans])
                loss = loss + config.span_loss_weight * ce(model.span_logits(hidden, spans), labels)
            optimiser.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimiser.step()
            if step < steps:
                scheduler.step()
            step += 1
            total += float(loss.detach())
            if step % 50 == 0:
                log.info(
                    "epoch %d step %d/%d loss %.4f (%.0f s)", epoch + 1, step, steps, total / 50, time.time() - started
                )
                total = 0.0
            if config.checkpoints is not None and (batch_index + 1) % config.checkpoint_every == 0:
                checkpoint(epoch, batch_index + 1, epoch_rng)
        if on_epoch is not None:
            on_epoch(epoch, model)
        if config.checkpoints is not None:  # the epoch is done: the next run starts the next one
            checkpoint(epoch + 1, 0, rng.getstate())
    return model


def load_split(data: Path, limit: int = 0) -> tuple[list[Article], list[Article], list[Article]]:
    articles = load_ptc(data)
    train_ids, heldout_ids = split_ids([a.id for a in articles])
    by_id = {a.id: a for a in articles}
    train = [by_id[i] for i in train_ids if not is_dev(i)]
    dev = [by_id[i] for i in train_ids if is_dev(i)]
    heldout = [by_id[i] for i in heldout_ids]
    if limit:
        train, dev, heldout = train[:limit], dev[: max(2, limit // 4)], heldout[: max(2, limit // 4)]
    return train, dev, heldout


def tokenizer_and_ids() -> tuple[Tokenizer, int, int]:
    tokenizer = load_tokenizer(base_model_path())
    return tokenizer, special_token_id(tokenizer, "[CLS]"), special_token_id(tokenizer, "[SEP]")


def encode_all(tokenizer: Tokenizer, articles: list[Article]) -> list[tuple[Article, EncodedArticle]]:
    return [(a, encode(tokenizer, a.text)) for a in articles]


@dataclass
class _BestEpoch:
    """The epoch kept so far: its quick dev score and the model's weights after it."""

    score: float = -1.0
    epoch: int = -1
    state: dict[str, torch.Tensor] = field(default_factory=dict)


def span_contexts(articles: list[Article]) -> tuple[list[SpanContext], list[str]]:
    """The gold spans of ``articles`` in their contexts, and their techniques: what the
    linear span classifier is fitted on."""
    pairs = [(SpanContext(a.text, s.start, s.end), s.technique) for a in articles for s in a.spans]
    return [c for c, _ in pairs], [t for _, t in pairs]


def run_training(data: Path, out: Path, config: TrainConfig) -> TrainingMetrics:
    """The whole recipe; returns the metrics written to the model card."""
    started = time.time()
    torch.set_num_threads(config.threads)
    seed_everything(config.seed)
    train, dev, heldout = load_split(data, config.limit_articles)
    log.info("articles: %d train, %d dev, %d held out", len(train), len(dev), len(heldout))
    tokenizer, cls_id, sep_id = tokenizer_and_ids()
    encoded_train = encode_all(tokenizer, train)

    classifier = SpanClassifier(TECHNIQUES).fit(*span_contexts(train))
    log.info("span classifier fitted (%.0f s)", time.time() - started)

    best = _BestEpoch()

    def on_epoch(epoch: int, model: TechniqueEncoder) -> None:
        # A quick look at dev (a few thresholds, an even blend) to keep the best epoch; the
        # full search over decodings runs once, on the epoch kept.
        model.eval()
        predictor = EncoderTechniqueNetwork(model, tokenizer, classifier, list(TECHNIQUES), Decoding())
        scores = quick_dev_scores(predictor, dev)
        log.info("epoch %d dev %s (%.0f s)", epoch + 1, scores, time.time() - started)
        if scores["si_f1"] + scores["tc_accuracy"] > best.score:
            best.score = scores["si_f1"] + scores["tc_accuracy"]
            best.state = copy.deepcopy(model.state_dict())
            best.epoch = epoch + 1

    model = train_encoder(encoded_train, config, cls_id, sep_id, on_epoch=on_epoch)
    model.load_state_dict(best.state)
    return finish_training(model, classifier, (train, dev, heldout), out, config, best.epoch, started)


def finish_training(
    model: TechniqueEncoder,
    classifier: SpanClassifier,
    split: tuple[list[Article], list[Article], list[Article]],
    out: Path,
    config: TrainConfig,
    best_epoch: int,
    started: float,
    extra: dict[str, object] | None = None,
) -> TrainingMetrics:
    """What every recipe does with the encoder it trained: the decoding chosen on dev, the
    linear classifier fitted on train + dev, the held-out articles scored once, the model and
    its card written to ``out``. ``classifier``: the linear classifier fitted on train;
    ``extra``: more of the recipe, kept in config.json."""
    train, dev, heldout = split
    tokenizer, _, _ = tokenizer_and_ids()

    model.eval()
    tuner = EncoderTechniqueNetwork(model, tokenizer, classifier, list(TECHNIQUES), Decoding())
    decoding, dev_scores = tune_decoding(tuner, dev, {a.id: tuner.read(a.text) for a in dev})
    log.info("decoding chosen on dev: %s %s (%.0f s)", decoding, dev_scores, time.time() - started)
    # The linear classifier sees the dev spans too, now that its blend weight is chosen.
    classifier = SpanClassifier(TECHNIQUES).fit(*span_contexts(train + dev))
    predictor = EncoderTechniqueNetwork(model, tokenizer, classifier, list(TECHNIQUES), decoding)
    out.mkdir(parents=True, exist_ok=True)
    scores = evaluate(predictor, heldout)
    metrics: TrainingMetrics = {
        "heldout_articles": len(heldout),
        "heldout_si": _score_dict(scores.si),
        "heldout_tc_micro_f1": scores.tc.micro.f1,
        "heldout_flc": _score_dict(scores.flc.overall),
        "heldout_flc_per_technique": {k: _score_dict(v) for k, v in scores.flc.per_technique.items()},
        "best_epoch": best_epoch,
        "dev": dev_scores,
        "train_articles": len(train),
        "dev_articles": len(dev),
        "train_minutes": round((time.time() - started) / 60, 1),
        "config": {**config.__dict__, **(extra or {})},
    }
    predictor.save(out, base_model_path(), {"metrics": metrics})
    write_model_card(out, metrics, predictor.decoding)
    log.info(
        "held-out: SI F1 %.3f, TC micro-F1 %.3f, FLC F1 %.3f", scores.si.f1, scores.tc.micro.f1, scores.flc.overall.f1
    )
    return metrics


def quick_dev_scores(predictor: EncoderTechniqueNetwork, dev: list[Article]) -> dict[str, float]:
    analyses = {a.id: predictor.read(a.text) for a in dev}
    gold = gold_spans(dev)
    ids = {a.id for a in dev}
    si = 0.0
    for threshold in (0.3, 0.4, 0.5):
        decoding = replace(predictor.decoding, threshold=threshold, max_gap=2)
        spans = [SpanRef(a.id, s, e) for a in dev for s, e, _ in predictor.spans(analyses[a.id], decoding)]
        si = max(si, score_si(spans, gold, ids).f1)
    correct = total = 0
    for a in dev:
        probabilities = predictor.classify(analyses[a.id], [(s.start, s.end) for s in a.spans])
        labels = [TECHNIQUES.index(s.technique) for s in a.spans]
        correct += int((probabilities.argmax(1) == np.array(labels)).sum()) if labels else 0
        total += len(labels)
    return {"si_f1": round(si, 4), "tc_accuracy": round(correct / max(total, 1), 4)}


def _score_dict(score: Score) -> ScoreSummary:
    return {"precision": round(score.precision, 4), "recall": round(score.recall, 4), "f1": round(score.f1, 4)}
