"""Issue 14: does fine-tuning the shared encoder's top layers on attribution help, on the tuning part?

    nice -n 5 .venv/bin/python benchmarks/experiments/attribution_finetune.py \
        [--variants finetuned,frozen] [--top-layers 2] [--epochs 4] [--patience 2] \
        [--encoder-lr 5e-5] [--limit N] [--resume] [--data DIR] [--out FILE]

What it measures: the neural attribution tagger (``AttributionNetwork``: the same features,
BiLSTM and CRF, the sizes of ``NeuralTrainConfig``'s defaults) trained two ways on the float32
torch weights of the technique model's encoder (the weights the shipped int8 ONNX body is
built from):

- ``top<k>-finetuned``: encoder layers 7-k..6 trained together with the network, end to end
  (piece states -> the mean over the windows holding each piece -> the mean over each token's
  pieces, as ``Encoding.span_states`` reads them -> the network), the encoder at a lower
  learning rate (``--encoder-lr``, warmed up over the first tenth of epoch 1) than the head;
- ``frozen-f32``: the same loop, batches and seed with those layers frozen (the states read
  once), so that the two differ in the encoder's training only.

The hidden states after layer 6-k of every window of every article are computed once and
cached (float16) under runs/attribution-finetune/; the parses under runs/attribution-cache/
(``neural_train.parse``). Batches are whole articles (about ``batch_paragraphs`` paragraphs a
batch), since an article's windows are read together.

The split is ``neural_train.split_train`` of PolNeAR train: fit (756 articles) and tune (84).
Each epoch is scored on tune only, the whole extractor (grouping and rules,
``neural_train.evaluate``): exact source, cue, content and attribution F1 and the headline,
their mean (``neural_train.headline``). PolNeAR dev is never read. A checkpoint after each
epoch (runs/attribution-finetune/<variant>.pt) lets ``--resume`` continue a killed run.

The frozen int8 (ONNX) recipe of ``presslens train attribution --tagger neural`` on the same
split is in benchmarks/results/attribution-neural-2026-12-02.json ("small-regularised").

Results: benchmarks/results/attribution-finetune-2026-12-02.json, keyed by variant (earlier
variants kept). ``--limit N`` (a smoke run on N fit articles) writes ``<variant>-smoke``.
Run single-threaded (``torch.set_num_threads(1)``); the machine's other core is not ours.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import logging
import pickle
import random
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from torch import nn

from presslens.attribution.features import paragraphs as doc_paragraphs
from presslens.attribution.neural import AttributionNetwork, Hashing, NetworkShape, Paragraph
from presslens.attribution.neural_train import (
    NeuralTrainConfig,
    Prepared,
    evaluate,
    headline,
    parse,
    prepare,
    split_train,
)
from presslens.attribution.polnear import PolnearDocument, load_polnear
from presslens.attribution.train import build_lexicon, scores_dict
from presslens.encoder.windows import batch_windows, encode

if TYPE_CHECKING:
    from spacy.tokens import Doc

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT.parent / "shared" / "data" / "polnear"
WORK = ROOT / "runs" / "attribution-finetune"
PARSE_CACHE = ROOT / "runs" / "attribution-cache"
OUT = ROOT / "benchmarks" / "results" / "attribution-finetune-2026-12-02.json"
FIGURES = ("exact_source", "exact_cue", "exact_content", "attribution")
BASE = NeuralTrainConfig()

log = logging.getLogger("attribution_finetune")


@dataclass
class Article:
    """One article as the top encoder layers read it: the states after the frozen lower layers
    of each window (float16), the windows' masks and piece ranges, and for each spaCy token the
    [first, last) range of the pieces overlapping it (``Encoding.span_states``' rule)."""

    lower: np.ndarray  # windows × width × hidden, float16
    mask: np.ndarray  # windows × width, int64
    ranges: list[tuple[int, int]]
    pieces: int
    first: np.ndarray  # per token
    last: np.ndarray


class StatesNetwork(AttributionNetwork):
    """``AttributionNetwork`` whose paragraphs' ``states`` may also be float32 tensors (which
    carry gradients into the encoder); numpy states are read as before."""

    def emissions(self, paragraphs: Sequence[Paragraph]) -> tuple[torch.Tensor, torch.Tensor]:
        lengths = torch.tensor([len(p) for p in paragraphs])
        longest = int(lengths.max())
        rows_states = [
            p.states if isinstance(p.states, torch.Tensor) else torch.from_numpy(p.states.astype(np.float32))
            for p in paragraphs
        ]
        states = nn.utils.rnn.pad_sequence(rows_states, batch_first=True)
        ids: list[np.ndarray] = []
        weights: list[np.ndarray] = []
        offsets: list[np.ndarray] = []
        rows: list[int] = []
        base = 0
        for row, paragraph in enumerate(paragraphs):
            ids.append(paragraph.ids)
            weights.append(paragraph.weights)
            offsets.append(paragraph.offsets[:-1] + base)
            base += len(paragraph.ids)
            rows.extend(row * longest + i for i in range(len(paragraph)))
        feature_weights = torch.from_numpy(np.concatenate(weights))
        if self.training and self.shape.feature_dropout:
            keep = torch.rand(feature_weights.shape) >= self.shape.feature_dropout
            feature_weights = feature_weights * keep
        bags = self.features(
            torch.from_numpy(np.concatenate(ids)),
            torch.from_numpy(np.concatenate(offsets)),
            per_sample_weights=feature_weights,
        )
        features = torch.zeros((len(paragraphs) * longest, self.shape.feature_size))
        features[torch.tensor(rows)] = bags
        inputs = torch.cat([self.states(states), features.view(len(paragraphs), longest, -1)], dim=2)
        packed = nn.utils.rnn.pack_padded_sequence(inputs, lengths, batch_first=True, enforce_sorted=False)
        output, _ = self.lstm(packed)
        read, _ = nn.utils.rnn.pad_packed_sequence(output, batch_first=True, total_length=longest)
        mask = torch.arange(longest).unsqueeze(0) < lengths.unsqueeze(1)
        return self.out(self.dropout(read)), mask


def float_body() -> tuple[nn.Module, Any, tuple[int, int], str]:
    """The technique model's encoder body in float32 (the weights its ONNX body is built from),
    its tokenizer, its (start, end) ids and the weights' sha256."""
    from presslens.encoder.bases import sha256_file
    from presslens.techniques.model import model_dir
    from presslens.techniques.predictor import MODEL_FILE, EncoderTechniqueNetwork

    folder = model_dir()
    network = EncoderTechniqueNetwork.load(folder, quantise=False)
    body = network.model.encoder.eval()
    return body, network.tokenizer, (network.cls_id, network.sep_id), sha256_file(folder / MODEL_FILE)[:12]


def attention_mask(body: nn.Module, hidden: torch.Tensor, mask: torch.Tensor) -> Any:
    """The mask the body's layers take (as ``BertModel.forward`` makes it)."""
    return body._create_attention_masks(mask, None, hidden, None, None)[0]


def run_layers(body: nn.Module, layers: Sequence[nn.Module], hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    extended = attention_mask(body, hidden, mask)
    for layer in layers:
        hidden = layer(hidden, extended)
    return hidden


def lower_states(
    body: nn.Module,
    tokenizer: Any,
    special: tuple[int, int],
    documents: Sequence[PolnearDocument],
    docs: Sequence[Doc],
    lower: int,
) -> list[Article]:
    out = []
    started = time.perf_counter()
    for number, (document, doc) in enumerate(zip(documents, docs, strict=True)):
        pieces = encode(tokenizer, document.text)
        starts = np.array([t.idx for t in doc], dtype=np.int64)
        ends = starts + np.array([len(t.text) for t in doc], dtype=np.int64)
        first = np.searchsorted(pieces.ends, starts, side="right")
        last = np.searchsorted(pieces.starts, ends, side="left")
        if not len(pieces.ids):
            out.append(Article(np.zeros((0, 0, 0), np.float16), np.zeros((0, 0), np.int64), [], 0, first, last))
            continue
        ids, mask, ranges = batch_windows(pieces, *special)
        with torch.inference_mode():
            hidden = body.embeddings(input_ids=ids)
            hidden = run_layers(body, body.encoder.layer[:lower], hidden, mask)
        out.append(Article(hidden.numpy().astype(np.float16), mask.numpy(), ranges, len(pieces.ids), first, last))
        if number % 100 == 99:
            log.info("lower layers: %d articles (%.0f s)", number + 1, time.perf_counter() - started)
    return out


def token_tensor(body: nn.Module, top: Sequence[nn.Module], article: Article, hidden_size: int) -> torch.Tensor:
    """Every token's state (tokens × hidden, float32): the top layers over the article's
    windows, each piece's mean over the windows holding it, each token's mean over its pieces
    (zeros for a token no piece overlaps), differentiable in the top layers' weights."""
    tokens = len(article.first)
    if not article.pieces:
        return torch.zeros((tokens, hidden_size))
    mask = torch.from_numpy(article.mask)
    hidden = run_layers(body, top, torch.from_numpy(article.lower.astype(np.float32)), mask)
    rows = torch.cat([torch.full((b - a,), w, dtype=torch.long) for w, (a, b) in enumerate(article.ranges)])
    positions = torch.cat([torch.arange(1, 1 + b - a) for a, b in article.ranges])
    index = torch.cat([torch.arange(a, b) for a, b in article.ranges])
    total = torch.zeros((article.pieces, hidden.shape[-1])).index_add(0, index, hidden[rows, positions])
    seen = torch.zeros(article.pieces).index_add(0, index, torch.ones(len(index)))
    pieces = total / seen.clamp(min=1).unsqueeze(1)
    cumulative = torch.cat([torch.zeros((1, pieces.shape[1]), dtype=torch.float64), pieces.double().cumsum(0)])
    first, last = torch.from_numpy(article.first), torch.from_numpy(article.last)
    width = (last - first).clamp(min=0)
    has = width > 0
    safe_last = torch.where(has, last, first)
    means = (cumulative[safe_last] - cumulative[first]) / width.clamp(min=1).unsqueeze(1).double()
    return (means * has.unsqueeze(1)).float()


def with_states(
    article: list[Paragraph], spans: list[tuple[int, int]], states: torch.Tensor | np.ndarray
) -> list[Paragraph]:
    return [replace(p, states=states[a:b]) for p, (a, b) in zip(article, spans, strict=True)]


def article_batches(paragraph_counts: list[int], size: int, rng: random.Random) -> list[list[int]]:
    """Articles in random order, grouped until a batch holds ``size`` paragraphs or more."""
    order = list(range(len(paragraph_counts)))
    rng.shuffle(order)
    groups: list[list[int]] = []
    group: list[int] = []
    count = 0
    for index in order:
        if not paragraph_counts[index]:
            continue
        group.append(index)
        count += paragraph_counts[index]
        if count >= size:
            groups.append(group)
            group, count = [], 0
    if group:
        groups.append(group)
    return groups


def _key(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()[:16]


def cached(path: Path, make: Any) -> Any:
    if path.exists():
        with path.open("rb") as handle:
            return pickle.load(handle)  # our own cache file, written below
    value = make()
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    with temporary.open("wb") as handle:
        pickle.dump(value, handle, protocol=pickle.HIGHEST_PROTOCOL)
    temporary.replace(path)
    return value


def write_result(out: Path, name: str, entry: dict[str, Any]) -> None:
    report = json.loads(out.read_text(encoding="utf-8")) if out.exists() else {"variants": {}}
    report["command"] = "benchmarks/experiments/attribution_finetune.py"
    report["chosen_on"] = "the tuning part of PolNeAR train (neural_train.split_train); dev not read"
    report["frozen_int8_baseline"] = (
        "benchmarks/results/attribution-neural-2026-12-02.json, configs.small-regularised "
        "(the shipped recipe on the int8 ONNX states, same split and headline)"
    )
    report.setdefault("variants", {})[name] = entry
    out.parent.mkdir(parents=True, exist_ok=True)
    temporary = out.with_suffix(".tmp")
    temporary.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    temporary.replace(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", default="finetuned,frozen", help="finetuned, frozen, in this order")
    parser.add_argument("--top-layers", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--patience", type=int, default=2, help="stop after this many epochs without a better tune")
    parser.add_argument("--encoder-lr", type=float, default=5e-5)
    parser.add_argument("--limit", type=int, default=0, help=">0: a smoke run on this many fit articles")
    parser.add_argument("--resume", action="store_true")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s", stream=sys.stderr)
    torch.set_num_threads(args.threads)
    config = BASE
    k = args.top_layers
    suffix = "-smoke" if args.limit else ""

    fit_documents, tune_documents = split_train(load_polnear(args.data / "train"))  # dev: never loaded
    if args.limit:
        fit_documents, tune_documents = fit_documents[: args.limit], tune_documents[: max(4, args.limit // 5)]
    documents = fit_documents + tune_documents
    n_fit = len(fit_documents)
    log.info("fit %d articles, tune %d", n_fit, len(tune_documents))
    docs = parse(documents, config.spacy_model, PARSE_CACHE)
    lexicon = build_lexicon(docs[:n_fit], fit_documents)
    hashing = Hashing(NetworkShape(state_size=0).feature_buckets, config.neighbour_features)
    empty = [np.zeros((len(doc), 0), dtype=np.float16) for doc in docs]
    fit = prepare(fit_documents, docs[:n_fit], empty[:n_fit], lexicon, hashing)
    tune = prepare(tune_documents, docs[n_fit:], empty[n_fit:], lexicon, hashing)
    spans = [[(p.start, p.end) for p in doc_paragraphs(doc)] for doc in docs]

    body, tokenizer, special, digest = float_body()
    layers = len(body.encoder.layer)
    hidden_size = int(body.config.hidden_size)
    lower = layers - k
    for parameter in body.parameters():
        parameter.requires_grad_(False)
    key = _key("lower", digest, str(lower), *(d.name + str(len(d.text)) for d in documents))
    started = time.perf_counter()
    articles = cached(
        WORK / f"lower-{lower}-{key}.pkl", lambda: lower_states(body, tokenizer, special, documents, docs, lower)
    )
    log.info("states after layer %d of %d articles ready (%.0f s)", lower, len(articles), time.perf_counter() - started)
    if args.limit:
        check_states(body, articles[0], documents[0], docs[0], tokenizer, special, hidden_size, lower)

    encoder_name = f"technique model sha256:{digest} (float32, torch)"
    for variant in args.variants.split(","):
        name = (f"top{k}-finetuned" if variant == "finetuned" else "frozen-f32") + suffix
        train_variant(
            name,
            variant == "finetuned",
            args,
            config,
            body,
            articles,
            fit,
            tune,
            spans,
            n_fit,
            lexicon,
            encoder_name,
            hidden_size,
            lower,
        )


def check_states(
    body: nn.Module,
    article: Article,
    document: PolnearDocument,
    doc: Doc,
    tokenizer: Any,
    special: tuple[int, int],
    hidden_size: int,
    lower: int,
) -> None:
    """Smoke check: lower cache + top layers + our means = the float32 WindowEncoder's
    ``token_states`` (up to the float16 cache)."""
    from presslens.attribution.neural import token_states
    from presslens.encoder.transformer import WindowEncoder

    reference = token_states(doc, WindowEncoder(body, tokenizer, special, "check").encode([document.text])[0])
    with torch.no_grad():
        ours = token_tensor(body, body.encoder.layer[lower:], article, hidden_size).numpy()
    difference = float(np.abs(ours - reference).max())
    log.info(
        "check: %d tokens, max |ours - WindowEncoder| = %.4g (scale %.3g)",
        len(ours),
        difference,
        float(np.abs(reference).max()),
    )
    assert difference < 0.05 * float(np.abs(reference).max()), difference


def train_variant(
    name: str,
    finetune: bool,
    args: argparse.Namespace,
    config: NeuralTrainConfig,
    body: nn.Module,
    articles: list[Article],
    fit: Prepared,
    tune: Prepared,
    spans: list[list[tuple[int, int]]],
    n_fit: int,
    lexicon: Any,
    encoder_name: str,
    hidden_size: int,
    lower: int,
) -> None:
    torch.manual_seed(config.seed)
    rng = random.Random(config.seed)
    shape = NetworkShape(
        state_size=hidden_size,
        feature_size=config.feature_size,
        projection=config.projection,
        hidden=config.hidden,
        layers=config.layers,
        dropout=config.dropout,
        feature_dropout=config.feature_dropout,
        neighbour_features=config.neighbour_features,
    )
    network = StatesNetwork(shape)
    top = nn.ModuleList(copy.deepcopy(list(body.encoder.layer[lower:])))
    for parameter in top.parameters():
        parameter.requires_grad_(finetune)
    groups = [{"params": list(network.parameters()), "lr": config.learning_rate, "weight_decay": config.weight_decay}]
    if finetune:
        groups.append({"params": list(top.parameters()), "lr": args.encoder_lr, "weight_decay": config.weight_decay})
    optimiser = torch.optim.AdamW(groups)
    checkpoint = WORK / f"{name}.pt"
    history: list[dict[str, float]] = []
    first_epoch = 0
    if args.resume and checkpoint.exists():
        saved = torch.load(checkpoint, map_location="cpu", weights_only=False)  # our own checkpoint
        network.load_state_dict(saved["network"])
        top.load_state_dict(saved["top"])
        optimiser.load_state_dict(saved["optimiser"])
        rng.setstate(saved["rng"])
        torch.set_rng_state(saved["torch_rng"])
        history, first_epoch = saved["history"], saved["epoch"]
        log.info("%s: resumed after epoch %d", name, first_epoch)

    def states_now(index: int) -> torch.Tensor:
        return token_tensor(body, top, articles[index], hidden_size)

    frozen_states: list[torch.Tensor] = []
    if not finetune:
        top.eval()
        with torch.no_grad():
            frozen_states = [states_now(i) for i in range(n_fit)]
    counts = [len(a) for a in fit.paragraphs]
    warmup = max(1, len(article_batches(counts, config.batch_paragraphs, random.Random(0))) // 10)
    step_total = first_epoch * warmup * 10
    config_entry = {
        **asdict(config),
        "batches": "whole articles, >= batch_paragraphs paragraphs a batch",
        "top_layers_trained": (args.top_layers if finetune else 0),
        "encoder_lr": (args.encoder_lr if finetune else 0),
        "encoder_warmup_steps": warmup if finetune else 0,
        "lower_states": f"after layer {lower}, cached in float16",
        "threads": args.threads,
        "fit_articles": n_fit,
        "tune_articles": len(tune.documents),
    }
    best = max((h["tune_headline"] for h in history), default=-1.0)
    stale = 0
    for h in history:
        stale = 0 if h["tune_headline"] >= best else stale + 1
    for epoch in range(first_epoch, args.epochs):
        if stale >= args.patience:
            log.info("%s: no better tune for %d epochs: stopping", name, stale)
            break
        network.train()
        if finetune:
            top.train()
        started, total, tokens_seen = time.perf_counter(), 0.0, 0
        batches = article_batches(counts, config.batch_paragraphs, rng)
        for step, batch in enumerate(batches):
            if step and step % 50 == 0:
                log.info(
                    "%s epoch %d step %d/%d (%.0f s)",
                    name,
                    epoch + 1,
                    step,
                    len(batches),
                    time.perf_counter() - started,
                )
            if finetune:
                factor = min(1.0, (step_total + 1) / warmup)
                optimiser.param_groups[1]["lr"] = args.encoder_lr * factor
            items: list[Paragraph] = []
            for index in batch:
                states = states_now(index) if finetune else frozen_states[index]
                items.extend(p for p in with_states(fit.paragraphs[index], spans[index], states) if len(p))
            size = sum(len(p) for p in items)
            loss = network.loss(items) / size
            optimiser.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_([p for g in groups for p in g["params"]], 5.0)
            optimiser.step()
            total += float(loss.detach()) * size
            tokens_seen += size
            step_total += 1
        train_seconds = time.perf_counter() - started
        top.eval()
        with torch.no_grad():
            tuned = [
                with_states(paragraphs, spans[n_fit + i], states_now(n_fit + i).numpy().astype(np.float16))
                for i, paragraphs in enumerate(tune.paragraphs)
            ]
        scores = evaluate(network, lexicon, encoder_name, Prepared(tune.documents, tune.docs, tuned))
        table = scores_dict(scores)
        row = {
            "epoch": epoch + 1,
            "loss_per_token": round(total / max(1, tokens_seen), 4),
            "seconds": round(time.perf_counter() - started, 1),
            "train_seconds": round(train_seconds, 1),
            "tune_headline": round(headline(scores), 4),
            **{f: table[f]["f1"] for f in FIGURES},
        }
        history.append(row)
        log.info("%s epoch %s", name, row)
        stale = 0 if row["tune_headline"] > best else stale + 1
        best = max(best, row["tune_headline"])
        checkpoint.parent.mkdir(parents=True, exist_ok=True)
        temporary = checkpoint.with_suffix(".tmp")
        torch.save(
            {
                "network": network.state_dict(),
                "top": top.state_dict(),
                "optimiser": optimiser.state_dict(),
                "rng": rng.getstate(),
                "torch_rng": torch.get_rng_state(),
                "history": history,
                "epoch": epoch + 1,
            },
            temporary,
        )
        temporary.replace(checkpoint)
        write_result(
            args.out,
            name,
            {"config": config_entry, "history": history, "best": max(history, key=lambda h: h["tune_headline"])},
        )


if __name__ == "__main__":
    main()
