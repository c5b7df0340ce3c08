"""CLI commands of the attribution stage: training, PolNeAR evaluation and prediction files.

They join the `train` and `eval` groups, and add a `polnear` group."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click

from presslens.attribution.polnear import PolnearAttribution, load_polnear_dirs, read_text
from presslens.attribution.stage import load_tagger
from presslens.cli.groups import eval_group, train_group
from presslens.cli.options import F
from presslens.models.loader import spacy_model

PathDir = click.Path(exists=True, file_okay=False, path_type=Path)


def _texts(text_dir: Path) -> list[tuple[str, Path]]:
    files = sorted(text_dir.glob("*.txt"))
    if not files:
        raise click.ClickException(f"{text_dir}: no .txt files")
    return [(f.stem, f) for f in files]


def _model_option(function: F) -> F:
    return click.option(
        "--model",
        "model_dir",
        type=PathDir,
        default=None,
        help="Attribution model folder (default: the shipped one).",
    )(function)


TAGGERS = ("crf", "neural")


def _tagger_option(function: F) -> F:
    return click.option(
        "--tagger",
        type=click.Choice(TAGGERS),
        default=None,
        help="Which attribution tagger: crf (fast) or neural (accurate; reads the shared encoder).",
    )(function)


def _predict(
    text_dir: Path, model_dir: Path | None, spacy_name: str | None, tagger: str | None = None
) -> dict[str, list[PolnearAttribution]]:
    """Predictions for every .txt file of ``text_dir``, read exactly as PolNeAR's reader does."""
    extractor = load_tagger(tagger, model_dir)
    files = _texts(text_dir)
    texts = [read_text(path) for _, path in files]
    out: dict[str, list[PolnearAttribution]] = {}
    for (name, _), doc in zip(files, spacy_model(spacy_name).pipe(texts, batch_size=16), strict=True):
        out[name] = [found.as_polnear() for found in extractor.extract(doc)]
    return out


@train_group.command("attribution")
@click.option("--data", type=PathDir, required=True, help="PolNeAR folder (with train/ and dev/).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True, help="Model folder.")
@click.option("--limit", type=int, default=0, help="Use only this many training articles (quick checks).")
@click.option(
    "--tagger",
    type=click.Choice(TAGGERS),
    default="crf",
    show_default=True,
    help="crf: a CRF over parse features; neural: a BiLSTM-CRF over the shared encoder's states and those features.",
)
@click.option("--epochs", type=int, default=None, help="neural: passes over the training articles (default 8).")
@click.option(
    "--cache",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="neural: keep the parses and encoder states here, so that a second run starts at once.",
)
def train_attribution(data: Path, out: Path, limit: int, tagger: str, epochs: int | None, cache: Path | None) -> None:
    """Train an attribution tagger on PolNeAR train, score it on dev, write it with its card."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    if tagger == "neural":
        # torch and scipy: imported here, so that other commands start without them.
        from presslens.attribution.neural_train import NeuralTrainConfig, run_neural_training

        config = NeuralTrainConfig(limit_articles=limit, cache=str(cache) if cache else "")
        if epochs is not None:
            config.epochs = epochs
        dev = run_neural_training(data, out, config)["dev"]
    else:
        # Training and scoring import scipy (the scorer's matching): here, so that other commands start without it.
        from presslens.attribution.train import AttributionTrainConfig, run_training

        dev = run_training(data, out, AttributionTrainConfig(limit_articles=limit))["dev"]
    click.echo(
        f"dev exact F1 source {dev['exact_source']['f1']:.3f}, cue {dev['exact_cue']['f1']:.3f}, "
        f"content {dev['exact_content']['f1']:.3f}; attribution F1 {dev['attribution']['f1']:.3f}; "
        f"model and MODEL_CARD.md in {out}"
    )


@eval_group.command("polnear")
@click.option("--text", "text_dir", type=PathDir, required=True, help="Folder of the articles (.txt).")
@click.option("--attributions", "ann_dir", type=PathDir, required=True, help="Folder of the brat .ann files.")
@click.option(
    "--predictions",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Score this JSONL prediction file instead of running the model.",
)
@_model_option
@_tagger_option
def eval_polnear(
    text_dir: Path, ann_dir: Path, predictions: Path | None, model_dir: Path | None, tagger: str | None
) -> None:
    """Exact and overlap P/R/F1 per role and attribution-level P/R/F1 on PolNeAR-format data."""
    # scipy, as in train_attribution.
    from presslens.attribution.scorer import format_report, read_predictions, score

    gold = load_polnear_dirs(text_dir, ann_dir)
    if not gold:
        raise click.ClickException(f"{ann_dir}: no .ann files for the articles of {text_dir}")
    predicted = read_predictions(predictions) if predictions else _predict(text_dir, model_dir, None, tagger)
    predicted = {name: value for name, value in predicted.items() if name in {d.name for d in gold}}
    click.echo(format_report(score(predicted, gold), f"{len(gold)} articles"))


@click.group("polnear")
def polnear_group() -> None:
    """The PolNeAR attribution format."""


@polnear_group.command("predict")
@click.option("--text", "text_dir", type=PathDir, required=True, help="Folder of the articles (.txt).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="JSONL file to write.")
@_model_option
@_tagger_option
def polnear_predict(text_dir: Path, out: Path, model_dir: Path | None, tagger: str | None) -> None:
    """One JSON line per article: {"doc": name, "attributions": [{"source", "cue", "content"}]}."""
    # scipy, as in train_attribution.
    from presslens.attribution.scorer import write_predictions

    write_predictions(_predict(text_dir, model_dir, None, tagger), out)
    click.echo(f"wrote {out}", err=True)


COMMANDS = (polnear_group,)
