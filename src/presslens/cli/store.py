"""`presslens store ...`: the store file itself (counts, failures, Parquet export and load, migration)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from presslens.actors.corpus import load_aliases
from presslens.cli.options import emit, open_reader, output_options, store_option
from presslens.errors import PresslensError
from presslens.store import Store, StoreError, parts
from presslens.store.schema import TABLES

# --- the store itself ---------------------------------------------------------------------


@click.group("store")
def store_group() -> None:
    """The store file: what it holds, its failures, Parquet export, schema migration."""


@store_group.command("info")
@store_option
@output_options
def info_command(store_path: str, fmt: str, out: str | None) -> None:
    """Schema version and the rows of every table."""
    with open_reader(store_path) as store:
        counts = store.counts()
        version = store.version()
        first, last = store.query("SELECT min(published), max(published) FROM documents")[0]
    rows: list[dict[str, Any]] = [{"what": "schema version", "value": version}]
    rows += [{"what": f"{table} rows", "value": counts[table]} for table in TABLES]
    rows.append({"what": "dates", "value": f"{first or '?'} to {last or '?'}"})
    emit(rows, fmt, out)


@store_group.command("failures")
@store_option
@output_options
def failures_command(store_path: str, fmt: str, out: str | None) -> None:
    """Inputs that could not be stored, with the reason (a later success clears them)."""
    with open_reader(store_path) as store:
        rows = [
            {"source": s, "reason": r, "attempts": a, "failed_at": f.replace(microsecond=0)}
            for s, r, a, f in store.failures()
        ]
    emit(rows, fmt, out, columns=["source", "reason", "attempts", "failed_at"], wide=["reason"])


@store_group.command("export")
@store_option
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False), help="Folder for the files.")
def export_command(store_path: str, out_dir: str) -> None:
    """Every table as Parquet: OUT/<table>.parquet (`presslens store load OUT` loads it back
    into an empty store)."""
    with open_reader(store_path) as store:
        written = store.export_parquet(out_dir)
    click.echo(f"presslens: {len(written)} tables written to {out_dir}", err=True)


@store_group.command("load")
@click.argument("folder", type=click.Path(file_okay=False))
@store_option
@click.option("--aliases", type=click.Path(dir_okay=False), help="Actor alias file (YAML), see `presslens actors -h`.")
def load_command(folder: str, store_path: str, aliases: str | None) -> None:
    """Load a Parquet dataset written by `presslens ingest --engine ray --out FOLDER` into a
    store (documents stored already are skipped), or a `presslens store export` folder into
    an empty store (every table, the same rows)."""
    # Imported here: the Ray engine's module loads pyarrow, which the other store commands do not need.
    from presslens.engines.ray_engine import load_dataset

    if not Path(folder).is_dir():
        raise PresslensError(f"{folder}: no such folder")
    if (Path(folder) / "documents.parquet").is_file():
        with Store(store_path) as store:
            documents = store.import_parquet(folder)
        click.echo(f"presslens: {documents} documents and every table imported into {store_path}", err=True)
        return
    if not parts.is_dataset(folder):
        raise PresslensError(
            f"{folder}: neither a presslens Parquet dataset (no documents/ folder) nor a store export "
            "(no documents.parquet)"
        )
    alias_file = load_aliases(aliases) if aliases else None
    with Store(store_path) as store:
        stored, skipped = load_dataset(store, folder)
        corpus_actors = store.resolve_actors(alias_file)
        narratives = store.link_claims().narratives
    click.echo(
        f"presslens: {stored} stored, {skipped} skipped (already stored); "
        f"{corpus_actors} corpus actors, {narratives} narratives in {store_path}",
        err=True,
    )


@store_group.command("migrate")
@store_option
def migrate_command(store_path: str) -> None:
    """Bring a store made by an older presslens to this version's schema."""
    if not Path(store_path).exists():
        raise StoreError(f"{store_path}: no store here")
    with Store(store_path) as store:  # opening for writing migrates
        click.echo(f"presslens: {store_path} is at schema version {store.version()}", err=True)


@store_group.command("relink")
@store_option
@click.option(
    "--threshold",
    type=click.FloatRange(0.5, 1.0),
    default=None,
    help="Cosine of two claims' embeddings from which they may be linked (default: presslens's).",
)
def relink_command(store_path: str, threshold: float | None) -> None:
    """Link the stored claims again and regroup the narratives, from the embeddings kept in
    the store (after an upgrade changed the linking rules, or to try another threshold)."""
    from presslens.store.narratives import THRESHOLD

    if not Path(store_path).exists():
        raise StoreError(f"{store_path}: no store here")
    with Store(store_path) as store:
        report = store.relink_claims(threshold if threshold is not None else THRESHOLD)
    click.echo(f"presslens: {report.links} links, {report.narratives} narratives in {store_path}", err=True)


COMMANDS = (store_group,)
