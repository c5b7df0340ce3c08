"""The options that choose and tune the models, shared by `analyze` and `ingest`.

Apart from cli/options.py, which loads the store: `analyze` never opens one.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])


# What --attribution offers: the tagger's name in the model registry for each choice.
ATTRIBUTION_CHOICES = {"fast": "crf", "accurate": "neural"}


def attribution_model(choice: str | None) -> str | None:
    """The attribution tagger (model registry name) for an --attribution choice (None: the default)."""
    return ATTRIBUTION_CHOICES[choice] if choice else None


def _fact_check_index(_: click.Context, __: click.Parameter, value: str | None) -> str | None:
    # Checked before any model loads: a wrong path is one line at once, not after the parse.
    if value is not None and not (Path(value) / "index.json").is_file():
        raise click.BadParameter(f"{value}: not a fact-check index (build one: `presslens claims index FILE --out D`)")
    return value


def model_options(function: F) -> F:
    """--model (spaCy pipeline), --attribution, --technique-threshold and --fact-checks, in
    that order in the help."""
    function = click.option(
        "--fact-checks",
        "fact_checks",
        default=None,
        callback=_fact_check_index,
        metavar="INDEX",
        help="A fact-check index (`presslens claims index`): each claim gets the fact-checks that check it.",
    )(function)
    function = click.option(
        "--attribution",
        "attribution",
        type=click.Choice(sorted(ATTRIBUTION_CHOICES)),
        default=None,
        help="Attribution tagger: fast (a CRF over the parse) or accurate (a BiLSTM-CRF that also reads the "
        "shared encoder's states). Default: accurate.",
    )(function)
    function = click.option(
        "--technique-threshold",
        type=click.FloatRange(0.01, 0.99),
        default=None,
        help="Mark text whose technique probability is above this (default: the model's tuned value).",
    )(function)
    return click.option("--model", "spacy_name", default=None, help="spaCy pipeline: md (default), sm, or a path.")(
        function
    )
