"""The command groups that several analyses add to: `presslens train …` and `presslens eval …`."""

from __future__ import annotations

import click


@click.group("train")
def train_group() -> None:
    """Train presslens' models."""


@click.group("eval")
def eval_group() -> None:
    """Score presslens against annotated corpora."""
