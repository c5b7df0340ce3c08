"""The options that choose and tune the models, shared by `analyze` and `ingest`.

Apart from cli/options.py, which loads the store: `analyze` never opens one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])


def model_options(function: F) -> F:
    """--model (spaCy pipeline) and --technique-threshold, in that order in the help."""
    function = click.option(
        "--technique-threshold",
        type=click.FloatRange(0.01, 0.99),
        default=None,
        help="Mark text whose technique probability is above this (default: the model's tuned value).",
    )(function)
    return click.option("--model", "spacy_name", default=None, help="spaCy pipeline: md (default), sm, or a path.")(
        function
    )
