"""The web API (presslens.service): every endpoint, over the hand-made corpus of
tests/store_corpus.py, and bad input of every kind: a 4xx with a message, never a 500."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("httpx")

from fastapi.testclient import TestClient

from presslens.document import Document
from presslens.service.app import CSP, create_app
from presslens.store import Store

from .conftest import LOCAL
from .narrative_corpus import build_narrative_store, ids
from .store_corpus import DOC1, DOC3, DOCUMENTS, A, Q, make_document

# A hostile article: its text, title, author, outlet and URL carry script payloads.
XSS_TEXT = (
    'Jane Doe said "<script>window.__xss=1</script> is fine". Critics called it '
    '<img src=x onerror="window.__xss=2"> a disgrace. <a href="javascript:window.__xss=3">click</a> '
    "<b onmouseover=window.__xss=4>broken <i <svg/onload=window.__xss=9>"
)


def xss_document() -> Document:
    document = make_document(
        XSS_TEXT,
        outlet="<b>evil</b>-news",
        published="2016-03-05",
        actors=[A("A1", "person", "Jane Doe", ["Jane Doe"])],
        quotes=[Q("Q1", "A1", "Jane Doe", "said", '"<script>window.__xss=1</script> is fine"', "direct")],
        techniques=[('<img src=x onerror="window.__xss=2"> a disgrace', "Loaded_Language")],
    )
    document.title = "<script>window.__xss=5</script><img src=x onerror=window.__xss=6>"
    document.author = "<svg onload=window.__xss=7>"
    document.url = "javascript:window.__xss=8"
    return document


XSS_DOC = xss_document()


def build_service_store(path: Path) -> Path:
    with Store(path) as store:
        for document in [*DOCUMENTS, XSS_DOC]:
            assert store.add(document)
        store.resolve_actors()
    return path


def echo_pipeline() -> object:
    """Stands in for the models: the API's handling of input is what is tested here."""
    return lambda document: document


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_service_store(tmp_path_factory.mktemp("service") / "corpus.duckdb")


@pytest.fixture(scope="module")
def client(corpus: Path) -> TestClient:
    return TestClient(create_app(corpus, None, 20_000, pipeline_factory=echo_pipeline), base_url=LOCAL)


def error_of(response: object, status: int) -> str:
    assert response.status_code == status, (response.status_code, response.text)  # type: ignore[attr-defined]
    message = response.json()["error"]  # type: ignore[attr-defined]
    assert isinstance(message, str) and message
    return message


# --- the page, headers, schema -----------------------------------------------------------


def test_index_and_assets_carry_security_headers(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert page.headers["content-security-policy"] == CSP
    assert page.headers["x-content-type-options"] == "nosniff"
    assert '<script src="/static/app.js"' in page.text and "http" not in page.text.replace("http-equiv", "")
    script = client.get("/static/app.js")
    assert script.status_code == 200 and "javascript" in script.headers["content-type"]
    assert "innerHTML" not in script.text and "//cdn" not in script.text
    assert client.get("/static/app.css").status_code == 200
    assert client.get("/static/nothing.js").status_code == 404


def test_openapi_documents_every_endpoint(client: TestClient) -> None:
    paths = client.get("/api/openapi.json").json()["paths"]
    for path in (
        "/api/analyze",
        "/api/analyze/batch",
        "/api/documents",
        "/api/documents/{doc_id}",
        "/api/actors",
        "/api/actors/{actor_id}",
        "/api/actors/{actor_id}/statements",
        "/api/outlets",
        "/api/outlets/techniques",
        "/api/speakers",
        "/api/search",
        "/api/techniques",
    ):
        assert path in paths, path
    assert client.get("/docs").status_code == 404  # Swagger UI would load a CDN


def test_techniques_lists_the_fourteen(client: TestClient) -> None:
    items = client.get("/api/techniques").json()["items"]
    assert len(items) == 14 and all(i["colour"].startswith("#") and i["definition"] for i in items)


# --- analysis ----------------------------------------------------------------------------

ARTICLE = "The harbour minister Elena Marsh said on Tuesday that the strike would cost the country millions."


def test_analyze_json_text_and_metadata(client: TestClient) -> None:
    response = client.post("/api/analyze", json={"text": ARTICLE, "title": "Strike", "url": "https://ex.org/a"})
    assert response.status_code == 200, response.text
    document = Document.model_validate(response.json())
    assert document.text == ARTICLE and document.title == "Strike" and document.outlet == "ex.org"
    assert document.id == Document.id_for(ARTICLE)


def test_analyze_plain_and_html_bodies(client: TestClient) -> None:
    plain = client.post("/api/analyze", content=ARTICLE.encode(), headers={"content-type": "text/plain; charset=utf-8"})
    assert plain.status_code == 200 and plain.json()["text"] == ARTICLE
    html = (
        f"<html><head><title>Port strike</title></head>"
        f"<body><article><p>{ARTICLE}</p><p>{ARTICLE}</p></article></body></html>"
    )
    page = client.post("/api/analyze", content=html.encode(), headers={"content-type": "text/html"})
    assert page.status_code == 200, page.text
    assert "Elena Marsh" in page.json()["text"] and "<p>" not in page.json()["text"]
    as_json = client.post("/api/analyze", json={"html": html})
    assert as_json.status_code == 200 and "<article>" not in as_json.json()["text"]


@pytest.mark.parametrize(
    ("body", "content_type", "status", "words"),
    [
        (b"", "text/plain", 400, "empty"),
        (b"   \n ", "application/json", 400, "empty"),
        (b"\x00\x01\x02binary\xff", "text/plain", 400, "binary"),
        (b"caf\xe9 au lait " * 5, "text/plain", 400, "UTF-8"),
        (ARTICLE.encode(), "application/octet-stream", 415, "text/plain"),
        (ARTICLE.encode(), "", 415, "application/json"),
        (b"{not json", "application/json", 400, "invalid JSON"),
        (b"[1, 2]", "application/json", 422, "JSON object"),
        (b'{"title": "no text"}', "application/json", 422, "'text'"),
        (b'{"text": "a", "html": "b"}', "application/json", 422, "exactly one"),
        (b'{"text": 5}', "application/json", 422, "string"),
        (b'{"text": "ok words here", "title": ["x"]}', "application/json", 422, "title"),
        (b'{"text": "1234 5678 %%%"}', "application/json", 422, "no words"),
        (b'{"html": "<html><body><div></div></body></html>"}', "application/json", 422, "HTML"),
        (b"x" * 30_000, "text/plain", 413, "limit"),
    ],
)
def test_analyze_bad_input_is_a_clear_4xx(
    client: TestClient, body: bytes, content_type: str, status: int, words: str
) -> None:
    headers = {"content-type": content_type} if content_type else {}
    message = error_of(client.post("/api/analyze", content=body, headers=headers), status)
    assert words.lower() in message.lower(), message


def test_analyze_body_without_length_is_still_limited(client: TestClient) -> None:
    def chunks():  # a streamed body: no Content-Length header
        for _ in range(40):
            yield b"word " * 200

    response = client.post("/api/analyze", content=chunks(), headers={"content-type": "text/plain"})
    assert "limit" in error_of(response, 413)


def test_analyze_non_english_text_is_refused(client: TestClient) -> None:
    text = "Der Minister sagte am Dienstag, dass der Streik im Hafen das Land Millionen kosten werde."
    assert "not English" in error_of(client.post("/api/analyze", json={"text": text}), 422)


def test_a_failing_pipeline_is_reported_not_raised(corpus: Path) -> None:
    def broken() -> object:
        def run(document: Document) -> Document:
            raise ValueError("the parser choked")

        return run

    client = TestClient(create_app(corpus, None, 20_000, pipeline_factory=broken), base_url=LOCAL)
    assert "the parser choked" in error_of(client.post("/api/analyze", json={"text": ARTICLE}), 422)


def test_token_guards_posts_only(corpus: Path) -> None:
    guarded = TestClient(create_app(corpus, "s3cret", 20_000, pipeline_factory=echo_pipeline), base_url=LOCAL)
    assert "Bearer" in error_of(guarded.post("/api/analyze", json={"text": ARTICLE}), 401)
    wrong = guarded.post("/api/analyze", json={"text": ARTICLE}, headers={"authorization": "Bearer nope"})
    error_of(wrong, 401)
    error_of(guarded.post("/api/analyze/batch", content=b"{}", headers={"content-type": "application/x-ndjson"}), 401)
    good = guarded.post("/api/analyze", json={"text": ARTICLE}, headers={"authorization": "Bearer s3cret"})
    assert good.status_code == 200
    assert guarded.get("/api/outlets").status_code == 200


def test_only_allowed_hosts_are_answered(corpus: Path) -> None:
    """DNS rebinding: a page on attacker.example points its name at 127.0.0.1 and reads the
    corpus; the request then names attacker.example as its Host."""
    client = TestClient(create_app(corpus, None, 20_000, pipeline_factory=echo_pipeline), base_url=LOCAL)
    refused = client.get("/api/documents", headers={"host": "attacker.example"})
    assert "'attacker.example' is not served here" in error_of(refused, 400)
    assert client.get("/", headers={"host": "attacker.example:8000"}).status_code == 400
    assert client.post("/api/analyze", json={"text": ARTICLE}, headers={"host": "attacker.example"}).status_code == 400
    for host in ("localhost", "LocalHost:8000", "127.0.0.1:8000", "127.0.0.2", "[::1]:8000"):
        assert client.get("/api/documents", headers={"host": host}).status_code == 200, host
    named = TestClient(
        create_app(corpus, None, 20_000, pipeline_factory=echo_pipeline, allowed_hosts=("news.lan",)),
        base_url="http://news.lan:8000",
    )
    assert named.get("/api/documents").status_code == 200
    assert named.get("/api/documents", headers={"host": "localhost"}).status_code == 400
    anyone = TestClient(create_app(corpus, None, 20_000, pipeline_factory=echo_pipeline, allowed_hosts=("*",)))
    assert anyone.get("/api/documents", headers={"host": "whatever.example"}).status_code == 200


def test_posts_from_other_sites_are_refused(client: TestClient) -> None:
    """A "simple" cross-site POST (text/plain, no preflight) from a page on another site."""
    plain = {"content-type": "text/plain"}
    for origin in ("http://attacker.example", "null", "http://localhost:9999", "https://localhost.attacker.example"):
        answer = client.post("/api/analyze", content=ARTICLE, headers={**plain, "origin": origin})
        assert "cross-site request refused" in error_of(answer, 403), origin
    batch = client.post("/api/analyze/batch", content=b"{}", headers={**plain, "origin": "http://attacker.example"})
    error_of(batch, 403)
    fetched = client.post("/api/analyze", content=ARTICLE, headers={**plain, "sec-fetch-site": "cross-site"})
    error_of(fetched, 403)
    # The web interface's own page (same origin), and clients that are not browsers.
    same = client.post("/api/analyze", content=ARTICLE, headers={**plain, "origin": "http://localhost"})
    assert same.status_code == 200
    assert client.post("/api/analyze", content=ARTICLE, headers=plain).status_code == 200
    # Reading is not held to it (a GET cannot change anything, and the Host check guards it).
    assert client.get("/api/outlets", headers={"origin": "http://attacker.example"}).status_code == 200


def test_batch_returns_documents_and_per_line_errors(client: TestClient) -> None:
    lines = [
        json.dumps({"text": ARTICLE, "outlet": "one"}),
        "",
        "{broken",
        json.dumps({"text": "   "}),
        json.dumps({"html": f"<html><body><article><p>{ARTICLE}</p></article></body></html>", "title": "T"}),
    ]
    response = client.post(
        "/api/analyze/batch", content="\n".join(lines).encode(), headers={"content-type": "application/x-ndjson"}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert [d["outlet"] for d in body["documents"]] == ["one", None]
    assert body["documents"][1]["title"] == "T"
    assert [e["line"] for e in body["errors"]] == [3, 4]
    assert "invalid JSON" in body["errors"][0]["error"] and "empty" in body["errors"][1]["error"]


def test_batch_bad_input(client: TestClient) -> None:
    ndjson = {"content-type": "application/x-ndjson"}
    error_of(client.post("/api/analyze/batch", content=b"", headers=ndjson), 400)
    error_of(client.post("/api/analyze/batch", content=b"{}", headers={"content-type": "image/png"}), 415)
    error_of(client.post("/api/analyze/batch", content=b"\xff\xfe\x00", headers=ndjson), 400)
    error_of(client.post("/api/analyze/batch", content=b"{}\n" * 300, headers=ndjson), 413)
    error_of(client.post("/api/analyze/batch", content=b"y" * 30_000, headers=ndjson), 413)


# --- the corpus --------------------------------------------------------------------------


def test_documents_list_pages_and_filters(client: TestClient) -> None:
    first = client.get("/api/documents", params={"limit": 3}).json()
    assert len(first["items"]) == 3 and first["next_offset"] == 3
    rest = client.get("/api/documents", params={"limit": 10, "offset": 3}).json()
    assert rest["next_offset"] is None
    ids = [h["doc_id"] for h in first["items"] + rest["items"]]
    assert len(ids) == len(set(ids)) == len(DOCUMENTS) + 1
    c_news = client.get("/api/documents", params={"outlet": "c-news"}).json()["items"]
    assert {h["outlet"] for h in c_news} == {"c-news"}
    by_actor = client.get("/api/documents", params={"actor": "Rouhani"}).json()["items"]
    assert DOC3.id in [h["doc_id"] for h in by_actor]
    by_technique = client.get("/api/documents", params={"technique": "Loaded Language"}).json()["items"]
    assert DOC3.id in [h["doc_id"] for h in by_technique]
    dated = client.get("/api/documents", params={"since": "2016-03-01", "until": "2016-03-31"}).json()["items"]
    assert dated and all(h["published"].startswith("2016-03") for h in dated)
    assert client.get("/api/documents", params={"q": "disgrace"}).json()["items"][0]["doc_id"] == XSS_DOC.id


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"limit": 0}, 422),
        ({"limit": 100000}, 422),
        ({"offset": -1}, 422),
        ({"since": "yesterday"}, 422),
        ({"since": "2016-05-01", "until": "2016-01-01"}, 400),
        ({"outlet": "no-such-outlet"}, 404),
        ({"actor": "Nobody Atall"}, 404),
        ({"technique": "Juggling"}, 404),
        ({"q": "x" * 600}, 422),
    ],
)
def test_documents_bad_filters(client: TestClient, params: dict[str, object], status: int) -> None:
    error_of(client.get("/api/documents", params=params), status)


def test_document_comes_back_with_its_layers(client: TestClient) -> None:
    response = client.get(f"/api/documents/{DOC3.id}")
    assert response.status_code == 200
    document = Document.model_validate(response.json())
    assert document.text == DOC3.text and document.outlet == DOC3.outlet
    assert [(t.start, t.end, t.technique) for t in document.techniques] == [
        (t.start, t.end, t.technique) for t in DOC3.techniques
    ]
    assert [(q.id, q.source, q.cue, q.content, q.speaker) for q in document.attributions] == [
        (q.id, q.source, q.cue, q.content, q.speaker) for q in DOC3.attributions
    ]
    assert [(a.id, a.name, a.mentions) for a in document.actors] == [(a.id, a.name, a.mentions) for a in DOC3.actors]
    assert document.entities == DOC3.entities
    assert document.technique_summary is not None
    assert set(document.technique_summary.explanations) == {t.technique for t in DOC3.techniques}
    for span in document.iter_spans():
        assert document.text[span.start : span.end] == span.text


def test_document_not_found(client: TestClient) -> None:
    assert "no document" in error_of(client.get("/api/documents/0123456789abcdef"), 404)
    error_of(client.get("/api/documents/..%2F..%2Fetc"), 404)
    error_of(client.get("/api/documents/<script>"), 404)


def test_actors_and_statements(client: TestClient) -> None:
    actors = client.get("/api/actors", params={"limit": 100}).json()["items"]
    rouhani = next(a for a in actors if "Rouhani" in a["name"])
    assert client.get(f"/api/actors/{rouhani['id']}").json()["name"] == rouhani["name"]
    assert len(client.get("/api/actors", params={"limit": 2}).json()["items"]) == 2
    people = client.get("/api/actors", params={"kind": "person", "match": "clinton"}).json()["items"]
    assert people and all(a["kind"] == "person" for a in people)
    said = client.get(f"/api/actors/{rouhani['id']}/statements", params={"direction": "by"}).json()
    assert said["items"] and all(s["speaker_id"] == rouhani["id"] for s in said["items"])
    about = client.get(f"/api/actors/{rouhani['id']}/statements", params={"direction": "about"}).json()
    assert about["items"] and all(g["statements"] >= 1 and g["items"] for g in about["items"])
    assert any("weak and dangerous" in s["content"] for g in about["items"] for s in g["items"])


def test_actors_bad_input(client: TestClient) -> None:
    error_of(client.get("/api/actors/99999"), 404)
    error_of(client.get("/api/actors/abc"), 422)
    error_of(client.get("/api/actors/99999/statements"), 404)
    error_of(client.get("/api/actors/1/statements", params={"direction": "sideways"}), 422)
    error_of(client.get("/api/actors", params={"kind": "robot"}), 422)


def test_outlets_profiles_and_speakers(client: TestClient) -> None:
    outlets = {o["outlet"]: o for o in client.get("/api/outlets").json()["items"]}
    assert {"daily-a.com", "c-news", "herald-b.org", "<b>evil</b>-news"} <= set(outlets)
    profile = client.get("/api/outlets/techniques", params={"by": "outlet"}).json()["items"]
    assert {r["group"] for r in profile} >= {"daily-a.com", "c-news"}
    months = client.get("/api/outlets/techniques", params={"by": "month"}).json()["items"]
    assert {r["group"] for r in months} >= {"2016-02", "2016-03"}
    error_of(client.get("/api/outlets/techniques", params={"by": "year"}), 422)
    top = client.get("/api/speakers", params={"limit": 3}).json()["items"]
    assert top and all(r["outlet"] == "(all outlets)" for r in top)
    per_outlet = client.get("/api/speakers", params={"per_outlet": True}).json()["items"]
    assert len({r["outlet"] for r in per_outlet}) > 1
    error_of(client.get("/api/speakers", params={"limit": 0}), 422)


def test_search(client: TestClient) -> None:
    hits = client.get("/api/search", params={"q": "Rouhani"}).json()["items"]
    assert DOC1.id in [h["doc_id"] for h in hits] and all(h["snippet"] for h in hits)
    error_of(client.get("/api/search"), 422)
    error_of(client.get("/api/search", params={"q": "   "}), 400)
    assert "common words" in error_of(client.get("/api/search", params={"q": "the and of"}), 400)


def test_no_store_or_broken_store_is_503(tmp_path: Path) -> None:
    bare = TestClient(create_app(None, None, 20_000, pipeline_factory=echo_pipeline), base_url=LOCAL)
    assert "no corpus store" in error_of(bare.get("/api/documents"), 503)
    assert bare.post("/api/analyze", json={"text": ARTICLE}).status_code == 200
    missing = TestClient(
        create_app(tmp_path / "gone.duckdb", None, 20_000, pipeline_factory=echo_pipeline), base_url=LOCAL
    )
    assert "no store" in error_of(missing.get("/api/outlets"), 503)
    junk = tmp_path / "junk.duckdb"
    junk.write_bytes(b"not a database at all" * 100)
    broken = TestClient(create_app(junk, None, 20_000, pipeline_factory=echo_pipeline), base_url=LOCAL)
    error_of(broken.get("/api/actors"), 503)


# --- narratives ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def narrative_client(tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    store = build_narrative_store(tmp_path_factory.mktemp("narratives") / "n.duckdb")
    return TestClient(create_app(store, None, 20_000, pipeline_factory=echo_pipeline), base_url=LOCAL)


def test_narratives_pages_and_filters(narrative_client: TestClient) -> None:
    page = narrative_client.get("/api/narratives").json()
    assert [(n["outlets"], n["documents"]) for n in page["items"]] == [(3, 3), (2, 2)]
    assert page["items"][0]["first_outlet"] == "daily-a.com" and page["items"][0]["first_seen"] == "2024-01-05"
    first = narrative_client.get("/api/narratives", params={"limit": 1}).json()
    assert len(first["items"]) == 1 and first["next_offset"] == 1
    assert [
        n["documents"] for n in narrative_client.get("/api/narratives", params={"match": "inflation"}).json()["items"]
    ] == [2]
    assert narrative_client.get("/api/narratives", params={"outlet": "daily-a.com"}).json()["items"] == []
    error_of(narrative_client.get("/api/narratives", params={"limit": 0}), 422)
    assert "since" in error_of(
        narrative_client.get("/api/narratives", params={"since": "2024-02-01", "until": "2024-01-01"}), 400
    )
    assert "no outlet" in error_of(narrative_client.get("/api/narratives", params={"outlet": "nowhere"}), 404)


def test_one_narrative_and_claims_elsewhere(narrative_client: TestClient) -> None:
    top = narrative_client.get("/api/narratives").json()["items"][0]
    narrative = narrative_client.get(f"/api/narratives/{top['id']}").json()
    assert [c["outlet"] for c in narrative["claims"]] == ["daily-a.com", "weekly-b.org", "state-tv.ir"]
    assert narrative["first"]["speaker"] == "Ahmad Vahidi"
    assert (narrative["timeline"][0]["month"], narrative["timeline"][0]["outlet"]) == ("2024-01", "daily-a.com")
    assert "no narrative" in error_of(narrative_client.get("/api/narratives/N0123456789"), 404)
    error_of(narrative_client.get("/api/narratives/<script>"), 404)
    elsewhere = narrative_client.get(f"/api/documents/{ids(1)}/elsewhere").json()["items"]
    assert [(c["claim_id"], [e["outlet"] for e in c["elsewhere"]]) for c in elsewhere] == [
        ("C1", ["daily-a.com", "state-tv.ir"]),
        ("C2", ["daily-a.com"]),
    ]
    assert "no document" in error_of(narrative_client.get("/api/documents/0123456789abcdef/elsewhere"), 404)
    document = Document.model_validate(narrative_client.get(f"/api/documents/{ids(1)}").json())
    for claim in document.claims:
        for span in claim.spans:
            assert document.text[span.start : span.end] == span.text
