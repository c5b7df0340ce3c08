"""Language data: one module per language in ``presslens.lexicon``, and no word list elsewhere."""

from __future__ import annotations

import ast
import re
import sys
import types
import typing
from pathlib import Path

import pytest
import spacy.glossary

from presslens import lexicon
from presslens.lexicon import Lexicon

SRC = Path(lexicon.__file__).resolve().parents[1]  # src/presslens
EN = lexicon.get("en")


@pytest.mark.parametrize("code", lexicon.languages())
def test_every_language_module_defines_every_list(code: str) -> None:
    data = lexicon.get(code)
    assert code == data.CODE
    assert lexicon.missing_names(data) == []
    for name, hint in typing.get_type_hints(Lexicon).items():
        value = getattr(data, name)
        assert isinstance(value, typing.get_origin(hint) or hint), (code, name, type(value))
        if isinstance(value, frozenset | tuple) and value and name != "SKELETON_DIGRAPHS":
            assert all(isinstance(word, str) and word and word == word.strip() for word in value), (code, name)


def test_english_lists() -> None:
    assert lexicon.languages() == ["en"]
    assert lexicon.get("en") is EN
    # The rules that compare lower-cased words get lower-case lists; those compared as written
    # (acronyms, and the articles trimmed from a mention: "The" but not "A") say so.
    as_written = {"NOT_ACRONYMS", "PLACE_ACRONYMS", "NAME_EDGE_ARTICLES"}
    for name in typing.get_type_hints(Lexicon):
        value = getattr(EN, name)
        if name not in as_written and isinstance(value, frozenset):
            assert all(word == word.lower() for word in value), name
    # Two lists of speech verbs on purpose: the wide one of the actor rules (33 verbs) and the
    # two verbs that alone make an attribution without the tagger; the second is in the first
    # and among the reporting verbs.
    assert len(EN.SPEECH_VERBS) == 33
    assert {"say", "tell"} == EN.CORE_SPEECH_VERBS
    assert EN.CORE_SPEECH_VERBS <= EN.SPEECH_VERBS & EN.REPORTING_VERBS
    assert EN.HONORIFICS <= EN.TITLE_WORDS
    assert " ".join(EN.ACCORDING_TO) == "according to"  # the key of the trained cue lexicon


def test_unknown_or_incomplete_language(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(LookupError, match="no language data for 'xx'"):
        lexicon.get("xx")
    with pytest.raises(LookupError, match="ISO 639-1"):
        lexicon.get("../en")
    partial = types.ModuleType("presslens.lexicon.zz")
    partial.CODE = "zz"  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "presslens.lexicon.zz", partial)
    with pytest.raises(TypeError, match=r"presslens\.lexicon\.zz lacks ORG_WORDS, HONORIFICS"):
        lexicon.get("zz")


# --- no word lists outside the lexicon ---------------------------------------------------

# Lower-case labels that are not words of a language: spaCy's dependency labels.
_PARSER_LABELS = frozenset(spacy.glossary.GLOSSARY)
# Names in the file formats of corpora (PolNeAR's .ann files and brat types, PTC's article
# files) and of markup (HTML's JSON-LD script element, the URLs of tweets), which regular
# expressions may spell out.
_FORMAT_WORDS = frozenset(
    {"ann", "Source", "Cue", "Content", "article", "txt", "task", "labels", "TC", "SI"}
    | {"script", "type", "application", "ld", "json", "https", "pic", "twitter", "com", "www"}
)
_RE_FUNCTIONS = frozenset({"compile", "sub", "subn", "search", "match", "fullmatch", "findall", "finditer", "split"})
_TOKEN_TEXT = frozenset({"lower_", "lemma_", "text", "norm_", "orth_"})
_LOWER_WORD = re.compile(r"[^\W\d_][^\W\d_'’.-]*")


def _words_in_regex(pattern: str) -> list[str]:
    """The runs of two or more letters of a pattern, outside group names, escapes, classes."""
    pattern = re.sub(r"\(\?P<\w+>|\(\?P=\w+\)", "", pattern)
    pattern = re.sub(r"\\.", " ", pattern)
    pattern = re.sub(r"\[[^\]]*\]", " ", pattern)
    pattern = re.sub(r"\{[^}]*\}", " ", pattern)
    return re.findall(r"[A-Za-z]{2,}", pattern)


def _strings(node: ast.AST, constants: dict[str, str] | None = None) -> list[str] | None:
    """The strings of a set, list or tuple literal made of strings only, or of a string split
    on whitespace (``"a b".split()``, also of a name given such a string)."""
    if isinstance(node, ast.Set | ast.List | ast.Tuple) and node.elts:
        values = [e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
        return values if len(values) == len(node.elts) else None
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "split":
        split = node.func.value
        if isinstance(split, ast.Constant) and isinstance(split.value, str):
            return split.value.split()
        if isinstance(split, ast.Name) and split.id in (constants or {}):
            return (constants or {})[split.id].split()
    return None


def _is_token_text(node: ast.AST) -> bool:
    """A token's text or lemma, or a lower-cased string: what rules compare with words."""
    if isinstance(node, ast.Attribute):
        return node.attr in _TOKEN_TEXT
    if isinstance(node, ast.Call):
        function = node.func
        name = function.attr if isinstance(function, ast.Attribute) else getattr(function, "id", "")
        return name in ("lower", "casefold") or "lemma" in name
    return False


def word_lists(source: str) -> list[str]:
    """Where a module's source holds words of a language: a set of two or more lower-case
    words, a regular expression that spells words out, or a token compared with a word."""
    found = []
    tree = ast.parse(source)
    constants = {
        target.id: node.value.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    for node in ast.walk(tree):
        where = f"line {getattr(node, 'lineno', '?')}"
        if isinstance(node, ast.Set) or (
            isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("set", "frozenset")
        ):
            argument = node if isinstance(node, ast.Set) else node.args[0] if node.args else None
            elements = _strings(argument, constants) if argument is not None else None
            words = [w for w in elements or [] if _LOWER_WORD.fullmatch(w) and w == w.lower()]
            if len(words) >= 2 and not set(words) <= _PARSER_LABELS:
                found.append(f"{where}: set of words {words[:5]}")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.args:
            if not (isinstance(node.func.value, ast.Name) and node.func.value.id == "re"):
                continue
            if node.func.attr not in _RE_FUNCTIONS:
                continue
            pattern = node.args[0]
            parts = (
                [pattern.value]
                if isinstance(pattern, ast.Constant) and isinstance(pattern.value, str)
                else [v.value for v in pattern.values if isinstance(v, ast.Constant)]
                if isinstance(pattern, ast.JoinedStr)
                else []
            )
            words = [w for part in parts for w in _words_in_regex(str(part)) if w not in _FORMAT_WORDS]
            if words:
                found.append(f"{where}: regular expression of words {words[:5]}")
        elif isinstance(node, ast.Compare) and _is_token_text(node.left):
            for comparator in node.comparators:
                values = (
                    [comparator.value]
                    if isinstance(comparator, ast.Constant) and isinstance(comparator.value, str)
                    else _strings(comparator) or []
                )
                words = [v for v in values if re.fullmatch(r"[A-Za-z]{2,}", v)]
                if words:
                    found.append(f"{where}: compares a token with {words[:5]}")
    return found


def test_algorithm_code_holds_no_word_lists() -> None:
    found = [
        f"{path.relative_to(SRC)} {place}"
        for path in sorted(SRC.rglob("*.py"))
        if "lexicon" not in path.relative_to(SRC).parts
        for place in word_lists(path.read_text(encoding="utf-8"))
    ]
    assert found == [], "English words belong in presslens/lexicon/en.py:\n" + "\n".join(found)


def test_the_word_list_check_finds_word_lists() -> None:
    code = """
import re
MEDIA = frozenset(["newspaper", "paper"])
LABELS = frozenset(["nsubj", "dobj"])
KEYS = {"merge", "split"}
_STOP = "a about after"
STOP = frozenset(_STOP.split())
DEBRIS = re.compile(r"^(?:share|tweet)\\\\ this$")
FILES = re.compile(r"(?P<name>.+)_[0-9a-f]{4}\\\\.ann")
def f(token, words):
    return token.lower_ == "according" or words[0].lower() in ("a", "an", "the") or token.dep_ == "conj"
"""
    found = [place.split(": ", 1)[1] for place in word_lists(code)]
    assert found == [
        "set of words ['newspaper', 'paper']",
        "set of words ['merge', 'split']",
        "set of words ['a', 'about', 'after']",
        "regular expression of words ['share', 'tweet', 'this']",
        "compares a token with ['according']",
        "compares a token with ['an', 'the']",
    ]
