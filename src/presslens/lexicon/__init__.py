"""Language data: every word list the rules of presslens read, one module per language.

Algorithm code holds no words of a language. It asks for a language's data by its ISO 639-1
code, ``lexicon.get("en")``, and reads the lists by the names of ``Lexicon``. Adding a language
is one new module here, ``presslens/lexicon/<code>.py``, that defines every name of ``Lexicon``
(``get`` refuses a module that lacks one, and the tests check every module).

The rules were written on English news; the English lists (``en.py``) say in their comments what
each one is for and which rule reads it.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Mapping
from functools import cache
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from presslens.document import ActorKind


@runtime_checkable
class Lexicon(Protocol):
    """The names a language module defines (``en.py`` documents each of them)."""

    CODE: str  # ISO 639-1

    # Actors in one article (presslens.actors.article).
    ORG_WORDS: frozenset[str]
    HONORIFICS: frozenset[str]
    NOT_ACRONYMS: frozenset[str]
    PLACE_ACRONYMS: frozenset[str]
    PLACE_ALIASES: Mapping[str, str]
    SPEECH_VERBS: frozenset[str]
    NAME_EDGE_ARTICLES: tuple[str, ...]
    NAME_PREFIXES: tuple[str, ...]
    POSSESSIVE_ENDINGS: tuple[str, ...]
    NAME_FUNCTION_WORDS: frozenset[str]

    # Actors across articles (presslens.actors.corpus).
    TITLE_WORDS: frozenset[str]
    NAME_SUFFIXES: frozenset[str]
    DEFINITE_ARTICLES: tuple[str, ...]
    AMPERSAND_WORD: str
    SKELETON_DIGRAPHS: tuple[tuple[str, str], ...]
    SKELETON_K_LETTERS: str
    SKELETON_SILENT_LETTERS: str

    # Attribution (presslens.attribution).
    REPORTING_VERBS: frozenset[str]
    CORE_SPEECH_VERBS: frozenset[str]
    NOT_SOURCES: frozenset[str]
    NOT_SPEAKER_LABELS: frozenset[str]
    ACCORDING_TO: tuple[str, str]
    ACCORDING_TO_LEMMA: str
    QUOTE_INTRODUCERS: tuple[str, ...]
    PRONOUN_KINDS: Mapping[str, tuple[ActorKind, ...]]
    POSSESSIVE_PRONOUNS: Mapping[str, str]
    MEDIA_NOUNS: frozenset[str]
    ISSUED_NOUNS: frozenset[str]
    OUTLET_NAME_WORDS: frozenset[str]
    ABBREVIATED_TITLES: Mapping[str, str]
    INDEFINITE_DETERMINERS: frozenset[str]
    OUTLET_PREPOSITIONS: frozenset[str]
    ARTICLES: tuple[str, ...]

    # Techniques: the designation rule (presslens.techniques.designations).
    DESIGNATIONS: frozenset[str]
    DESIGNATION_DETERMINERS: frozenset[str]

    # Descriptions as mentions (presslens.actors.descriptions).
    DESCRIPTION_NOUNS: Mapping[str, str]
    ROLE_NOUNS: frozenset[str]
    DEMONYMS: Mapping[str, str]
    DESCRIPTION_PREPOSITIONS: frozenset[str]
    GOVERNMENT_FAMILIES: Mapping[str, str]
    NON_REFERRING_MODIFIERS: frozenset[str]
    NOT_COUNTRIES: frozenset[str]

    # Labels (presslens.labels).
    DISTANCING_WORDS: frozenset[str]
    BLAME_WORDS: frozenset[str]
    PEJORATIVE_WORDS: frozenset[str]
    COPULA_LEMMAS: frozenset[str]

    # Cleaning scraped text (presslens.ingest.clean).
    DEBRIS_LINES: tuple[str, ...]
    BREADCRUMB_FIRST_WORDS: frozenset[str]

    # The store's full-text index and search (presslens.store.columns).
    SEARCH_STOP_WORDS: frozenset[str]

    # Claims (presslens.claims.extract).
    CLAIM_CAUSE_WORDS: frozenset[str]
    CLAIM_NUMBER_WORDS: frozenset[str]
    CLAIM_OPINION_LEMMAS: frozenset[str]
    CLAIM_NEGATION_WORDS: frozenset[str]
    CLAIM_FIRST_PERSON: frozenset[str]


_CODE = re.compile(r"[a-z]{2,3}")


def languages() -> list[str]:
    """The codes of the languages that have a module here."""
    return sorted(m.name for m in pkgutil.iter_modules(__path__) if _CODE.fullmatch(m.name))


def missing_names(module: object) -> list[str]:
    """The names of ``Lexicon`` that ``module`` does not define."""
    return [name for name in Lexicon.__annotations__ if not hasattr(module, name)]


@cache
def get(code: str) -> Lexicon:
    """The word lists of the language ``code`` (ISO 639-1, e.g. ``"en"``).

    LookupError for a language without a module here; TypeError for a module that lacks a list."""
    name = f"{__name__}.{code}"
    if not _CODE.fullmatch(code):
        raise LookupError(f"no language data for {code!r}: languages are ISO 639-1 codes ({', '.join(languages())})")
    try:
        module = importlib.import_module(name)
    except ModuleNotFoundError as error:
        if error.name != name:
            raise
        raise LookupError(f"no language data for {code!r} (there is for: {', '.join(languages())})") from None
    if not isinstance(module, Lexicon):
        raise TypeError(f"{name} lacks {', '.join(missing_names(module))}")
    return module


if TYPE_CHECKING:
    # The type checker holds the English module to the protocol, list by list.
    from presslens.lexicon import en as _en

    _ENGLISH: Lexicon = _en
