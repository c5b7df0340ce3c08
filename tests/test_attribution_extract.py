"""The attribution extractor: BIO runs, grouping into attributions, gold tags, and the shipped
tagger on sentences written for these tests."""

from __future__ import annotations

import pytest

from presslens.attribution.extract import group, load_extractor, runs_of
from presslens.attribution.features import CueLexicon, paragraphs, quote_depths
from presslens.attribution.polnear import PolnearAttribution, PolnearDocument
from presslens.attribution.train import gold_tags
from presslens.attribution.types import FoundAttribution
from presslens.models.loader import spacy_model


@pytest.fixture(scope="module")
def nlp():  # type: ignore[no-untyped-def]
    return spacy_model("md")


def texts(found: FoundAttribution, text: str) -> tuple[str | None, str, str]:
    source = " ".join(text[s:e] for s, e in found.source) if found.source else None
    cue = " ".join(text[s:e] for s, e in found.cue)
    content = " ".join(text[s:e] for s, e in found.content)
    return source, cue, content


def test_runs_of_bio() -> None:
    labels = ["B-S", "I-S", "B-C", "O", "B-Q", "I-Q", "I-C", "B-Q", "I-Q"]
    assert runs_of(labels) == [("S", 0, 1), ("C", 2, 2), ("Q", 4, 5), ("C", 6, 6), ("Q", 7, 8)]


def tag_words(doc, spec: dict[str, str]) -> list[str]:  # type: ignore[no-untyped-def]
    """BIO labels for ``doc`` from {role letter: exact substring}."""
    labels = ["O"] * len(doc)
    for role, phrase in spec.items():
        start = doc.text.index(phrase)
        end = start + len(phrase)
        inside = [t.i for t in doc if t.idx >= start and t.idx + len(t.text) <= end]
        for n, i in enumerate(inside):
            labels[i] = ("B-" if n == 0 else "I-") + role
    return labels


def test_group_links_source_cue_content(nlp) -> None:  # type: ignore[no-untyped-def]
    doc = nlp("The minister said that the plan would fail.")
    labels = tag_words(doc, {"S": "The minister", "C": "said", "Q": "that the plan would fail"})
    (found,) = group(list(doc), labels, [0.9] * len(doc))
    assert texts(found, doc.text) == ("The minister", "said", "that the plan would fail")
    assert found.confidence == pytest.approx(0.9)


def test_group_interrupted_quote_is_one_discontinuous_content(nlp) -> None:  # type: ignore[no-untyped-def]
    doc = nlp("“We will win,” she said, “and we will win soon.”")
    labels = ["O"] * len(doc)
    spec = tag_words(doc, {"Q": "We will win", "S": "she", "C": "said"})
    second = tag_words(doc, {"Q": "and we will win soon"})
    labels = [a if a != "O" else b for a, b in zip(spec, second, strict=True)]
    (found,) = group(list(doc), labels, [1.0] * len(doc))
    source, cue, content = texts(found, doc.text)
    assert (source, cue) == ("she", "said")
    assert len(found.content) == 2
    assert content == "We will win and we will win soon"


def test_group_drops_cue_without_content_and_keeps_sourceless(nlp) -> None:  # type: ignore[no-untyped-def]
    doc = nlp("It is said that taxes will rise. He smiled.")
    labels = tag_words(doc, {"C": "is said", "Q": "that taxes will rise"})
    labels[next(t.i for t in doc if t.text == "smiled")] = "B-C"  # a cue with nothing said
    found = group(list(doc), labels, [1.0] * len(doc))
    assert len(found) == 1
    assert found[0].source is None
    assert texts(found[0], doc.text)[2] == "that taxes will rise"


def test_gold_tags_prefer_cue_over_source_over_content(nlp) -> None:  # type: ignore[no-untyped-def]
    text = "The paper reported that the mayor said he would resign."
    doc = nlp(text)

    def at(phrase: str) -> tuple[tuple[int, int], ...]:
        start = text.index(phrase)
        return ((start, start + len(phrase)),)

    outer = PolnearAttribution(at("The paper"), at("reported"), at("that the mayor said he would resign"))
    inner = PolnearAttribution(at("the mayor"), at("said"), at("he would resign"))
    tags = gold_tags(list(doc), PolnearDocument("t", text, (outer, inner)))
    by_word = {t.text: tag for t, tag in zip(doc, tags, strict=True)}
    assert by_word["reported"] == "B-C"
    assert by_word["said"] == "B-C"
    assert by_word["mayor"] == "I-S"
    assert by_word["resign"] == "I-Q"
    assert by_word["that"] == "B-Q"
    assert by_word["."] == "O"


def test_quote_depths_and_paragraphs(nlp) -> None:  # type: ignore[no-untyped-def]
    doc = nlp("He said “no way” today.\n\nShe left.")
    inside = quote_depths(list(doc))
    assert [t.text for t, q in zip(doc, inside, strict=True) if q] == ["“", "no", "way", "”"]
    assert [p.text for p in paragraphs(doc)] == ["He said “no way” today.", "She left."]


def test_cue_lexicon_rate_is_smoothed() -> None:
    lexicon = CueLexicon()
    for _ in range(8):
        lexicon.add("say", True)
    lexicon.add("table", False)
    assert lexicon.rate("say") == pytest.approx(0.8)
    assert lexicon.rate("table") == 0.0
    assert CueLexicon.from_json(lexicon.to_json()).rate("say") == pytest.approx(0.8)


def test_shipped_tagger_finds_direct_and_indirect(nlp) -> None:  # type: ignore[no-untyped-def]
    text = (
        "The finance minister Jane Doe said on Tuesday that the budget would be balanced by 2030.\n\n"
        "“We have no other choice,” she told reporters."
    )
    doc = nlp(text)
    found = load_extractor().extract(doc)
    got = [texts(f, text) for f in found]
    assert any(cue == "said" and "budget would be balanced" in content for _, cue, content in got), got
    assert any(cue == "told" and "no other choice" in content and source == "she" for source, cue, content in got), got
    for f in found:
        for start, end in (*(f.source or ()), *f.cue, *f.content):
            assert 0 <= start < end <= len(text)


def test_colon_at_paragraph_end_introduces_the_next_paragraph(nlp) -> None:  # type: ignore[no-untyped-def]
    text = "The harbour minister Elena Marsh said:\n\n“We will not give in to blackmail, not today and not ever.”"
    doc = nlp(text)
    found = load_extractor().extract(doc)
    got = [texts(f, text) for f in found]
    assert any(
        source == "The harbour minister Elena Marsh" and content.startswith("“We will not give in")
        for source, _, content in got
    ), got


def test_speaker_labels_make_attributions_of_their_lines(nlp) -> None:  # type: ignore[no-untyped-def]
    text = (
        "Partial transcript of the interview follows.\n"
        "WALLACE: Let us start with the news about the debate on Monday night.\n"
        '"PENCE: Well, look, the campaign thinks this is an episode of a reality show."\n'
        "Note: this transcript was edited for length and clarity by our staff.\n"
        "Q: And what about the polls?"
    )
    found = load_extractor().extract(nlp(text))
    got = [texts(f, text) for f in found]
    assert ("WALLACE", ":", "Let us start with the news about the debate on Monday night.") in got, got
    assert ("PENCE", ":", "Well, look, the campaign thinks this is an episode of a reality show.") in got, got
    assert not any(source in ("Note", "Q") for source, _, _ in got), got


def test_a_quote_signed_with_a_dash_is_attributed_to_the_name(nlp) -> None:  # type: ignore[no-untyped-def]
    text = (
        "Readers wrote to us after the debate.\n\n"
        "“He represents our greatest shame and he does not speak for us.” ― Sonya Herridge\n\n"
        "“I am so ashamed of what was said on that stage last night.” — Pamela Padilla, a teacher"
    )
    found = load_extractor().extract(nlp(text))
    got = [texts(f, text) for f in found]
    assert ("Sonya Herridge", "―", "“He represents our greatest shame and he does not speak for us.”") in got, got
    assert ("Pamela Padilla", "—", "“I am so ashamed of what was said on that stage last night.”") in got, got


def test_according_to_anywhere_in_the_sentence(nlp) -> None:  # type: ignore[no-untyped-def]
    from presslens.attribution.patterns import according_to

    text = (
        "According to the harbour authority, the port will reopen on Monday morning.\n\n"
        "The strike cost the city two million euros a day, according to union leaders."
    )
    doc = nlp(text)
    got = [texts(f, text) for f in according_to(doc, [])]
    assert ("the harbour authority", "According to", "the port will reopen on Monday morning") in got, got
    assert ("union leaders", "according to", "The strike cost the city two million euros a day") in got, got
    # A cue the tagger found already is left alone.
    taken = [FoundAttribution(None, ((0, 12),), ((37, 75),), 0.9)]
    assert [texts(f, text)[1] for f in according_to(doc, taken)] == ["according to"]


def test_speech_verbs_the_tagger_missed(nlp) -> None:  # type: ignore[no-untyped-def]
    from presslens.attribution.extract import missed_speech_verbs

    text = (
        "A cashier who steals a few notes is held accountable, Senator Warren said.\n\n"
        "The mayor told reporters that the bridge would stay closed until spring."
    )
    doc = nlp(text)
    got = [texts(f, text) for f in missed_speech_verbs(doc, [])]
    assert ("Senator Warren", "said", "A cashier who steals a few notes is held accountable") in got, got
    assert ("The mayor", "told", "that the bridge would stay closed until spring") in got, got
    # A verb the tagger already made a cue of, or one inside another content, is left alone.
    said = text.index("said")
    taken = [FoundAttribution(None, ((said, said + 4),), ((0, text.index(",")),), 0.9)]
    assert [texts(f, text)[1] for f in missed_speech_verbs(doc, taken)] == ["told"]
