"""`presslens labels`: how outlets label actors (the labels layer, in the store)."""

from __future__ import annotations

from datetime import datetime

import click

from presslens.cli.options import emit, filter_options, open_reader, output_options, store_option, to_filters
from presslens.corpus.labels import (
    COMPARISON_COLUMNS,
    LABEL_COLUMNS,
    OUTLET_LABEL_COLUMNS,
    VOICES,
    actor_labels,
    compare_outlets,
    outlet_actors,
)
from presslens.errors import PresslensError


@click.command("labels")
@click.argument("actor", required=False)
@store_option
@filter_options
@click.option(
    "--compare",
    nargs=2,
    metavar="OUTLET_A OUTLET_B",
    help="Two outlets side by side on ACTOR: every label either uses, with each one's count.",
)
@click.option(
    "--voice",
    type=click.Choice(VOICES),
    default="reporter",
    show_default=True,
    help="Whose words: the articles' own (reporter), the sources they quote, or all.",
)
@click.option(
    "--limit", type=int, default=50, show_default=True, help="Labels per outlet (actors with --outlet); 0: all."
)
@output_options
def labels(
    actor: str | None,
    store_path: str,
    outlet: str | None,
    since: datetime | None,
    until: datetime | None,
    compare: tuple[str, str] | None,
    voice: str,
    limit: int,
    fmt: str,
    out: str | None,
) -> None:
    """How outlets label an actor. With ACTOR: its labels per outlet ("regime", "terrorist
    cult", "so-called"), with polarity, counts and an example; with --compare A B, two
    outlets side by side. Without ACTOR, --outlet is needed: the actors that outlet labels,
    the most negatively labelled first."""
    filters = to_filters(outlet, since, until)
    with open_reader(store_path) as store:
        if actor is None:
            if not outlet:
                raise PresslensError("give an ACTOR, or --outlet for the actors an outlet labels most negatively")
            rows = outlet_actors(store, outlet, filters, voice, limit or None)
            emit(rows, fmt, out, columns=list(OUTLET_LABEL_COLUMNS), wide=["top_negative"])
            return
        if compare:
            found = compare_outlets(store, actor, compare[0], compare[1], filters, voice)
            emit(
                found,
                fmt,
                out,
                columns=list(COMPARISON_COLUMNS),
                title=f"{compare[0]} | {compare[1]}",
            )
            return
        listed = actor_labels(store, actor, filters, voice, limit or None)
        emit(listed, fmt, out, columns=list(LABEL_COLUMNS), wide=["example"])


COMMANDS = (labels,)
