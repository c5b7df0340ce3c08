"""``share_of_text`` has one definition (``presslens.text``): the share of a text's non-space
characters inside any technique finding. ``analyze`` (the techniques stage's summary), the row
the store keeps, the CLI's technique profile and the API's stored document give the same number.

"aa bb cc dd" has 8 non-space characters; a finding at [0, 5) covers "aa bb", 4 of them: 0.5.
Counting all characters would give 5 / 11 = 0.4545 (what the API said before).
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from fastapi.testclient import TestClient

from presslens.document import Document, TechniqueFinding
from presslens.service.app import create_app
from presslens.store import Store, schema
from presslens.store.rows import document_rows
from presslens.techniques.stage import summarise
from presslens.text import merge_intervals, share_of_text

from .conftest import LOCAL
from .test_cli import presslens

TEXT = "aa bb cc dd"
TECHNIQUE = "Loaded_Language"


def finding(document: Document, start: int, end: int, technique: str = TECHNIQUE) -> TechniqueFinding:
    return TechniqueFinding(
        **document.span(start, end),
        technique=technique,
        label=technique.replace("_", " "),
        confidence=0.5,
        span_probability=0.5,
        technique_probability=1.0,
    )


def analysed(text: str, spans: list[tuple[int, int]]) -> Document:
    """A document as the techniques stage leaves it: findings and their summary."""
    document = Document.from_text(text, outlet="example.org")
    document.techniques = [finding(document, start, end) for start, end in spans]
    document.technique_summary = summarise(document, threshold=0.5)
    return document


def test_share_of_text_counts_non_space_characters() -> None:
    assert share_of_text(TEXT, [(0, 5)]) == 0.5
    assert share_of_text(TEXT, [(0, 5), (3, 8)]) == 0.75  # "aa bb cc": overlaps count once
    assert share_of_text(TEXT, [(2, 3)]) == 0.0  # a space alone covers nothing
    assert share_of_text(TEXT, []) == 0.0
    assert share_of_text("   ", [(0, 3)]) == 0.0  # no non-space character: no share, no division
    assert share_of_text("a\u00a0b\n\tc", [(0, 3)]) == round(2 / 3, 4)  # every kind of space
    summary = analysed(TEXT, [(0, 5)]).technique_summary
    assert summary is not None and summary.share_of_text == 0.5


def test_cli_and_api_give_the_share_that_analyze_gives(tmp_path: Path) -> None:
    document = analysed(TEXT, [(0, 5)])
    path = tmp_path / "s.duckdb"
    with Store(path) as store:
        store.add(document)
        store.resolve_actors()
        # The two counts the store keeps for it, the non-space characters of the text and
        # those inside a finding.
        assert store.query("SELECT nonspace_chars, technique_chars FROM documents") == [(8, 4)]
        assert store.query("SELECT nonspace_chars FROM techniques") == [(4,)]

    result = presslens("query", "techniques", "--store", str(path), "--format", "json")
    assert result.returncode == 0, result.stderr
    profile = {(row["group"], row["technique"]): row["share_of_text"] for row in json.loads(result.stdout)}
    assert profile == {("example.org", "(all)"): 0.5, ("example.org", TECHNIQUE): 0.5}

    client = TestClient(create_app(path, None, 20_000), base_url=LOCAL)
    response = client.get(f"/api/documents/{document.id}")
    assert response.status_code == 200, response.text
    assert response.json()["technique_summary"]["share_of_text"] == 0.5


def test_migration_recounts_the_shares_of_an_old_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A version-1 store counted all characters; migrating recounts from the stored texts, to
    the counts a new store writes (spaces of every kind, overlaps, spans over line breaks)."""
    documents = [
        analysed("aa bb cc dd\u00a0ee\n\tff", [(0, 5), (3, 8), (8, 9), (12, 17)]),
        analysed("élan vital  \u2003 über alles", [(0, 4), (0, 4), (2, 10), (13, 18)]),
        analysed("no findings here", []),
    ]
    path = tmp_path / "old.duckdb"
    monkeypatch.setattr(schema, "MIGRATIONS", schema.MIGRATIONS[:1])
    with Store(path) as store:
        for document in documents:
            rows = document_rows(document)
            del rows["documents"]["nonspace_chars"], rows["techniques"]["nonspace_chars"]
            del rows["techniques"]["origin"]  # version 3's
            spans = merge_intervals((t.start, t.end) for t in document.techniques)
            rows["documents"]["technique_chars"] = [sum(end - start for start, end in spans)]  # version 1's count
            store.add_rows(rows)
    monkeypatch.undo()
    with Store(path) as store:
        assert store.version() == schema.SCHEMA_VERSION
    con = duckdb.connect(str(path), read_only=True)
    stored = con.execute("SELECT id, technique_chars, nonspace_chars FROM documents ORDER BY id").fetchall()
    per_span = con.execute("SELECT doc_id, idx, nonspace_chars FROM techniques ORDER BY doc_id, idx").fetchall()
    fresh = [document_rows(d) for d in documents]
    assert stored == sorted(
        (r["documents"]["id"][0], r["documents"]["technique_chars"][0], r["documents"]["nonspace_chars"][0])
        for r in fresh
    )
    assert per_span == sorted(
        (r["techniques"]["doc_id"][i], i, n) for r in fresh for i, n in enumerate(r["techniques"]["nonspace_chars"])
    )
    for document in documents:
        [(covered, total)] = con.execute(
            "SELECT technique_chars, nonspace_chars FROM documents WHERE id = ?", [document.id]
        ).fetchall()
        expected = share_of_text(document.text, [(t.start, t.end) for t in document.techniques])
        assert (round(covered / total, 4) if total else 0.0) == expected
