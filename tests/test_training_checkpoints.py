"""Technique training resumes from its checkpoint with the result of an unbroken run."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

import presslens.techniques.train as train_module
from presslens.techniques.ptc import Article, TechniqueSpan
from presslens.techniques.train import CHECKPOINT, TrainConfig, encode_all, tokenizer_and_ids, train_encoder

TEXTS = [
    "The regime's smear campaigns are reckless and insulting to every voter in the country.",
    "Officials said the plan would fail, and critics called it a disgrace to the nation.",
    "They are holding the nation hostage, the minister warned on Tuesday evening.",
    "A quiet report on water prices found no change over the last three years.",
    "Traitors and cowards, he shouted, will never take this country from us.",
]


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
