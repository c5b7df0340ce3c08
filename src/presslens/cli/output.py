"""Rows of query results as a terminal table, JSON or CSV."""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from datetime import date, datetime
from typing import IO, Any

from presslens.corpus.frames import as_dict  # one definition, shared with the notebook API

OUTPUT_FORMATS = ("table", "json", "csv")


def _json_default(value: Any) -> Any:
    if isinstance(value, date | datetime):
        return value.isoformat()
    raise TypeError(f"{value.__class__.__name__} is not JSON serialisable")


def _flat(value: Any) -> str:
    """A cell of CSV or a table: lists joined, dates in ISO, nothing for None."""
    if value is None:
        return ""
    if isinstance(value, list):
        return "; ".join(_flat(v) for v in value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def write_rows(
    rows: Sequence[Any],
    fmt: str,
    stream: IO[str],
    *,
    columns: Sequence[str] | None = None,
    title: str | None = None,
    to_terminal: bool = False,
    wide: Sequence[str] = (),
) -> None:
    """Write ``rows`` (dataclasses or dicts). ``columns`` chooses and orders the columns of a
    table or CSV (JSON keeps every field); ``wide`` columns get the room left in a table."""
    dicts = [as_dict(r) for r in rows]
    if fmt == "json":
        stream.write(json.dumps(dicts, indent=2, ensure_ascii=False, default=_json_default) + "\n")
        return
    names = list(columns) if columns else list(dicts[0]) if dicts else list(columns or [])
    if fmt == "csv":
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(names)
        for row in dicts:
            writer.writerow([_flat(row.get(n)) for n in names])
        return
    from rich.console import Console
    from rich.table import Table

    console = Console(file=stream, force_terminal=to_terminal, highlight=False, width=None if to_terminal else 160)
    if not dicts:
        console.print(f"{title}: nothing found" if title else "nothing found")
        return
    table = Table(title=title, title_justify="left", show_lines=False)
    for name in names:
        numeric = all(isinstance(r.get(name), int | float) and not isinstance(r.get(name), bool) for r in dicts)
        table.add_column(
            name.replace("_", " "),
            justify="right" if numeric else "left",
            overflow="fold" if name in wide else "ellipsis",
            max_width=None if name in wide else 40,
            ratio=2 if name in wide else None,
        )
    for row in dicts:
        table.add_row(*(_flat(row.get(n)) for n in names))
    console.print(table)
