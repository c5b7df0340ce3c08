"""Analysed documents as a Parquet dataset: one folder per table, one file per part.

    DIR/documents/part-<id>.parquet   DIR/actors/part-<id>.parquet   ...   DIR/failures/...

The tables and columns are the store's per-document tables (``presslens.store.rows``), so
DuckDB (``read_parquet('DIR/attributions/*.parquet')``), Spark or Trino read the dataset as
they find it, and ``presslens store load DIR`` puts it into a store.

A part is written table by table, each file under a temporary name then renamed, the
documents file last: a part is complete when its documents file exists. A writer killed
half-way leaves an incomplete part, which ``tidy`` removes; a part written twice (a retried
task) is the same files again; a document that two parts hold (a retry that split its
inputs differently, or the same text under two names) is kept in the first part only.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from presslens.errors import PresslensError
from presslens.store.rows import COLUMNS, DOCUMENT_TABLES, Rows, select_rows

if TYPE_CHECKING:
    import pyarrow as pa

# Every table of a part, in writing order: documents last marks the part complete.
PART_TABLES = ("failures", *DOCUMENT_TABLES)
SUFFIX = ".parquet"


def _arrow_type(sql_type: str) -> pa.DataType:
    import pyarrow as pa

    if sql_type.endswith("[]"):
        return pa.list_(_arrow_type(sql_type[:-2]))
    return {
        "VARCHAR": pa.string(),
        "INTEGER": pa.int32(),
        "DOUBLE": pa.float64(),
        "DATE": pa.date32(),
        "TIMESTAMP": pa.timestamp("us"),
        "BOOLEAN": pa.bool_(),
    }[sql_type]


def arrow_schema(table: str) -> pa.Schema:
    import pyarrow as pa

    return pa.schema([(name, _arrow_type(sql_type)) for name, sql_type in COLUMNS[table].items()])


def _table_file(folder: Path, table: str, name: str) -> Path:
    return folder / table / f"{name}{SUFFIX}"


def write_part(folder: str | Path, name: str, rows: Rows) -> None:
    """Write ``rows`` as part ``name`` of the dataset in ``folder`` (replacing a part of the
    same name: a retried task writes the same part again)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    root = Path(folder)
    for table in PART_TABLES:
        schema = arrow_schema(table)
        columns = rows.get(table) or {column: [] for column in COLUMNS[table]}
        data = pa.table({column: pa.array(columns[column], type=schema.field(column).type) for column in schema.names})
        target = _table_file(root, table, name)
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.tmp")
        pq.write_table(data, temporary, compression="zstd")
        os.replace(temporary, target)


def read_part(folder: str | Path, name: str) -> Rows:
    """A complete part's rows (every table)."""
    import pyarrow.parquet as pq

    root = Path(folder)
    rows: Rows = {}
    for table in PART_TABLES:
        path = _table_file(root, table, name)
        try:
            rows[table] = pq.read_table(path).to_pydict()
        except FileNotFoundError:
            raise PresslensError(
                f"{root}: part {name} lacks its {table} file (run `presslens store load` on it)"
            ) from None
        except Exception as error:
            raise PresslensError(f"{path}: not a readable Parquet file ({error.__class__.__name__})") from None
    return rows


def complete_parts(folder: str | Path) -> list[str]:
    """Names of the complete parts, sorted."""
    documents = Path(folder) / "documents"
    if not documents.is_dir():
        return []
    return sorted(p.name[: -len(SUFFIX)] for p in documents.glob(f"part-*{SUFFIX}"))


def part_ids(folder: str | Path, name: str) -> list[str]:
    import pyarrow.parquet as pq

    return [str(v) for v in pq.read_table(_table_file(Path(folder), "documents", name), columns=["id"])["id"]]


def known_ids(folder: str | Path) -> set[str]:
    """Ids of the documents in the complete parts."""
    found: set[str] = set()
    for name in complete_parts(folder):
        found.update(part_ids(folder, name))
    return found


def is_dataset(folder: str | Path) -> bool:
    return (Path(folder) / "documents").is_dir()


@dataclass
class Tidied:
    incomplete: int = 0  # parts removed because a writer died before finishing them
    duplicates: int = 0  # documents removed from a later part that repeated them


def tidy(folder: str | Path) -> Tidied:
    """Remove temporary files and incomplete parts, and keep every document in one part
    only (the first by name). Run it with no writer at work on the folder."""
    root = Path(folder)
    tidied = Tidied()
    if not root.is_dir():
        return tidied
    complete = set(complete_parts(root))
    incomplete: set[str] = set()
    for table in PART_TABLES:
        directory = root / table
        if not directory.is_dir():
            continue
        for path in directory.iterdir():
            if path.name.endswith(".tmp"):
                path.unlink(missing_ok=True)
            elif path.name.endswith(SUFFIX) and path.name[: -len(SUFFIX)] not in complete:
                incomplete.add(path.name[: -len(SUFFIX)])
                path.unlink(missing_ok=True)
    tidied.incomplete = len(incomplete)
    seen: set[str] = set()
    for name in sorted(complete):
        ids = part_ids(root, name)
        repeated = [doc for doc in ids if doc in seen]
        seen.update(ids)
        if repeated:
            keep = set(ids) - set(repeated)
            write_part(root, name, select_rows(read_part(root, name), keep))
            tidied.duplicates += len(repeated)
    return tidied


def iter_parts(folder: str | Path) -> Iterator[tuple[str, Rows]]:
    for name in complete_parts(folder):
        yield name, read_part(folder, name)


def remove_part(folder: str | Path, name: str) -> None:
    root = Path(folder)
    # Documents first: what is left of a part removed half-way is incomplete, not wrong.
    for table in reversed(PART_TABLES):
        with contextlib.suppress(FileNotFoundError):
            _table_file(root, table, name).unlink()


def remove_dataset(folder: str | Path) -> None:
    """Remove a dataset folder written by presslens (its table folders, then itself if empty)."""
    root = Path(folder)
    for table in PART_TABLES:
        directory = root / table
        if directory.is_dir():
            for path in directory.iterdir():
                path.unlink(missing_ok=True)
            with contextlib.suppress(OSError):
                directory.rmdir()
    with contextlib.suppress(OSError):
        root.rmdir()
