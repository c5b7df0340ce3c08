"""Hostile input, generated (hypothesis): JSONL records, text with control characters and
lone surrogates, HTML, and JSON bodies and query parameters for every API endpoint.

What must hold for every generated input: no traceback and no exception escapes; a refused
input gets one message that names it; exit and HTTP statuses are the documented ones; every
span of what is accepted holds on its text (``text[start:end]``). The examples are
derandomised (the same ones each run) and bounded in number, so CI time stays fixed.
"""

from __future__ import annotations

import json
import re
import string
import uuid
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from presslens.cli import main
from presslens.document import Document
from presslens.errors import InputError, PresslensError
from presslens.ingest import IngestOptions, RawInput, read_documents, to_document
from presslens.ingest.readers import iter_jsonl
from presslens.ingest.records import MAX_JSON_DEPTH, load_json
from presslens.service.app import create_app
from presslens.store import Store

from .conftest import LOCAL
from .store_corpus import build_store

BOUNDED = settings(
    max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
FEW = settings(
    max_examples=12, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

# Text as hostile users send it: any code point (control characters, lone surrogates, NUL,
# right-to-left marks, combining marks) mixed with words, so that some of it is analysed.
WORDS = st.sampled_from(
    ["The", "minister", "said", "the", "plan", "would", "fail", '"', "regime", "(…)", "\n\n", " ", ".", "Iran"]
)
ANY_CHARACTER = st.characters(codec=None, categories=None)  # every code point, surrogates included
HOSTILE_TEXT = st.lists(st.one_of(WORDS, ANY_CHARACTER, st.text(max_size=5)), max_size=60).map("".join)

JSON_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.floats(allow_nan=True, allow_infinity=True),
    HOSTILE_TEXT,
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=6), inner, max_size=4)),
    max_leaves=20,
)
FIELDS = st.sampled_from(["text", "html", "title", "headline", "author", "authors", "date", "url", "outlet", "x"])
RECORDS = st.dictionaries(FIELDS, JSON_VALUES, max_size=6)


def nested(depth: int) -> str:
    return '{"text": "The minister said so.", "x": ' + "[" * depth + "]" * depth + "}"


def huge_number(digits: int) -> str:
    return '{"text": "The minister said the plan would work.", "n": ' + "9" * digits + "}"


# Lines a JSONL file may hold: generated records (some with lone surrogates escaped), and the
# shapes that broke the readers before (deep nesting, a number of thousands of digits).
JSONL_LINES = st.one_of(
    RECORDS.map(lambda r: json.dumps(r, allow_nan=True)),
    JSON_VALUES.map(lambda v: json.dumps(v, allow_nan=True)),
    st.integers(min_value=MAX_JSON_DEPTH - 2, max_value=20_000).map(nested),
    st.integers(min_value=4000, max_value=20_000).map(huge_number),
    st.binary(max_size=40).map(lambda b: b.decode("latin-1")),
)


def spans_hold(document: Document) -> None:
    text = document.text
    for sentence in document.sentences:
        assert text[sentence.start : sentence.end] == sentence.text
    for token in document.tokens:
        assert text[token.start : token.end] == token.text
    for mention in document.entities:
        assert text[mention.start : mention.end] == mention.text
    for actor in document.actors:
        for role in actor.roles:
            assert text[role.start : role.end] == role.text
    for attribution in document.attributions:
        for span in [*attribution.cue, *attribution.source, *attribution.content]:
            assert text[span.start : span.end] == span.text
    for finding in document.techniques:
        assert text[finding.start : finding.end] == finding.text


# --- readers and ingest ---------------------------------------------------------------------


@BOUNDED
@given(st.lists(JSONL_LINES, min_size=1, max_size=6))
def test_jsonl_lines_are_records_or_one_error_naming_their_line(lines: list[str]) -> None:
    data = [line.encode("utf-8", "surrogatepass") for line in lines]
    results = list(iter_jsonl(data, "feed.jsonl", 5_000_000))
    wanted = [number for number, line in enumerate(data, start=1) if line.strip()]
    assert len(results) == len(wanted)
    for number, result in zip(wanted, results, strict=True):
        if isinstance(result, InputError):
            assert result.source == f"feed.jsonl:{number}"
            assert result.reason and "\n" not in result.reason
        else:
            assert isinstance(result, RawInput) and result.source == f"feed.jsonl:{number}"


@BOUNDED
@given(st.integers(min_value=1, max_value=100_000))
def test_nesting_of_any_depth_never_recurses(depth: int) -> None:
    for text in ("[" * depth + "]" * depth, '{"a":' * depth + "1" + "}" * depth, "[" * depth):
        try:
            load_json(text, "body")
        except InputError as error:
            assert error.source == "body"


@BOUNDED
@given(HOSTILE_TEXT, st.booleans(), st.dictionaries(st.sampled_from(["title", "author", "outlet"]), HOSTILE_TEXT))
def test_any_text_becomes_a_document_or_one_input_error(text: str, is_html: bool, metadata: dict[str, str]) -> None:
    raw = RawInput("hostile", text=text, is_html=is_html, metadata=metadata)
    try:
        document = to_document(raw, IngestOptions(english_only=False))
    except InputError as error:
        assert error.source == "hostile" and "\n" not in error.reason
        return
    document.text.encode("utf-8")  # writable: no lone surrogate survives
    assert not CONTROL_CHARACTER.search(document.text)  # nor a NUL or other control character
    for value in (document.title, document.author, document.outlet):
        if value is not None:
            value.encode("utf-8")
            assert not CONTROL_CHARACTER.search(value)
    json.loads(document.to_json())


CONTROL_CHARACTER = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")


HTML_PIECES = st.sampled_from(
    [
        "<html>", "<body>", "<article>", "<p>", "</p>", "<script>alert(1)</script>", "<!--", "-->", "<![CDATA[",
        "<div", ">", "</div>", "<title>", "</title>", "&amp;", "&#0;", "&#xD800;", "&#1114112;", "<meta charset=x>",
        "<svg onload=1>", "<nav>Home</nav>", "<table><tr><td>", "</html>",
    ]
)  # fmt: skip
HOSTILE_HTML = st.lists(st.one_of(HTML_PIECES, WORDS, ANY_CHARACTER), max_size=80).map("".join)


@BOUNDED
@given(HOSTILE_HTML)
def test_any_html_becomes_a_document_or_one_input_error(html: str) -> None:
    for raw in (
        RawInput("page.html", text=html, is_html=True),
        RawInput("page.html", data=html.encode("utf-8", "surrogatepass"), is_html=True),
    ):
        try:
            document = to_document(raw, IngestOptions(english_only=False))
        except InputError as error:
            assert error.source == "page.html"
            continue
        document.text.encode("utf-8")


# --- the CLI, analysing (the real pipeline, loaded once) ---------------------------------


@pytest.fixture(scope="module")
def runner() -> CliRunner:
    return CliRunner()


def analyse_file(runner: CliRunner, path: Path, *args: str) -> tuple[int, list[str], list[Document]]:
    result = runner.invoke(main, ["analyze", str(path), "--format", "jsonl", "--workers", "1", *args])
    if isinstance(result.exception, PresslensError):  # `presslens` (cli.run) prints it as one line
        return 1, [f"presslens: error: {result.exception}"], []
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("presslens: error: ")]
    # JSON Lines end at "\n": str.splitlines would also cut at a U+0085 or U+2028 in the text.
    documents = [Document.model_validate_json(line) for line in result.stdout.split("\n") if line.strip()]
    return result.exit_code, errors, documents


def feed_with_a_good_record_last(folder: Path, lines: list[str]) -> Path:
    good = json.dumps({"text": "The minister said on Monday that the plan would fail.", "title": "Plan"})
    feed = folder / "feed.jsonl"
    feed.write_bytes(b"\n".join(line.encode("utf-8", "surrogatepass") for line in [*lines, good]) + b"\n")
    return feed


@FEW
@given(st.lists(JSONL_LINES, min_size=1, max_size=5))
def test_analyze_reports_each_bad_record_once_and_analyses_the_rest(
    runner: CliRunner, tmp_path: Path, lines: list[str]
) -> None:
    feed = feed_with_a_good_record_last(tmp_path, lines)
    status, errors, documents = analyse_file(runner, feed, "--attribution", "fast", "--any-language")
    assert status in (0, 1)
    assert (status == 1) == bool(errors)
    named = [line.split(": ", 3)[2] for line in errors]
    assert len(named) == len(set(named)), errors  # one message per bad input
    assert all(name.startswith(f"{feed}:") for name in named), errors
    assert documents and documents[-1].title == "Plan"  # the good record after the bad ones
    for document in documents:
        spans_hold(document)


@FEW
@given(HOSTILE_TEXT.filter(lambda t: len(t.split()) >= 3))
def test_analyze_holds_every_span_on_hostile_text(runner: CliRunner, tmp_path: Path, text: str) -> None:
    path = tmp_path / "hostile.txt"
    path.write_bytes(text.encode("utf-8", "surrogatepass"))  # lone surrogates as bytes: not UTF-8
    status, errors, documents = analyse_file(runner, path, "--attribution", "fast", "--any-language")
    assert status in (0, 1)
    if status == 1:
        assert len(errors) == 1 and errors[0].startswith(f"presslens: error: {path}: "), errors
    for document in documents:
        spans_hold(document)


@FEW
@given(st.lists(JSONL_LINES, min_size=1, max_size=5))
def test_ingest_records_each_bad_record_once_and_stores_the_rest(
    runner: CliRunner, tmp_path: Path, lines: list[str]
) -> None:
    feed = feed_with_a_good_record_last(tmp_path, lines)
    store_path = tmp_path / f"store-{uuid.uuid4().hex}.duckdb"
    args = ["ingest", str(feed), "--store", str(store_path), "--skip", "attribution,techniques", "--model", "sm"]
    result = runner.invoke(main, [*args, "--any-language"])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code in (0, 1) and "Traceback" not in result.output
    with Store(store_path, read_only=True) as store:
        sources = [source for source, _, _, _ in store.failures()]
        assert len(sources) == len(set(sources)) and all(s.startswith(f"{feed}:") for s in sources)
        assert (result.exit_code == 1) == bool(sources)
        assert store.query("SELECT count(*) FROM documents WHERE title = 'Plan'") == [(1,)]
        assert store.query(
            "SELECT count(*) FROM mentions m JOIN documents d ON d.id = m.doc_id "
            "WHERE substr(d.text, m.start_char + 1, m.end_char - m.start_char) <> m.text"
        ) == [(0,)]


# --- every API endpoint -------------------------------------------------------------------


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    store = build_store(tmp_path_factory.mktemp("hostile") / "corpus.duckdb")
    return TestClient(
        create_app(store, None, 50_000, pipeline_factory=lambda: lambda document: document), base_url=LOCAL
    )


def answer_is_documented(response: Any, statuses: set[int]) -> None:
    assert response.status_code in statuses, (response.status_code, response.text[:300])
    body = response.json()
    if response.status_code != 200:
        assert set(body) == {"error"} and isinstance(body["error"], str) and "\n" not in body["error"]


@BOUNDED
@given(st.one_of(RECORDS, JSON_VALUES))
def test_analyze_endpoint_answers_any_json_body(client: TestClient, body: Any) -> None:
    data = json.dumps(body, allow_nan=True).encode("utf-8", "surrogatepass")
    response = client.post("/api/analyze", content=data, headers={"content-type": "application/json"})
    answer_is_documented(response, {200, 400, 413, 422})
    if response.status_code == 200:
        document = Document.model_validate_json(response.text)
        spans_hold(document)


@BOUNDED
@given(st.lists(JSONL_LINES, min_size=1, max_size=5))
def test_batch_endpoint_answers_any_lines(client: TestClient, lines: list[str]) -> None:
    data = "\n".join(lines).encode("utf-8", "surrogatepass")
    response = client.post("/api/analyze/batch", content=data, headers={"content-type": "application/x-ndjson"})
    answer_is_documented(response, {200, 400, 413})
    if response.status_code == 200:
        body = response.json()
        assert len(body["documents"]) + len(body["errors"]) == sum(1 for line in data.split(b"\n") if line.strip())


@BOUNDED
@given(st.integers(min_value=100, max_value=50_000))
def test_deeply_nested_bodies_are_400_not_500(client: TestClient, depth: int) -> None:
    response = client.post("/api/analyze", content=nested(depth), headers={"content-type": "application/json"})
    answer_is_documented(response, {400, 413})


PARAMETER = st.one_of(HOSTILE_TEXT, st.integers().map(str), st.sampled_from(["", "0", "-1", "2016-02-30", "1e999"]))
GET_ENDPOINTS = [
    ("/api/documents", ["since", "until", "outlet", "limit", "offset", "technique", "actor", "q"]),
    ("/api/documents/{id}", []),
    ("/api/search", ["q", "since", "until", "outlet", "limit"]),
    ("/api/actors", ["kind", "limit", "offset", "q"]),
    ("/api/actors/{id}", []),
    ("/api/actors/{id}/statements", ["about", "since", "until", "outlet", "limit"]),
    ("/api/speakers", ["outlet", "limit", "since", "until"]),
    ("/api/outlets", ["since", "until"]),
    ("/api/outlets/techniques", ["by", "since", "until", "outlet"]),
    ("/api/techniques", []),
]


@BOUNDED
@given(
    st.sampled_from(GET_ENDPOINTS),
    st.dictionaries(st.text(string.ascii_lowercase, max_size=8), PARAMETER, max_size=4),
    PARAMETER,
    st.data(),
)
def test_every_get_endpoint_answers_any_parameters(
    client: TestClient, endpoint: tuple[str, list[str]], extra: dict[str, str], path_value: str, data: st.DataObject
) -> None:
    template, names = endpoint
    known = data.draw(st.dictionaries(st.sampled_from(names), PARAMETER, max_size=3)) if names else {}
    url = template.replace("{id}", path_value.encode("utf-8", "surrogatepass").hex()[:20] or "0")
    given = {**extra, **known}
    parameters = {k: v.encode("utf-8", "surrogatepass").decode("utf-8", "replace") for k, v in given.items()}
    response = client.get(url, params=parameters)
    answer_is_documented(response, {200, 400, 404, 422})


# --- control characters and mixed encodings: removed or decoded per line, with a warning ---

NUL_RECORD = {"text": "The minister\x00 said the port would\x07 close on Tuesday.", "title": "Port\x00 closes"}


def test_control_characters_are_removed_with_a_warning_in_the_cli(tmp_path: Path) -> None:
    path = tmp_path / "nul.jsonl"
    path.write_text(json.dumps(NUL_RECORD) + "\n", encoding="utf-8")
    [document] = [d for d in read_documents([str(path)]) if isinstance(d, Document)]
    assert "\x00" not in document.text and "\x07" not in document.text
    assert document.text == "The minister said the port would close on Tuesday."
    assert document.title == "Port closes"
    assert any("3 control character(s) removed" in w for w in document.warnings), document.warnings


def test_control_characters_are_removed_with_a_warning_in_the_api(client: TestClient) -> None:
    response = client.post("/api/analyze", json=NUL_RECORD)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["text"] == "The minister said the port would close on Tuesday." and body["title"] == "Port closes"
    assert any("control character(s) removed" in w for w in body["warnings"])


def test_mixed_utf8_and_cp1252_lines_are_decoded_per_line(tmp_path: Path) -> None:
    utf8 = "Café owner Zoë Müller said the port would close.".encode()
    cp1252 = "The minister’s plan “will fail”, the union said.".encode("cp1252")
    path = tmp_path / "mixed.txt"
    path.write_bytes(utf8 + b"\n" + cp1252 + b"\n" + b"Workers gathered at the gates on Tuesday morning.\n")
    [document] = list(read_documents([str(path)]))
    assert isinstance(document, Document), document
    assert "Café owner Zoë Müller" in document.text and "minister’s plan “will fail”" in document.text
    assert "Ã" not in document.text
    assert any(w.startswith("mixed encodings: 1 line(s) decoded as cp1252") for w in document.warnings)
