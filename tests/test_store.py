"""The corpus store: writing, versions, export, and every question answered on a corpus
whose answers are known (tests/store_corpus.py)."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import duckdb
import pytest

from presslens.actors.corpus import parse_aliases
from presslens.corpus.queries import (
    ALL_TECHNIQUES,
    Filters,
    QueryError,
    co_mentions,
    find_actor,
    list_actors,
    outlets,
    search,
    statements_about,
    statements_by,
    statements_per_month,
    technique_profile,
    top_speakers,
    write_graphml,
)
from presslens.document import Document
from presslens.store import Store, StoreError, schema

from .store_corpus import DOC1, DOC2, DOC3, DOC4, DOC5, DOC6, DOCUMENTS, build_store
from .test_cli import presslens


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_store(tmp_path_factory.mktemp("store") / "known.duckdb")


@pytest.fixture
def store(corpus: Path) -> Store:
    with Store(corpus, read_only=True) as opened:
        yield opened  # type: ignore[misc]


def words(text: str) -> int:
    return len(re.findall(r"\w+", text))


def nonspace(text: str) -> int:
    """The characters of ``text`` that share_of_text counts."""
    return sum(not char.isspace() for char in text)


# --- writing ------------------------------------------------------------------------------


def test_add_is_idempotent_and_whole(tmp_path: Path) -> None:
    with Store(tmp_path / "s.duckdb") as store:
        assert store.add(DOC1) is True
        counts = store.counts()
        assert store.add(DOC1) is False  # the same text: stored once
        assert store.counts() == counts
        assert store.has(DOC1.id) and not store.has(DOC2.id)
        assert store.known_ids() == {DOC1.id}
        assert counts["actors"] == 3 and counts["mentions"] == 5 and counts["attributions"] == 2
        assert counts["techniques"] == 1 and counts["outlets"] == 1
        # Offsets hold in the store as in the Document.
        bad = store.query(
            "SELECT count(*) FROM mentions m JOIN documents d ON d.id = m.doc_id "
            "WHERE substr(d.text, m.start_char + 1, m.end_char - m.start_char) <> m.text"
        )
        assert bad == [(0,)]


def test_a_failing_add_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with Store(tmp_path / "s.duckdb") as store:
        store.add(DOC1)
        before = store.counts()
        original = Store._insert

        def failing(self: Store, table: str, columns: dict[str, tuple[str, list[object]]]) -> None:
            if table == "techniques":
                raise RuntimeError("disk full")
            original(self, table, columns)

        monkeypatch.setattr(Store, "_insert", failing)
        with pytest.raises(RuntimeError):
            store.add(DOC2)
        assert store.counts() == before  # no half document
        monkeypatch.setattr(Store, "_insert", original)
        assert store.add(DOC2)
        assert store.counts()["documents"] == 2
        assert (
            store.query("SELECT count(*) FROM corpus_actors")[0][0]
            == store.query("SELECT count(DISTINCT corpus_actor) FROM actor_keys")[0][0]
        )


def test_failures_are_recorded_then_cleared(tmp_path: Path) -> None:
    with Store(tmp_path / "s.duckdb") as store:
        store.add_failure("a.txt", "empty input")
        store.add_failure("a.txt", "empty input again")
        [(source, reason, attempts, _)] = store.failures()
        assert (source, reason, attempts) == ("a.txt", "empty input again", 2)
        document = Document.from_text("A text that reads fine now.", source="a.txt")
        store.add(document)
        assert store.failures() == []


def test_export_parquet(corpus: Path, tmp_path: Path) -> None:
    with Store(corpus, read_only=True) as store:
        counts = store.counts()
        written = store.export_parquet(tmp_path / "out")
    assert {p.stem for p in written} == set(schema.TABLES)
    for path in written:
        rows = duckdb.connect().execute(f"SELECT count(*) FROM read_parquet('{path}')").fetchone()
        assert rows is not None and rows[0] == counts[path.stem], path


def test_an_export_loads_back_with_the_same_rows(corpus: Path, tmp_path: Path) -> None:
    """`store export DIR` then `store load DIR` into a new store: every table, row for row."""
    out = tmp_path / "out"
    with Store(corpus, read_only=True) as store:
        store.export_parquet(out)
    copy = tmp_path / "copy.duckdb"
    result = presslens("store", "load", str(out), "--store", str(copy))
    assert result.returncode == 0, result.stderr
    assert f"{len(DOCUMENTS)} documents and every table imported" in result.stderr
    original, loaded = duckdb.connect(str(corpus), read_only=True), duckdb.connect(str(copy), read_only=True)
    for table in schema.TABLES:
        if table == "meta":
            continue
        query = f"SELECT * FROM {table} ORDER BY ALL"
        assert original.execute(query).fetchall() == loaded.execute(query).fetchall(), table
    original.close()
    loaded.close()
    # The questions answer the same from the copy.
    with Store(corpus, read_only=True) as a, Store(copy, read_only=True) as b:
        assert a.counts() == b.counts()
    # Into a store that holds documents already: refused, one line, nothing changed.
    again = presslens("store", "load", str(out), "--store", str(copy))
    assert again.returncode == 1 and "import an export into an empty store" in again.stderr
    assert len(again.stderr.strip().splitlines()) == 1
    (out / "labels.parquet").unlink()
    broken = presslens("store", "load", str(out), "--store", str(tmp_path / "other.duckdb"))
    assert broken.returncode == 1 and "no labels.parquet" in broken.stderr


def test_schema_migrations(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "s.duckdb"
    with Store(path) as store:
        store.add(DOC1)
        assert store.version() == schema.SCHEMA_VERSION == 5
    monkeypatch.setattr(schema, "MIGRATIONS", [*schema.MIGRATIONS, "ALTER TABLE documents ADD COLUMN lean DOUBLE"])
    with pytest.raises(StoreError, match="needs migrating to 6: run `presslens store migrate"):
        Store(path, read_only=True)
    with Store(path) as store:  # opening for writing migrates, keeping the data
        assert store.version() == 6
        assert store.query("SELECT count(*), count(lean) FROM documents") == [(1, 0)]
    monkeypatch.setattr(schema, "MIGRATIONS", schema.MIGRATIONS[:5])
    with pytest.raises(StoreError, match="newer than this presslens knows"):
        Store(path, read_only=True)


def test_version_5_keeps_stored_mentions_as_names(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "v4.duckdb"
    with monkeypatch.context() as patched:  # a store as version 4 wrote it, with a mention and an actor
        patched.setattr(schema, "MIGRATIONS", schema.MIGRATIONS[:4])
        store = Store(path)
        store.close()
    connection = duckdb.connect(str(path))
    connection.execute("INSERT INTO mentions VALUES ('d', 0, 0, 3, 'MEK', 'ORG', 'ner', 'A1')")
    connection.execute("INSERT INTO actors VALUES ('d', 'A1', 'organisation', 'MEK', [], [], 1, 'mek')")
    connection.close()
    with Store(path) as store:  # opening for writing migrates
        assert store.version() == 5
        assert store.query("SELECT kind, resolved_by FROM mentions") == [("name", None)]
        assert store.query("SELECT described FROM actors") == [(False,)]
        assert store.query("SELECT count(*) FROM labels") == [(0,)]


def test_version_3_marks_the_stored_techniques_as_the_models(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "v2.duckdb"
    with monkeypatch.context() as patched:  # a store as version 2 wrote it, with a technique row
        patched.setattr(schema, "MIGRATIONS", schema.MIGRATIONS[:2])
        store = Store(path)
        store.close()
    connection = duckdb.connect(str(path))
    connection.execute(
        "INSERT INTO techniques VALUES ('d', 0, 'Loaded_Language', 'Loaded language', 0, 4, 'word', 0.9, 0.9, 0.9, 4)"
    )
    connection.close()
    with Store(path) as store:  # opening for writing migrates
        assert store.version() == schema.SCHEMA_VERSION
        assert store.query("SELECT origin FROM techniques") == [("model",)]


def test_schema_rows_and_arrow_agree(tmp_path: Path) -> None:
    """The three spellings of the store's columns say the same: the DDL of the migrations
    (``schema``), the rows both engines compute (``rows.COLUMNS``) and the Parquet parts'
    Arrow schema (``parts.arrow_schema``). Migrations stay DDL (history is not rewritten),
    so this test is what keeps them in step."""
    pa = pytest.importorskip("pyarrow")
    from presslens.store import parts
    from presslens.store.rows import COLUMNS, DOCUMENT_TABLES

    path = tmp_path / "s.duckdb"
    Store(path).close()
    con = duckdb.connect(str(path), read_only=True)

    def described(sql: str) -> list[tuple[str, str]]:
        return [(row[0], row[1]) for row in con.execute(f"DESCRIBE {sql}").fetchall()]

    tables = {row[0] for row in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    assert tables == set(schema.TABLES)
    assert set(COLUMNS) == {*DOCUMENT_TABLES, "failures"}
    # Where rows and tables differ on purpose: ids are the store's to give (rows name the
    # outlet), and the store counts a source's failed attempts itself.
    renamed = {("documents", "outlet"): ("outlet_id", "INTEGER")}
    store_only = {"failures": {"attempts"}}
    for table, columns in COLUMNS.items():
        expected = [renamed.get((table, name), (name, sql_type)) for name, sql_type in columns.items()]
        in_store = [c for c in described(table) if c[0] not in store_only.get(table, set())]
        assert in_store == expected, table
        con.register("part", pa.Table.from_pylist([], schema=parts.arrow_schema(table)))
        assert described("SELECT * FROM part") == list(columns.items()), table
        con.unregister("part")
    con.close()


def test_not_a_store(tmp_path: Path) -> None:
    text = tmp_path / "notes.duckdb"
    text.write_text("not a database at all, just words\n" * 200)
    with pytest.raises(StoreError, match="cannot be opened as a store"):
        Store(text)
    other = tmp_path / "other.duckdb"
    duckdb.connect(str(other)).execute("CREATE TABLE t (x INTEGER)").close()
    with pytest.raises(StoreError, match="not a presslens store"):
        Store(other)
    with pytest.raises(StoreError, match="no store here"):
        Store(tmp_path / "missing.duckdb", read_only=True)


# --- corpus actors ------------------------------------------------------------------------


def actor_documents(store: Store) -> dict[str, int]:
    return {r.name: r.documents for r in list_actors(store, limit=None)}


def test_corpus_actors_merge_variants(store: Store) -> None:
    found = actor_documents(store)
    # Title, transliteration (Rohani) and the same name: one actor.
    assert found["Hassan Rouhani"] == 3
    # Initials, a bare surname with one full name to go to.
    assert found["Donald Trump"] == 4
    # An acronym spelt out in another article; an acronym whose initials fit one name.
    assert found["Islamic Revolutionary Guard Corps"] == 2
    assert found["Federal Bureau of Investigation"] == 2
    # "Clinton" alone: Hillary (2 articles) or Bill (1)? Too close to call: kept apart.
    assert (found["Hillary Clinton"], found["Bill Clinton"], found["Clinton"]) == (2, 1, 1)
    assert "IRGC" not in found and "Rohani" not in found and "FBI" not in found
    rouhani = next(r for r in list_actors(store, match="rohani"))
    assert rouhani.name == "Hassan Rouhani" and rouhani.statements == 3 and rouhani.about == 3
    assert {"Rohani", "President Hassan Rouhani", "Rouhani"} <= set(rouhani.variants)
    trump = next(r for r in list_actors(store, kind="person") if r.name == "Donald Trump")
    assert (trump.statements, trump.about) == (3, 2)


def test_alias_file_merges_and_splits(corpus: Path, tmp_path: Path) -> None:
    path = tmp_path / "copy.duckdb"
    path.write_bytes(corpus.read_bytes())
    aliases = parse_aliases(
        "merge:\n  - name: Hillary Clinton\n    variants: [Clinton]\nsplit:\n  - [Hassan Rouhani, Rohani]\n",
        "aliases.yaml",
    )
    with Store(path) as store:
        store.resolve_actors(aliases)
        found = actor_documents(store)
        assert found["Hillary Clinton"] == 3 and "Clinton" not in found
        assert found["Hassan Rouhani"] == 2 and found["Rohani"] == 1
        store.resolve_actors()  # the alias file is kept in the store
        assert actor_documents(store) == found


def test_actor_resolution_does_not_depend_on_order(store: Store) -> None:
    from presslens.actors.corpus import KeyStats, resolve

    rows = store.query("SELECT key, kind, name, count(DISTINCT doc_id) FROM actors GROUP BY ALL ORDER BY ALL")
    rows.append(("org:congress", "organisation", "CONGRESS", 1))  # a headline's capitals, as frequent
    rows.append(("org:congress", "organisation", "Congress", 1))

    def clusters(ordered: list[tuple[object, ...]]) -> list[tuple[str, str, list[str]]]:
        stats: dict[str, KeyStats] = {}
        for key, kind, name, documents in ordered:
            stat = stats.setdefault(str(key), KeyStats(str(key)))
            stat.documents += int(documents)  # type: ignore[call-overload]
            stat.names[str(name)] += int(documents)  # type: ignore[call-overload]
            stat.kinds[str(kind)] += int(documents)  # type: ignore[call-overload]
        evidence = [("org:islamic revolutionary guard corps", "org:irgc")]
        return [(c.name, c.kind, c.keys) for c in resolve(stats, evidence)]

    forward = clusters(rows)
    assert clusters(list(reversed(rows))) == forward
    assert ("Congress", "organisation", ["org:congress"]) in forward


def test_alias_file_errors_name_the_file() -> None:
    from presslens.errors import InputError

    with pytest.raises(InputError, match=r"a\.yaml: not valid YAML \(line 3: expected"):
        parse_aliases("merge:\n  - name: [unclosed\n", "a.yaml")
    with pytest.raises(InputError, match="merge entry 1 needs a 'name'"):
        parse_aliases("merge:\n  - variants: [x]\n", "a.yaml")
    with pytest.raises(InputError, match="'merge' and 'split' lists only"):
        parse_aliases("renames: {}\n", "a.yaml")


def test_find_actor(store: Store) -> None:
    assert find_actor(store, "Rouhani").name == "Hassan Rouhani"  # an alias used in articles
    assert find_actor(store, "rohani").name == "Hassan Rouhani"  # another spelling
    assert find_actor(store, "IRGC").name == "Islamic Revolutionary Guard Corps"
    assert find_actor(store, "Trump").name == "Donald Trump"
    assert find_actor(store, "Clinton").name == "Clinton"  # the name of an actor wins
    ref = find_actor(store, "Donald Trump")
    assert find_actor(store, f"#{ref.id}") == ref
    with pytest.raises(QueryError, match=r"actor 'Smith' is ambiguous: #\d+ John Smith \(1 documents\); #\d+ Maryam"):
        find_actor(store, "Smith")
    with pytest.raises(QueryError, match="no actor 'Angela Merkel' in the store"):
        find_actor(store, "Angela Merkel")


# --- the questions ------------------------------------------------------------------------


def test_statements_by(store: Store) -> None:
    rows = statements_by(store, "Rouhani")
    assert [(r.doc_id, r.published, r.outlet, r.kind, r.content) for r in rows] == [
        (DOC1.id, date(2016, 1, 10), "daily-a.com", "indirect", "the deal was fair"),
        (DOC2.id, date(2016, 1, 20), "herald-b.org", "indirect", "that sanctions hurt families"),
        (DOC3.id, date(2016, 2, 5), "daily-a.com", "indirect", "the IRGC would obey"),
    ]
    assert all(r.speaker == "Hassan Rouhani" for r in rows)
    assert rows[1].source == "Rohani" and rows[1].cue == "warned"
    assert rows[2].targets == ["Islamic Revolutionary Guard Corps"]
    assert rows[0].title is None
    assert [r.doc_id for r in statements_by(store, "Rouhani", Filters(outlet="daily-a.com"))] == [DOC1.id, DOC3.id]
    assert [r.doc_id for r in statements_by(store, "Rouhani", Filters(since=date(2016, 1, 15)))] == [DOC2.id, DOC3.id]
    assert [r.doc_id for r in statements_by(store, "Rouhani", Filters(until=date(2016, 1, 31)))] == [DOC1.id, DOC2.id]
    trump = statements_by(store, "Donald Trump")
    assert [r.doc_id for r in trump] == [DOC1.id, DOC2.id, DOC6.id]  # the undated one last
    assert trump[1].targets == ["Iranian", "Hassan Rouhani"]
    assert statements_by(store, "Rouhani", limit=1)[0].doc_id == DOC1.id


def test_statements_about(store: Store) -> None:
    groups = statements_about(store, "Hassan Rouhani")
    assert [(g.speaker, g.statements, g.documents, g.outlets) for g in groups] == [
        ("Donald Trump", 2, 2, ["daily-a.com", "herald-b.org"]),
        ("Critics", 1, 1, ["daily-a.com"]),  # an unresolved source, by its words
    ]
    assert groups[1].speaker_id is None
    assert [s.content for s in groups[0].items] == [
        'Rouhani was "a liar"',
        'the Iranian leader Rohani "cannot be trusted"',
    ]
    about_trump = statements_about(store, "Trump")
    assert [(g.speaker, g.statements) for g in about_trump] == [("Bill Clinton", 1), ("Hillary Clinton", 1)]
    assert [(g.speaker, g.items[0].kind) for g in statements_about(store, "Hillary Clinton")] == [
        ("Maryam Smith", "mixed")
    ]
    assert statements_about(store, "Rouhani", Filters(outlet="herald-b.org"))[0].items[0].doc_id == DOC2.id
    assert statements_about(store, "Maryam Smith") == []
    # Counts cover every statement; the items shown are the latest ones.
    [trump] = statements_about(store, "Rouhani", limit=1, per_speaker=1)
    assert (trump.speaker, trump.statements, [s.doc_id for s in trump.items]) == ("Donald Trump", 2, [DOC2.id])
    assert statements_per_month(store, "Rouhani", about=True) == {"2016-01": 2, "2016-02": 1}
    assert statements_per_month(store, "Rouhani") == {"2016-01": 2, "2016-02": 1}
    assert [s.doc_id for s in statements_by(store, "Rouhani", limit=2, latest=True)] == [DOC3.id, DOC2.id]


def test_technique_profile_per_outlet(store: Store) -> None:
    rows = {(r.group, r.technique): r for r in technique_profile(store)}
    a_words, a_chars = words(DOC1.text) + words(DOC3.text), nonspace(DOC1.text) + nonspace(DOC3.text)
    everything = rows[("daily-a.com", ALL_TECHNIQUES)]
    assert (everything.spans, everything.documents, everything.words) == (3, 2, a_words)
    assert everything.per_1000_words == round(3000 / a_words, 3)
    # Overlapping spans count once in the share of text of all techniques; spaces count nowhere.
    assert everything.share_of_text == round((nonspace("a liar") + nonspace("weak and dangerous")) / a_chars, 4)
    name_calling = rows[("daily-a.com", "Name_Calling,Labeling")]
    assert name_calling.spans == 2
    assert name_calling.share_of_text == round((nonspace("a liar") + nonspace("weak and dangerous")) / a_chars, 4)
    assert rows[("daily-a.com", "Loaded_Language")].spans == 1
    herald = rows[("herald-b.org", ALL_TECHNIQUES)]
    assert (herald.spans, herald.documents) == (2, 2)
    assert herald.per_1000_words == round(2000 / (words(DOC2.text) + words(DOC5.text)), 3)
    # c-news: the article ingested without the techniques stage does not count.
    assert rows[("c-news", ALL_TECHNIQUES)].documents == 1
    assert rows[("c-news", "Exaggeration,Minimisation")].spans == 1
    assert {g for g, _ in rows} == {"daily-a.com", "herald-b.org", "c-news"}
    only = technique_profile(store, Filters(outlet="herald"))  # a part of the name is enough
    assert {r.group for r in only} == {"herald-b.org"}


def test_technique_profile_per_month(store: Store) -> None:
    rows = {(r.group, r.technique): r for r in technique_profile(store, by="month")}
    assert {g for g, _ in rows} == {"2016-01", "2016-02", "2016-03"}
    assert rows[("2016-01", ALL_TECHNIQUES)].spans == 3
    assert rows[("2016-02", ALL_TECHNIQUES)].spans == 3
    assert (rows[("2016-03", ALL_TECHNIQUES)].spans, rows[("2016-03", ALL_TECHNIQUES)].documents) == (0, 1)
    assert rows[("2016-02", "Loaded_Language")].spans == 1
    daily = technique_profile(store, Filters(outlet="daily-a.com"), by="month")
    assert {(r.group, r.spans) for r in daily if r.technique == ALL_TECHNIQUES} == {("2016-01", 1), ("2016-02", 2)}


def test_top_speakers(store: Store) -> None:
    rows = [(r.outlet, r.rank, r.speaker, r.statements) for r in top_speakers(store)]
    assert rows == [
        ("c-news", 1, "Bill Clinton", 1),
        ("c-news", 2, "Donald Trump", 1),
        ("daily-a.com", 1, "Hassan Rouhani", 2),
        ("daily-a.com", 2, "Donald Trump", 1),
        ("herald-b.org", 1, "Hillary Clinton", 2),
        ("herald-b.org", 2, "Donald Trump", 1),
        ("herald-b.org", 3, "Hassan Rouhani", 1),
        ("herald-b.org", 4, "Maryam Smith", 1),
    ]
    daily = top_speakers(store, Filters(outlet="daily-a.com"), limit=1)
    assert [(r.speaker, r.share) for r in daily] == [("Hassan Rouhani", round(2 / 3, 4))]
    overall = top_speakers(store, per_outlet=False, limit=2)
    assert [(r.speaker, r.statements) for r in overall] == [("Donald Trump", 3), ("Hassan Rouhani", 3)]


def test_co_mention_network(store: Store, tmp_path: Path) -> None:
    network = co_mentions(store)
    assert {(e.source_name, e.target_name, e.documents) for e in network.edges} == {
        ("Donald Trump", "Hassan Rouhani", 2),
        ("Hassan Rouhani", "Islamic Revolutionary Guard Corps", 2),
    }
    assert "Iranian" not in {n.name for n in network.nodes}  # groups and places are left out by default
    ego = co_mentions(store, actor="FBI", min_documents=1)
    pairs = {frozenset((e.source_name, e.target_name)) for e in ego.edges}
    assert pairs == {
        frozenset(("Federal Bureau of Investigation", other))
        for other in ("Donald Trump", "Bill Clinton", "Hillary Clinton", "Maryam Smith")
    }
    assert {n.name for n in ego.nodes} == {
        "Federal Bureau of Investigation",
        "Donald Trump",
        "Bill Clinton",
        "Hillary Clinton",
        "Maryam Smith",
    }
    daily = co_mentions(store, Filters(outlet="daily-a.com"), min_documents=1)
    assert {(e.source_name, e.target_name, e.documents) for e in daily.edges} == {
        ("Hassan Rouhani", "Islamic Revolutionary Guard Corps", 2),
        ("Donald Trump", "Hassan Rouhani", 1),
        ("Donald Trump", "Islamic Revolutionary Guard Corps", 1),
    }
    assert {(n.name, n.documents) for n in daily.nodes} == {
        ("Hassan Rouhani", 2),
        ("Islamic Revolutionary Guard Corps", 2),
        ("Donald Trump", 1),
    }
    import networkx as nx

    graph = nx.read_graphml(write_graphml(network, tmp_path / "net.graphml"))
    labels = nx.get_node_attributes(graph, "label")
    weights = {frozenset((labels[a], labels[b])): d["weight"] for a, b, d in graph.edges(data=True)}
    assert weights[frozenset(("Donald Trump", "Hassan Rouhani"))] == 2
    assert graph.number_of_nodes() == len(network.nodes) == 9


def test_search(store: Store) -> None:
    assert [h.doc_id for h in search(store, "sanctions")] == [DOC2.id]
    hit = search(store, '"cannot be trusted"')[0]
    assert hit.doc_id == DOC2.id and "cannot be trusted" in hit.snippet
    assert search(store, '"be trusted can"') == []  # a phrase is matched as written
    assert {h.doc_id for h in search(store, '"said the"')} == {DOC1.id, DOC2.id, DOC5.id}  # common words only
    assert {h.doc_id for h in search(store, "Rouhani")} == {DOC1.id, DOC3.id}
    assert search(store, "Rouhani", Filters(outlet="herald-b.org")) == []
    assert [h.doc_id for h in search(store, "", actor="Rouhani")] == [DOC3.id, DOC2.id, DOC1.id]
    assert [h.doc_id for h in search(store, technique="Doubt")] == [DOC2.id]
    assert {h.doc_id for h in search(store, technique="loaded language")} == {DOC2.id, DOC3.id}
    assert [h.doc_id for h in search(store, "Trump", Filters(since=date(2016, 2, 1)))] == [DOC4.id]
    assert [h.doc_id for h in search(store, "Trump Ohio")] == [DOC6.id]
    # An acronym is a word like any other: the article that spells the FBI out does not match.
    assert [h.doc_id for h in search(store, "fbi")] == [DOC5.id]
    with pytest.raises(QueryError, match="only very common words"):
        search(store, "said the")
    with pytest.raises(QueryError, match="no technique 'Whataboutism'"):
        search(store, technique="Whataboutism")
    with pytest.raises(QueryError, match="no outlet 'nowhere'"):
        search(store, "x", Filters(outlet="nowhere"))


def test_phrase_search_past_the_first_candidates(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    from presslens.corpus import queries

    expected = [h.doc_id for h in search(store, '"Rouhani was"')]
    assert set(expected) == {DOC1.id, DOC3.id}
    monkeypatch.setattr(queries, "PHRASE_READS", 0)  # every candidate checked by the SQL scan
    assert [h.doc_id for h in search(store, '"Rouhani was"')] == expected
    assert search(store, '"Rouhani was"', limit=1)[0].doc_id == expected[0]


def test_outlets(store: Store) -> None:
    rows = {r.outlet: r for r in outlets(store)}
    assert {o: (r.documents, r.statements, r.technique_spans) for o, r in rows.items()} == {
        "daily-a.com": (2, 4, 3),
        "herald-b.org": (2, 5, 2),
        "c-news": (2, 2, 1),
    }
    assert (rows["c-news"].first, rows["c-news"].last) == (date(2016, 2, 15), date(2016, 2, 15))
    assert rows["daily-a.com"].words == words(DOC1.text) + words(DOC3.text)
    assert len(DOCUMENTS) == sum(r.documents for r in rows.values())


# --- the command line and the report ------------------------------------------------------


def test_query_commands(corpus: Path, tmp_path: Path) -> None:
    from .test_cli import presslens

    result = presslens("query", "statements-by", "Rohani", "--store", str(corpus), "--format", "json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)[0]["content"] == "the deal was fair"
    result = presslens("query", "techniques", "--by", "month", "--store", str(corpus), "--format", "csv")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "group,technique,spans,per_1000_words,share_of_text,documents,words"
    result = presslens("query", "network", "--store", str(corpus), "--graphml", str(tmp_path / "n.graphml"))
    assert result.returncode == 0 and (tmp_path / "n.graphml").exists()
    assert "Hassan Rouhani" in result.stdout
    result = presslens("actors", "--store", str(corpus), "--format", "json", "--kind", "organisation")
    assert {a["name"] for a in json.loads(result.stdout)} == {
        "Islamic Revolutionary Guard Corps",
        "Federal Bureau of Investigation",
    }
    result = presslens("query", "statements-about", "Smith", "--store", str(corpus))
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]
    assert result.stderr.startswith("presslens: error: actor 'Smith' is ambiguous")
    result = presslens("query", "outlets", "--store", str(tmp_path / "none.duckdb"))
    assert result.returncode == 1 and "no store here" in result.stderr and "Traceback" not in result.stderr
    result = presslens(
        "report", "--store", str(corpus), "--outlet", "herald", "--actor", "Trump", "--out", str(tmp_path)
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "index.html").exists() and (tmp_path / "actor-speakers.png").exists()
    result = presslens("store", "export", "--store", str(corpus), "--out", str(tmp_path / "parquet"))
    assert result.returncode == 0 and (tmp_path / "parquet" / "attributions.parquet").exists()
    result = presslens("store", "info", "--store", str(corpus), "--format", "json")
    info = {r["what"]: r["value"] for r in json.loads(result.stdout)}
    assert info["schema version"] == 5 and info["documents rows"] == 6
    result = presslens("query", "search", "sanctions", "--store", str(corpus), "--format", "json")
    assert [h["doc_id"] for h in json.loads(result.stdout)] == [DOC2.id]


def test_report(corpus: Path, tmp_path: Path) -> None:
    from presslens.corpus.report import write_report

    with Store(corpus, read_only=True) as store:
        index = write_report(store, tmp_path / "all", actor="Rouhani")
        page = index.read_text(encoding="utf-8")
        charts = ("articles.png", "techniques.png", "timeline.png", "speakers.png", "actor-timeline.png")
        for chart in (*charts, "actor-speakers.png"):
            assert (tmp_path / "all" / chart).read_bytes().startswith(b"\x89PNG"), chart
            assert chart in page
        assert "Who speaks about Hassan Rouhani" in page and "Donald Trump" in page
        one = write_report(store, tmp_path / "one", Filters(outlet="daily-a.com")).read_text(encoding="utf-8")
        assert "daily-a.com against all outlets" in one


def test_report_escapes_names_from_the_corpus(tmp_path: Path) -> None:
    """An outlet, actor or statement with markup in it is text in the report, never markup."""
    from presslens.corpus.report import write_report

    from .store_corpus import A, Q, make_document

    evil = "<script>alert(1)</script>"
    document = make_document(
        f"{evil} said the plan was bad. Officials said {evil} was wrong.",
        outlet="<script>alert(2)</script>",
        published="2016-01-10",
        actors=[A("A1", "person", evil, [evil, evil])],
        quotes=[Q("Q1", "A1", evil, "said", "the plan was bad", "indirect")],
        techniques=[],
    )
    with Store(tmp_path / "evil.duckdb") as store:
        assert store.add(document)
        store.resolve_actors()
    with Store(tmp_path / "evil.duckdb", read_only=True) as store:
        page = write_report(store, tmp_path / "report", actor=evil).read_text(encoding="utf-8")
    assert "<script" not in page.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # the actor: speakers, scope, section titles
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in page  # the outlet
    assert f"<h2>What {evil.replace('<', '&lt;').replace('>', '&gt;')} says (the latest 20)</h2>" in page


def test_a_rule_finding_keeps_its_origin_in_the_store(tmp_path: Path) -> None:
    from presslens.service.stored import load_document

    document = DOC1.model_copy(deep=True)
    assert document.techniques
    document.techniques[0] = document.techniques[0].model_copy(update={"origin": "rule"})
    with Store(tmp_path / "s.duckdb") as store:
        store.add(document)
        loaded = load_document(store, document.id)
    assert loaded is not None
    assert [t.origin for t in loaded.techniques] == [t.origin for t in document.techniques]
    assert loaded.techniques[0].origin == "rule"
