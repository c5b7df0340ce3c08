"""Ingest: formats, metadata, debris cleaning, and every kind of bad input."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from presslens.document import Document
from presslens.errors import InputError
from presslens.ingest import IngestOptions, read_documents
from presslens.ingest.clean import clean_text

ARTICLE = (
    "Council Votes on Harbour Plan\n\n"
    "The city council of Calvetta voted on Monday to expand the harbour, after months of debate. "
    "The mayor, Anna Berg, said the plan would bring jobs to the region and make the port safer for "
    "the workers who use it every day. Critics said the cost was far too high for a small city.\n"
)
GERMAN = (
    "Der Stadtrat hat am Montag beschlossen, den Hafen zu erweitern. Die Bürgermeisterin sagte, "
    "der Plan werde Arbeitsplätze in die Region bringen und den Hafen sicherer machen.\n"
)


def _one(path: Path | str, options: IngestOptions | None = None) -> Document | InputError:
    options = options or IngestOptions()
    results = list(read_documents([str(path)], options))
    assert len(results) == 1, results
    return results[0]


def _error(path: Path | str, options: IngestOptions | None = None) -> InputError:
    result = _one(path, options)
    assert isinstance(result, InputError), result
    assert str(path) in str(result)  # the message names the input
    assert "\n" not in str(result)  # and is one line
    return result


def test_plain_text(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text(ARTICLE, encoding="utf-8")
    document = _one(path)
    assert isinstance(document, Document)
    assert document.title == "Council Votes on Harbour Plan"
    assert document.language == "en"
    assert document.id == Document.id_for(document.text)
    assert document.source == str(path)


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.txt"
    path.write_bytes(b"")
    assert "empty" in _error(path).reason
    path.write_text("  \n\n \t\n", encoding="utf-8")
    assert "empty" in _error(path).reason


def test_binary_file(tmp_path: Path) -> None:
    path = tmp_path / "photo.txt"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    assert "PNG" in _error(path).reason
    path = tmp_path / "blob.txt"
    path.write_bytes(bytes(range(256)) * 8)
    assert "binary" in _error(path).reason


def test_non_utf8_text_is_decoded(tmp_path: Path) -> None:
    text = ARTICLE.replace("Berg", "Bérgé").replace("debate", "débat – «fierce»")
    path = tmp_path / "latin.txt"
    path.write_bytes(text.encode("cp1252"))
    document = _one(path)
    assert isinstance(document, Document)
    assert "Bérgé" in document.text and "«fierce»" in document.text
    assert any("not UTF-8" in w for w in document.warnings)


def test_utf16_with_bom(tmp_path: Path) -> None:
    path = tmp_path / "wide.txt"
    path.write_bytes(ARTICLE.encode("utf-16"))
    document = _one(path)
    assert isinstance(document, Document)
    assert "Anna Berg" in document.text


def test_size_limit(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_text(ARTICLE * 50, encoding="utf-8")
    error = _error(path, IngestOptions(max_bytes=1000))
    assert "limit" in error.reason
    assert isinstance(_one(path, IngestOptions(max_bytes=10**6)), Document)


def test_size_limit_on_compressed_html(tmp_path: Path) -> None:
    path = tmp_path / "big.html.gz"
    path.write_bytes(gzip.compress(("<html><body>" + "<p>x</p>" * 10_000 + "</body></html>").encode()))
    assert "limit" in _error(path, IngestOptions(max_bytes=5000)).reason


def test_not_english(tmp_path: Path) -> None:
    path = tmp_path / "de.txt"
    path.write_text(GERMAN, encoding="utf-8")
    error = _error(path)
    assert "not English" in error.reason and "'de'" in error.reason
    document = _one(path, IngestOptions(english_only=False))
    assert isinstance(document, Document)
    assert document.language == "de"
    assert any("not English" in w for w in document.warnings)


def test_missing_path(tmp_path: Path) -> None:
    assert "no such file" in _error(tmp_path / "nope.txt").reason


def test_empty_folder(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    assert "no supported files" in _error(tmp_path / "empty").reason


def test_broken_html(tmp_path: Path) -> None:
    path = tmp_path / "broken.html"
    path.write_text("<html><body><div><p>" + ARTICLE.replace("\n", " ") + "<p><b>unclosed <i>tags", encoding="utf-8")
    document = _one(path)
    assert isinstance(document, Document)
    assert "Anna Berg" in document.text
    path.write_text("<html><head><title>x</title><body><div><<<>>>", encoding="utf-8")
    assert "no article text" in _error(path).reason


def test_html_metadata(tmp_path: Path) -> None:
    body = "".join(f"<p>{p}</p>" for p in ARTICLE.split("\n\n")[1:])
    html = (
        "<html><head><title>Council Votes on Harbour Plan | Calvetta Post</title>"
        '<meta name="author" content="Lena Ortiz"><meta property="og:site_name" content="Calvetta Post">'
        '<meta property="article:published_time" content="2026-03-02T10:00:00Z"></head>'
        f"<body><nav>Home | News</nav><article><h1>Council Votes on Harbour Plan</h1>{body}</article>"
        "<footer>All rights reserved.</footer></body></html>"
    )
    path = tmp_path / "page.html.gz"
    path.write_bytes(gzip.compress(html.encode("utf-8")))
    document = _one(path)
    assert isinstance(document, Document)
    assert document.title == "Council Votes on Harbour Plan"
    assert document.author == "Lena Ortiz"
    assert document.published == "2026-03-02"
    assert document.outlet == "Calvetta Post"
    assert "Anna Berg" in document.text
    assert "All rights reserved" not in document.text


def test_jsonl_records_and_bad_lines(tmp_path: Path) -> None:
    path = tmp_path / "batch.jsonl"
    lines = [
        json.dumps({"text": ARTICLE, "url": "https://www.calvetta-post.example/a", "date": "2026-01-02"}),
        "{not json",
        json.dumps({"title": "no body"}),
        json.dumps(["a", "list"]),
        json.dumps({"html": "<html><body><article><p>" + ARTICLE + "</p></article></body></html>", "site": "X"}),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    results = list(read_documents([str(path)]))
    assert [type(r).__name__ for r in results] == ["Document", "InputError", "InputError", "InputError", "Document"]
    first, last = results[0], results[-1]
    assert isinstance(first, Document) and isinstance(last, Document)
    assert first.outlet == "calvetta-post.example" and first.published == "2026-01-02"
    assert first.url == "https://www.calvetta-post.example/a"
    assert last.outlet == "X"
    assert [r.source for r in results if isinstance(r, InputError)] == [f"{path}:2", f"{path}:3", f"{path}:4"]


def test_folder_is_walked_and_batch_goes_on(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "a.txt").write_text(ARTICLE, encoding="utf-8")
    (tmp_path / "sub" / "b.txt").write_text(ARTICLE.replace("Anna", "Ines"), encoding="utf-8")
    (tmp_path / "sub" / "c.txt").write_bytes(b"")
    (tmp_path / "notes.md").write_text("ignored", encoding="utf-8")
    results = list(read_documents([str(tmp_path)]))
    assert [type(r).__name__ for r in results] == ["Document", "Document", "InputError"]


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("Exit mobile version", "site furniture"),
        ("Share this article", "site furniture"),
        ("We use cookies to improve your experience.", "site furniture"),
        ("Home › Politics › Council Votes on Harbour Plan", "breadcrumb"),
    ],
)
def test_debris_lines_removed(line: str, reason: str) -> None:
    cleaned = clean_text(line + "\n" + ARTICLE + "\nShare on Facebook\nTweet\n")
    assert cleaned.text == ARTICLE.strip("\n")
    assert cleaned.removed[0].text == line and cleaned.removed[0].reason == reason
    assert cleaned.removed[0].original_start == 0
    assert cleaned.title == "Council Votes on Harbour Plan"


def test_prose_that_looks_like_debris_is_kept() -> None:
    text = (
        "Home Secretary Priti Patel said the plan was sound.\n\nShare prices fell sharply on Monday after the vote.\n"
    )
    assert clean_text(text).text == text.strip("\n")
