"""Attributions after extraction: kind, speaker, targets and nesting, on sentences written here.

The extractor is not used: each test states by hand what a tagger would find (character
fragments located with ``str.index``), so these tests pin down the rules of ``resolve``
whatever model is installed.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import pytest
from rich.console import Console
from spacy.tokens import Doc

from presslens.actors.article import add_actor_layers
from presslens.attribution.resolve import build_attributions
from presslens.attribution.types import FoundAttribution
from presslens.cli.render import render
from presslens.document import Attribution, Document
from presslens.models.loader import spacy_model
from presslens.nlp import add_nlp_layers
from presslens.pipeline import Pipeline
from presslens.text import quote_regions

from .conftest import assert_offsets

Interval = tuple[int, int]


def analysed(text: str) -> tuple[Document, Doc]:
    """A document with the layers the attribution stage finds when it runs: nlp and actors."""
    parsed = spacy_model("md")(text)
    document = Document.from_text(text)
    add_nlp_layers(document, parsed)
    add_actor_layers(document, parsed)
    return document, parsed


def at(text: str, phrase: str, after: str = "") -> Interval:
    """The fragment of ``phrase`` in ``text``, the first one after ``after`` when given."""
    start = text.index(phrase, text.index(after) + len(after) if after else 0)
    return start, start + len(phrase)


def found(source: Interval | None, cue: Interval, *content: Interval, confidence: float = 0.9) -> FoundAttribution:
    return FoundAttribution(
        source=(source,) if source else None, cue=(cue,), content=tuple(content), confidence=confidence
    )


def resolve(document: Document, parsed: Doc, items: list[FoundAttribution]) -> list[Attribution]:
    document.attributions = build_attributions(document, parsed, items)
    assert_offsets(document)  # every source, cue and content span covers exactly its text
    return document.attributions


def speaker_name(document: Document, attribution: Attribution) -> str | None:
    actor = document.actor(attribution.speaker) if attribution.speaker else None
    return actor.name if actor else None


# --- quote marks ----------------------------------------------------------------------------


def test_quote_regions_tell_quotes_from_apostrophes() -> None:
    text = "Valdoria’s minister said ‘no’ and “never”. The workers' union said \"wait\" and 'soon'."
    quoted = [text[s:e] for s, e in quote_regions(text)]
    assert quoted == ["‘no’", "“never”", '"wait"', "'soon'"]


def test_quote_left_open_ends_with_its_paragraph() -> None:
    # News convention: a long quote reopens every paragraph and closes only at its end.
    text = "“The port will close.\n“The strike goes on,” she said."
    assert [text[s:e] for s, e in quote_regions(text)] == ["“The port will close.", "“The strike goes on,”"]


# --- kinds ----------------------------------------------------------------------------------


def test_direct_indirect_and_mixed() -> None:
    text = (
        "Opposition leader Anna Berg said the budget would hurt dockworkers. "
        "She called it “a betrayal of every worker” in the port. "
        "Tomas Brandt replied: “The budget is fair.”"
    )
    document, parsed = analysed(text)
    indirect = found(
        at(text, "Opposition leader Anna Berg"), at(text, "said"), at(text, "the budget would hurt dockworkers")
    )
    mixed = found(at(text, "She"), at(text, "called"), at(text, "it “a betrayal of every worker” in the port"))
    direct = found(at(text, "Tomas Brandt"), at(text, "replied"), at(text, "“The budget is fair.”"))
    # Given out of order: ids follow the text.
    q1, q2, q3 = resolve(document, parsed, [direct, indirect, mixed])
    assert [q.id for q in (q1, q2, q3)] == ["Q1", "Q2", "Q3"]
    assert [q.kind for q in (q1, q2, q3)] == ["indirect", "mixed", "direct"]
    assert [speaker_name(document, q) for q in (q1, q2, q3)] == ["Anna Berg", "Anna Berg", "Tomas Brandt"]
    assert [q.speaker_via for q in (q1, q2, q3)] == ["name", "pronoun", "name"]


def test_that_before_a_quote_keeps_it_direct() -> None:
    text = "Tomas Brandt said that “the port will reopen.” He added that the “strike” was over."
    document, parsed = analysed(text)
    first, second = resolve(
        document,
        parsed,
        [
            found(at(text, "Tomas Brandt"), at(text, "said"), at(text, "that “the port will reopen.”")),
            found(at(text, "He"), at(text, "added"), at(text, "that the “strike” was over")),
        ],
    )
    assert (first.kind, second.kind) == ("direct", "mixed")


def test_discontinuous_quote_is_direct_with_two_fragments() -> None:
    text = "Anna Berg spoke to dockworkers on Friday. “We will win,” she said, “and soon.”"
    document, parsed = analysed(text)
    (quote,) = resolve(
        document, parsed, [found(at(text, "she"), at(text, "said"), at(text, "We will win,"), at(text, "and soon."))]
    )
    assert quote.kind == "direct"
    assert [c.text for c in quote.content] == ["We will win,", "and soon."]
    assert speaker_name(document, quote) == "Anna Berg" and quote.speaker_via == "pronoun"


def test_sourceless_attribution() -> None:
    text = "It is said that the harbour council will resign before the summer."
    document, parsed = analysed(text)
    (claim,) = resolve(
        document, parsed, [found(None, at(text, "is said"), at(text, "the harbour council will resign"))]
    )
    assert claim.source == [] and claim.speaker is None and claim.speaker_via == "none"
    assert claim.kind == "indirect"
    assert [c.text for c in claim.cue] == ["is said"]


def test_confidence_is_clipped() -> None:
    text = "Tomas Brandt said the port would reopen."
    document, parsed = analysed(text)
    items = [found(at(text, "Tomas Brandt"), at(text, "said"), at(text, "the port would reopen"), confidence=1.2)]
    assert resolve(document, parsed, items)[0].confidence == 1.0


# --- speakers -------------------------------------------------------------------------------


def test_name_at_the_head_of_the_source() -> None:
    text = "Harbour Office spokesman Josh Ferrant said the deal was good for Calvetta."
    document, parsed = analysed(text)
    (claim,) = resolve(
        document,
        parsed,
        [found(at(text, "Harbour Office spokesman Josh Ferrant"), at(text, "said"), at(text, "the deal was good"))],
    )
    assert speaker_name(document, claim) == "Josh Ferrant" and claim.speaker_via == "name"


def test_name_deep_inside_an_outlet_phrase_is_not_the_speaker() -> None:
    text = "An editorial in a weekly close to the Valdoria Party claimed that the strike had failed."
    document, parsed = analysed(text)
    source = at(text, "An editorial in a weekly close to the Valdoria Party")
    (claim,) = resolve(document, parsed, [found(source, at(text, "claimed"), at(text, "the strike had failed"))])
    # The unnamed outlet becomes an actor of its own, named by its description; the party
    # only describes it.
    assert speaker_name(document, claim) == "editorial in a weekly close to the Valdoria Party"
    assert claim.speaker_via == "organisation"
    assert claim.source[0].text == "An editorial in a weekly close to the Valdoria Party"
    party = [a for a in document.actors if a.name == "Valdoria Party"]
    assert party and claim.speaker != party[0].id


def test_pronoun_after_a_statement_is_its_speaker() -> None:
    text = "Labour minister Ali Rabiei said the plan would fail. He said “We will not retreat.”"
    document, parsed = analysed(text)
    first, second = resolve(
        document,
        parsed,
        [
            found(at(text, "Labour minister Ali Rabiei"), at(text, "said"), at(text, "the plan would fail")),
            found(at(text, "He"), at(text, "said", after="He"), at(text, "“We will not retreat.”")),
        ],
    )
    assert speaker_name(document, first) == speaker_name(document, second) == "Ali Rabiei"
    assert (first.speaker_via, second.speaker_via) == ("name", "pronoun")
    assert (first.kind, second.kind) == ("indirect", "direct")


def test_pronoun_prefers_the_subject_just_before_over_an_older_speaker() -> None:
    text = (
        "Ali Rabiei said the talks had failed. Ahmad Salek met workers in the capital on Monday. "
        "He said the strike would go on."
    )
    document, parsed = analysed(text)
    _, second = resolve(
        document,
        parsed,
        [
            found(at(text, "Ali Rabiei"), at(text, "said"), at(text, "the talks had failed")),
            found(at(text, "He"), at(text, "said", after="He"), at(text, "the strike would go on")),
        ],
    )
    assert speaker_name(document, second) == "Ahmad Salek"


def test_it_refers_to_an_organisation() -> None:
    text = "The National Dockworkers Federation met in Calvetta on Monday. It said the strike would go on."
    document, parsed = analysed(text)
    (claim,) = resolve(document, parsed, [found(at(text, "It"), at(text, "said"), at(text, "the strike would go on"))])
    assert speaker_name(document, claim) == "National Dockworkers Federation" and claim.speaker_via == "pronoun"


def test_role_noun() -> None:
    text = "Tomas Brandt, the harbour minister, met union leaders on Tuesday. The minister said the strike must end."
    document, parsed = analysed(text)
    (claim,) = resolve(
        document, parsed, [found(at(text, "The minister"), at(text, "said"), at(text, "the strike must end"))]
    )
    assert speaker_name(document, claim) == "Tomas Brandt" and claim.speaker_via == "role"


def test_role_noun_picks_the_matching_minister() -> None:
    text = (
        "Finance minister Elena Marsh met Tomas Brandt, the harbour minister, on Monday. "
        "The finance minister said the budget was closed."
    )
    document, parsed = analysed(text)
    (claim,) = resolve(
        document,
        parsed,
        [found(at(text, "The finance minister"), at(text, "said"), at(text, "the budget was closed"))],
    )
    assert speaker_name(document, claim) == "Elena Marsh" and claim.speaker_via == "role"


def test_title_before_a_name_is_a_role() -> None:
    text = "Voters cheered the president. Sen. Tomas Brandt spoke next. The senator said the port would reopen."
    document, parsed = analysed(text)
    (claim,) = resolve(
        document, parsed, [found(at(text, "The senator"), at(text, "said"), at(text, "the port would reopen"))]
    )
    assert speaker_name(document, claim) == "Tomas Brandt" and claim.speaker_via == "role"


def test_indefinite_role_noun_is_someone_new() -> None:
    text = "Tomas Brandt, the harbour minister, met union leaders. A minister said the strike must end."
    document, parsed = analysed(text)
    (claim,) = resolve(
        document, parsed, [found(at(text, "A minister"), at(text, "said"), at(text, "the strike must end"))]
    )
    assert claim.speaker is None and claim.speaker_via == "unresolved"


def test_outlet_noun_points_back_at_the_outlet() -> None:
    text = (
        "The Valdoria Tribune published the interview on Sunday. The Calvetta Port Authority denied the claims. "
        "The newspaper said the authority had refused to answer."
    )
    document, parsed = analysed(text)
    (claim,) = resolve(
        document,
        parsed,
        [found(at(text, "The newspaper"), at(text, "said"), at(text, "the authority had refused to answer"))],
    )
    assert speaker_name(document, claim) == "Valdoria Tribune" and claim.speaker_via == "organisation"


# --- targets and nesting --------------------------------------------------------------------


def test_targets_are_the_actors_in_the_content_but_not_the_speaker() -> None:
    text = "Anna Berg said Tomas Brandt had misled the Calvetta Port Authority and Anna Berg herself."
    document, parsed = analysed(text)
    (claim,) = resolve(
        document,
        parsed,
        [found(at(text, "Anna Berg"), at(text, "said"), at(text, "Tomas Brandt had misled the Calvetta Port"))],
    )
    names = [document.actor(t).name for t in claim.targets]  # type: ignore[union-attr]
    assert names == ["Tomas Brandt", "Calvetta Port Authority"]
    claim_all = build_attributions(
        document, parsed, [found(at(text, "Anna Berg"), at(text, "said"), at(text, "Tomas Brandt had misled"))]
    )[0]
    assert claim.speaker not in claim_all.targets


def test_outlet_reporting_a_quote_is_its_parent() -> None:
    text = (
        "The Valdoria Tribune reported on Monday that Anna Berg had told dockworkers "
        "“the harbour plan is dead.” The newspaper said the Calvetta Port Authority had refused to comment."
    )
    document, parsed = analysed(text)
    report, quote, later = resolve(
        document,
        parsed,
        [
            found(
                at(text, "The Valdoria Tribune"),
                at(text, "reported"),
                at(text, "Anna Berg had told dockworkers “the harbour plan is dead.”"),
            ),
            found(at(text, "Anna Berg"), at(text, "had told"), at(text, "the harbour plan is dead.")),
            found(at(text, "The newspaper"), at(text, "said"), at(text, "the Calvetta Port Authority had refused")),
        ],
    )
    assert quote.parent == report.id and report.parent is None and later.parent is None
    assert (report.kind, quote.kind) == ("mixed", "direct")
    assert speaker_name(document, report) == "Valdoria Tribune" and report.speaker_via == "name"
    assert speaker_name(document, quote) == "Anna Berg"
    assert [document.actor(t).name for t in report.targets] == ["Anna Berg"]  # type: ignore[union-attr]
    # "The newspaper" is the Tribune, though Anna Berg spoke more recently: she is no outlet.
    assert speaker_name(document, later) == "Valdoria Tribune" and later.speaker_via == "organisation"
    assert [document.actor(t).name for t in later.targets] == ["Calvetta Port Authority"]  # type: ignore[union-attr]


def test_report_without_content_still_nests_what_it_reports() -> None:
    # A token tagger gives each word one role: the Tribune's content may stop where Berg's
    # source starts. The parse says "had told" is the complement of "reported".
    text = "The Valdoria Tribune reported that Anna Berg had told dockworkers “the harbour plan is dead.”"
    document, parsed = analysed(text)
    report, quote = resolve(
        document,
        parsed,
        [
            found(at(text, "The Valdoria Tribune"), at(text, "reported")),
            found(at(text, "Anna Berg"), at(text, "had told"), at(text, "the harbour plan is dead.")),
        ],
    )
    assert report.content == [] and report.kind == "indirect"
    assert quote.parent == report.id


def test_coordinated_statements_are_siblings() -> None:
    text = "Anna Berg said the port would close and added that the strike would go on."
    document, parsed = analysed(text)
    first, second = resolve(
        document,
        parsed,
        [
            found(at(text, "Anna Berg"), at(text, "said"), at(text, "the port would close")),
            found(None, at(text, "added"), at(text, "the strike would go on")),
        ],
    )
    assert first.parent is None and second.parent is None


def test_relative_pronoun_is_its_antecedent() -> None:
    text = "The strike was backed by Ahmad Salek, who said the port must close."
    document, parsed = analysed(text)
    (claim,) = resolve(document, parsed, [found(at(text, "who"), at(text, "said"), at(text, "the port must close"))])
    assert speaker_name(document, claim) == "Ahmad Salek" and claim.speaker_via == "pronoun"


def test_bad_fragments_are_clipped_not_fatal() -> None:
    text = "Tomas Brandt said the port would reopen."
    document, parsed = analysed(text)
    items = [
        FoundAttribution(source=((0, 12),), cue=(at(text, "said"),), content=((18, 500), (30, 30)), confidence=0.5),
        FoundAttribution(source=None, cue=(), content=(), confidence=0.5),  # nothing left to show
    ]
    (claim,) = resolve(document, parsed, items)
    assert [c.text for c in claim.content] == ["the port would reopen."]


# --- stage and view -------------------------------------------------------------------------


@dataclass
class _FixedExtractor:
    items: list[FoundAttribution]

    def extract(self, parsed: Doc, encoding: object = None) -> list[FoundAttribution]:
        return self.items


def test_stage_fills_the_layer(monkeypatch: pytest.MonkeyPatch) -> None:
    from presslens.actors.stage import ActorStage
    from presslens.attribution import stage as stage_module

    text = "Tomas Brandt said the port would reopen."
    items = [found(at(text, "Tomas Brandt"), at(text, "said"), at(text, "the port would reopen"))]
    monkeypatch.setattr(stage_module, "load_tagger", lambda name=None, folder=None: _FixedExtractor(items))
    pipeline = Pipeline(stages=[ActorStage(), stage_module.AttributionStage()])
    document = pipeline(Document.from_text(text))
    assert [(a.id, speaker_name(document, a)) for a in document.attributions] == [("Q1", "Tomas Brandt")]
    assert Pipeline().stage_names == ["nlp", "encoder", "actors", "attribution", "techniques", "claims", "labels"]


def test_text_view_lists_attributions_nested() -> None:
    text = (
        "The Valdoria Tribune reported that opposition leader Anna Berg had told dockworkers "
        "“the harbour plan is dead.” It is said that the harbour council will resign."
    )
    document, parsed = analysed(text)
    report = at(text, "opposition leader Anna Berg had told dockworkers “the harbour plan is dead.”")
    resolve(
        document,
        parsed,
        [
            found(at(text, "The Valdoria Tribune"), at(text, "reported"), report),
            found(at(text, "opposition leader Anna Berg"), at(text, "had told"), at(text, "the harbour plan is dead.")),
            found(None, at(text, "is said"), at(text, "the harbour council will resign")),
        ],
    )
    out = io.StringIO()
    Console(file=out, width=200, color_system=None).print(render(document))
    lines = out.getvalue().splitlines()
    start = lines.index(next(line for line in lines if line.startswith("Attributions (3)")))
    section = lines[start + 1 : start + 4]
    assert section[0].startswith("[mixed] Valdoria Tribune: ")
    assert section[1].startswith("  └ [direct] Anna Berg (opposition leader): the harbour plan is dead.")
    assert section[2].startswith("[indirect] (no source): the harbour council will resign")
    assert "attribution cues" in out.getvalue()
