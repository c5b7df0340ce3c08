"""The actors stage: entity mentions, repaired by rules, grouped into the article's actors.

spaCy's statistical NER is the starting point. Its known failures on political news are
repaired here: acronyms it does not tag (IRGC), editorial brackets ("[Massoud] Rajavi"),
two-word person names tagged ORG ("Maryam Rajavi"), headline words glued to a name ("MEK
Influence"), and "pro-"/"the" at the edges. Mentions are then merged within the article:
full name and surname, title and name, acronym and expansion. Two people who share a
surname stay two actors; a bare surname goes to the nearest full name before it.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from presslens.actors.descriptions import add_descriptions, find_descriptions
from presslens.document import Actor, ActorKind, Document, EntityMention, MentionOrigin, Role
from presslens.lexicon import get as get_lexicon
from presslens.text import ACRONYM, IntervalIndex, initials

if TYPE_CHECKING:
    from spacy.tokens import Doc, Token

EN = get_lexicon("en")  # the rules below were written on English news

ACTOR_KINDS: dict[str, ActorKind] = {
    "PERSON": "person",
    "ORG": "organisation",
    "GPE": "place",
    "LOC": "place",
    "FAC": "place",
    "NORP": "group",
}


def _alternatives(words: tuple[str, ...]) -> str:
    """A regular expression that matches any of ``words`` as written, longest first."""
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


# What the edges of a mention may carry that is not part of the name: articles, quote marks
# and brackets, a prefix glued with a hyphen ("pro-Trump") before it; punctuation and a
# possessive after it.
_EDGE_PREFIX = re.compile(
    rf"^(?:(?:{_alternatives(EN.NAME_EDGE_ARTICLES)})\s+|[\"“”‘’'(\[]+|(?:{_alternatives(EN.NAME_PREFIXES)})-(?=[A-Z]))+"
)
_EDGE_SUFFIX = re.compile(rf"(?:[\"“”‘’')\],.;:!?]+|{_alternatives(EN.POSSESSIVE_ENDINGS)})$")
_BRACKETED_NAME = re.compile(r"\[([A-Z][\w’'-]+(?: [A-Z][\w’'-]+)*)\]\s+([A-Z][\w’'-]+)")


@dataclass
class Mention:
    start: int
    end: int
    label: str
    origin: MentionOrigin = "ner"
    name: str = ""  # normalised form used for merging
    tokens: list[Token] = field(default_factory=list)
    acronym_of: int | None = None  # index of the mention this acronym spells out


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    """Drop articles, quote marks, brackets and possessives at the edges of a mention."""
    while True:
        span = text[start:end]
        prefix = _EDGE_PREFIX.match(span)
        suffix = _EDGE_SUFFIX.search(span)
        if prefix and prefix.end() < len(span):
            start += prefix.end()
        elif suffix and suffix.start() > 0 and not span.endswith("."):
            end -= len(span) - suffix.start()
        elif suffix and suffix.start() > 0 and span.endswith(".") and not re.search(r"\b[A-Z]\.$", span):
            end -= 1
        else:
            break
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
    return start, end


def _normalise(name: str) -> str:
    name = name.replace("’", "'").replace("[", "").replace("]", "")
    return re.sub(r"\s+", " ", name).strip()


def _tokens(parsed: Doc, start: int, end: int) -> list[Token]:
    span = parsed.char_span(start, end, alignment_mode="expand")
    return list(span) if span is not None else []


def _is_acronym_token(token: Token, shouted_lines: _ShoutedLines) -> bool:
    text = token.text
    if text in EN.NOT_ACRONYMS or not ACRONYM.match(text):
        return False
    # A line in capitals is a shouted headline, not a string of acronyms.
    return not shouted_lines(token.idx)


class _ShoutedLines:
    """Whether the line around a character is in capitals, each line measured once (a long
    text has many acronyms on a line)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.known: dict[int, bool] = {}

    def __call__(self, position: int) -> bool:
        line_start = self.text.rfind("\n", 0, position) + 1
        if line_start not in self.known:
            line_end = self.text.find("\n", position)
            line = self.text[line_start : line_end if line_end >= 0 else None]
            letters = [c for c in line if c.isalpha()]
            shouted = sum(c.isupper() for c in letters) / len(letters) > 0.6 if letters else False
            self.known[line_start] = shouted and len(letters) > 12
        return self.known[line_start]


def _ner_mentions(parsed: Doc, text: str) -> list[Mention]:
    mentions = []
    for ent in parsed.ents:
        # NER can run across a line break (a title without a full stop into the first line
        # of the body); each line is a mention of its own.
        offset = ent.start_char
        for line in text[ent.start_char : ent.end_char].split("\n"):
            start, end = offset, offset + len(line)
            offset = end + 1
            if ent.label_ in ACTOR_KINDS:
                start, end = _trim(text, start, end)
            if start < end and text[start:end].strip():
                mentions.append(Mention(start, end, ent.label_, "ner", tokens=_tokens(parsed, start, end)))
    return mentions


def _rule_mentions(parsed: Doc, text: str, mentions: list[Mention]) -> list[Mention]:
    """Add what NER misses: editorial brackets and untagged acronyms."""
    bracketed = []
    for match in _BRACKETED_NAME.finditer(text):
        mention = Mention(match.start(), match.end(), "PERSON", "rule")
        mention.name = f"{match.group(1)} {match.group(2)}"
        mention.tokens = _tokens(parsed, match.start(), match.end())
        bracketed.append(mention)
    if bracketed:
        in_brackets = IntervalIndex((m.start, m.end) for m in bracketed)
        mentions = [m for m in mentions if not in_brackets.overlaps(m.start, m.end)] + bracketed
    # Acronyms are single tokens: they never overlap each other, only what is found already.
    found = IntervalIndex((m.start, m.end) for m in mentions)
    shouted_lines = _ShoutedLines(text)
    for token in parsed:
        if not _is_acronym_token(token, shouted_lines):
            continue
        candidate = Mention(token.idx, token.idx + len(token.text), "ORG", "rule", tokens=[token])
        if token.text in EN.PLACE_ACRONYMS:
            candidate.label = "GPE"
        if not found.overlaps(candidate.start, candidate.end):
            mentions.append(candidate)
    return sorted(mentions, key=lambda m: (m.start, m.end))


def _link_parenthesised_acronyms(text: str, mentions: list[Mention]) -> None:
    """'Islamic Revolutionary Guard Corps (IRGC)': the acronym is the name's alias."""
    for i, mention in enumerate(mentions[:-1]):
        following = mentions[i + 1]
        between = text[mention.end : following.start]
        closes = text[following.end : following.end + 1]
        if between.strip() == "(" and closes == ")" and ACRONYM.match(text[following.start : following.end]):
            following.acronym_of = i
            following.label = mention.label


def _repair_labels(parsed: Doc, text: str, mentions: list[Mention]) -> None:
    """Two-word 'ORG' names that behave as people become PERSON."""
    person_surnames = {
        _normalise(text[m.start : m.end]).split()[-1] for m in mentions if m.label == "PERSON" and m.name == ""
    } | {m.name.split()[-1] for m in mentions if m.label == "PERSON" and m.name}
    for mention in mentions:
        if mention.label != "ORG" or mention.origin != "ner":
            continue
        words = _normalise(text[mention.start : mention.end]).split()
        if not 2 <= len(words) <= 3 or any(w.lower() in EN.ORG_WORDS for w in words):
            continue
        if not all(w[:1].isupper() and w[1:].islower() and w.isalpha() for w in words):
            continue
        root = next((t for t in mention.tokens if t.head not in mention.tokens or t.head == t), None)
        speaks = root is not None and root.dep_ in ("nsubj", "nsubjpass") and root.head.lemma_ in EN.SPEECH_VERBS
        if words[-1] in person_surnames or speaks:
            mention.label = "PERSON"


def _repair_headline(document: Document, mentions: list[Mention]) -> list[Mention]:
    """In a title, NER glues capitalised words to names ('MEK Influence'); where the body
    never uses the glued form but does use a part of it, keep only that part."""
    if not document.title or not document.text.startswith(document.title):
        return mentions
    title_end = len(document.title)
    body = document.text[title_end:]
    body_names = {document.text[m.start : m.end] for m in mentions if m.start >= title_end}
    repaired = []
    for mention in mentions:
        surface = document.text[mention.start : mention.end]
        if mention.end <= title_end and surface not in body and " " not in surface:
            # A headline-capitalised common word ("Budget passes ...") that the body writes
            # in lower case is no name.
            if re.search(rf"\b{re.escape(surface.lower())}\b", body):
                continue
        elif mention.end <= title_end and surface not in body:
            found = next(
                (
                    (name, match)
                    for name in sorted(body_names, key=len, reverse=True)
                    if (match := re.search(rf"(?:^|\s)({re.escape(name)})(?:\s|$)", surface))
                ),
                None,
            )
            if found is None:
                continue  # a glued headline phrase with no support in the body: not an actor
            part, match = found
            offset = mention.start + match.start(1)
            mention = Mention(offset, offset + len(part), mention.label, "rule")
        repaired.append(mention)
    return repaired


def _person_key(name: str) -> list[str]:
    words = [w for w in _normalise(name).split() if w.lower() not in EN.HONORIFICS]
    return words or _normalise(name).split()


@dataclass
class _Cluster:
    kind: ActorKind
    names: list[str] = field(default_factory=list)
    mentions: list[int] = field(default_factory=list)
    votes: dict[str, int] = field(default_factory=dict)  # mention kinds, to settle org vs place

    @property
    def canonical(self) -> str:
        if self.kind == "organisation":
            # Prefer the spelt-out name over its acronym.
            spelt = [n for n in self.names if not ACRONYM.match(n)]
            if spelt:
                return max(spelt, key=lambda n: (len(n.split()), len(n)))
        return max(self.names, key=lambda n: (len(n.split()), len(n)))


def _cluster(text: str, mentions: list[Mention]) -> list[_Cluster]:
    clusters: list[_Cluster] = []
    by_key: dict[tuple[str, str], _Cluster] = {}
    assigned: dict[int, _Cluster] = {}

    def add(cluster: _Cluster, index: int, name: str) -> None:
        kind = ACTOR_KINDS.get(mentions[index].label)
        if kind:
            cluster.votes[kind] = cluster.votes.get(kind, 0) + 1
        cluster.mentions.append(index)
        if name not in cluster.names:
            cluster.names.append(name)
        assigned[index] = cluster

    def new(kind: ActorKind, key: str, index: int, name: str) -> None:
        cluster = _Cluster(kind)
        clusters.append(cluster)
        by_key[(kind, key)] = cluster
        add(cluster, index, name)

    names = [m.name or _normalise(text[m.start : m.end]) for m in mentions]
    for m, name in zip(mentions, names, strict=True):
        m.name = name

    # Full person names first, so that bare surnames find them wherever they stand.
    people = [i for i, m in enumerate(mentions) if m.label == "PERSON" and len(_person_key(m.name)) >= 2]
    for i in people:
        key = " ".join(_person_key(names[i])).lower()
        if ("person", key) in by_key:
            add(by_key[("person", key)], i, names[i])
        else:
            new("person", key, i, names[i])
    # The full-name clusters by their first and last words, and where their mentions stand,
    # so that a bare surname finds its candidates without a scan of every person.
    by_name_word: dict[str, list[_Cluster]] = {}
    for cluster in clusters:
        for word in {w.lower() for n in cluster.names for w in (_person_key(n)[0], _person_key(n)[-1])}:
            by_name_word.setdefault(word, []).append(cluster)
    starts: dict[int, list[int]] = {id(c): sorted(mentions[j].start for j in c.mentions) for c in clusters}

    def nearest_before(cluster: _Cluster, position: int) -> int:
        # Mentions are taken in text order: any added since the first pass stand before here.
        cluster_starts = starts[id(cluster)]
        found = bisect.bisect_left(cluster_starts, position)
        nearest = cluster_starts[found - 1] if found else -1
        added = [mentions[j].start for j in cluster.mentions[-1:] if mentions[j].start < position]
        return max([nearest, *added])

    for i, m in enumerate(mentions):
        if i in assigned or m.label not in ACTOR_KINDS:
            continue
        kind = ACTOR_KINDS[m.label]
        name = names[i]
        # A bare surname (or first name) of a person, whatever NER called it.
        words = _person_key(name)
        if len(words) == 1 and (m.label in ("PERSON", "ORG")):
            candidates = by_name_word.get(words[0].lower(), [])
            if candidates:
                # The nearest full mention before this one: "Maryam Rajavi ... Rajavi" is Maryam.
                chosen = max(candidates, key=lambda c: nearest_before(c, m.start))
                add(chosen, i, name)
                continue
        if m.label == "PERSON":
            key = " ".join(words).lower()
        elif kind == "place":
            name = EN.PLACE_ALIASES.get(name.lower(), name)
            key = name.lower()
        else:
            key = name.lower()
        if m.acronym_of is not None and mentions[m.acronym_of].label in ACTOR_KINDS:
            target = assigned.get(m.acronym_of)
            if target is not None:
                add(target, i, name)
                by_key.setdefault((kind, key), target)
                continue
        if (kind, key) in by_key:
            add(by_key[(kind, key)], i, name)
            continue
        # NER often calls one name a place here and an organisation there ("Calvetta").
        other = next((by_key[(k, key)] for k in ("organisation", "place") if (k, key) in by_key), None)
        if other is not None and kind in ("organisation", "place"):
            add(other, i, name)
            continue
        if kind == "organisation" and ACRONYM.match(name):
            spelt = next(
                (
                    c
                    for c in clusters
                    if c.kind == "organisation"
                    and any(initials(n, EN.NAME_FUNCTION_WORDS) == name.replace(".", "") for n in c.names)
                ),
                None,
            )
            if spelt is not None:
                add(spelt, i, name)
                by_key[(kind, key)] = spelt
                continue
        new(kind, key, i, name)
    for cluster in clusters:
        if cluster.kind in ("organisation", "place") and len(cluster.votes) > 1:
            # Ties go to place: NER reads "the port of X" as an organisation more often than
            # it reads an organisation as a place.
            cluster.kind = max(("place", "organisation"), key=lambda k: cluster.votes.get(k, 0))
    return clusters


def _role_tokens(mention_tokens: list[Token]) -> list[Token]:
    """Title words that the parse attaches to a person mention: 'labour minister Ali
    Rabiei', 'a member of Majlis, Ahmad Salek', 'Ali Rabiei, the labour minister'."""
    if not mention_tokens:
        return []
    inside = {t.i for t in mention_tokens}
    root = next((t for t in mention_tokens if t.head.i not in inside or t.head == t), mention_tokens[-1])
    if root.dep_ == "appos" and root.head.pos_ == "NOUN" and root.head.i not in inside:
        head = root.head
        excluded = {t.i for t in root.subtree}
    else:
        appos = next((c for c in root.children if c.dep_ == "appos" and c.pos_ == "NOUN"), None)
        if appos is None:
            titles = [c for c in root.children if c.dep_ == "compound" and c.i not in inside and c.pos_ == "NOUN"]
            if not titles:
                return []
            first = min(t.left_edge.i for t in titles)
            return _clean_role([t for t in root.doc[first : root.i] if t.i not in inside])
        head = appos
        excluded = inside
    for child in head.children:
        if child.dep_ in ("poss", "det", "punct", "relcl", "acl", "appos"):
            excluded |= {t.i for t in child.subtree}
    kept = [t for t in head.subtree if t.i not in excluded]
    # Keep one unbroken stretch that holds the head noun.
    stretch = [head]
    for t in reversed(kept):
        if t.i == stretch[0].i - 1:
            stretch.insert(0, t)
    for t in kept:
        if t.i == stretch[-1].i + 1:
            stretch.append(t)
    return _clean_role(stretch)


def _clean_role(stretch: list[Token]) -> list[Token]:
    while stretch and (stretch[-1].is_punct and stretch[-1].text != ")"):
        stretch.pop()
    if any("\n" in t.text for t in stretch):
        return []
    # "Valdoria's harbour minister": the owner is context, the role is what follows.
    possessive = [i for i, t in enumerate(stretch) if t.tag_ == "POS"]
    if possessive:
        stretch = stretch[possessive[-1] + 1 :]
    if not any(t.pos_ == "NOUN" for t in stretch):
        return []
    return stretch if len(stretch) <= 10 else []


def add_actor_layers(document: Document, parsed: Doc) -> None:
    """Fill the entity and actor layers of ``document`` from its spaCy parse."""
    text = document.text
    mentions = _ner_mentions(parsed, text)
    mentions = _rule_mentions(parsed, text, mentions)
    mentions = _repair_headline(document, mentions)
    for m in mentions:
        if not m.tokens:
            m.tokens = _tokens(parsed, m.start, m.end)
    # Descriptions ("the regime") take the place of a name NER found inside them (the
    # adjective "Iranian" of "Iranian regime", "Resistance" of "the Resistance").
    descriptions = find_descriptions(parsed, [(m.start, m.end) for m in mentions])
    described = IntervalIndex((d.start, d.end) for d in descriptions)
    mentions = [m for m in mentions if not described.contains(m.start, m.end)]
    _repair_labels(parsed, text, mentions)
    _link_parenthesised_acronyms(text, mentions)
    clusters = _cluster(text, mentions)
    clusters.sort(key=lambda c: min(mentions[i].start for i in c.mentions))

    entities = [EntityMention(**document.span(m.start, m.end), label=m.label, origin=m.origin) for m in mentions]
    actors: list[Actor] = []
    for number, cluster in enumerate(clusters, start=1):
        actor_id = f"A{number}"
        for i in cluster.mentions:
            entities[i].actor = actor_id
        roles: list[Role] = []
        if cluster.kind == "person":
            for i in cluster.mentions:
                stretch = _role_tokens(mentions[i].tokens)
                if stretch:
                    start, end = stretch[0].idx, stretch[-1].idx + len(stretch[-1].text)
                    if not any(r.start == start for r in roles):
                        roles.append(Role(**document.span(start, end)))
        canonical = cluster.canonical
        actors.append(
            Actor(
                id=actor_id,
                kind=cluster.kind,
                name=canonical,
                aliases=[n for n in cluster.names if n != canonical],
                roles=roles,
                mentions=sorted(cluster.mentions),
            )
        )
    document.entities = entities
    document.actors = actors
    add_descriptions(document, parsed, descriptions)
