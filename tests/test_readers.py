"""The input readers: one registry by suffix and layout, JSON records with every field alias,
WARC files read by `analyze` as by `ingest`, and damaged WARC files as one error line."""

from __future__ import annotations

import gzip
import io
import json
import pickle
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from presslens.document import Document
from presslens.errors import InputError
from presslens.ingest import RawInput, read_documents, read_inputs
from presslens.ingest.readers import (
    LAYOUTS,
    SUFFIX_READERS,
    ReadContext,
    expand_paths,
    formats,
    holds_many,
    iter_inputs,
    reads,
    supported_suffixes,
)
from presslens.ingest.records import METADATA_ALIASES, raw_input_from_record

from .conftest import EXAMPLES
from .html_pages import article_html
from .test_cli import presslens

GZIP_MAGIC = b"\x1f\x8b"

HERALD = "https://www.valdoria-herald.example/politics/budget"
NEWS = "https://news.example.org/a/2"


def write_warc(path: Path) -> None:
    """Two HTML pages (HTTP 200), a 404 page and a request record."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    budget = json.loads((EXAMPLES / "two-articles.jsonl").read_text(encoding="utf-8").splitlines()[0])
    title, minister = (EXAMPLES / "minister-warns.txt").read_text(encoding="utf-8").split("\n", 1)
    pages = [
        (HERALD, "200 OK", article_html(budget["title"], budget["text"])),
        (NEWS, "200 OK", article_html(title, minister)),
        ("https://news.example.org/gone", "404 Not Found", article_html("Not found", minister)),
    ]
    with open(path, "wb") as stream:
        writer = WARCWriter(stream, gzip=path.name.endswith(".gz"))
        writer.write_record(writer.create_warc_record(HERALD, "request", payload=io.BytesIO(b"GET / HTTP/1.1\r\n\r\n")))
        for url, status, body in pages:
            headers = StatusAndHeaders(status, [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
            record = writer.create_warc_record(
                url,
                "response",
                payload=io.BytesIO(body),
                http_headers=headers,
                warc_headers_dict={"WARC-Date": "2026-04-02T08:30:00Z"},
            )
            writer.write_record(record)


# --- the registry -------------------------------------------------------------------------


def test_registry_lists_each_suffix_once_and_every_layout() -> None:
    suffixes = supported_suffixes()
    assert len(suffixes) == len(set(suffixes))
    assert set(suffixes) == {
        ".txt",
        ".html",
        ".htm",
        ".html.gz",
        ".htm.gz",
        ".jsonl",
        ".jsonl.gz",
        ".ndjson",
        ".warc",
        ".warc.gz",
    }
    assert set(SUFFIX_READERS) == {*suffixes, "-"}
    assert set(LAYOUTS) == {"polnear", "ptc"}
    assert formats() == ("auto", "polnear", "ptc")
    assert [name for name in ("a.txt", "a.jsonl", "a.warc.gz", "-", "a.html.gz") if holds_many(name)] == [
        "a.jsonl",
        "a.warc.gz",
        "-",
    ]


def test_a_suffix_cannot_be_registered_twice() -> None:
    def read_again(name: str, context: ReadContext) -> Iterator[RawInput | InputError]:
        yield RawInput(name)

    with pytest.raises(ValueError, match=r"'\.warc\.gz'"):
        reads(".WARC.GZ")(read_again)
    assert SUFFIX_READERS[".warc.gz"].read is not read_again


def test_folders_are_expanded_by_suffix_or_layout(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    for name in ("a.txt", "sub/crawl.warc.gz", "sub/article7.txt", "notes.md", ".hidden.txt", "b.jsonl"):
        (tmp_path / name).write_bytes(b"x")
    assert [Path(p).relative_to(tmp_path).as_posix() for p in expand_paths([str(tmp_path)])] == [
        "a.txt",
        "b.jsonl",
        "sub/article7.txt",
        "sub/crawl.warc.gz",
    ]
    assert [Path(p).name for p in expand_paths([str(tmp_path)], "ptc")] == ["article7.txt"]
    assert [Path(p).name for p in expand_paths([str(tmp_path)], "polnear")] == ["a.txt", "article7.txt"]
    empty = tmp_path / "empty"
    empty.mkdir()
    assert expand_paths([str(empty), "-", "missing"]) == [str(empty), "-", "missing"]


def test_input_error_keeps_its_fields_through_pickle() -> None:
    error = pickle.loads(pickle.dumps(InputError("a.txt", "empty input", 12)))
    assert (error.source, error.reason, error.weight, str(error)) == ("a.txt", "empty input", 12, "a.txt: empty input")


# --- JSON records -------------------------------------------------------------------------


@pytest.mark.parametrize(("field", "alias"), [(f, a) for f, aliases in METADATA_ALIASES.items() for a in aliases])
def test_record_accepts_every_alias(field: str, alias: str) -> None:
    raw = raw_input_from_record({"text": "Some words here.", alias: "value"}, "feed.jsonl:1")
    assert raw.metadata == {field: "value"}
    assert (raw.source, raw.text, raw.is_html) == ("feed.jsonl:1", "Some words here.", False)


def test_record_aliases_the_first_found_wins_and_lists_are_joined() -> None:
    record = {"html": "<p>x</p>", "date": "2026-01-02", "published": "2026-01-01", "authors": ["A. B", "C. D"]}
    raw = raw_input_from_record(record, "s")
    assert raw.is_html is True and raw.text == "<p>x</p>"
    assert raw.metadata == {"published": "2026-01-01", "author": "A. B, C. D"}
    assert raw_input_from_record({"text": "words", "html": "<p>x</p>"}, "s").is_html is False


@pytest.mark.parametrize(
    "record",
    [{"title": "no body"}, {"text": "   ", "html": ""}, {"text": 5}, {"html": None, "url": "https://a.example"}],
)
def test_record_without_text_or_html_is_refused_in_one_line(record: dict[str, object]) -> None:
    with pytest.raises(InputError) as caught:
        raw_input_from_record(record, "feed.jsonl:3")
    assert caught.value.source == "feed.jsonl:3"
    assert "'text'" in caught.value.reason and "'html'" in caught.value.reason
    assert "\n" not in str(caught.value)


def test_record_that_is_not_an_object_is_refused() -> None:
    with pytest.raises(InputError, match="not a JSON object"):
        raw_input_from_record([1, 2], "s")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("record", "words"),
    [
        ({"text": "a", "html": "b"}, "exactly one"),
        ({"text": 5}, "must be a string"),
        ({"text": "words", "headline": ["x"]}, "'headline' must be a string"),
        ({"title": "no text"}, "'text'"),
    ],
)
def test_strict_records_refuse_what_a_jsonl_file_lets_pass(record: dict[str, object], words: str) -> None:
    with pytest.raises(InputError, match=words):
        raw_input_from_record(record, "<api>", strict=True)


def test_strict_record_keeps_the_aliases() -> None:
    raw = raw_input_from_record({"html": "<p>x</p>", "site": "Herald", "date": "2026-01-02"}, "<api>", strict=True)
    assert raw.is_html is True and raw.metadata == {"outlet": "Herald", "published": "2026-01-02"}


# --- WARC files ---------------------------------------------------------------------------


def test_warc_pages_as_inputs(tmp_path: Path) -> None:
    path = tmp_path / "crawl.warc.gz"
    write_warc(path)
    inputs = list(iter_inputs([str(tmp_path)]))
    assert all(isinstance(i, RawInput) for i in inputs), inputs
    assert [(i.metadata, i.collection, i.fallback_published) for i in inputs if isinstance(i, RawInput)] == [
        ({"url": HERALD, "outlet": "valdoria-herald.example"}, "warc", "2026-04-02"),
        ({"url": NEWS, "outlet": "news.example.org"}, "warc", "2026-04-02"),
    ]
    assert sum(i.weight for i in inputs if isinstance(i, RawInput)) <= path.stat().st_size


def test_analyze_reads_a_warc(tmp_path: Path) -> None:
    crawl = tmp_path / "crawl.warc.gz"
    write_warc(crawl)
    out = tmp_path / "out.json"
    result = presslens("analyze", str(crawl), "--format", "json", "--out", str(out), "--model", "sm")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    documents = json.loads(out.read_text(encoding="utf-8"))  # a WARC holds many: a JSON list
    assert [(d["url"], d["outlet"], d["published"]) for d in documents] == [
        (HERALD, "valdoria-herald.example", "2026-04-02"),
        (NEWS, "news.example.org", "2026-04-02"),
    ]
    assert documents[0]["title"] == "Budget passes after all-night session"
    assert "Elena Marsh" in documents[1]["text"]
    assert all(d["source"].startswith(f"{crawl}@") for d in documents)


def test_analyze_reads_a_folder_with_a_warc(tmp_path: Path) -> None:
    write_warc(tmp_path / "crawl.warc")
    (tmp_path / "a.txt").write_text((EXAMPLES / "minister-warns.txt").read_text(encoding="utf-8"), encoding="utf-8")
    result = presslens("analyze", str(tmp_path), "--format", "jsonl", "--model", "sm")
    assert result.returncode == 0, result.stderr
    documents = [json.loads(line) for line in result.stdout.splitlines()]
    assert [d["url"] for d in documents] == [None, HERALD, NEWS]
    assert "3 analysed, 0 failed" in result.stderr


def damaged_warcs(folder: Path) -> dict[str, Path]:
    whole = folder / "whole.warc.gz"
    write_warc(whole)
    data = whole.read_bytes()
    cut = folder / "cut.warc.gz"
    cut.write_bytes(data[: len(data) // 2])  # an interrupted download
    garbage = folder / "garbage.warc.gz"
    garbage.write_bytes(gzip.compress(b"this is not a crawl, only some words\n" * 20))
    plain = folder / "plain.warc"
    plain.write_bytes(b"hello, this is not a warc either\n" * 10)
    not_gzip = folder / "broken.warc.gz"
    not_gzip.write_bytes(b"\x1f\x8b" + bytes(range(200)))
    whole.unlink()
    return {"cut": cut, "garbage": garbage, "plain": plain, "not_gzip": not_gzip}


def test_damaged_warc_is_one_error(tmp_path: Path) -> None:
    for kind, path in damaged_warcs(tmp_path).items():
        results = list(read_documents([str(path)]))
        errors = [r for r in results if isinstance(r, InputError)]
        assert len(errors) == 1, (kind, results)
        assert errors[0].source == str(path) and "\n" not in str(errors[0]), kind
        assert "WARC" in errors[0].reason, (kind, errors[0].reason)
        # What comes before the damage is kept: the first page of the cut-off file.
        assert sum(isinstance(r, Document) for r in results) == (1 if kind == "cut" else 0), (kind, results)


@pytest.mark.parametrize("name", ["cut.warc", "cut.warc.gz"])
def test_a_truncated_warc_record_is_a_failure_never_a_page(tmp_path: Path, name: str) -> None:
    """A file cut at any byte: every page read is whole (never the first part of one stored
    as an article), and a cut inside a record is one failure naming its offset."""
    whole_path = tmp_path / ("whole" + name.removeprefix("cut"))
    write_warc(whole_path)
    data = whole_path.read_bytes()
    pages = {raw.metadata["url"]: raw.data for raw in read_inputs(str(whole_path)) if isinstance(raw, RawInput)}
    # Where records end: a cut there leaves a whole, shorter WARC.
    from warcio.archiveiterator import ArchiveIterator

    with open(whole_path, "rb") as stream:
        records = ArchiveIterator(stream)
        ends = {0}
        for _ in records:
            end = records.get_record_offset() + records.get_record_length()
            ends.update(range(end, end + 5))  # a record, then the blank lines that close it
    step = 7 if name.endswith(".gz") else 53
    path = tmp_path / name
    for cut in range(1, len(data), step):
        path.write_bytes(data[:cut])
        results = list(read_inputs(str(path)))
        read = [r for r in results if isinstance(r, RawInput)]
        failures = [r for r in results if isinstance(r, InputError)]
        for raw in read:
            assert raw.data == pages[raw.metadata["url"]], (cut, "a partial page")
        if cut in ends:
            continue
        assert len(failures) == 1, (cut, results)
        reason = failures[0].reason
        assert "\n" not in reason and failures[0].source == str(path)
        if cut < len(b"WARC/") or (name.endswith(".gz") and cut < len(GZIP_MAGIC)):
            assert reason == "not a WARC file (it does not begin with a 'WARC/' record)", (cut, reason)
        elif name.endswith(".gz") and cut < 64:  # too little to unzip the first bytes, 'WARC/'
            assert reason == "not a readable WARC file (the compressed data ends early: a cut-off download?)", (
                cut,
                reason,
            )
        else:
            found = re.fullmatch(
                r"truncated WARC record at offset (\d+) \(the file is cut off: an interrupted download\?\)", reason
            )
            assert found is not None and int(found.group(1)) < cut, (cut, reason)


def test_analyze_of_a_damaged_warc_is_one_line(tmp_path: Path) -> None:
    paths = damaged_warcs(tmp_path)
    for path in (paths["garbage"], paths["not_gzip"]):
        result = presslens("analyze", str(path), "--format", "jsonl", "--model", "sm")
        assert result.returncode == 1
        assert "Traceback" not in result.stderr and "WARNING" not in result.stderr
        lines = result.stderr.strip().splitlines()
        assert lines == [f"presslens: error: {path}: {lines[0].split(': ', 3)[-1]}"], result.stderr
        assert "WARC" in lines[0]


def test_a_readers_bug_is_one_failure_and_the_batch_goes_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """One function turns raw inputs into documents or failures, for one process and for the
    workers alike: an exception of a reader becomes that input's failure, naming it."""
    import presslens.ingest as ingest

    (tmp_path / "a.txt").write_text("The minister said the plan would go ahead on Monday. " * 3, encoding="utf-8")
    (tmp_path / "b.txt").write_text("The union said the strike would last a week, whatever the minister says. " * 3)
    real = ingest.to_document

    def broken_for_b(raw: RawInput, options: ingest.IngestOptions) -> Document:
        if raw.source.endswith("b.txt"):
            raise KeyError("charset")
        return real(raw, options)

    monkeypatch.setattr(ingest, "to_document", broken_for_b)
    results = list(read_documents([str(tmp_path)]))
    assert [type(r) for r in results] == [Document, InputError]
    failure = results[1]
    assert isinstance(failure, InputError) and failure.source.endswith("b.txt")
    assert "cannot be read (KeyError" in failure.reason


# --- lines past the limit: bounded memory -------------------------------------------------


def write_line_bomb(path: Path, expanded_mb: int) -> None:
    """A .jsonl.gz whose first line expands to ``expanded_mb`` MB (gzip members of 16 MB of
    one letter each, a few kB compressed), then a good record."""
    letters = gzip.compress(b"a" * (16 << 20), compresslevel=9)
    with open(path, "wb") as stream:
        stream.write(gzip.compress(b'{"text": "'))
        for _ in range(expanded_mb // 16):
            stream.write(letters)
        good = json.dumps({"text": "The minister said the port would close on Tuesday."})
        stream.write(gzip.compress(b'"}\n' + good.encode() + b"\n"))


def test_a_line_bomb_is_read_in_bounded_memory(tmp_path: Path) -> None:
    """4 GB in one line of a 4 MB file, read under a 1.5 GB address-space cap: reading stops
    at the limit with one failure naming the line (the old reader read the line whole)."""
    bomb = tmp_path / "bomb.jsonl.gz"
    write_line_bomb(bomb, 4096)
    assert bomb.stat().st_size < 8_000_000
    script = (
        "import json, resource, sys\n"
        "resource.setrlimit(resource.RLIMIT_AS, (1536 << 20, 1536 << 20))\n"
        "from presslens.ingest.readers import ReadContext, read_inputs\n"
        "for item in read_inputs(sys.argv[1], ReadContext(1_000_000)):\n"
        "    print(json.dumps([type(item).__name__, item.source, getattr(item, 'reason', '')]))\n"
    )
    done = subprocess.run([sys.executable, "-c", script, str(bomb)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    items = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(items) == 1, items
    kind, source, reason = items[0]
    assert kind == "InputError" and source == f"{bomb}:1"
    assert "over the 1 MB limit" in reason and "the rest of the file is not read" in reason


def test_a_long_line_is_skipped_and_the_next_read(tmp_path: Path) -> None:
    path = tmp_path / "long.jsonl.gz"
    write_line_bomb(path, 16)  # 16 MB: under the skip budget of a 1 MB limit
    items = list(read_inputs(str(path), ReadContext(1_000_000)))
    assert [type(i).__name__ for i in items] == ["InputError", "RawInput"], items
    assert isinstance(items[0], InputError) and items[0].source == f"{path}:1"
    assert "over the 1 MB limit" in items[0].reason and "rest" not in items[0].reason
    assert isinstance(items[1], RawInput) and items[1].source == f"{path}:2"


def test_analyze_of_a_line_bomb_is_one_line(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.jsonl.gz"
    write_line_bomb(bomb, 512)
    result = presslens("analyze", str(bomb), "--max-bytes", "1000000", "--model", "sm", "--format", "jsonl")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and f"{bomb}:1" in lines[0] and "the rest of the file is not read" in lines[0], lines


# --- nothing skipped without a word -------------------------------------------------------


def _refuse_listing(monkeypatch: pytest.MonkeyPatch, refused: Path) -> None:
    """Make ``refused`` a folder that cannot be listed (chmod cannot: tests may run as root)."""
    import os

    scandir = os.scandir

    def guarded(path: object = ".") -> object:
        if Path(os.fsdecode(path)).resolve() == refused.resolve():  # type: ignore[arg-type]
            raise PermissionError(13, "Permission denied", os.fsdecode(path))  # type: ignore[arg-type]
        return scandir(path)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "scandir", guarded)


def test_an_unreadable_subfolder_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "a.txt").write_text("The minister said the port would close on Tuesday.", encoding="utf-8")
    locked = tmp_path / "locked"
    locked.mkdir()
    (locked / "b.txt").write_text("The union said the strike would go on.", encoding="utf-8")
    _refuse_listing(monkeypatch, locked)
    assert expand_paths([str(tmp_path)]) == [str(tmp_path / "a.txt"), str(locked)]
    results = list(read_documents([str(tmp_path)]))
    assert isinstance(results[0], Document)
    assert isinstance(results[1], InputError) and results[1].source == str(locked)
    assert results[1].reason.startswith("folder cannot be read (PermissionError")


def test_a_folder_whose_only_subfolder_is_unreadable_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    _refuse_listing(monkeypatch, locked)
    results = list(read_documents([str(tmp_path)]))
    assert len(results) == 1 and isinstance(results[0], InputError)
    assert results[0].source == str(locked) and "folder cannot be read" in results[0].reason
