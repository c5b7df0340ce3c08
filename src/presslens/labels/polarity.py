"""The polarity of a label: negative, neutral or positive.

Two sources, chosen for what each rates:
- VADER's lexicon (Hutto & Gilbert, ICWSM 2014; the ``vaderSentiment`` package, MIT): 7,500
  English words, each rated from -4 to +4 by ten people. General words of praise and blame
  ("brutal" -3.1, "terrorist" -3.7, "enemy" -2.5, "support" +1.7, "hero" +2.6). A word counts
  when its mean rating is at least ``MIN_VALENCE`` from neutral: one step of the raters' scale.
- The lexicon's words of blame (``BLAME_WORDS``: "the regime is responsible"), which VADER
  rates as praise ("responsible" +1.3): as a label, being responsible is being blamed.
- The lexicon's pejorative designations (``DESIGNATIONS``: regime, mullahs, cult, thugs,
  puppet, ...), words of abuse (``PEJORATIVE_WORDS``: extremist, corrupt, rogue) and
  distancing words (``DISTANCING_WORDS``: so-called, self-styled): the words
  of political labelling that a general lexicon does not rate (VADER has neither "regime"
  nor "cult" nor "so-called"), each counted as ``DESIGNATION_VALENCE``.
A label's valence is the sum over its words, inverted when negated ("is not responsible");
past ``MIN_VALENCE`` either way it is negative or positive, else neutral.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from importlib.resources import files

from presslens.document import Polarity
from presslens.lexicon import get as get_lexicon

EN = get_lexicon("en")
MIN_VALENCE = 1.0
DESIGNATION_VALENCE = -2.5


@cache
def vader_valences() -> dict[str, float]:
    """VADER's word → mean rating (from the file inside the package; nothing is downloaded)."""
    text = files("vaderSentiment").joinpath("vader_lexicon.txt").read_text(encoding="utf-8")
    valences = {}
    for line in text.splitlines():
        fields = line.split("\t")
        if len(fields) >= 2 and fields[0].isalpha():
            valences[fields[0]] = float(fields[1])
    return valences


def word_valence(word: str, lemma: str | None = None) -> float:
    lower = word.lower()
    if lower in EN.DESIGNATIONS or lower in EN.DISTANCING_WORDS or lower in EN.PEJORATIVE_WORDS:
        return DESIGNATION_VALENCE
    valences = vader_valences()
    value = valences.get(lower)
    if value is None and lemma:
        value = valences.get(lemma.lower())
    return value if value is not None and abs(value) >= MIN_VALENCE else 0.0


def polarity(words: Iterable[tuple[str, str | None]], negated: bool = False, text: str | None = None) -> Polarity:
    """The polarity of a label given as (word, lemma) pairs, and as written (``text``: a
    tokeniser may split "so-called" into three)."""
    pairs = list(words)
    total = sum(word_valence(word, lemma) for word, lemma in pairs)
    written = (text if text is not None else " ".join(word for word, _ in pairs)).lower()
    whole = any(word.lower() in EN.DISTANCING_WORDS for word, _ in pairs)
    if not whole and any(word in written for word in EN.DISTANCING_WORDS):
        total += DESIGNATION_VALENCE
    if any((lemma or word).lower() in EN.BLAME_WORDS for word, lemma in pairs):
        total += DESIGNATION_VALENCE
    if negated:
        total = -total
    if total <= -MIN_VALENCE:
        return "negative"
    if total >= MIN_VALENCE:
        return "positive"
    return "neutral"
