"""What `presslens ingest` reads: the inputs `analyze` takes, WARC files, and the layouts of
PolNeAR and PTC with their metadata.

Reading here is cheap (bytes and metadata); decoding, HTML extraction and analysis happen in
the worker processes. Every input becomes a WorkItem, or a Failure that names it.
"""

from __future__ import annotations

import contextlib
import csv
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from presslens.errors import InputError
from presslens.ingest import RawInput
from presslens.ingest.sources import JSONL_SUFFIXES, SUPPORTED_SUFFIXES, iter_path
from presslens.ingest.warc import WarcPage, is_warc, iter_warc

FORMATS = ("auto", "polnear", "ptc")


@dataclass
class WorkItem:
    """One article to be: its raw input, and what the store records beside the Document."""

    raw: RawInput
    weight: int  # bytes of input it accounts for, for the progress bar
    collection: str | None = None
    external_id: str | None = None
    fallback_published: str | None = None  # a WARC's crawl date, when the page gives none


@dataclass
class Failure:
    source: str
    reason: str
    weight: int = 0


def outlet_of(url: str | None) -> str | None:
    """The site of a URL, the way the store names outlets: 'www.nytimes.com' -> 'nytimes.com'."""
    if not url:
        return None
    host = (urlparse(url).hostname or "").lower()
    return host.removeprefix("www.") or None


def _is_input(path: Path) -> bool:
    name = path.name.lower()
    return not name.startswith(".") and (name.endswith(SUPPORTED_SUFFIXES) or is_warc(name))


def expand(paths: Iterable[str], fmt: str = "auto") -> list[str]:
    """The files behind the paths: folders walked recursively for what the format reads.
    Names that do not exist, and '-', are kept, to be reported or read in order."""
    files: list[str] = []
    for name in paths:
        path = Path(name)
        if name == "-" or not path.is_dir():
            files.append(name)
            continue
        if fmt == "ptc":
            found = sorted(p for p in path.rglob("article*.txt") if p.is_file())
        elif fmt == "polnear":
            found = sorted(p for p in path.rglob("*.txt") if p.is_file() and not p.name.startswith("."))
        else:
            found = sorted(p for p in path.rglob("*") if p.is_file() and _is_input(p))
        files.extend(str(p) for p in found) if found else files.append(name)
    return files


def total_bytes(files: Iterable[str]) -> int:
    total = 0
    for name in files:
        with contextlib.suppress(OSError):
            total += Path(name).stat().st_size if name != "-" else 0
    return total


def _size(name: str) -> int:
    return total_bytes([name])


def iter_items(
    files: list[str], fmt: str, max_bytes: int, metadata_cache: dict[Path, dict[str, dict[str, str]]] | None = None
) -> Iterator[WorkItem | Failure]:
    """Work items of the expanded files, in order. ``metadata_cache`` keeps PolNeAR's
    metadata files read between calls (a reader called once per file)."""
    polnear_metadata = metadata_cache if metadata_cache is not None else {}
    for name in files:
        if fmt == "auto" and is_warc(name):
            yield from _warc_items(name, max_bytes)
            continue
        size = _size(name)
        if fmt == "ptc":
            yield from _ptc_items(name, size, max_bytes)
            continue
        if fmt == "polnear":
            yield from _polnear_items(name, size, max_bytes, polnear_metadata)
            continue
        jsonl = name.lower().endswith(JSONL_SUFFIXES) or name == "-"
        for raw in iter_path(name, max_bytes):
            if isinstance(raw, InputError):
                yield Failure(raw.source, raw.reason, size)
                continue
            if "outlet" not in raw.metadata and raw.metadata.get("url"):
                raw.metadata["outlet"] = outlet_of(raw.metadata["url"]) or ""
            # A JSONL line weighs its own length; a file weighs its size.
            weight = len((raw.text or "").encode("utf-8", "replace")) if jsonl else size
            yield WorkItem(raw, weight)


def _warc_items(name: str, max_bytes: int) -> Iterator[WorkItem | Failure]:
    for page in iter_warc(name, max_bytes):
        if isinstance(page, InputError):
            yield Failure(page.source, page.reason)
            continue
        assert isinstance(page, WarcPage)
        outlet = outlet_of(page.raw.metadata.get("url"))
        if outlet:
            page.raw.metadata["outlet"] = outlet
        yield WorkItem(page.raw, page.weight, collection="warc", fallback_published=page.crawled)


def _ptc_items(name: str, size: int, max_bytes: int) -> Iterator[WorkItem | Failure]:
    match = re.fullmatch(r"article(\d+)\.txt", Path(name).name)
    if match is None:
        reason = "no such file or folder" if not Path(name).exists() else "not a PTC article (articleNNN.txt expected)"
        yield Failure(name, reason, size)
        return
    for raw in iter_path(name, max_bytes):
        if isinstance(raw, InputError):
            yield Failure(raw.source, raw.reason, size)
            continue
        # PTC's layout: the title is the first line, then an empty line, then the article.
        title = (raw.data or b"").split(b"\n", 1)[0].decode("utf-8", "replace").strip()
        if title:
            raw.metadata["title"] = title
        yield WorkItem(raw, size, collection="ptc", external_id=match.group(1))


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


def _polnear_items(
    name: str, size: int, max_bytes: int, cache: dict[Path, dict[str, dict[str, str]]]
) -> Iterator[WorkItem | Failure]:
    path = Path(name)
    if not path.exists():
        yield Failure(name, "no such file or folder", size)
        return
    found = _find_polnear_metadata(path)
    if found is None:
        yield Failure(name, "no PolNeAR metadata.tsv in its folder or above (is this PolNeAR's layout?)", size)
        return
    if found not in cache:
        try:
            cache[found] = _read_polnear_metadata(found)
        except (OSError, UnicodeDecodeError, csv.Error) as error:
            yield Failure(str(found), f"cannot be read ({error.__class__.__name__}: {error})", size)
            return
    metadata = cache[found].get(path.stem, {})
    for raw in iter_path(name, max_bytes):
        if isinstance(raw, InputError):
            yield Failure(raw.source, raw.reason, size)
            continue
        raw.metadata.update(metadata)
        yield WorkItem(raw, size, collection="polnear", external_id=path.stem)
