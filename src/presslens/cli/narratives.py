"""`presslens narratives [ID]` (claims that several articles make) and `presslens claims
elsewhere DOC` (where else a document's claims are made)."""

from __future__ import annotations

import dataclasses
import json
import sys
from datetime import datetime

import click

from presslens.cli.claims import claims_group
from presslens.cli.options import emit, filter_options, open_reader, output_options, store_option, to_filters
from presslens.cli.output import _json_default, write_rows
from presslens.corpus.narratives import (
    ELSEWHERE_COLUMNS,
    NARRATIVE_COLUMNS,
    claims_elsewhere,
    elsewhere_rows,
    get_narrative,
    list_narratives,
)


@click.command("narratives")
@click.argument("narrative_id", metavar="[ID]", required=False)
@store_option
@filter_options
@click.option("--match", help="Only narratives whose claims hold these words.")
@click.option("--min-outlets", type=int, default=1, show_default=True, help="Fewest outlets that carry it.")
@click.option("--limit", type=int, default=50, show_default=True, help="0 for all.")
@output_options
def narratives(
    narrative_id: str | None,
    store_path: str,
    outlet: str | None,
    since: datetime | None,
    until: datetime | None,
    match: str | None,
    min_outlets: int,
    limit: int,
    fmt: str,
    out: str | None,
) -> None:
    """Narratives: claims that several articles make, linked as they are ingested. Without
    ID, the narratives, widest spread first (outlets, then articles); with ID, one
    narrative: where it first appeared, who carries it, its claims in order, and claims
    per month and outlet."""
    filters = to_filters(outlet, since, until)
    with open_reader(store_path) as store:
        if narrative_id is None:
            rows = list_narratives(store, filters, limit or None, match=match, min_outlets=min_outlets)
            emit(
                rows,
                fmt,
                out,
                columns=list(NARRATIVE_COLUMNS),
                wide=["claim"],
            )
            return
        found = get_narrative(store, narrative_id, filters)
    if fmt == "json":
        text = json.dumps(dataclasses.asdict(found), indent=2, ensure_ascii=False, default=_json_default) + "\n"
        if out:
            with open(out, "w", encoding="utf-8") as stream:
                stream.write(text)
        else:
            sys.stdout.write(text)
        return
    first = found.first
    click.echo(f"{found.id}: {found.claim}")
    click.echo(
        f"first seen {first.published or '(undated)'} in {first.outlet or '(unknown)'}"
        + (f", said by {first.speaker}" if first.speaker else "")
        + f"; {len(found.claims)} claims in {len({c.doc_id for c in found.claims})} articles, "
        f"{len(found.outlets)} outlets"
    )
    emit(found.claims, fmt, out, columns=["published", "outlet", "speaker", "title", "text"], wide=["text"])
    if not out:
        write_rows(found.timeline, fmt, sys.stdout, title="claims per month and outlet")


@claims_group.command("elsewhere")
@click.argument("doc_id")
@click.option("--claim", "claim_id", help="Only this claim (C1, C2, ...).")
@store_option
@output_options
def elsewhere_command(doc_id: str, claim_id: str | None, store_path: str, fmt: str, out: str | None) -> None:
    """Where else the claims of a stored document (DOC_ID) are made: the claims of the same
    narrative in other articles, in order of appearance."""
    with open_reader(store_path) as store:
        found = claims_elsewhere(store, doc_id, claim_id)
    if fmt == "json":
        emit(found, fmt, out)
        return
    emit(elsewhere_rows(found), fmt, out, columns=list(ELSEWHERE_COLUMNS), wide=["text"])


COMMANDS = (narratives,)
