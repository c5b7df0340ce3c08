"""CLI commands of the technique stage: training, PTC evaluation and SemEval output."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click

from presslens.cli.groups import eval_group, train_group
from presslens.cli.options import F
from presslens.techniques.model import DEFAULT_MODEL_DIR, load_predictor
from presslens.techniques.ptc import (
    Article,
    SpanRef,
    TechniqueSpan,
    format_si,
    format_tc,
    is_heldout,
    parse_tc,
    read_article_text,
    read_tc_template,
)
from presslens.techniques.scorer import format_report


@train_group.command("techniques")
@click.option(
    "--data", type=click.Path(exists=True, file_okay=False, path_type=Path), required=True, help="PTC folder."
)
@click.option(
    "--out", type=click.Path(file_okay=False, path_type=Path), required=True, help="Where to write the model."
)
@click.option("--epochs", type=int, default=5, show_default=True)
@click.option("--seed", type=int, default=13, show_default=True)
@click.option("--limit", type=int, default=0, help="Use only this many training articles (quick checks).")
def train_techniques(data: Path, out: Path, epochs: int, seed: int, limit: int) -> None:
    """Fine-tune the technique model on PTC and write it with its model card."""
    # Training imports torch: here, so that the other commands start without it.
    from presslens.techniques.train import TrainConfig, run_training

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    metrics = run_training(data, out, TrainConfig(epochs=epochs, seed=seed, limit_articles=limit))
    click.echo(
        f"held-out SI F1 {metrics['heldout_si']['f1']:.3f}, TC micro-F1 {metrics['heldout_tc_micro_f1']:.3f}, "
        f"FLC F1 {metrics['heldout_flc']['f1']:.3f}; model and MODEL_CARD.md in {out}"
    )


def _model_option(function: F) -> F:
    return click.option(
        "--model",
        "model_dir",
        type=click.Path(exists=True, file_okay=False, path_type=Path),
        default=None,
        help=f"Technique model folder (default: the shipped one, {DEFAULT_MODEL_DIR.name}).",
    )(function)


def _model_only_option(function: F) -> F:
    return click.option(
        "--model-only",
        is_flag=True,
        help="The model's own spans, as training's model card scores them; by default, what `analyze` outputs: "
        "spans ending at phrase boundaries of the spaCy parse, and the designation rule's labels.",
    )(function)


def _select_articles(articles_dir: Path, split: str) -> list[tuple[str, Path]]:
    files = sorted(articles_dir.glob("article*.txt"))
    if not files:
        raise click.ClickException(f"{articles_dir}: no articleNNN.txt files")
    chosen = [(f.stem.removeprefix("article"), f) for f in files]
    if split == "heldout":
        chosen = [(i, f) for i, f in chosen if is_heldout(i)]
    return chosen


@eval_group.command("ptc")
@click.option("--articles", type=click.Path(exists=True, file_okay=False, path_type=Path), required=True)
@click.option("--labels", type=click.Path(exists=True, file_okay=False, path_type=Path), required=True)
@click.option(
    "--split",
    type=click.Choice(["heldout", "all"]),
    default="heldout",
    show_default=True,
    help="heldout: only presslens' held-out PTC articles (the model never saw them); all: every article given.",
)
@click.option("--float32", is_flag=True, help="Score float32 weights (as training does), not int8 as analyze runs.")
@_model_only_option
@_model_option
def eval_ptc(articles: Path, labels: Path, split: str, float32: bool, model_only: bool, model_dir: Path | None) -> None:
    """SI, TC and FLC scores (SemEval-2020 Task 11 definitions) on PTC-format articles and labels."""
    # The evaluation imports torch and scikit-learn: here, so that the other commands start without them.
    from presslens.techniques.evaluate import evaluate, parse_articles

    predictor = load_predictor(model_dir, quantise=not float32)
    loaded = []
    for article_id, path in _select_articles(articles, split):
        label_file = labels / f"article{article_id}.task2-TC.labels"
        spans = parse_tc(label_file.read_text(encoding="utf-8"), str(label_file)) if label_file.exists() else []
        loaded.append(Article(article_id, read_article_text(path), tuple(spans)))
    scores = evaluate(predictor, loaded, parses=None if model_only else parse_articles(loaded))
    scored = "the model's own spans" if model_only else "as analyze outputs"
    click.echo(format_report(scores.si, scores.tc, scores.flc, title=f"{len(loaded)} articles ({split}, {scored})"))


@click.group("ptc")
def ptc_group() -> None:
    """The SemEval-2020 Task 11 formats."""


@ptc_group.command("predict")
@click.option("--task", type=click.Choice(["si", "tc", "flc"]), required=True)
@click.option("--articles", type=click.Path(exists=True, file_okay=False, path_type=Path), required=True)
@click.option(
    "--template", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="TC: the spans to label."
)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True)
@_model_only_option
@_model_option
def ptc_predict(
    task: str, articles: Path, template: Path | None, out: Path, model_only: bool, model_dir: Path | None
) -> None:
    """Write predictions in the shared task's format: si `id start end`, tc/flc `id technique start end`."""
    # As in eval_ptc: torch and scikit-learn only for the commands that run the model.
    from presslens.models.loader import spacy_model
    from presslens.nlp import parse_text
    from presslens.techniques.evaluate import predict_flc, predict_product, predict_tc

    if task == "tc" and template is None:
        raise click.UsageError("--task tc needs --template (the spans to label)")
    predictor = load_predictor(model_dir)
    files = dict(_select_articles(articles, "all"))
    rows = read_tc_template(template) if template else []
    lines: list[str] = []
    if task == "tc":
        missing = sorted({r.article_id for r in rows} - files.keys())
        if missing:
            raise click.ClickException(f"{template}: articles not in {articles}: {', '.join(missing[:5])}")
        by_article: dict[str, list[SpanRef]] = {}
        for row in rows:
            by_article.setdefault(row.article_id, []).append(row)
        labelled: dict[SpanRef, list[TechniqueSpan]] = {}
        for article_id, spans in by_article.items():
            analysis = predictor.read(read_article_text(files[article_id]))
            for row, label in zip(spans, predict_tc(predictor, article_id, analysis, spans), strict=True):
                labelled.setdefault(row, []).append(label)
        used: dict[SpanRef, int] = {}
        ordered = []
        for row in rows:  # the template's order, each row once
            ordered.append(labelled[row][used.get(row, 0)])
            used[row] = used.get(row, 0) + 1
        lines.append(format_tc(ordered))
    else:
        for article_id, path in files.items():
            text = read_article_text(path)
            analysis = predictor.read(text)
            if model_only:
                found = predict_flc(predictor, article_id, analysis)
            else:
                found = predict_product(predictor, article_id, analysis, parse_text(spacy_model(), text))
            # SI: each span once (FLC lists a span once per technique).
            lines.append(format_si(list(dict.fromkeys(t.ref for t in found))) if task == "si" else format_tc(found))
    out.write_text("".join(lines), encoding="utf-8")
    click.echo(f"wrote {out}", err=True)


COMMANDS = (train_group, eval_group, ptc_group)
