"""Corpus actors: the same person or organisation across articles, as one actor.

Within an article the actor stage has already grouped mentions ("Hassan Rouhani", "Rouhani",
"President Rouhani"). Across articles, each article's actor gets a *key*, its name
normalised (titles, case, accents and punctuation dropped), and keys are then joined into
corpus actors by rules, in this order, each one refusing a join that the alias file forbids:

1. the alias file's ``merge`` entries (by hand, always applied);
2. people with the same first and last name ("Donald J. Trump", "Donald Trump");
3. transliteration variants: the same consonant skeleton and a close spelling
   ("Rouhani"/"Rohani", "Qaddafi"/"Gaddafi", "Hezbollah"/"Hizballah");
4. an acronym that articles spell out ("IRGC" beside "Islamic Revolutionary Guard Corps"),
   then an acronym alone whose initials fit exactly one organisation;
5. a bare surname ("Trump") that fits one full name, or one that is at least four times as
   frequent as any other ("Clinton" in 2016 news is Hillary, unless the alias file splits).

Rules 4 and 5 guess; ``split`` entries of the alias file undo a wrong guess.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from pathlib import Path

from presslens.errors import InputError
from presslens.lexicon import get as get_lexicon
from presslens.text import WORD, is_acronym
from presslens.text import initials as _initials

EN = get_lexicon("en")  # the rules below were written on English news

KINDS = ("person", "organisation", "place", "group")
ALIAS_SECTIONS = ("merge", "split")  # the lists an alias file holds

# An organisation's key drops a leading article: "The Pentagon" is "Pentagon".
_LEADING_ARTICLE = re.compile(rf"^(?i:{'|'.join(map(re.escape, EN.DEFINITE_ARTICLES))})\s+")
# The letters that all sound as k, and those a skeleton drops after its first letter.
_K_LETTERS = re.compile(f"[{re.escape(EN.SKELETON_K_LETTERS)}]")
_SILENT_LETTERS = re.compile(f"[{re.escape(EN.SKELETON_SILENT_LETTERS)}]")

# Thresholds of the guessing rules (see the module docstring).
SPELLING_RATIO = 0.7  # difflib ratio two transliterations must reach
DOMINANCE = 4.0  # a guess wins over the next candidate when this many times as frequent


def key_class(kind: str) -> str:
    # Organisations and places share a class: NER calls one name either ("Washington").
    return {"person": "person", "group": "group"}.get(kind, "org")


def fold(text: str) -> str:
    """Lower case, accents off, curly apostrophes straight, a final possessive dropped."""
    text = unicodedata.normalize("NFKD", text.replace("’", "'").replace("‘", "'"))
    text = "".join(c for c in text if not unicodedata.combining(c)).lower().strip()
    return re.sub(r"'s?$", "", text)


def _words(text: str) -> list[str]:
    return WORD.findall(fold(text).replace("'", "").replace(".", ""))


def initials(name: str) -> str:
    """The initials of an organisation's name, without its function words: "IRGC"."""
    return _initials(name, EN.NAME_FUNCTION_WORDS)


def person_tokens(name: str) -> list[str]:
    """The words of a person's name without leading titles and trailing suffixes."""
    tokens = name.split()
    while len(tokens) > 1 and tokens[0].lower().rstrip(",") in EN.TITLE_WORDS:
        tokens = tokens[1:]
    while len(tokens) > 1 and tokens[-1].lower().rstrip(",") in EN.NAME_SUFFIXES:
        tokens = tokens[:-1]
    return tokens


def display_name(kind: str, name: str) -> str:
    """A name as a corpus actor shows it: a person's without titles ("Donald Trump")."""
    return " ".join(person_tokens(name)) if kind == "person" else name.strip()


DESCRIBED = "@"  # joins a described actor's key to its outlet


def described_key(kind: str, name: str, outlet: str | None) -> str:
    """The key of an actor an article only describes ("the cult"), within its outlet: one
    outlet's "the regime" is not another's. ``resolve`` joins it to the named actor the same
    outlet's other articles tie that description to (``links``)."""
    return f"{actor_key(kind, name)}{DESCRIBED}{(outlet or '').strip().lower()}"


def actor_key(kind: str, name: str) -> str:
    """The normalised name that joins one article's actor to a corpus actor."""
    cls = key_class(kind)
    if cls == "person":
        words = [w for token in person_tokens(name) for w in _words(token)]
    elif kind == "place":
        words = _words(EN.PLACE_ALIASES.get(name.strip().lower(), name))
    else:
        without_article = _LEADING_ARTICLE.sub("", name.strip())
        words = _words(without_article.replace("&", f" {EN.AMPERSAND_WORD} "))
        if cls == "group" and words and len(words[-1]) > 3 and words[-1].endswith("s"):
            words[-1] = words[-1][:-1]  # "Democrats" and "Democrat" are one group
    return f"{cls}:{' '.join(words) or fold(name)}"


def _first_last(key: str) -> tuple[str, ...]:
    """A person key's first and last name, initials ignored: 'donald j trump' -> (donald, trump)."""
    words = [w for w in key.split(":", 1)[1].split() if len(w) > 1]
    return (words[0], words[-1]) if len(words) >= 2 else tuple(words)


@functools.lru_cache(maxsize=65536)
def skeleton(word: str) -> str:
    """Consonant skeleton of a word, for transliteration variants: its first letter, then its
    consonants other than h, w, y, with k/q/c/g as one and doubles collapsed (the letters:
    the lexicon's SKELETON_*)."""
    word = re.sub(r"[^a-z]", "", fold(word))
    for digraph, single in EN.SKELETON_DIGRAPHS:
        word = word.replace(digraph, single)
    word = _K_LETTERS.sub("k", word)
    if not word:
        return ""
    rest = _SILENT_LETTERS.sub("", word[1:])
    out = word[0]
    for char in rest:
        if char != out[-1]:
            out += char
    return out


def _spelling(key: str) -> tuple[str, ...]:
    """The words of a key that transliteration compares: a person's first and last name."""
    return _first_last(key) if key.startswith("person:") else tuple(key.split(":", 1)[1].split())


def _similar(a: str, b: str) -> bool:
    return SequenceMatcher(None, a, b).ratio() >= SPELLING_RATIO


# --- the alias file ----------------------------------------------------------------------


@dataclass
class AliasEntry:
    name: str
    kind: str | None = None
    variants: list[str] = field(default_factory=list)


@dataclass
class Aliases:
    """A user's alias file: names to merge into one actor, and names to keep apart."""

    merge: list[AliasEntry] = field(default_factory=list)
    split: list[list[str]] = field(default_factory=list)
    text: str = ""


ALIAS_EXAMPLE = """\
merge:
  - name: Hassan Rouhani          # the name to show
    kind: person                  # optional: person, organisation, place, group
    variants: [Rohani, Hasan Rowhani]
split:
  - [George W. Bush, George H. W. Bush]   # never one actor
"""


def parse_aliases(text: str, source: str) -> Aliases:
    """Read an alias file (YAML, see ALIAS_EXAMPLE); InputError names the file and the fault."""
    import yaml

    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise InputError(source, f"not valid YAML ({where}{problem})") from None
    if not isinstance(data, dict) or set(data) - set(ALIAS_SECTIONS):
        raise InputError(source, "an alias file holds 'merge' and 'split' lists only (see `presslens actors -h`)")
    aliases = Aliases(text=text)
    for number, entry in enumerate(data.get("merge") or [], start=1):
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            raise InputError(source, f"merge entry {number} needs a 'name'")
        kind = entry.get("kind")
        if kind is not None and kind not in KINDS:
            raise InputError(source, f"merge entry {number}: kind '{kind}' is not one of {', '.join(KINDS)}")
        variants = entry.get("variants") or []
        if not isinstance(variants, list) or not all(isinstance(v, str) for v in variants):
            raise InputError(source, f"merge entry {number}: 'variants' must be a list of names")
        aliases.merge.append(AliasEntry(entry["name"], kind, variants))
    for number, group in enumerate(data.get("split") or [], start=1):
        if not isinstance(group, list) or len(group) < 2 or not all(isinstance(n, str) for n in group):
            raise InputError(source, f"split entry {number} must be a list of two or more names")
        aliases.split.append(group)
    return aliases


def load_aliases(path: str | Path) -> Aliases:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(str(path), f"cannot be read ({error.__class__.__name__})") from None
    return parse_aliases(text, str(path))


# --- resolution --------------------------------------------------------------------------


@dataclass
class KeyStats:
    """What the store knows about one key: the names and kinds it was seen with, per document."""

    key: str
    documents: int = 0
    names: Counter[str] = field(default_factory=Counter)
    kinds: Counter[str] = field(default_factory=Counter)

    @property
    def name(self) -> str:
        # The most frequent; on a tie, not the one in capitals ("CONGRESS" of a headline),
        # then the first in order, so that the result never depends on the order read.
        return max(self.names.items(), key=lambda item: (item[1], not item[0].isupper(), [-ord(c) for c in item[0]]))[0]


@dataclass
class CorpusActor:
    id: int
    kind: str
    name: str
    manual: bool
    keys: list[str]


class _Groups:
    """Union-find over keys, with cannot-link tags from the alias file's split entries."""

    def __init__(self, keys: Iterable[str]) -> None:
        self.parent = {k: k for k in keys}
        self.tags: dict[str, dict[int, int]] = defaultdict(dict)

    def find(self, key: str) -> str:
        root = key
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[key] != root:
            self.parent[key], key = root, self.parent[key]
        return root

    def union(self, a: str, b: str, force: bool = False) -> bool:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return True
        ta, tb = self.tags.get(ra, {}), self.tags.get(rb, {})
        if not force and any(g in tb and tb[g] != m for g, m in ta.items()):
            return False
        self.parent[rb] = ra
        merged = {**tb, **ta}
        if merged:
            self.tags[ra] = merged
        self.tags.pop(rb, None)
        return True


def _keys_for_name(name: str, kind: str | None, stats: dict[str, KeyStats], by_name: dict[str, set[str]]) -> set[str]:
    kinds = [kind] if kind else ["person", "organisation", "group"]
    found = {actor_key(k, name) for k in kinds} & stats.keys()
    found |= by_name.get(name.strip().lower(), set())
    if kind:
        found = {k for k in found if k.startswith(key_class(kind) + ":")}
    return found


def _dominant(counts: Counter[str]) -> str | None:
    ranked = counts.most_common(2)
    if not ranked:
        return None
    if len(ranked) == 1 or ranked[0][1] >= DOMINANCE * ranked[1][1]:
        return ranked[0][0]
    return None


def resolve(
    stats: dict[str, KeyStats],
    acronym_evidence: Iterable[tuple[str, str]],
    aliases: Aliases | None = None,
    links: Iterable[tuple[str, str]] = (),
) -> list[CorpusActor]:
    """Join keys into corpus actors (see the module docstring). ``acronym_evidence`` holds
    (expansion key, acronym key) pairs, one per article actor that has both; ``links``
    (described key, named key) pairs: a described actor that its outlet resolves."""
    groups = _Groups(stats)
    for described, named in links:
        if described in stats and named in stats:
            groups.union(named, described)
    by_name: dict[str, set[str]] = defaultdict(set)
    for key, stat in stats.items():
        for name in stat.names:
            by_name[name.strip().lower()].add(key)
    order = sorted(stats, key=lambda k: (-stats[k].documents, k))  # frequent keys lead

    manual: dict[str, AliasEntry] = {}
    if aliases:
        for g, names in enumerate(aliases.split):
            for m, name in enumerate(names):
                for key in _keys_for_name(name, None, stats, by_name):
                    groups.tags[groups.find(key)].setdefault(g, m)
        for entry in aliases.merge:
            keys = sorted(_keys_for_name(entry.name, entry.kind, stats, by_name))
            for variant in entry.variants:
                keys += sorted(_keys_for_name(variant, entry.kind, stats, by_name))
            for key in keys[1:]:
                groups.union(keys[0], key, force=True)
            if keys:
                manual[keys[0]] = entry

    people = [k for k in order if k.startswith("person:")]
    # 2. first and last name
    by_first_last: dict[tuple[str, ...], list[str]] = defaultdict(list)
    for key in people:
        first_last = _first_last(key)
        if len(first_last) == 2:
            by_first_last[first_last].append(key)
    for keys in by_first_last.values():
        for key in keys[1:]:
            groups.union(keys[0], key)

    # 3. transliteration variants
    by_skeleton: dict[tuple[str, ...], list[str]] = defaultdict(list)
    for key in order:
        words = _spelling(key)
        if sum(len(w) for w in words) >= 5:
            by_skeleton[(key.split(":", 1)[0], *(skeleton(w) for w in words))].append(key)
    for keys in by_skeleton.values():
        for i, key in enumerate(keys[1:], start=1):
            spelling = " ".join(_spelling(key))
            lead = next((k for k in keys[:i] if _similar(" ".join(_spelling(k)), spelling)), None)
            if lead is not None:
                groups.union(lead, key)

    # 4. acronyms: spelt out in some article, else the one organisation whose initials fit
    evidence: dict[str, Counter[str]] = defaultdict(Counter)
    for expansion, acronym in acronym_evidence:
        if expansion in stats and acronym in stats and expansion != acronym:
            evidence[acronym][expansion] += 1
    for acronym, expansions in evidence.items():
        roots = Counter[str]()
        for expansion, count in expansions.items():
            roots[groups.find(expansion)] += count
        chosen = _dominant(roots)
        if chosen:
            groups.union(chosen, acronym)
    by_initials: dict[str, Counter[str]] = defaultdict(Counter)
    for key in order:
        name = stats[key].name
        if key.startswith("org:") and not is_acronym(name) and len(name.split()) >= 2:
            by_initials[initials(name)][groups.find(key)] += stats[key].documents
    for key in order:
        name = stats[key].name
        if key.startswith("org:") and is_acronym(name) and key not in evidence:
            roots = by_initials.get(name.replace(".", ""), Counter())
            chosen = _dominant(roots)
            if chosen:
                groups.union(chosen, key)

    # 5. bare surnames
    by_surname: dict[str, Counter[str]] = defaultdict(Counter)
    for key in people:
        first_last = _first_last(key)
        if len(first_last) == 2:
            by_surname[first_last[1]][groups.find(key)] += stats[key].documents
    surnames_by_skeleton: dict[str, list[str]] = defaultdict(list)
    for surname in by_surname:
        surnames_by_skeleton[skeleton(surname)].append(surname)
    full_roots = {groups.find(k) for k in people if len(_first_last(k)) == 2}
    for key in people:
        name_words = key.split(":", 1)[1].split()
        if len(name_words) != 1 or groups.find(key) in full_roots:
            continue
        candidates = by_surname.get(name_words[0], Counter())
        if not candidates:  # a transliterated surname: "Rohani" for "Hassan Rouhani"
            candidates = Counter()
            for surname in surnames_by_skeleton.get(skeleton(name_words[0]), []):
                if _similar(surname, name_words[0]):
                    candidates.update(by_surname[surname])
        chosen = _dominant(Counter({groups.find(r): n for r, n in candidates.items()}))
        if chosen:
            groups.union(chosen, key)

    return _clusters(groups, stats, manual)


def _best_name(kind: str, members: list[KeyStats]) -> str:
    names: Counter[str] = Counter()
    for stat in members:
        for name, count in stat.names.items():
            names[display_name(kind, name)] += count

    def rank(item: tuple[str, int]) -> tuple[bool, int, bool, bool, int, str]:
        name, count = item
        full = len(name.split()) >= 2 if kind == "person" else not is_acronym(name)
        # "Donald Trump" over "Donald J. Trump" when as frequent: initials are a style.
        plain = not any(len(w.rstrip(".")) == 1 for w in name.split())
        return (full, count, plain, not name.isupper(), len(name), name)

    return max(names.items(), key=rank)[0]


def _clusters(groups: _Groups, stats: dict[str, KeyStats], manual: dict[str, AliasEntry]) -> list[CorpusActor]:
    members: dict[str, list[str]] = defaultdict(list)
    for key in stats:
        members[groups.find(key)].append(key)
    entries = {groups.find(k): e for k, e in manual.items()}
    found = []
    for root, keys in members.items():
        kinds: Counter[str] = Counter()
        for key in keys:
            kinds.update(stats[key].kinds)
        entry = entries.get(root)
        kind = entry.kind if entry and entry.kind else max(kinds.items(), key=lambda item: (item[1], item[0]))[0]
        # A name over a description ("Freedom Front" over "the cult" it is also called).
        named = [stats[k] for k in keys if DESCRIBED not in k] or [stats[k] for k in keys]
        name = entry.name if entry else _best_name(kind, named)
        documents = sum(stats[k].documents for k in keys)
        found.append((documents, name, kind, entry is not None, sorted(keys)))
    found.sort(key=lambda f: (-f[0], f[1], f[4][0]))
    return [
        CorpusActor(id=number, kind=kind, name=name, manual=is_manual, keys=keys)
        for number, (_, name, kind, is_manual, keys) in enumerate(found, start=1)
    ]
