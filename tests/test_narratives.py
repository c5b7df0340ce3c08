"""Narratives: claims of different articles linked and grouped in the store, on a small corpus
written here whose groups are known, with the shipped claim matcher's encoder."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from presslens.corpus.narratives import claims_elsewhere, get_narrative, list_narratives
from presslens.corpus.queries import Filters, QueryError
from presslens.document import Claim, Document, Span
from presslens.service.stored import load_document
from presslens.store import Store
from presslens.store.narratives import denies, is_link, narrative_id

from .narrative_corpus import ARTICLES, INFLATION, PROTESTS, article, ids


def groups(store: Store) -> set[frozenset[tuple[str, str]]]:
    found: dict[str, set[tuple[str, str]]] = {}
    for doc, claim, narrative in store.query("SELECT doc_id, claim_id, narrative FROM claim_narratives"):
        found.setdefault(narrative, set()).add((doc, claim))
    return {frozenset(g) for g in found.values()}


def expected(*members: set[tuple[int, str]]) -> set[frozenset[tuple[str, str]]]:
    return {frozenset((ids(n), c) for n, c in group) for group in members}


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    path = tmp_path_factory.mktemp("narratives") / "n.duckdb"
    with Store(path) as writer:
        for number in range(len(ARTICLES)):
            writer.add(article(number))
        writer.resolve_actors()
        report = writer.link_claims()
        assert report.embedded == 7 and report.narratives == 2
    return Store(path, read_only=True)


def test_the_groups_are_the_known_ones(store: Store) -> None:
    # The denial (article 4) and the football result join no group.
    assert groups(store) == expected(PROTESTS, INFLATION)


def test_incremental_ingest_gives_the_same_groups(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "parts.duckdb"
    for part in ([3, 4], [0], [2, 1]):  # in another order, in three ingests
        with Store(path) as writer:
            for number in part:
                writer.add(article(number))
            writer.resolve_actors()
            writer.link_claims()
    with Store(path, read_only=True) as parts:
        assert groups(parts) == groups(store)
        ours = {n for (n,) in parts.query("SELECT DISTINCT narrative FROM claim_narratives")}
        assert ours == {n for (n,) in store.query("SELECT DISTINCT narrative FROM claim_narratives")}
    with Store(path) as writer:  # nothing new: nothing embedded, the groups kept
        assert writer.link_claims().embedded == 0
        assert groups(writer) == groups(store)


def test_narratives_ranked_by_spread(store: Store) -> None:
    rows = list_narratives(store)
    assert [(r.outlets, r.documents, r.claims) for r in rows] == [(3, 3, 3), (2, 2, 2)]
    protests = rows[0]
    assert protests.first_seen == date(2024, 1, 5) and protests.first_outlet == "daily-a.com"
    assert protests.first_speaker == "Ahmad Vahidi" and protests.speakers == 1
    assert protests.claim == ARTICLES[0][3][0][0]
    assert protests.last_seen == date(2024, 2, 2)
    assert protests.id == narrative_id(*min((ids(n), c) for n, c in PROTESTS))
    assert [r.id for r in list_narratives(store, match="inflation")] == [rows[1].id]
    assert list_narratives(store, min_outlets=3) == [protests]
    # Within one outlet's documents no narrative has two documents.
    assert list_narratives(store, Filters(outlet="daily-a.com")) == []
    assert [r.documents for r in list_narratives(store, Filters(since=date(2024, 1, 6)))] == [2, 2]


def test_one_narrative(store: Store) -> None:
    protests = list_narratives(store)[0]
    narrative = get_narrative(store, protests.id)
    assert [c.outlet for c in narrative.claims] == ["daily-a.com", "weekly-b.org", "state-tv.ir"]
    assert narrative.first.published == date(2024, 1, 5) and narrative.first.speaker == "Ahmad Vahidi"
    # Equal carriers in order of first appearance.
    assert [(o.name, o.documents) for o in narrative.outlets] == [
        ("daily-a.com", 1),
        ("weekly-b.org", 1),
        ("state-tv.ir", 1),
    ]
    assert [s.name for s in narrative.speakers] == ["Ahmad Vahidi"]
    assert [(p.month, p.outlet, p.claims) for p in narrative.timeline] == [
        ("2024-01", "daily-a.com", 1),
        ("2024-01", "weekly-b.org", 1),
        ("2024-02", "state-tv.ir", 1),
    ]
    for claim in narrative.claims:  # every span points at the claim's words
        text = store.query("SELECT text FROM documents WHERE id = ?", [claim.doc_id])[0][0]
        assert text[claim.start : claim.end] == claim.text
    with pytest.raises(QueryError, match="no narrative N0"):
        get_narrative(store, "N0")


def test_where_else_a_claim_is_made(store: Store) -> None:
    found = claims_elsewhere(store, ids(1))
    assert [(c.claim_id, [(e.outlet, e.published) for e in c.elsewhere]) for c in found] == [
        ("C1", [("daily-a.com", date(2024, 1, 5)), ("state-tv.ir", date(2024, 2, 2))]),
        ("C2", [("daily-a.com", date(2024, 2, 10))]),
    ]
    assert claims_elsewhere(store, ids(4)) == []  # the denial stands alone
    with pytest.raises(QueryError, match="no document"):
        claims_elsewhere(store, "0" * 16)


def test_stored_documents_keep_their_claims(store: Store) -> None:
    document = load_document(store, ids(1))
    assert document is not None
    assert [(c.id, document.text[c.spans[0].start : c.spans[0].end]) for c in document.claims] == [
        (claim.id, claim.spans[0].text) for claim in article(1).claims
    ]


def test_links_need_the_same_polarity_and_shared_words() -> None:
    assert denies("Russia did not interfere in the election") and denies("the claims are baseless")
    assert not denies("Russia interfered in the election")
    assert not is_link(0.95, "Russia interfered in the election", "Russia did not interfere in the election")
    assert not is_link(0.95, "the talks failed", "negotiations collapsed")  # no content word in common
    assert is_link(0.95, "Russia interfered in the 2016 election", "Russia meddled in the 2016 election")


def test_narrative_commands(store: Store) -> None:
    def presslens(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "presslens", *args, "--store", str(store.path)],
            capture_output=True,
            text=True,
            timeout=300,
        )

    listed = presslens("narratives", "--format", "json")
    assert listed.returncode == 0, listed.stderr
    rows = json.loads(listed.stdout)
    assert [r["outlets"] for r in rows] == [3, 2]
    shown = presslens("narratives", rows[0]["id"], "--format", "json")
    assert shown.returncode == 0, shown.stderr
    assert [c["outlet"] for c in json.loads(shown.stdout)["claims"]] == ["daily-a.com", "weekly-b.org", "state-tv.ir"]
    missing = presslens("narratives", "N0")
    assert missing.returncode == 1 and missing.stderr.count("\n") == 1 and "no narrative N0" in missing.stderr
    elsewhere = presslens("claims", "elsewhere", ids(1), "--format", "json")
    assert elsewhere.returncode == 0, elsewhere.stderr
    assert [len(c["elsewhere"]) for c in json.loads(elsewhere.stdout)] == [2, 1]


def test_an_outlets_boilerplate_makes_no_narrative(tmp_path: Path) -> None:
    """The same note at the end of three articles of one outlet is its template; a line the
    outlet repeats inside its articles is a narrative."""
    note = "Editor's note: the mayor has repeatedly broken his promise to build three new hospitals in the city."
    repeated = "the harbour strike was organised by the shipping companies themselves"
    filler = " ".join(["The council met on Monday and discussed the budget for the coming year at length."] * 4)
    path = tmp_path / "b.duckdb"
    with Store(path) as writer:
        for n in range(3):
            text = f"Article {n}. {filler} Officials said {repeated}. {filler} {note}"
            document = Document.from_text(text, source=f"hand/b{n}.txt", outlet="x.com", published=f"2024-05-0{n + 1}")
            for number, words in enumerate((repeated, note), start=1):
                start = text.index(words)
                document.claims.append(
                    Claim(
                        id=f"C{number}",
                        kind="asserted",
                        spans=[Span(**document.span(start, start + len(words)))],
                        text=words,
                    )
                )
            writer.add(document)
        report = writer.link_claims()
        assert report.links == 6  # both claims are linked across the three articles ...
        found = groups(writer)
    # ... but only the repeated line makes a narrative.
    assert len(found) == 1 and {claim for _, claim in next(iter(found))} == {"C1"}
