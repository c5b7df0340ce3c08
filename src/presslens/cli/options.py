"""What the corpus commands share: the --store option, output and filter options, writing rows."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import datetime
from typing import IO, Any, TypeVar

import click

from presslens.cli.output import OUTPUT_FORMATS, write_rows
from presslens.corpus.queries import Filters
from presslens.errors import PresslensError
from presslens.store import Store

F = TypeVar("F", bound=Callable[..., Any])

STORE_HELP = "The store file (default ./presslens.duckdb, or $PRESSLENS_STORE)."


def store_option(function: F) -> F:
    return click.option(
        "--store", "store_path", default="presslens.duckdb", envvar="PRESSLENS_STORE", show_envvar=True, help=STORE_HELP
    )(function)


def output_options(function: F) -> F:
    function = click.option("--format", "fmt", type=click.Choice(OUTPUT_FORMATS), default="table", show_default=True)(
        function
    )
    return click.option("--out", type=click.Path(dir_okay=False), help="Write here instead of stdout.")(function)


def filter_options(function: F) -> F:
    # Applied last to first, so that help lists them as written: outlet, since, until.
    function = click.option("--until", type=click.DateTime(["%Y-%m-%d"]), help="Up to this date, included.")(function)
    function = click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="From this date (YYYY-MM-DD).")(function)
    return click.option("--outlet", help="Only this outlet's articles (a part of its name will do).")(function)


def to_filters(outlet: str | None, since: datetime | None, until: datetime | None) -> Filters:
    return Filters(outlet=outlet, since=since.date() if since else None, until=until.date() if until else None)


def emit(rows: list[Any], fmt: str, out: str | None, **kwargs: Any) -> None:
    if out:
        try:
            stream: IO[str] = open(out, "w", encoding="utf-8", newline="")  # noqa: SIM115
        except OSError as error:
            raise PresslensError(f"{out}: cannot be written ({error.strerror})") from None
        with stream:
            write_rows(rows, fmt, stream, **kwargs)
    else:
        write_rows(rows, fmt, sys.stdout, to_terminal=sys.stdout.isatty(), **kwargs)


def open_reader(store_path: str) -> Store:
    """The store at store_path, opened read-only (other processes may read it too)."""
    return Store(store_path, read_only=True)
