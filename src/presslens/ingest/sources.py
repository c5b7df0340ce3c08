"""Where inputs come from: files, folders, JSONL records and standard input.

Each input becomes a RawInput, or an InputError that names it: one bad input never stops
the others.
"""

from __future__ import annotations

import gzip
import json
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from presslens.errors import InputError

DEFAULT_MAX_BYTES = 5_000_000

TEXT_SUFFIXES = (".txt",)
HTML_SUFFIXES = (".html", ".htm", ".html.gz", ".htm.gz")
JSONL_SUFFIXES = (".jsonl", ".jsonl.gz", ".ndjson")
SUPPORTED_SUFFIXES = TEXT_SUFFIXES + HTML_SUFFIXES + JSONL_SUFFIXES

# JSONL fields taken as metadata, with the names people commonly use for them.
_METADATA_FIELDS = {
    "url": ("url", "link"),
    "outlet": ("outlet", "site", "source", "publisher", "domain"),
    "title": ("title", "headline"),
    "author": ("author", "authors", "byline"),
    "published": ("published", "date", "publish_date", "published_at", "publication_date"),
}


@dataclass
class RawInput:
    """One input before decoding: bytes from a file, or text from a JSONL record."""

    source: str
    data: bytes | None = None
    text: str | None = None
    is_html: bool | None = None  # None: decide by looking at the content
    metadata: dict[str, str] = field(default_factory=dict)


def _suffix(path: Path) -> str:
    name = path.name.lower()
    for suffix in sorted(SUPPORTED_SUFFIXES, key=len, reverse=True):
        if name.endswith(suffix):
            return suffix
    return path.suffix.lower()


def _size_error(source: str, size: int, max_bytes: int) -> InputError:
    return InputError(source, f"input is {size / 1e6:.1f} MB, over the {max_bytes / 1e6:g} MB limit (see --max-bytes)")


def _read_limited(stream: BinaryIO, source: str, max_bytes: int) -> bytes:
    data = stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise InputError(source, f"input is over the {max_bytes / 1e6:g} MB limit (see --max-bytes)")
    return data


def _metadata(record: dict[str, object]) -> dict[str, str]:
    found: dict[str, str] = {}
    for key, names in _METADATA_FIELDS.items():
        for name in names:
            value = record.get(name)
            if isinstance(value, list):
                value = ", ".join(str(v) for v in value)
            if value not in (None, ""):
                found[key] = str(value)
                break
    return found


def iter_jsonl(lines: Iterable[bytes], source: str, max_bytes: int) -> Iterator[RawInput | InputError]:
    for number, line in enumerate(lines, start=1):
        where = f"{source}:{number}"
        if not line.strip():
            continue
        if len(line) > max_bytes:
            yield _size_error(where, len(line), max_bytes)
            continue
        try:
            record = json.loads(line)
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            yield InputError(where, f"not a JSON object ({error.__class__.__name__}: {error})")
            continue
        if not isinstance(record, dict):
            yield InputError(where, "not a JSON object")
            continue
        text, html = record.get("text"), record.get("html")
        if isinstance(text, str) and text.strip():
            yield RawInput(where, text=text, is_html=False, metadata=_metadata(record))
        elif isinstance(html, str) and html.strip():
            yield RawInput(where, text=html, is_html=True, metadata=_metadata(record))
        else:
            yield InputError(where, "record has neither a 'text' nor an 'html' field with content")


def _read_file(path: Path, max_bytes: int) -> Iterator[RawInput | InputError]:
    source = str(path)
    suffix = _suffix(path)
    try:
        if suffix in JSONL_SUFFIXES:
            opener = gzip.open if suffix.endswith(".gz") else open
            with opener(path, "rb") as stream:
                yield from iter_jsonl(stream, source, max_bytes)
            return
        if suffix.endswith(".gz"):
            with gzip.open(path, "rb") as stream:
                data = _read_limited(stream, source, max_bytes)  # type: ignore[arg-type]
        else:
            size = path.stat().st_size
            if size > max_bytes:
                yield _size_error(source, size, max_bytes)
                return
            data = path.read_bytes()
    except InputError as error:
        yield error
        return
    except (OSError, EOFError, gzip.BadGzipFile) as error:
        yield InputError(source, f"cannot be read ({error.__class__.__name__}: {error})")
        return
    is_html: bool | None = True if suffix in HTML_SUFFIXES else False if suffix in TEXT_SUFFIXES else None
    yield RawInput(source, data=data, is_html=is_html)


def expand_paths(paths: Iterable[str]) -> list[str]:
    """The files behind the given paths, folders walked recursively for supported files.
    '-' and names that do not exist are kept, to be reported in order."""
    expanded: list[str] = []
    for name in paths:
        path = Path(name)
        if name != "-" and path.is_dir():
            files = sorted(
                p
                for p in path.rglob("*")
                if p.is_file() and not p.name.startswith(".") and _suffix(p) in SUPPORTED_SUFFIXES
            )
            # An empty folder is kept as itself, to be reported.
            expanded.extend(str(f) for f in files) if files else expanded.append(name)
        else:
            expanded.append(name)
    return expanded


def iter_path(name: str, max_bytes: int = DEFAULT_MAX_BYTES) -> Iterator[RawInput | InputError]:
    """The inputs behind one expanded path (several for a JSONL file)."""
    if name == "-":
        try:
            data = _read_limited(sys.stdin.buffer, "<stdin>", max_bytes)
        except InputError as error:
            yield error
            return
        if data.lstrip().startswith(b"{"):
            yield from iter_jsonl(data.splitlines(), "<stdin>", max_bytes)
        else:
            yield RawInput("<stdin>", data=data)
        return
    path = Path(name)
    if path.is_dir():
        yield InputError(name, f"folder holds no supported files ({', '.join(SUPPORTED_SUFFIXES)})")
    elif path.exists():
        yield from _read_file(path, max_bytes)
    else:
        yield InputError(name, "no such file or folder")


def iter_inputs(paths: Iterable[str], max_bytes: int = DEFAULT_MAX_BYTES) -> Iterator[RawInput | InputError]:
    """Inputs in the order given; folders are walked recursively for supported files."""
    for name in expand_paths(paths):
        yield from iter_path(name, max_bytes)
