"""`presslens query ...` (questions to the corpus store) and `presslens report` (the HTML report)."""

from __future__ import annotations

from datetime import datetime

import click

from presslens.cli.options import emit, filter_options, open_reader, output_options, store_option, to_filters
from presslens.corpus.queries import (
    ABOUT_COLUMNS,
    EDGE_COLUMNS,
    SEARCH_COLUMNS,
    STATEMENT_COLUMNS,
    about_rows,
    co_mentions,
    outlets,
    search,
    statements_about,
    statements_by,
    technique_profile,
    top_speakers,
    write_graphml,
)
from presslens.corpus.report import write_report

# --- questions ----------------------------------------------------------------------------


@click.group()
def query() -> None:
    """Ask the corpus store: statements by or about an actor, technique profiles, top
    speakers, the co-mention network, full-text search, outlets."""


@query.command("statements-by")
@click.argument("actor")
@store_option
@filter_options
@click.option("--limit", type=int, default=100, show_default=True, help="0 for all.")
@output_options
def statements_by_command(
    actor: str,
    store_path: str,
    outlet: str | None,
    since: datetime | None,
    until: datetime | None,
    limit: int,
    fmt: str,
    out: str | None,
) -> None:
    """What ACTOR said (a name, a variant or #id): article, outlet, date, kind, content."""
    with open_reader(store_path) as store:
        rows = statements_by(store, actor, to_filters(outlet, since, until), limit=limit or None)
    emit(
        rows,
        fmt,
        out,
        columns=list(STATEMENT_COLUMNS),
        wide=["content"],
    )


@query.command("statements-about")
@click.argument("actor")
@store_option
@filter_options
@click.option("--limit", type=int, default=50, show_default=True, help="Speakers, those who said most first; 0: all.")
@click.option("--per-speaker", type=int, default=5, show_default=True, help="Latest statements shown per speaker.")
@output_options
def statements_about_command(
    actor: str,
    store_path: str,
    outlet: str | None,
    since: datetime | None,
    until: datetime | None,
    limit: int,
    per_speaker: int,
    fmt: str,
    out: str | None,
) -> None:
    """What is said about ACTOR (it is among a statement's targets), grouped by speaker.

    JSON gives each speaker's latest statements (--per-speaker); a table or CSV shows one row
    per speaker with the latest statement."""
    with open_reader(store_path) as store:
        groups = statements_about(
            store, actor, to_filters(outlet, since, until), limit=limit or None, per_speaker=per_speaker
        )
    if fmt == "json":
        emit(groups, fmt, out)
        return
    emit(about_rows(groups), fmt, out, columns=list(ABOUT_COLUMNS), wide=["latest"])


@query.command("techniques")
@store_option
@filter_options
@click.option("--by", type=click.Choice(["outlet", "month"]), default="outlet", show_default=True)
@output_options
def techniques_command(
    store_path: str,
    outlet: str | None,
    since: datetime | None,
    until: datetime | None,
    by: str,
    fmt: str,
    out: str | None,
) -> None:
    """Technique profile per outlet or per month: spans, per 1,000 words, share of text.

    The '(all)' row counts every span and the share of text inside any of them. Only
    articles ingested with the techniques stage count."""
    with open_reader(store_path) as store:
        rows = technique_profile(store, to_filters(outlet, since, until), by=by)
    emit(rows, fmt, out)


@query.command("speakers")
@store_option
@filter_options
@click.option("--limit", type=int, default=10, show_default=True, help="Speakers per outlet.")
@output_options
def speakers_command(
    store_path: str,
    outlet: str | None,
    since: datetime | None,
    until: datetime | None,
    limit: int,
    fmt: str,
    out: str | None,
) -> None:
    """The actors each outlet quotes most (share: of its statements with a known speaker)."""
    with open_reader(store_path) as store:
        rows = top_speakers(store, to_filters(outlet, since, until), limit=limit)
    emit(rows, fmt, out)


@query.command("network")
@store_option
@filter_options
@click.option("--actor", help="Only the edges of this actor (an ego network).")
@click.option("--kinds", default="person,organisation", show_default=True, help="Actor kinds, comma-separated.")
@click.option("--min-documents", type=int, default=2, show_default=True, help="Fewest shared articles for an edge.")
@click.option("--max-actors", type=int, default=200, show_default=True, help="The most frequent actors kept.")
@click.option("--graphml", type=click.Path(dir_okay=False), help="Write the network as GraphML here.")
@output_options
def network_command(
    store_path: str,
    outlet: str | None,
    since: datetime | None,
    until: datetime | None,
    actor: str | None,
    kinds: str,
    min_documents: int,
    max_actors: int,
    graphml: str | None,
    fmt: str,
    out: str | None,
) -> None:
    """Actors named in the same articles: the edges, heaviest first (and GraphML)."""
    chosen = tuple(k.strip() for k in kinds.split(",") if k.strip())
    with open_reader(store_path) as store:
        network = co_mentions(
            store,
            to_filters(outlet, since, until),
            actor=actor,
            kinds=chosen,
            min_documents=min_documents,
            max_actors=max_actors,
        )
    if graphml:
        write_graphml(network, graphml)
        click.echo(f"presslens: {len(network.nodes)} actors, {len(network.edges)} edges in {graphml}", err=True)
    emit(network.edges, fmt, out, columns=list(EDGE_COLUMNS))


@query.command("search")
@click.argument("text", default="")
@store_option
@filter_options
@click.option("--actor", help="Only articles that name this actor.")
@click.option("--technique", help="Only articles that use this technique.")
@click.option("--limit", type=int, default=20, show_default=True)
@output_options
def search_command(
    text: str,
    store_path: str,
    outlet: str | None,
    since: datetime | None,
    until: datetime | None,
    actor: str | None,
    technique: str | None,
    limit: int,
    fmt: str,
    out: str | None,
) -> None:
    """Articles with every word of TEXT ("quoted phrases" as written), best first."""
    with open_reader(store_path) as store:
        rows = search(store, text, to_filters(outlet, since, until), actor=actor, technique=technique, limit=limit)
    emit(rows, fmt, out, columns=list(SEARCH_COLUMNS), wide=["snippet"])


@query.command("outlets")
@store_option
@filter_options
@output_options
def outlets_command(
    store_path: str, outlet: str | None, since: datetime | None, until: datetime | None, fmt: str, out: str | None
) -> None:
    """Outlets with their articles, words, dates, statements and technique spans."""
    with open_reader(store_path) as store:
        rows = outlets(store, to_filters(outlet, since, until))
    emit(rows, fmt, out)


# --- report -------------------------------------------------------------------------------


@click.command()
@store_option
@filter_options
@click.option("--actor", help="Add what this actor says and what is said about it.")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False), help="Folder for the report.")
def report(
    store_path: str,
    outlet: str | None,
    since: datetime | None,
    until: datetime | None,
    actor: str | None,
    out_dir: str,
) -> None:
    """Write an HTML report with charts (technique profiles, timelines, top speakers), and
    the same charts as PNG, into a folder."""
    with open_reader(store_path) as store:
        index = write_report(store, out_dir, to_filters(outlet, since, until), actor=actor)
    click.echo(f"presslens: report in {index}", err=True)


COMMANDS = (query, report)
