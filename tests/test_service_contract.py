"""The web API's contract: the OpenAPI schema documents every answer (and the answers have
those shapes), the API reads JSON records exactly as JSONL does, the token is checked as
``presslens serve`` promises, and pages come from SQL as the whole list would."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("httpx")

from fastapi.testclient import TestClient
from pydantic import BaseModel

from presslens.corpus.queries import list_actors, search
from presslens.document import Document
from presslens.ingest import IngestOptions, read_documents
from presslens.ingest.records import METADATA_ALIASES
from presslens.service.app import create_app
from presslens.service.models import (
    ActorPage,
    ActorStatements,
    BatchResult,
    ClaimsElsewhere,
    CorpusActor,
    HitPage,
    NarrativePage,
    Outlets,
    Speakers,
    TechniqueProfile,
    Techniques,
)
from presslens.store import Store

from .conftest import LOCAL
from .test_service_api import ARTICLE, build_service_store, echo_pipeline


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_service_store(tmp_path_factory.mktemp("contract") / "corpus.duckdb")


@pytest.fixture(scope="module")
def client(corpus: Path) -> TestClient:
    return TestClient(create_app(corpus, None, 20_000, pipeline_factory=echo_pipeline), base_url=LOCAL)


# --- the schema ------------------------------------------------------------------------------


def test_every_api_operation_documents_its_answer(client: TestClient) -> None:
    schema = client.get("/api/openapi.json").json()
    components = schema["components"]["schemas"]
    operations = [
        (method, path, operation)
        for path, methods in schema["paths"].items()
        if path.startswith("/api/")
        for method, operation in methods.items()
        if method in ("get", "post")
    ]
    assert len(operations) == 18
    for method, path, operation in operations:
        where = f"{method.upper()} {path}"
        answer = operation["responses"]["200"]["content"]["application/json"]["schema"]
        assert "$ref" in answer or answer.get("properties"), (where, answer)
        if "$ref" in answer:
            shape = components[answer["$ref"].rsplit("/", 1)[-1]]
            assert shape.get("properties"), (where, shape)
        errors = {status: r for status, r in operation["responses"].items() if status != "200"}
        assert errors or not (operation.get("parameters") or operation.get("requestBody")), where
        for status, response in errors.items():
            error_schema = response["content"]["application/json"]["schema"]
            assert error_schema == {"$ref": "#/components/schemas/ErrorBody"}, (where, status, error_schema)
            assert response["description"], (where, status)
        if operation.get("parameters"):
            assert "422" in errors, where
    assert set(components["ErrorBody"]["properties"]) == {"error"}
    assert "HTTPValidationError" not in components  # FastAPI's 422 shape is never what this API answers


def test_posts_document_their_bodies_and_the_bearer_token(client: TestClient) -> None:
    schema = client.get("/api/openapi.json").json()
    assert schema["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    one = schema["paths"]["/api/analyze"]["post"]
    assert set(one["requestBody"]["content"]) == {"application/json", "text/plain", "text/html"}
    record = one["requestBody"]["content"]["application/json"]["schema"]["properties"]
    assert {"text", "html"} | {name for names in METADATA_ALIASES.values() for name in names} == set(record)
    batch = schema["paths"]["/api/analyze/batch"]["post"]
    assert "application/x-ndjson" in batch["requestBody"]["content"]
    for operation in (one, batch):
        assert operation["security"] == [{"HTTPBearer": []}]
    assert all("security" not in op for path, ops in schema["paths"].items() for op in ops.values() if "get" in ops)


def _answer_shapes(client: TestClient) -> list[tuple[str, type[BaseModel]]]:
    actor_id = client.get("/api/actors", params={"limit": 1}).json()["items"][0]["id"]
    doc_id = client.get("/api/documents", params={"limit": 1}).json()["items"][0]["doc_id"]
    return [
        ("/api/documents?limit=2", HitPage),
        ("/api/search?q=Rouhani", HitPage),
        (f"/api/documents/{doc_id}", Document),
        ("/api/actors?limit=3", ActorPage),
        (f"/api/actors/{actor_id}", CorpusActor),
        (f"/api/actors/{actor_id}/statements?direction=by", ActorStatements),
        (f"/api/actors/{actor_id}/statements?direction=about", ActorStatements),
        ("/api/outlets", Outlets),
        ("/api/outlets/techniques?by=month", TechniqueProfile),
        ("/api/speakers?per_outlet=true", Speakers),
        ("/api/techniques", Techniques),
        ("/api/narratives?limit=5", NarrativePage),
        (f"/api/documents/{doc_id}/elsewhere", ClaimsElsewhere),
    ]


def test_answers_have_the_documented_shapes(client: TestClient) -> None:
    for url, model in _answer_shapes(client):
        response = client.get(url)
        assert response.status_code == 200, (url, response.text)
        body = response.json()
        model.model_validate(body)
        # Nothing beyond the model either: the schema is the whole answer.
        assert set(body) == set(model.model_fields), url
    batch = client.post(
        "/api/analyze/batch", content=json.dumps({"text": ARTICLE}) + "\n{x", headers={"content-type": "text/plain"}
    )
    assert BatchResult.model_validate(batch.json()).errors[0].line == 2


def test_one_actor_keeps_its_counts_only(client: TestClient) -> None:
    listed = client.get("/api/actors", params={"limit": 1}).json()["items"][0]
    one = client.get(f"/api/actors/{listed['id']}").json()
    assert one == {key: value for key, value in listed.items() if key != "variants"}


# --- JSON records: the fields and aliases of JSONL ---------------------------------------------

VALUES = {
    "url": "https://news.example.org/2016/strike",
    "outlet": "Daily Example",
    "title": "Harbour strike",
    "author": "Jane Roe",
    "published": "2016-03-05",
}
METADATA = ("url", "outlet", "title", "author", "published")


def _record_cases() -> list[tuple[str, dict[str, str]]]:
    cases = []
    for content in ("text", "html"):
        article = ARTICLE if content == "text" else f"<html><body><article><p>{ARTICLE}</p></article></body></html>"
        for key, names in METADATA_ALIASES.items():
            for name in names:
                cases.append((f"{content}+{name}", {content: article, name: VALUES[key]}))
    return cases


def _as_jsonl(record: dict[str, str], folder: Path) -> Document:
    path = folder / "one.jsonl"
    path.write_text(json.dumps(record) + "\n", encoding="utf-8")
    (document,) = read_documents([str(path)], IngestOptions(max_bytes=20_000))
    assert isinstance(document, Document), document
    return document


@pytest.mark.parametrize(("record"), [r for _, r in _record_cases()], ids=[name for name, _ in _record_cases()])
def test_api_reads_every_jsonl_alias(client: TestClient, tmp_path: Path, record: dict[str, str]) -> None:
    from_jsonl = _as_jsonl(record, tmp_path)
    expected = {key: getattr(from_jsonl, key) for key in METADATA}
    named = [key for key, names in METADATA_ALIASES.items() if set(names) & set(record)]
    assert all(expected[key] == VALUES[key] for key in named if key != "outlet" or "url" not in named)
    one = client.post("/api/analyze", json=record)
    assert one.status_code == 200, one.text
    assert {key: one.json()[key] for key in METADATA} == expected
    assert one.json()["text"] == from_jsonl.text
    batch = client.post(
        "/api/analyze/batch", content=json.dumps(record), headers={"content-type": "application/x-ndjson"}
    )
    assert batch.status_code == 200 and batch.json()["errors"] == []
    (document,) = batch.json()["documents"]
    assert {key: document[key] for key in METADATA} == expected


def test_api_reads_a_record_with_every_field(client: TestClient, tmp_path: Path) -> None:
    record = {"html": f"<html><body><article><p>{ARTICLE}</p></article></body></html>", "link": VALUES["url"]}
    record |= {"site": VALUES["outlet"], "headline": VALUES["title"], "byline": VALUES["author"], "date": "2016-03-05"}
    expected = {key: getattr(_as_jsonl(record, tmp_path), key) for key in METADATA}
    assert expected == VALUES
    answer = client.post("/api/analyze", json=record).json()
    assert {key: answer[key] for key in METADATA} == VALUES


def test_api_refuses_what_jsonl_would_convert(client: TestClient) -> None:
    # JSONL joins a list of authors; the API says the field must be a string (as it always has).
    response = client.post("/api/analyze", json={"text": ARTICLE, "authors": ["A", "B"]})
    assert response.status_code == 422 and "authors" in response.json()["error"]


# --- the token ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "status"),
    [
        (None, 401),
        ("Bearer s3cret", 200),
        ("Bearer nope", 401),
        # The scheme is case-insensitive and may be followed by several spaces (RFC 9110 11.1, 11.4).
        ("bearer s3cret", 200),
        ("BEARER s3cret", 200),
        ("Bearer  s3cret", 200),
        ("Bearer S3CRET", 401),
        ("Bearer", 401),
        ("Bearer s3cret2", 401),
        ("Basic s3cret", 401),
        ("s3cret", 401),
        ("Bearer sécret", 401),
    ],
)
def test_token_is_the_bearer_credential(corpus: Path, header: str | None, status: int) -> None:
    guarded = TestClient(create_app(corpus, "s3cret", 20_000, pipeline_factory=echo_pipeline), base_url=LOCAL)
    headers = {"authorization": header.encode()} if header else {}  # bytes: a non-ASCII token is sent as UTF-8
    response = guarded.post("/api/analyze", json={"text": ARTICLE}, headers=headers)
    assert response.status_code == status, response.text
    if status == 401:
        assert response.json() == {"error": "this server needs 'Authorization: Bearer <token>' for POST requests"}


# --- paging in SQL -----------------------------------------------------------------------------


def _pages(fetch: Any, size: int, total: int) -> list[Any]:
    rows: list[Any] = []
    for offset in range(0, total + size, size):
        rows += fetch(size, offset)
    return rows


@pytest.mark.parametrize("text", ["", "trump", '"said"', 'trump "said"', 'Rouhani "weak and"', '"the"'])
@pytest.mark.parametrize("size", [1, 2, 3])
def test_search_pages_are_slices_of_the_whole(corpus: Path, text: str, size: int) -> None:
    with Store(corpus, read_only=True) as store:
        whole = search(store, text, limit=1000)
        paged = _pages(lambda limit, offset: search(store, text, limit=limit, offset=offset), size, len(whole))
    assert whole and paged == whole


def test_search_pages_past_the_phrase_reads(corpus: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from presslens.corpus import queries

    monkeypatch.setattr(queries, "PHRASE_READS", 1)  # the rest of the candidates are scanned in SQL
    with Store(corpus, read_only=True) as store:
        whole = search(store, 'trump "said"', limit=1000)
        paged = _pages(lambda limit, offset: search(store, 'trump "said"', limit=limit, offset=offset), 1, len(whole))
    assert len(whole) > 2 and paged == whole


def test_actor_pages_are_slices_of_the_whole(corpus: Path) -> None:
    with Store(corpus, read_only=True) as store:
        whole = list_actors(store, limit=None)
        paged = _pages(lambda limit, offset: list_actors(store, limit=limit, offset=offset), 2, len(whole))
    assert len(whole) > 4 and paged == whole


def test_api_pages_walk_the_whole_list(client: TestClient) -> None:
    for url, query, size in (("/api/documents", {}, 2), ("/api/actors", {}, 3), ("/api/search", {"q": "trump"}, 1)):
        whole = client.get(url, params={**query, "limit": 200}).json()
        assert len(whole["items"]) > size and whole["next_offset"] is None
        items, offset = [], 0
        while offset is not None:
            page = client.get(url, params={**query, "limit": size, "offset": offset}).json()
            assert page["limit"] == size and page["offset"] == offset and len(page["items"]) <= size
            items += page["items"]
            offset = page["next_offset"]
        assert items == whole["items"], url
