"""Technique training resumes from its checkpoint with the result of an unbroken run."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import torch

import presslens.techniques.train as train_module
from presslens.techniques.features import SpanClassifier
from presslens.techniques.model import EncoderTechniquePredictor
from presslens.techniques.ptc import TECHNIQUES, Article, TechniqueSpan
from presslens.techniques.train import (
    CHECKPOINT,
    TrainConfig,
    encode_all,
    finish_training,
    span_contexts,
    tokenizer_and_ids,
    train_encoder,
)

TEXTS = [
    "The regime's smear campaigns are reckless and insulting to every voter in the country.",
    "Officials said the plan would fail, and critics called it a disgrace to the nation.",
    "They are holding the nation hostage, the minister warned on Tuesday evening.",
    "A quiet report on water prices found no change over the last three years.",
    "Traitors and cowards, he shouted, will never take this country from us.",
]

TWO = ("Loaded_Language", "Name_Calling,Labeling")


def articles() -> list[Article]:
    made = []
    for number, text in enumerate(TEXTS):
        start = text.index(" ") + 1
        end = start + 12
        made.append(Article(str(number), text, (TechniqueSpan(str(number), start, end, "Loaded_Language"),)))
    return made


class Interrupted(Exception):
    pass


def test_a_resumed_run_ends_where_an_unbroken_run_ends(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tokenizer, cls_id, sep_id = tokenizer_and_ids()
    train = encode_all(tokenizer, articles())
    config = TrainConfig(epochs=2, batch_windows=2, threads=1, checkpoint_every=1)
    unbroken = train_encoder(train, config, cls_id, sep_id).state_dict()

    folder = tmp_path / "checkpoints"
    broken = TrainConfig(**{**config.__dict__, "checkpoints": folder})
    collate = train_module._collate
    calls = {"n": 0}

    def stop_in_the_second_epoch(*args: object) -> tuple[torch.Tensor, ...]:
        calls["n"] += 1
        if calls["n"] == 5:  # 3 batches an epoch: the second batch of the second epoch
            raise Interrupted
        return collate(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(train_module, "_collate", stop_in_the_second_epoch)
    with pytest.raises(Interrupted):
        train_encoder(train, broken, cls_id, sep_id)
    assert (folder / CHECKPOINT).is_file()
    resumed_batches = {"n": 0}

    def counting(*args: object) -> tuple[torch.Tensor, ...]:
        resumed_batches["n"] += 1
        return collate(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(train_module, "_collate", counting)
    resumed = train_encoder(train, broken, cls_id, sep_id).state_dict()
    assert resumed_batches["n"] == 2  # only what the broken run had not done
    assert resumed.keys() == unbroken.keys()
    for name, tensor in unbroken.items():
        assert torch.allclose(tensor, resumed[name], atol=1e-6), name


def test_a_checkpoint_of_other_settings_is_refused(tmp_path: Path) -> None:
    tokenizer, cls_id, sep_id = tokenizer_and_ids()
    train = encode_all(tokenizer, articles()[:2])
    folder = tmp_path / "checkpoints"
    train_encoder(train, TrainConfig(epochs=1, batch_windows=2, threads=1, checkpoints=folder), cls_id, sep_id)
    with pytest.raises(ValueError, match="other settings"):
        train_encoder(
            train, TrainConfig(epochs=1, batch_windows=2, threads=1, checkpoints=folder, seed=7), cls_id, sep_id
        )


def test_a_trained_encoder_is_finished_into_a_model_that_loads(tmp_path: Path) -> None:
    """``finish_training``, the end of every technique recipe (the shipped model's self-training
    too): decoding chosen on dev, held-out scored, a folder with its card that loads and
    predicts spans whose offsets hold."""
    made = [
        Article(
            f"{copy}-{a.id}",
            a.text,
            tuple(replace(s, article_id=f"{copy}-{a.id}", technique=TWO[i % 2]) for s in a.spans),
        )
        for copy in range(3)
        for i, a in enumerate(articles())
    ]
    train, dev, heldout = made[:9], made[9:12], made[12:]
    tokenizer, cls_id, sep_id = tokenizer_and_ids()
    config = TrainConfig(epochs=1, batch_windows=4, threads=1)
    model = train_encoder(encode_all(tokenizer, train), config, cls_id, sep_id)
    classifier = SpanClassifier(TECHNIQUES).fit(*span_contexts(train))
    out = tmp_path / "model"
    metrics = finish_training(model, classifier, (train, dev, heldout), out, config, 1, 0.0, {"recipe": "test"})
    assert metrics["heldout_articles"] == len(heldout) and metrics["config"]["recipe"] == "test"
    assert 0.0 <= metrics["heldout_si"]["f1"] <= 1.0
    assert "Held-out scores" in (out / "MODEL_CARD.md").read_text(encoding="utf-8")
    predictor = EncoderTechniquePredictor.load(out, runtime="torch")
    text = TEXTS[0]
    predicted = predictor.predict(text, threshold=0.0)  # every piece is "in a span": one at least
    assert predicted
    for found in predicted:
        assert 0 <= found.start < found.end <= len(text) and text[found.start : found.end].strip()
