"""The plain-language explanations of the 14 PTC techniques: complete, well-formed, distinct colours."""

from __future__ import annotations

import colorsys
import dataclasses
import itertools
import re

import pytest

from presslens.techniques import ptc
from presslens.techniques.explanations import TECHNIQUE_INFO, TechniqueInfo, all_techniques, explain

# The 14 class names of SemEval-2020 Task 11 (tests/test_ptc_scorer.py checks them against techniques.txt).
NAMES = list(ptc.TECHNIQUES)
HEX = re.compile(r"#[0-9A-Fa-f]{6}")
FIELDS = [field.name for field in dataclasses.fields(TechniqueInfo)]


def luminance(colour: str) -> float:
    """WCAG relative luminance of ``#RRGGBB``."""
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_every_technique_present_in_order():
    assert list(TECHNIQUE_INFO) == NAMES
    assert [info.name for info in all_techniques()] == NAMES
    assert list(ptc.TECHNIQUES) == NAMES  # the explanations and the corpus reader agree
    for name, info in TECHNIQUE_INFO.items():
        assert info.name == name


def test_all_techniques_is_a_fresh_list():
    first = all_techniques()
    first.clear()
    assert len(all_techniques()) == 14


@pytest.mark.parametrize("name", NAMES)
def test_no_empty_field(name: str):
    info = TECHNIQUE_INFO[name]
    for field in FIELDS:
        value = getattr(info, field)
        assert isinstance(value, str), (name, field)
        assert value.strip(), (name, field)
        assert value == value.strip(), (name, field)


@pytest.mark.parametrize("name", NAMES)
def test_texts_are_short(name: str):
    info = TECHNIQUE_INFO[name]
    assert len(info.example) < 200, info.example
    assert len(info.label) <= 40, info.label
    for text in (info.definition, info.how_to_recognise):
        assert len(text) < 300, text


def test_labels_distinct():
    labels = [info.label.casefold() for info in all_techniques()]
    assert len(set(labels)) == len(labels)


def test_info_is_frozen():
    info = explain("Doubt")
    with pytest.raises(dataclasses.FrozenInstanceError):
        info.colour = "#000000"  # type: ignore[misc]


def test_colours_valid_and_distinct():
    colours = [info.colour for info in all_techniques()]
    for colour in colours:
        assert HEX.fullmatch(colour), colour
    assert len({c.upper() for c in colours}) == 14


def test_colours_are_distinct_hues():
    hues = []
    for info in all_techniques():
        r, g, b = (int(info.colour[i : i + 2], 16) / 255 for i in (1, 3, 5))
        hue, _, saturation = colorsys.rgb_to_hls(r, g, b)
        assert saturation > 0.3, info  # a real hue, not a grey
        hues.append(hue * 360)
    for (a, ha), (b, hb) in itertools.combinations(zip(NAMES, hues, strict=True), 2):
        gap = min(abs(ha - hb), 360 - abs(ha - hb))
        assert gap >= 10, (a, b, gap)


@pytest.mark.parametrize("background", ["#FFFFFF", "#121212"])
def test_colours_readable_on_light_and_dark(background: str):
    for info in all_techniques():
        assert contrast(info.colour, background) >= 3.0, (info.name, info.colour, background)


def test_explain_known():
    for name in NAMES:
        assert explain(name) is TECHNIQUE_INFO[name]


@pytest.mark.parametrize("bad", ["Propaganda", "", "doubt", "Name_Calling", "Loaded language"])
def test_explain_unknown_raises_helpful_key_error(bad: str):
    with pytest.raises(KeyError) as caught:
        explain(bad)
    message = str(caught.value)
    assert repr(bad) in message
    assert "Loaded_Language" in message  # the known names are listed


def test_explain_suggests_close_name():
    with pytest.raises(KeyError, match="Did you mean: 'Loaded_Language'"):
        explain("loaded language")
    with pytest.raises(KeyError, match="Did you mean: 'Name_Calling,Labeling'"):
        explain("Name_Calling")
