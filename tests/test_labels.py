"""Descriptions as mentions ("the regime") and the labels that characterise each actor."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from presslens.actors.corpus import parse_aliases
from presslens.corpus.labels import actor_labels, compare_outlets, outlet_actors
from presslens.corpus.queries import find_actor
from presslens.document import Actor, Document, Label
from presslens.labels.polarity import polarity
from presslens.pipeline import Pipeline
from presslens.service.stored import load_document
from presslens.stages import build_stages
from presslens.store.store import Store
from tests.conftest import LOCAL, assert_offsets


@pytest.fixture(scope="module")
def parse_only() -> Pipeline:
    """Actors, attribution and labels without the encoder: fast, and enough for written text."""
    return Pipeline(build_stages(["actors", "attribution", "labels"]))


def analyse(pipeline: Pipeline, text: str) -> Document:
    document = pipeline(Document.from_text(text))
    assert_offsets(document)
    return document


def actor_named(document: Document, name: str) -> Actor:
    found = [a for a in document.actors if a.name == name]
    assert len(found) == 1, (name, [a.name for a in document.actors])
    return found[0]


def mention_texts(document: Document, actor: Actor) -> list[str]:
    return [document.entities[i].text for i in actor.mentions]


def labels_of(document: Document, actor: Actor) -> list[Label]:
    return [label for label in document.labels if label.actor == actor.id]


# --- the seed ----------------------------------------------------------------------------


def test_seed_regime_is_the_government_of_iran(seed_document: Document) -> None:
    text = seed_document.text
    uses = [i for i in range(len(text)) if text.lower().startswith("regime", i)]
    government = actor_named(seed_document, "government of Iran")
    covered = [
        i
        for i in uses
        if any(
            m.start <= i < m.end and m.actor == government.id and m.kind == "description"
            for m in seed_document.entities
        )
    ]
    # Every "regime" but the one of "regime change" (a compound that refers to no one).
    change = text.index("regime change")
    assert sorted(covered) == [i for i in uses if i != change]
    assert len(covered) == 9
    regime_labels = [label for label in labels_of(seed_document, government) if label.text.lower() == "regime"]
    assert len(regime_labels) == 9
    assert all(label.kind == "description" and label.polarity == "negative" for label in regime_labels)


def test_seed_resistance_is_linked_to_the_mek(seed_document: Document) -> None:
    mek = actor_named(seed_document, "MEK")
    texts = mention_texts(seed_document, mek)
    assert texts.count("Resistance") == 3
    assert "opposition" in texts
    assert not any(a.name.lower().endswith("resistance") for a in seed_document.actors)


def test_seed_so_called_resistance_units(seed_document: Document) -> None:
    at = seed_document.text.index("so-called")
    so_called = [label for label in seed_document.labels if label.start == at]
    assert so_called and so_called[0].text == "so-called"
    assert so_called[0].polarity == "negative"
    mention = seed_document.entities[so_called[0].mention]
    assert mention.text == "resistance units" and mention.kind == "description"
    # Inside the op-ed's words, quoted by the article: the op-ed's label, not the reporter's.
    assert so_called[0].voice == "source"


def test_seed_officials_words_are_not_the_reporters(seed_document: Document) -> None:
    for attribution in seed_document.attributions:
        for span in attribution.content:
            inside = [label for label in seed_document.labels if span.start <= label.start and label.end <= span.end]
            assert all(label.voice == "source" for label in inside), inside
    rabiei = actor_named(seed_document, "Ali Rabiei")
    enemies = [label for label in seed_document.labels if label.text == "enemies"]
    assert enemies and all(label.speaker == rabiei.id and label.voice == "source" for label in enemies)
    # And the reporter's own labels are there too: the title's "Regime".
    assert any(label.voice == "reporter" and label.text == "Regime" for label in seed_document.labels)


# --- written articles with known answers ---------------------------------------------------


def test_apposition_and_copula(parse_only: Pipeline) -> None:
    document = analyse(
        parse_only,
        "The Freedom Front, a terrorist cult, held a rally in Paris on Sunday.\n\n"
        "The Freedom Front is an extremist organisation that recruits in prisons.",
    )
    front = actor_named(document, "Freedom Front")
    found = {(label.kind, label.text, label.polarity) for label in labels_of(document, front)}
    assert ("apposition", "terrorist cult", "negative") in found
    assert ("predicate", "extremist organisation", "negative") in found
    assert all(label.voice == "reporter" for label in labels_of(document, front))


def test_epithet_before_a_name(parse_only: Pipeline) -> None:
    document = analyse(parse_only, "The brutal dictator Karl Vance ordered the arrests on Monday.")
    vance = actor_named(document, "Karl Vance")
    assert any(label.text == "brutal dictator" and label.polarity == "negative" for label in labels_of(document, vance))


def test_description_with_its_country_and_the_bare_one_after_it(parse_only: Pipeline) -> None:
    document = analyse(
        parse_only,
        "The Venezuelan regime jailed three journalists on Friday. The regime denied any wrongdoing.",
    )
    government = actor_named(document, "government of Venezuela")
    assert mention_texts(document, government) == ["Venezuelan regime", "regime"]
    assert [document.entities[i].resolved_by for i in government.mentions] == ["country", "article"]
    assert not government.described


def test_a_description_that_fits_two_actors_is_left_unresolved(parse_only: Pipeline) -> None:
    document = analyse(
        parse_only,
        "The Syrian regime and the Iranian regime signed a pact. Later the regime arrested ten students.",
    )
    bare = [m for m in document.entities if m.kind == "description" and m.text == "regime"]
    assert len(bare) == 1
    assert bare[0].actor is None and bare[0].resolved_by == "ambiguous"
    names = {a.name for a in document.actors}
    assert {"government of Syria", "government of Iran"} <= names


def test_an_actor_only_described_is_its_own(parse_only: Pipeline) -> None:
    document = analyse(parse_only, "The rebels seized the airport. The rebels said the city would fall soon.")
    rebels = actor_named(document, "the rebels")
    assert rebels.described and rebels.kind == "group"
    assert mention_texts(document, rebels) == ["rebels", "rebels"]


def test_the_minister_is_the_person_given_that_role(parse_only: Pipeline) -> None:
    document = analyse(
        parse_only,
        "Labour minister Ali Rabiei visited the factory on Monday. The minister promised new contracts.",
    )
    rabiei = actor_named(document, "Ali Rabiei")
    assert "minister" in mention_texts(document, rabiei)


def test_two_ministers_leave_the_minister_unresolved(parse_only: Pipeline) -> None:
    document = analyse(
        parse_only,
        "Labour minister Ali Rabiei met foreign minister Javad Zarif on Monday. The minister promised new talks.",
    )
    minister = [m for m in document.entities if m.kind == "description" and m.text == "minister"]
    assert len(minister) == 1 and minister[0].actor is None and minister[0].resolved_by == "ambiguous"


def test_regime_change_and_a_regime_are_no_mentions(parse_only: Pipeline) -> None:
    document = analyse(parse_only, "Protesters called for regime change. A regime that jails students will fall.")
    assert not [m for m in document.entities if m.kind == "description"]


def test_polarity_lexicon() -> None:
    assert polarity([("terrorist", None), ("cult", None)]) == "negative"
    assert polarity([("organisation", None)]) == "neutral"
    assert polarity([("great", None), ("support", None)]) == "positive"
    assert polarity([("so", None), ("-", None), ("called", None)], text="so-called") == "negative"
    assert polarity([("responsible", None)]) == "negative"  # blame, though VADER rates it as praise
    assert polarity([("brutal", None)], negated=True) == "positive"


# --- the corpus: how outlets label an actor ------------------------------------------------

HERALD = [
    "The Venezuelan regime jailed three journalists on Friday. The regime is brutal and corrupt.",
    "The Venezuelan regime closed two newspapers. Critics say the regime fears the press.",
]
TRIBUNE = [
    "The Venezuelan government announced new elections on Monday. The government is popular in rural areas.",
    "The Venezuelan government signed a trade deal with Brazil.",
]


@pytest.fixture(scope="module")
def labelled_store(parse_only: Pipeline, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("labels") / "labels.duckdb"
    with Store(path) as store:
        for outlet, texts in (("Herald", HERALD), ("Tribune", TRIBUNE)):
            for number, text in enumerate(texts):
                document = Document.from_text(text, outlet=outlet, published=f"2026-01-0{number + 1}")
                store.add(parse_only(document))
    return path


def test_stored_labels_come_back(labelled_store: Path, parse_only: Pipeline) -> None:
    document = parse_only(Document.from_text(HERALD[0], outlet="Herald", published="2026-01-01"))
    with Store(labelled_store, read_only=True) as store:
        stored = load_document(store, document.id)
    assert stored is not None
    assert [label.model_dump() for label in stored.labels] == [label.model_dump() for label in document.labels]
    assert [(m.kind, m.resolved_by) for m in stored.entities] == [(m.kind, m.resolved_by) for m in document.entities]
    assert [a.described for a in stored.actors] == [a.described for a in document.actors]


def test_two_outlets_label_one_actor_differently(labelled_store: Path) -> None:
    with Store(labelled_store, read_only=True) as store:
        rows = actor_labels(store, "government of Venezuela")
        by_outlet = {(r.outlet, r.term): r for r in rows}
        # Four uses of "regime" in the Herald, one in the critics' words: three are the Herald's.
        assert by_outlet[("Herald", "regime")].count == 3
        quoted = {(r.outlet, r.term): r.count for r in actor_labels(store, "government of Venezuela", voice="source")}
        assert quoted == {("Herald", "regime"): 1}
        assert by_outlet[("Herald", "regime")].polarity == "negative"
        assert by_outlet[("Herald", "regime")].documents == 2
        assert ("Herald", "government") not in by_outlet
        assert by_outlet[("Tribune", "government")].count == 3
        assert by_outlet[("Tribune", "government")].polarity == "neutral"
        assert by_outlet[("Tribune", "popular")].polarity == "positive"
        assert {r.term for r in rows if r.outlet == "Herald"} >= {"brutal", "corrupt"}
        # The limit is per outlet: the most used label of each.
        top = [(r.outlet, r.term) for r in actor_labels(store, "government of Venezuela", limit=1)]
        assert top == [("Herald", "regime"), ("Tribune", "government")]
        example = by_outlet[("Herald", "regime")].example
        assert "regime" in example
        side = {
            r.term: (r.count_a, r.count_b)
            for r in compare_outlets(store, "government of Venezuela", "Herald", "Tribune")
        }
        assert side["regime"] == (3, 0) and side["government"] == (0, 3)
        herald = outlet_actors(store, "Herald")
        assert herald[0].actor == "government of Venezuela" and herald[0].negative >= 5
        tribune = outlet_actors(store, "Tribune")
        assert tribune[0].negative == 0


def test_labels_command_and_api(labelled_store: Path) -> None:
    from fastapi.testclient import TestClient

    from presslens.service.app import create_app
    from tests.test_cli import presslens

    result = presslens("labels", "government of Venezuela", "--store", str(labelled_store), "--format", "csv")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "outlet,term,polarity,count,documents,technique,example"
    assert any(line.startswith("Herald,regime,negative,3,2,") for line in lines)
    result = presslens("labels", "--store", str(labelled_store), "--format", "json")
    assert result.returncode == 1 and result.stderr.startswith("presslens: error: give an ACTOR")
    result = presslens("labels", "--outlet", "Herald", "--store", str(labelled_store), "--format", "json")
    assert json.loads(result.stdout)[0]["actor"] == "government of Venezuela"
    result = presslens(
        "labels",
        "government of Venezuela",
        "--compare",
        "Herald",
        "Tribune",
        "--store",
        str(labelled_store),
        "--format",
        "json",
    )
    assert {r["term"]: r["count_a"] for r in json.loads(result.stdout)}["regime"] == 3

    client = TestClient(create_app(labelled_store), base_url=LOCAL)
    with Store(labelled_store, read_only=True) as store:
        actor_id = find_actor(store, "government of Venezuela").id
    answer = client.get(f"/api/actors/{actor_id}/labels")
    assert answer.status_code == 200
    assert any(r["outlet"] == "Herald" and r["term"] == "regime" for r in answer.json()["items"])
    answer = client.get(f"/api/actors/{actor_id}/labels/compare", params={"a": "Herald", "b": "Tribune"})
    assert answer.status_code == 200 and answer.json()["items"][0]["term"] in ("regime", "government")
    answer = client.get("/api/outlets/labels", params={"outlet": "Herald"})
    assert answer.status_code == 200 and answer.json()["items"][0]["actor"] == "government of Venezuela"
    assert client.get("/api/outlets/labels").status_code == 400
    assert client.get(f"/api/actors/{actor_id}/labels", params={"voice": "nobody"}).status_code == 422


def test_an_alias_file_fixes_a_resolution(parse_only: Pipeline, tmp_path: Path) -> None:
    """'the rebels', an actor of its own in one article, is the Freedom Front by the user's word."""
    path = tmp_path / "aliases.duckdb"
    with Store(path) as store:
        for text in (
            "The Freedom Front, a terrorist cult, held a rally in Paris on Sunday.",
            "The brutal rebels seized the airport. The rebels are dangerous.",
        ):
            store.add(parse_only(Document.from_text(text, outlet="Herald")))
        store.resolve_actors()
        assert find_actor(store, "the rebels").name == "the rebels"
        assert "rebels" not in {row.term for row in actor_labels(store, "Freedom Front", voice="all")}
        store.resolve_actors(parse_aliases("merge:\n  - name: Freedom Front\n    variants: [the rebels]\n", "a.yaml"))
        terms = {row.term for row in actor_labels(store, "Freedom Front")}
    assert {"rebels", "brutal", "dangerous"} <= terms


def test_the_outlet_resolves_what_one_article_only_describes(parse_only: Pipeline, tmp_path: Path) -> None:
    path = tmp_path / "outlet.duckdb"
    texts = [
        ("Herald", "The Freedom Front, a terrorist cult, held a rally in Paris on Sunday. The cult recruits students."),
        ("Herald", "The cult staged a march on Monday. The cult is dangerous."),
        ("Tribune", "The cult staged a march on Monday. The cult is peaceful."),
    ]
    with Store(path) as store:
        documents = [parse_only(Document.from_text(text, outlet=outlet)) for outlet, text in texts]
        assert [a.name for a in documents[1].actors] == ["the cult"] and documents[1].actors[0].described
        for document in documents:
            store.add(document)
        store.resolve_actors()
        herald = {row.term for row in actor_labels(store, "Freedom Front") if row.outlet == "Herald"}
        assert "dangerous" in herald  # the second Herald article's own actor is the Front
        assert "peaceful" not in {row.term for row in actor_labels(store, "Freedom Front")}
        # The Herald's "the cult" is the Front; the Tribune's stays an actor of its own.
        assert {r[0] for r in store.query("SELECT name FROM corpus_actors")} >= {"Freedom Front", "the cult"}
        # Recomputed from the corpus: without the resolving article, the described actor is its own again.
        store.query("DELETE FROM mentions WHERE doc_id = ?", [documents[0].id])
        store.query("DELETE FROM actors WHERE doc_id = ?", [documents[0].id])
        store.resolve_actors()
        assert [r[0] for r in store.query("SELECT name FROM corpus_actors WHERE name = 'Freedom Front'")] == []
