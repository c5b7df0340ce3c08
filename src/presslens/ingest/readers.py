"""What presslens reads: one registry of input readers, by file suffix and by corpus layout.

A reader takes one expanded path (a file, or ``-`` for standard input) and yields its inputs:
a RawInput each, or an InputError that names the input, so that one bad input never stops
the others. ``analyze``, ``ingest`` (both engines) and the API read through here.

A new format is one function and one decorator::

    @reads(".md")
    def read_markdown(name: str, context: ReadContext) -> Iterator[RawInput | InputError]: ...

A corpus layout (``ingest --format NAME``) names the files of its folders with a glob and
reads each with the metadata the corpus keeps beside it.
"""

from __future__ import annotations

import contextlib
import csv
import fnmatch
import gzip
import io
import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from presslens.errors import InputError
from presslens.ingest.raw import DEFAULT_MAX_BYTES, RawInput
from presslens.ingest.records import load_json, raw_input_from_record
from presslens.ingest.warc import iter_warc

STDIN = "-"
# The format of `ingest --format` that reads files by their suffix rather than as a layout.
AUTO = "auto"


@dataclass
class ReadContext:
    """What readers share over a run: the size limit, and metadata files read once for many
    articles (PolNeAR's metadata.tsv), by path."""

    max_bytes: int = DEFAULT_MAX_BYTES
    metadata_files: dict[Path, dict[str, dict[str, str]]] = field(default_factory=dict)


Reader = Callable[[str, ReadContext], Iterator[RawInput | InputError]]


@dataclass(frozen=True)
class SuffixReader:
    suffix: str  # lower case, with its dot ('.html.gz'); '-' for standard input
    read: Reader
    holds_many: bool  # one file, several inputs (JSONL, WARC): `analyze` then writes a JSON list


@dataclass(frozen=True)
class Layout:
    name: str
    pattern: str  # glob of the layout's article files in its folders
    read: Reader
    # Texts kept exactly as in the files (no debris cleaning), so the corpus's own
    # annotation offsets apply to the stored text.
    keeps_text: bool = True


SUFFIX_READERS: dict[str, SuffixReader] = {}
LAYOUTS: dict[str, Layout] = {}


def reads(*suffixes: str, holds_many: bool = False) -> Callable[[Reader], Reader]:
    """Register a reader for files ending in ``suffixes`` (or ``-``, standard input)."""

    def register(read: Reader) -> Reader:
        for suffix in suffixes:
            key = suffix.lower()
            if key in SUFFIX_READERS:
                raise ValueError(f"a reader for {key!r} is registered already ({SUFFIX_READERS[key].read.__name__})")
            SUFFIX_READERS[key] = SuffixReader(key, read, holds_many)
        return read

    return register


def layout(name: str, pattern: str, *, keeps_text: bool = True) -> Callable[[Reader], Reader]:
    """Register the reader of a corpus layout, ``ingest --format NAME``."""

    def register(read: Reader) -> Reader:
        if name in LAYOUTS or name == AUTO:
            raise ValueError(f"a layout {name!r} is registered already")
        LAYOUTS[name] = Layout(name, pattern, read, keeps_text)
        return read

    return register


def supported_suffixes() -> tuple[str, ...]:
    """The file suffixes readers are registered for, in registration order."""
    return tuple(s for s in SUFFIX_READERS if s != STDIN)


def formats() -> tuple[str, ...]:
    """The choices of `ingest --format`: 'auto' (by suffix), then every layout."""
    return (AUTO, *LAYOUTS)


def suffix_reader(name: str) -> SuffixReader | None:
    """The reader for a path by its suffix (the longest registered one it ends in)."""
    if name == STDIN:
        return SUFFIX_READERS[STDIN]
    lowered = Path(name).name.lower()
    found = [s for s in supported_suffixes() if lowered.endswith(s)]
    return SUFFIX_READERS[max(found, key=len)] if found else None


def holds_many(name: str) -> bool:
    """Whether one path can hold several inputs (standard input, JSONL, WARC)."""
    reader = suffix_reader(name)
    return reader is not None and reader.holds_many


def keeps_text(fmt: str) -> bool:
    """Whether the texts of ``fmt`` are analysed exactly as read (a layout's offsets apply)."""
    return fmt in LAYOUTS and LAYOUTS[fmt].keeps_text


# --- paths --------------------------------------------------------------------------------


def expand_paths(paths: Iterable[str], fmt: str = AUTO) -> list[str]:
    """The files behind the paths: folders walked recursively for what ``fmt`` reads (any
    registered suffix, or a layout's files). '-', names that do not exist, folders with
    nothing to read and folders that cannot be read are kept, to be read or reported in
    order: no path is ever skipped without a word."""
    files: list[str] = []
    for name in paths:
        path = Path(name)
        if name == STDIN or not path.is_dir():
            files.append(name)
            continue
        found, unreadable = _walk(path, fmt)
        if found or unreadable:
            files.extend(sorted([*found, *unreadable]))
        else:
            files.append(name)
    return files


def _walk(folder: Path, fmt: str) -> tuple[list[str], list[str]]:
    """The input files under ``folder`` and the folders under it that cannot be listed."""
    unreadable: list[str] = []

    def refused(error: OSError) -> None:
        unreadable.append(error.filename if isinstance(error.filename, str) else str(folder))

    pattern = LAYOUTS[fmt].pattern if fmt in LAYOUTS else None
    found = []
    for directory, _, names in os.walk(folder, onerror=refused):
        for file_name in names:
            candidate = Path(directory) / file_name
            if file_name.startswith(".") or not candidate.is_file():
                continue
            if fnmatch.fnmatchcase(file_name, pattern) if pattern else suffix_reader(file_name) is not None:
                found.append(str(candidate))
    return found, unreadable


def total_bytes(files: Iterable[str]) -> int:
    """The bytes of the files, for progress ('-' and missing files count 0)."""
    return sum(_size(name) for name in files)


def _size(name: str) -> int:
    if name == STDIN:
        return 0
    with contextlib.suppress(OSError):
        return Path(name).stat().st_size
    return 0


def read_inputs(name: str, context: ReadContext | None = None, fmt: str = AUTO) -> Iterator[RawInput | InputError]:
    """The inputs behind one expanded path (several for a JSONL or WARC file, or stdin)."""
    context = context or ReadContext()
    if fmt != AUTO and fmt not in LAYOUTS:
        raise ValueError(f"unknown input format {fmt!r} (formats: {', '.join(formats())})")
    path = Path(name)
    if name == STDIN:
        yield from SUFFIX_READERS[STDIN].read(name, context)
    elif path.is_dir():
        try:
            with os.scandir(path):
                pass
        except OSError as error:
            yield InputError(name, f"folder cannot be read ({error.__class__.__name__}: {error.strerror})")
            return
        if fmt in LAYOUTS:
            yield InputError(name, f"folder holds no {fmt} articles ({LAYOUTS[fmt].pattern})")
        else:
            yield InputError(name, f"folder holds no supported files ({', '.join(supported_suffixes())})")
    elif not path.exists():
        yield InputError(name, "no such file or folder")
    elif fmt in LAYOUTS:
        yield from LAYOUTS[fmt].read(name, context)
    else:
        yield from _read_by_suffix(name, context)


def read_files(
    files: Iterable[str], context: ReadContext | None = None, fmt: str = AUTO
) -> Iterator[RawInput | InputError]:
    """Inputs of expanded paths (see expand_paths), in order."""
    context = context or ReadContext()
    for name in files:
        yield from read_inputs(name, context, fmt)


def iter_inputs(
    paths: Iterable[str], context: ReadContext | None = None, fmt: str = AUTO
) -> Iterator[RawInput | InputError]:
    """Inputs of the paths in the order given; folders are walked recursively."""
    return read_files(expand_paths(paths, fmt), context, fmt)


def _read_by_suffix(name: str, context: ReadContext) -> Iterator[RawInput | InputError]:
    reader = suffix_reader(name)
    yield from reader.read(name, context) if reader is not None else _read_file(name, context, is_html=None)


# --- files by suffix ----------------------------------------------------------------------


def _size_error(source: str, size: int, max_bytes: int, weight: int = 0) -> InputError:
    reason = f"input is {size / 1e6:.1f} MB, over the {max_bytes / 1e6:g} MB limit (see --max-bytes)"
    return InputError(source, reason, weight)


def _read_limited(stream: BinaryIO | io.BufferedIOBase, source: str, max_bytes: int, weight: int = 0) -> bytes:
    data = stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise InputError(source, f"input is over the {max_bytes / 1e6:g} MB limit (see --max-bytes)", weight)
    return data


def _read_file(name: str, context: ReadContext, is_html: bool | None) -> Iterator[RawInput | InputError]:
    """One file as one input, gunzipped when its name ends in .gz."""
    path = Path(name)
    size = _size(name)
    try:
        if name.lower().endswith(".gz"):
            with gzip.open(path, "rb") as stream:
                data = _read_limited(stream, name, context.max_bytes, size)
        elif size > context.max_bytes:
            yield _size_error(name, size, context.max_bytes, size)
            return
        else:
            data = path.read_bytes()
    except InputError as error:
        yield error
        return
    except (OSError, EOFError) as error:  # gzip.BadGzipFile is an OSError
        yield InputError(name, f"cannot be read ({error.__class__.__name__}: {error})", size)
        return
    yield RawInput(name, data=data, is_html=is_html, weight=size)


@reads(".txt")
def read_text(name: str, context: ReadContext) -> Iterator[RawInput | InputError]:
    yield from _read_file(name, context, is_html=False)


@reads(".html", ".htm", ".html.gz", ".htm.gz")
def read_html(name: str, context: ReadContext) -> Iterator[RawInput | InputError]:
    yield from _read_file(name, context, is_html=True)


# How far past --max-bytes a line over it is read to find where the next line begins, in
# multiples of the limit. A compressed file can hold a line of gigabytes in a few megabytes
# (a "zip bomb"): past this the rest of the file is given up, with one line that says so.
OVERLONG_LINE_SKIP = 20
_SKIP_CHUNK = 1 << 20


def bounded_lines(stream: BinaryIO | io.BufferedIOBase, max_bytes: int) -> Iterator[bytes | int]:
    """The lines of ``stream``, none read whole past ``max_bytes``: a longer line comes as
    the number of its bytes read (past the limit) instead of its bytes, and only what fits in
    memory a chunk at a time is ever read. A line longer than OVERLONG_LINE_SKIP times the
    limit ends the lines (its count is then negative)."""
    while line := stream.readline(max_bytes + 1):
        if len(line) <= max_bytes or line.endswith(b"\n"):
            yield line
            continue
        skipped = len(line)
        while True:
            chunk = stream.readline(_SKIP_CHUNK)
            skipped += len(chunk)
            if not chunk or chunk.endswith(b"\n"):
                break
            if skipped > OVERLONG_LINE_SKIP * max_bytes:
                yield -skipped
                return
        yield skipped


def iter_jsonl(lines: Iterable[bytes | int], source: str, max_bytes: int) -> Iterator[RawInput | InputError]:
    """The records of JSON Lines, each named 'source:line'; each weighs its line's bytes."""
    for number, line in enumerate(lines, start=1):
        where = f"{source}:{number}"
        if isinstance(line, int):  # a line over the limit, not read (see bounded_lines)
            if line < 0:
                reason = (
                    f"line is over {-line / 1e6:g} MB, far over the {max_bytes / 1e6:g} MB limit (see --max-bytes); "
                    "the rest of the file is not read"
                )
                yield InputError(where, reason, -line)
            else:
                yield _size_error(where, line, max_bytes, line)
            continue
        if not line.strip():
            continue
        weight = len(line)
        if len(line) > max_bytes:
            yield _size_error(where, len(line), max_bytes, weight)
            continue
        try:
            raw = raw_input_from_record(load_json(line, where), where)
        except InputError as error:
            yield InputError(error.source, error.reason, weight)
            continue
        raw.weight = weight
        yield raw


@reads(".jsonl", ".jsonl.gz", ".ndjson", holds_many=True)
def read_jsonl(name: str, context: ReadContext) -> Iterator[RawInput | InputError]:
    try:
        opener = gzip.open if name.lower().endswith(".gz") else open
        with opener(name, "rb") as stream:
            yield from iter_jsonl(bounded_lines(stream, context.max_bytes), name, context.max_bytes)
    except (OSError, EOFError) as error:  # gzip.BadGzipFile is an OSError
        yield InputError(name, f"cannot be read ({error.__class__.__name__}: {error})")


@reads(".warc", ".warc.gz", holds_many=True)
def read_warc(name: str, context: ReadContext) -> Iterator[RawInput | InputError]:
    yield from iter_warc(name, context.max_bytes)


@reads(STDIN, holds_many=True)
def read_stdin(name: str, context: ReadContext) -> Iterator[RawInput | InputError]:
    """Standard input: JSON Lines when it begins with '{', else one text or HTML input."""
    source = "<stdin>"
    try:
        data = _read_limited(sys.stdin.buffer, source, context.max_bytes)
    except InputError as error:
        yield error
        return
    if data.lstrip().startswith(b"{"):
        yield from iter_jsonl(data.splitlines(), source, context.max_bytes)
    else:
        yield RawInput(source, data=data)


# --- corpus layouts -----------------------------------------------------------------------


def _find_polnear_metadata(path: Path) -> Path | None:
    for folder in [path if path.is_dir() else path.parent, *path.resolve().parents][:5]:
        candidate = folder / "metadata.tsv"
        if candidate.is_file():
            return candidate
    return None


def _read_polnear_metadata(path: Path) -> dict[str, dict[str, str]]:
    rows: dict[str, dict[str, str]] = {}
    with open(path, encoding="utf-8", newline="") as stream:
        for row in csv.DictReader(stream, delimiter="\t", quoting=csv.QUOTE_NONE):
            fields = {
                "outlet": row.get("publisher"),
                "published": row.get("publication_date"),
                "author": row.get("author"),
                "title": row.get("title"),
            }
            rows[row.get("filename") or ""] = {k: v for k, v in fields.items() if v and v != "None"}
    return rows


@layout("polnear", "*.txt")
def read_polnear(name: str, context: ReadContext) -> Iterator[RawInput | InputError]:
    """PolNeAR: article text files, their outlet, date, author and title in a metadata.tsv in
    their folder or one above."""
    path = Path(name)
    size = _size(name)
    found = _find_polnear_metadata(path)
    if found is None:
        yield InputError(name, "no PolNeAR metadata.tsv in its folder or above (is this PolNeAR's layout?)", size)
        return
    if found not in context.metadata_files:
        try:
            context.metadata_files[found] = _read_polnear_metadata(found)
        except (OSError, UnicodeDecodeError, csv.Error) as error:
            yield InputError(str(found), f"cannot be read ({error.__class__.__name__}: {error})", size)
            return
    metadata = context.metadata_files[found].get(path.stem, {})
    for raw in _read_by_suffix(name, context):
        if isinstance(raw, RawInput):
            raw.metadata.update(metadata)
            raw.collection, raw.external_id = "polnear", path.stem
        yield raw


@layout("ptc", "article*.txt")
def read_ptc(name: str, context: ReadContext) -> Iterator[RawInput | InputError]:
    """SemEval-2020 PTC: articleNNN.txt, the title on the first line, then an empty line."""
    match = re.fullmatch(r"article(\d+)\.txt", Path(name).name)
    if match is None:
        yield InputError(name, "not a PTC article (articleNNN.txt expected)", _size(name))
        return
    for raw in _read_by_suffix(name, context):
        if isinstance(raw, RawInput):
            title = (raw.data or b"").split(b"\n", 1)[0].decode("utf-8", "replace").strip()
            if title:
                raw.metadata["title"] = title
            raw.collection, raw.external_id = "ptc", match.group(1)
        yield raw
