"""The showcase article: debris removed, title kept, the actors a reader sees."""

from __future__ import annotations

from presslens.document import Actor, Document

from .conftest import assert_offsets


def _actor(document: Document, name: str) -> Actor:
    found = [a for a in document.actors if a.name == name]
    assert len(found) == 1, (name, [(a.name, a.kind) for a in document.actors])
    return found[0]


def test_title_and_debris(seed_document: Document) -> None:
    assert seed_document.title == "Iranian Regime Fearful of MEK Influence"
    assert "Home News" not in seed_document.text
    assert "Exit mobile version" not in seed_document.text
    assert seed_document.text.startswith("Iranian Regime Fearful of MEK Influence\n")
    assert {r.reason for r in seed_document.removed} == {"breadcrumb", "site furniture"}
    assert seed_document.language == "en"


def test_actors(seed_document: Document) -> None:
    rabiei = _actor(seed_document, "Ali Rabiei")
    assert rabiei.kind == "person"
    assert "labour minister" in [r.text for r in rabiei.roles]
    assert _actor(seed_document, "Ahmad Salek").kind == "person"
    assert _actor(seed_document, "MEK").kind == "organisation"
    irgc = next(a for a in seed_document.actors if "IRGC" in [a.name, *a.aliases])
    assert irgc.kind == "organisation"
    assert irgc.name == "Islamic Revolutionary Guard Corps"
    massoud = _actor(seed_document, "Massoud Rajavi")
    maryam = _actor(seed_document, "Maryam Rajavi")
    assert massoud.kind == maryam.kind == "person"
    assert massoud.id != maryam.id
    assert _actor(seed_document, "Iran").kind == "place"
    assert _actor(seed_document, "Paris").kind == "place"


def test_mek_mentions_merged(seed_document: Document) -> None:
    mek = _actor(seed_document, "MEK")
    texts = {seed_document.entities[i].text for i in mek.mentions}
    assert texts == {"MEK"}
    # The title's "MEK Influence" is the MEK, not an organisation called "MEK Influence".
    assert not any("Influence" in a.name for a in seed_document.actors)
    assert len(mek.mentions) >= 10


def test_offsets(seed_document: Document) -> None:
    assert assert_offsets(seed_document) > 500
