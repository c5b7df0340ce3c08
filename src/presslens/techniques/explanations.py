"""Plain-language explanations of the 14 PTC propaganda techniques, for readers and teachers.

Each technique has a short label, a one- or two-sentence definition, a hint on how to spot it,
a made-up example and a highlight colour. The texts are written for this project (not taken
from the PTC annotation guidelines); the examples are invented, name no real people or
parties, and are spread across the political spectrum on purpose.

The colours are mid-lightness hues, evenly spaced in OKLCH (lightness 0.60), so that each has a
contrast ratio of at least 3:1 both against white and against a near-black background
(#121212). Colour is never the only cue: show the label alongside it.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass

from presslens.document import TechniqueExplanation


@dataclass(frozen=True)
class TechniqueInfo:
    """What a propaganda technique is, how to spot it, an invented example and its highlight colour."""

    name: str  # the exact PTC class name, e.g. "Name_Calling,Labeling"
    label: str  # short human label, e.g. "Name calling / labelling"
    definition: str
    how_to_recognise: str
    example: str
    colour: str  # "#RRGGBB"


_INFOS: tuple[TechniqueInfo, ...] = (
    TechniqueInfo(
        name="Appeal_to_Authority",
        label="Appeal to authority",
        definition=(
            "Claiming something must be true mainly because an expert, official or famous person says so, "
            "instead of showing the evidence."
        ),
        how_to_recognise=(
            "The claim rests on who said it (“top scientists agree”, “a senior general warns”) with no reasons "
            "given, or the person quoted is not an expert on the topic at all."
        ),
        example="A prize-winning chemist has called the trade deal a disaster, so there is nothing left to debate.",
        colour="#1386D4",
    ),
    TechniqueInfo(
        name="Appeal_to_fear-prejudice",
        label="Appeal to fear / prejudice",
        definition=(
            "Winning support for an idea by making people afraid of what will happen otherwise, "
            "or by playing on dislike or suspicion of a group."
        ),
        how_to_recognise=(
            "Warnings of danger or disaster that are not backed up, or that blame a whole group, "
            "used to push the reader towards one choice."
        ),
        example="If this bill passes, big companies will poison your children's water and nobody will stop them.",
        colour="#C95463",
    ),
    TechniqueInfo(
        name="Bandwagon,Reductio_ad_hitlerum",
        label="Bandwagon / guilt by association",
        definition=(
            "Bandwagon urges people to agree because “everyone” already does; guilt by association "
            "(reductio ad hitlerum) rejects an idea by linking it to a group or regime the audience despises."
        ),
        how_to_recognise=(
            "Phrases like “everyone knows” or “millions have already switched”, or comparisons to a hated "
            "regime or group used instead of judging the idea itself."
        ),
        example="Every sensible family in town has already signed the petition. What are you waiting for?",
        colour="#B36E0C",
    ),
    TechniqueInfo(
        name="Black-and-White_Fallacy",
        label="Black-and-white fallacy",
        definition=(
            "Presenting only two options as if nothing else were possible, usually with one of them made "
            "to look unacceptable, when other choices exist."
        ),
        how_to_recognise=(
            "“Either … or …”, “you are with us or against us”, or one course of action presented as the only way out."
        ),
        example="Either we close the border completely, or we accept that our country will simply stop existing.",
        colour="#0F9293",
    ),
    TechniqueInfo(
        name="Causal_Oversimplification",
        label="Causal oversimplification",
        definition=(
            "Explaining a complicated event by a single cause, blaming or crediting one thing when many "
            "factors were involved."
        ),
        how_to_recognise=(
            "One cause is given for something large, such as prices, crime or an election result, and other "
            "obvious factors are left out."
        ),
        example="Unemployment fell this year, which proves that the mayor's tax cut is what fixed the economy.",
        colour="#7A8A10",
    ),
    TechniqueInfo(
        name="Doubt",
        label="Casting doubt",
        definition=(
            "Questioning the honesty or competence of a person or institution without real evidence, "
            "so that the audience stops trusting them."
        ),
        how_to_recognise=(
            "Suggestive questions and hints (“Can we really believe…?”, “Some people are asking…”) "
            "that raise suspicion without stating a fact that could be checked."
        ),
        example="Is it a coincidence that the inspector's report came out a week after her trip abroad? Just asking.",
        colour="#8C69CD",
    ),
    TechniqueInfo(
        name="Exaggeration,Minimisation",
        label="Exaggeration / minimisation",
        definition=(
            "Making something seem far bigger, better or worse than it is, or playing down something serious "
            "so that it seems unimportant."
        ),
        how_to_recognise=(
            "Extreme words (“the worst ever”, “a total catastrophe”, “just a small hiccup”) that the facts "
            "given do not support."
        ),
        example="This small change to parking fees is the most brutal attack on ordinary families in our history.",
        colour="#C85B31",
    ),
    TechniqueInfo(
        name="Flag-Waving",
        label="Flag-waving",
        definition=(
            "Pushing an idea by appealing to patriotism or pride in a group, implying that anyone who "
            "disagrees is disloyal."
        ),
        how_to_recognise=(
            "Appeals to “real patriots”, “our nation” or a group's identity offered as the main reason to agree, "
            "rather than facts about the issue."
        ),
        example="Real patriots buy local. Anyone who shops at foreign chains doesn't truly love this country.",
        colour="#6277D9",
    ),
    TechniqueInfo(
        name="Loaded_Language",
        label="Loaded language",
        definition=(
            "Using words with strong emotional overtones to steer how the reader feels, where neutral words "
            "would describe the same facts."
        ),
        how_to_recognise=(
            "Vivid, charged words (“slaughter”, “reckless”, “heroic”, “scheme”) in places where a plainer word "
            "would say the same thing."
        ),
        example="The council's reckless scheme will gut our beloved park and bulldoze the memories of a generation.",
        colour="#BF558E",
    ),
    TechniqueInfo(
        name="Name_Calling,Labeling",
        label="Name calling / labelling",
        definition=(
            "Attaching a label, nickname or insult to a person or group so that the audience judges them by "
            "the label rather than by what they do or say."
        ),
        how_to_recognise=(
            "Short tags full of praise or contempt (“extremist”, “elitist”, “puppet”, “hero”) used in place of "
            "describing someone's actual views."
        ),
        example="Once again, the tax-and-spend crowd has found a new way to dip into your wallet.",
        colour="#3E963F",
    ),
    TechniqueInfo(
        name="Repetition",
        label="Repetition",
        definition=(
            "Saying the same message over and over so that it sticks and starts to feel true, even though no "
            "new support is given."
        ),
        how_to_recognise="The same phrase or claim keeps coming back in one article or speech, often word for word.",
        example="This plan is unfair. Unfair to workers, unfair to pensioners, and unfair to our children.",
        colour="#178EAC",
    ),
    TechniqueInfo(
        name="Slogans",
        label="Slogans",
        definition=(
            "A short, catchy phrase that packs a position into a few words and is used as a rallying cry "
            "instead of an argument."
        ),
        how_to_recognise=(
            "Brief, memorable phrases, often in quotes, on banners or chanted, that state a stance without "
            "any reasoning."
        ),
        example="Marchers filled the square carrying one message on every banner: “Our streets, our say!”",
        colour="#9A7D0B",
    ),
    TechniqueInfo(
        name="Thought-terminating_Cliches",
        label="Thought-terminating cliché",
        definition="A stock phrase used to close down a discussion and discourage further thinking about a topic.",
        how_to_recognise=(
            "Ready-made phrases such as “it is what it is”, “that's just politics” or “rules are rules” offered "
            "as the final word instead of an answer."
        ),
        example="Asked why the safety report had been delayed again, the spokesperson shrugged: “Rules are rules.”",
        colour="#AA5DB3",
    ),
    TechniqueInfo(
        name="Whataboutism,Straw_Men,Red_Herring",
        label="Whataboutism / straw man / red herring",
        definition=(
            "Ways of dodging an argument: pointing to the other side's faults instead (whataboutism), "
            "attacking a twisted version of the opponent's view (straw man), or changing the subject (red herring)."
        ),
        how_to_recognise=(
            "“But what about…?”, a summary of the other side's view that no reasonable person holds, "
            "or a sudden switch of topic when a hard question comes up."
        ),
        example="You complain about our deficit? What about the billions your party wasted when it was in charge?",
        colour="#169675",
    ),
)

# Keyed by the exact PTC class names, in the order of techniques.txt.
TECHNIQUE_INFO: dict[str, TechniqueInfo] = {info.name: info for info in _INFOS}


def explain(name: str) -> TechniqueInfo:
    """Return the explanation for the PTC technique ``name`` (the exact class name).

    Raises ``KeyError`` for an unknown name, suggesting the closest known names.
    """
    if isinstance(name, str) and name in TECHNIQUE_INFO:
        return TECHNIQUE_INFO[name]
    by_folded = {key.casefold(): key for key in TECHNIQUE_INFO}
    close = difflib.get_close_matches(str(name).casefold(), by_folded, n=3, cutoff=0.5)
    hint = f" Did you mean: {', '.join(repr(by_folded[c]) for c in close)}?" if close else ""
    known = ", ".join(TECHNIQUE_INFO)
    raise KeyError(f"unknown propaganda technique {name!r}.{hint} Known techniques: {known}") from None


def all_techniques() -> list[TechniqueInfo]:
    """All 14 techniques, in the PTC order (that of techniques.txt)."""
    return list(_INFOS)


def explanation(name: str) -> TechniqueExplanation:
    """The explanation of the technique ``name`` as a Document carries it
    (``TechniqueSummary.explanations``); ``KeyError`` for an unknown name, as ``explain``."""
    info = explain(name)
    return TechniqueExplanation(
        label=info.label,
        definition=info.definition,
        how_to_recognise=info.how_to_recognise,
        example=info.example,
        colour=info.colour,
    )


def explanations_for(names: Iterable[str]) -> dict[str, TechniqueExplanation]:
    """The explanations of ``names``, in their order; names this list does not know are left
    out (a store may hold the techniques of another model)."""
    return {name: explanation(name) for name in names if name in TECHNIQUE_INFO}
