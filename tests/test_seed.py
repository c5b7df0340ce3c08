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
    texts = {seed_document.entities[i].text for i in mek.mentions if seed_document.entities[i].kind == "name"}
    assert texts == {"MEK"}
    # The title's "MEK Influence" is the MEK, not an organisation called "MEK Influence".
    assert not any("Influence" in a.name for a in seed_document.actors)
    assert len(mek.mentions) >= 10


def test_offsets(seed_document: Document) -> None:
    assert assert_offsets(seed_document) > 500


def _attribution(document: Document, cue: str, content_part: str):  # type: ignore[no-untyped-def]
    found = [
        a
        for a in document.attributions
        if " ".join(s.text for s in a.cue).startswith(cue) and content_part in " ".join(s.text for s in a.content)
    ]
    assert found, (cue, content_part, [(" ".join(s.text for s in a.cue), a.speaker) for a in document.attributions])
    return found[0]


def test_attributions_of_the_officials(seed_document: Document) -> None:
    rabiei = _actor(seed_document, "Ali Rabiei")
    indirect = _attribution(seed_document, "said", "the opposition is an enemy of the regime")
    direct = _attribution(seed_document, "said", "Today our enemies, particularly the MEK")
    assert (indirect.kind, indirect.speaker, indirect.speaker_via) == ("indirect", rabiei.id, "name")
    assert (direct.kind, direct.speaker, direct.speaker_via) == ("direct", rabiei.id, "pronoun")
    assert "labour minister" in [r.text for r in rabiei.roles]
    salek = _attribution(seed_document, "said", "The slogans that were chanted")
    assert (salek.kind, salek.speaker) == ("direct", _actor(seed_document, "Ahmad Salek").id)
    assert _actor(seed_document, "MEK").id in salek.targets


def test_op_ed_and_the_quote_nested_in_it(seed_document: Document) -> None:
    warning = _attribution(seed_document, "recently warned", "increasing influence of the MEK")
    assert warning.speaker is not None and warning.speaker_via == "organisation"
    outlet = seed_document.actor(warning.speaker)
    assert outlet is not None and "op-ed" in outlet.name and "IRGC" in outlet.name
    # "It said …" and "The publication also showed …" are the op-ed again, not the MEK.
    publication = _attribution(seed_document, "also showed", "Recently, [Massoud] Rajavi gave a call")
    assert publication.speaker == warning.speaker
    promise = _attribution(seed_document, "has promised", "the turmoil will continue")
    assert promise.speaker == _actor(seed_document, "Massoud Rajavi").id
    assert promise.parent == publication.id
    stipulated = _attribution(seed_document, "stipulated", "her organization was involved in the protests")
    assert stipulated.kind == "indirect"
    assert stipulated.speaker == _actor(seed_document, "Maryam Rajavi").id
    assert stipulated.parent is not None


def test_attribution_offsets(seed_document: Document) -> None:
    assert seed_document.attributions
    for attribution in seed_document.attributions:
        for span in (*attribution.source, *attribution.cue, *attribution.content):
            assert seed_document.text[span.start : span.end] == span.text
        for actor_id in (attribution.speaker, *attribution.targets):
            assert actor_id is None or seed_document.actor(actor_id) is not None


def test_quotes_whole_and_no_cue_that_says_nothing(seed_document: Document) -> None:
    """The default (neural) tagger keeps Ali Rabiei's direct quote whole across "(…)", and
    takes neither "smear campaigns" nor "showing" (a video showing protesters) for a cue."""
    direct = _attribution(seed_document, "said", "Today our enemies, particularly the MEK")
    content = " ".join(s.text for s in direct.content)
    assert "(…) Various networks were activated" in content
    assert content.rstrip('”"').endswith("in the shortest possible time.")
    cues = [" ".join(s.text for s in a.cue) for a in seed_document.attributions]
    assert not [c for c in cues if "smear" in c or c.startswith("showing")], cues
