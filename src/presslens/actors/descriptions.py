"""Descriptions as mentions: "the regime", "the Resistance", "the minister" refer to actors too.

A partisan article may never name the actor it is about: the seed says "the regime" nine
times and "the government of Iran" never. A description is a noun phrase headed by a noun
of the lexicon's ``DESCRIPTION_NOUNS`` (regime, opposition, cult, ...) or ``ROLE_NOUNS``
(minister, president, ...) that refers to someone in particular: with a determiner ("the
regime", "this junta"), a country ("Iranian regime officials", "Iran's regime") or a
possessor. "regime change" and "a regime" refer to no one and are left alone.

Each description is tied to an actor by the first of these that holds:
1. the article links it to a name: an apposition ("the MEK, the main opposition") or a copula
   ("the MEK is the opposition");
2. by its kind: a government description to the government of its country ("the Iranian
   regime"), or of the one country the article's other government descriptions name, or of
   the one country the article names; an opposition or organisation description to the one
   organisation the article names in the paragraphs where it is used; a role ("the
   minister") to the one person the article gave that role;
3. otherwise it is an actor of its own, named by the description ("the regime"), unless two
   actors fit: then it stays unresolved (``resolved_by="ambiguous"``, no actor), never guessed.

All uses of one description in an article ("the Resistance" three times) refer to one actor,
except roles, which are resolved where they stand (a later "the minister" may be another).
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from presslens.actors.roles import RoleWords, role_words
from presslens.document import Actor, ActorKind, Document, EntityMention, ResolvedBy
from presslens.lexicon import get as get_lexicon

if TYPE_CHECKING:
    from spacy.tokens import Doc, Token

EN = get_lexicon("en")

_NOUNS = frozenset(["NOUN", "PROPN"])
# Children of a description's head noun that belong to the description: "Iranian regime",
# "resistance units", "labour minister".
_PART_DEPS = frozenset(["compound", "amod", "nmod"])
_COUNTRIES = frozenset(EN.DEMONYMS.values()) | frozenset(EN.PLACE_ALIASES.values())
_COUNTRY_NAMES = {c.lower(): c for c in _COUNTRIES} | dict(EN.PLACE_ALIASES)
ROLE = "role"


@dataclass(frozen=True)
class NewActor:
    """An actor resolution creates: a government ("government of Iran") or one the article
    only describes ("the regime"). One per ``key`` in an article: every use of "the regime"
    that no named actor fits is the same actor, named as its first use is written."""

    key: str
    kind: ActorKind
    described: bool
    name: str = field(compare=False)


@dataclass
class Description:
    """One description in the text: ``[start, end)`` without its determiner or quote marks."""

    start: int
    end: int
    head: Token
    kind: str  # a DESCRIPTION_NOUNS kind, or ROLE
    country: str | None
    key: str  # what makes two uses one description in an article: lower case, no determiner
    modifiers: set[str] = field(default_factory=set)  # lemmas of the words before the head
    actor: str | NewActor | None = None  # an actor id of the article, or one to create
    resolved_by: ResolvedBy | None = None


def _country_of(token: Token) -> str | None:
    """The country a word names: a nationality adjective ("Iranian") or a country's name."""
    lower = token.lower_
    if token.text in EN.NOT_COUNTRIES:
        return None
    if lower in EN.DEMONYMS:
        return EN.DEMONYMS[lower]
    return _COUNTRY_NAMES.get(lower) or _COUNTRY_NAMES.get(lower.rstrip("."))


def _is_referring(head: Token, country: str | None) -> bool:
    """'the regime', 'Iran's regime', 'Iranian regime officials': someone in particular."""
    if country is not None:
        return True
    for child in head.children:
        if child.dep_ == "det" and child.lower_ in EN.DESIGNATION_DETERMINERS:
            return True
        if child.dep_ == "poss":
            return True
        if child.dep_ == "compound" and child.ent_type_ == "PERSON":  # "the Assad regime"
            return True
    return False


def _parts(head: Token) -> list[Token]:
    """The head and the words before it that belong to the description."""
    parts = [head]
    for child in reversed([c for c in head.children if c.i < head.i]):
        if child.dep_ in _PART_DEPS and child.i == parts[0].i - 1 and child.pos_ in ("NOUN", "PROPN", "ADJ"):
            if child.dep_ == "amod" and child.lower_ not in EN.DEMONYMS:
                break  # "the brutal regime": the adjective is a label, not part of the name
            parts.insert(0, child)
        elif child.dep_ == "poss" and _country_of(child) is not None and child.i < parts[0].i:
            parts[0:0] = [t for t in child.subtree if t.i < parts[0].i and not t.is_punct and t.tag_ != "POS"]
            break
    # "Iranian regime officials": the parse may hang "Iranian" on "officials", not "regime".
    before = head.doc[parts[0].i - 1] if parts[0].i > 0 else None
    if before is not None and before.lower_ in EN.DEMONYMS and before.whitespace_:
        parts.insert(0, before)
    return parts


def _find_country(head: Token, parts: list[Token]) -> str | None:
    for token in parts:
        if token is not head and (country := _country_of(token)) is not None:
            return country
    for child in head.children:
        if child.dep_ == "prep" and child.lower_ in EN.DESCRIPTION_PREPOSITIONS:
            for grandchild in child.children:
                if grandchild.dep_ == "pobj" and (country := _country_of(grandchild)) is not None:
                    return country
    return None


def find_descriptions(parsed: Doc, named: list[tuple[int, int]]) -> list[Description]:
    """Every description of the parse that no name (``named``: its mentions' spans) covers."""
    found: list[Description] = []
    starts = sorted(named)
    for token in parsed:
        if token.pos_ not in _NOUNS:
            continue
        lower = token.lower_
        kind = EN.DESCRIPTION_NOUNS.get(lower)
        head = token
        if kind is None and token.lemma_.lower() in EN.ROLE_NOUNS:
            kind = ROLE
        if kind is None:
            continue
        if token.dep_ == "compound":
            # "resistance units": the compound's head is what is referred to; "Iranian regime
            # officials": the regime is referred to, as the officials' owner.
            if kind == "opposition" and token.head.tag_ == "NNS" and token.head.i == token.i + 1:
                head = token.head
            elif kind == ROLE or not (_is_referring(token, _find_country(token, _parts(token)))):
                continue
        if kind == ROLE and not _is_role_reference(head):
            continue
        parts = _parts(head) if head is token else [*_parts(token)[:-1], token, head]
        country = _find_country(token, parts) if kind == "government" else None
        if not _is_referring(head, country):
            continue
        start, end = parts[0].idx, head.idx + len(head.text)
        if _covered(start, end, starts):
            continue
        key = " ".join(t.lower_ for t in parts)
        modifiers = {t.lemma_.lower() for t in parts if t is not head}
        found.append(Description(start, end, head, kind, country, key, modifiers))
    return found


def _is_role_reference(head: Token) -> bool:
    """'the minister' on its own: not 'minister Ali Rabiei' (a title), not 'Ali Rabiei, the
    minister' (an apposition: the name is the mention), not 'a minister' (someone new)."""
    if not any(c.dep_ == "det" and c.lower_ in EN.DESIGNATION_DETERMINERS for c in head.children):
        return False
    if head.tag_ in ("NNS", "NNPS"):
        return False  # "the senators": several people, no one actor
    if any(c.lower_ in EN.NON_REFERRING_MODIFIERS for c in head.children):
        return False
    if any(c.pos_ == "PROPN" and c.dep_ in ("compound", "appos", "flat", "npadvmod") for c in head.children):
        return False
    return not (head.dep_ == "appos" and head.head.pos_ == "PROPN")


def _covered(start: int, end: int, starts: list[tuple[int, int]]) -> bool:
    """Whether a name's mention overlaps ``[start, end)`` and reaches beyond it (a name that
    holds the description: "Guardian Council" for "council")."""
    index = bisect.bisect_left(starts, (start, -1))
    for other_start, other_end in starts[max(0, index - 3) : index + 3]:
        overlaps = other_start < end and start < other_end
        if overlaps and (other_start < start or other_end > end):
            return True
    return False


# --- resolution ---------------------------------------------------------------------------


@dataclass
class _Article:
    """What resolution reads of the article: its actors, where they are mentioned, its lines."""

    document: Document
    parsed: Doc
    line_starts: list[int] = field(init=False)
    actors: dict[str, Actor] = field(init=False)
    organisations_by_line: dict[int, set[str]] = field(init=False)
    countries: set[str] = field(init=False)
    token_actor: dict[int, str] = field(init=False)
    role_words: dict[str, RoleWords] = field(init=False)  # person actor → its roles and titles

    def __post_init__(self) -> None:
        text = self.document.text
        self.line_starts = [0] + [i + 1 for i, c in enumerate(text) if c == "\n"]
        self.actors = {a.id: a for a in self.document.actors}
        self.organisations_by_line = {}
        self.token_actor = {}
        for mention in self.document.entities:
            if mention.actor is None:
                continue
            actor = self.actors[mention.actor]
            if actor.kind == "organisation":
                self.organisations_by_line.setdefault(self.line_of(mention.start), set()).add(actor.id)
            span = self.parsed.char_span(mention.start, mention.end, alignment_mode="expand")
            for token in span if span is not None else []:
                self.token_actor[token.i] = actor.id
        self.countries = {
            EN.PLACE_ALIASES.get(a.name.lower(), a.name)
            for a in self.document.actors
            if a.kind == "place" and EN.PLACE_ALIASES.get(a.name.lower(), a.name) in _COUNTRIES
        }
        self.role_words = {
            actor.id: role_words(self.document, self.parsed, actor)
            for actor in self.document.actors
            if actor.kind == "person"
        }

    def line_of(self, position: int) -> int:
        return bisect.bisect_right(self.line_starts, position) - 1

    def named_actor(self, token: Token) -> str | None:
        return self.token_actor.get(token.i)


def _linked_by_syntax(description: Description, article: _Article) -> tuple[str, ResolvedBy] | None:
    """An apposition or a copula that joins the description to a name."""
    head = description.head
    if head.dep_ == "appos" and (actor := article.named_actor(head.head)):
        return actor, "apposition"
    for child in head.children:
        if child.dep_ == "appos" and (actor := article.named_actor(child)):
            return actor, "apposition"
    verb = head.head
    if verb.lemma_.lower() in EN.COPULA_LEMMAS:
        if head.dep_ == "attr":
            subject = next((c for c in verb.children if c.dep_ in ("nsubj", "nsubjpass")), None)
            if subject is not None and (actor := article.named_actor(subject)):
                return actor, "copula"
        if head.dep_ in ("nsubj", "nsubjpass"):
            complement = next((c for c in verb.children if c.dep_ == "attr"), None)
            if complement is not None and (actor := article.named_actor(complement)):
                return actor, "copula"
    return None


def resolve(descriptions: list[Description], article: _Article) -> None:
    """Set each description's actor (an actor id of the article, or a ``NewActor`` for
    ``add_descriptions`` to create) and how it was found."""
    # 1. The article's own links, which also settle every other use of the description.
    linked: dict[str, tuple[str, ResolvedBy]] = {}
    for description in descriptions:
        found = _linked_by_syntax(description, article)
        if found is not None:
            description.actor, description.resolved_by = found
            if description.kind != ROLE:
                linked.setdefault(description.key, found)
    # 2. By kind.
    by_key: dict[str, list[Description]] = {}
    for description in descriptions:
        if description.actor is None:
            by_key.setdefault(description.key, []).append(description)
    for key, uses in by_key.items():
        kind = uses[0].kind
        if kind == ROLE:
            for use in uses:
                _resolve_role(use, article)
            continue
        if key in linked:
            for use in uses:
                use.actor, use.resolved_by = linked[key]
            continue
        if kind == "government":
            for use in uses:
                _resolve_government(use, descriptions, article)
            continue
        lines = {article.line_of(u.start) for u in uses}
        candidates = set().union(*(article.organisations_by_line.get(line, set()) for line in lines))
        if len(candidates) == 1:
            chosen: str | NewActor | None = next(iter(candidates))
            how: ResolvedBy = "paragraph"
        elif candidates:
            chosen, how = None, "ambiguous"
        else:
            chosen, how = _own(uses[0]), "own"
        for use in uses:
            use.actor, use.resolved_by = chosen, how


def _resolve_government(use: Description, descriptions: list[Description], article: _Article) -> None:
    """Its own country; else the country of the government descriptions of its family
    before it ("the regime" after "the Iranian regime", though "the U.S. government" came
    between); else of those after it; else the article's one country."""
    if use.country is not None:
        use.actor, use.resolved_by = _government_of(use.country), "country"
        return
    family = EN.GOVERNMENT_FAMILIES.get(use.head.lower_)
    specified = [
        d
        for d in descriptions
        if d.kind == "government" and d.country and EN.GOVERNMENT_FAMILIES.get(d.head.lower_) == family
    ]
    pools = ([d for d in specified if d.start < use.start], specified)
    for pool in pools:
        countries = {d.country for d in pool if d.country}
        if len(countries) == 1:
            use.actor, use.resolved_by = _government_of(countries.pop()), "article"
            return
        if countries:
            use.actor, use.resolved_by = None, "ambiguous"
            return
    if len(article.countries) == 1:
        use.actor, use.resolved_by = _government_of(next(iter(article.countries))), "article"
    elif article.countries:
        use.actor, use.resolved_by = None, "ambiguous"
    else:
        use.actor, use.resolved_by = _own(use), "own"


def _resolve_role(use: Description, article: _Article) -> None:
    """The person given this role ("the labour minister" → the one whose role is labour
    minister), best by the words the role and the description share, then by how often the
    article gives it (twice as often as anyone else: "President Obama" throughout beats one
    "President Bill Clinton"); two that fit as well are left unresolved."""
    noun = use.head.lemma_.lower()
    scored = []
    for actor_id, roles in article.role_words.items():
        matching = [lemmas for head, lemmas in roles if head == noun]
        if matching:
            scored.append((max(len(use.modifiers & lemmas) for lemmas in matching), len(matching), actor_id))
    if not scored:
        use.actor, use.resolved_by = _own(use), "own"
        return
    best = max(overlap for overlap, _, _ in scored)
    top = sorted(((count, actor_id) for overlap, count, actor_id in scored if overlap == best), reverse=True)
    if len(top) == 1 or top[0][0] >= 2 * top[1][0]:
        use.actor, use.resolved_by = top[0][1], "role"
    else:
        use.actor, use.resolved_by = None, "ambiguous"


def _government_of(country: str) -> NewActor:
    return NewActor(f"government of {country}", "organisation", False, f"government of {country}")


def _own(use: Description) -> NewActor:
    """The actor of a description that no named actor fits: named as the text writes it ("the
    regime", "the Resistance")."""
    kind: ActorKind = "person" if use.kind == ROLE else "organisation"
    if use.kind == "opposition" and use.head.tag_ in ("NNS", "NNPS"):
        kind = "group"
    return NewActor(use.key, kind, True, f"the {use.head.doc.text[use.start : use.end]}")


def add_descriptions(document: Document, parsed: Doc, descriptions: list[Description]) -> None:
    """Resolve ``descriptions`` against the article's actors and add them to its entities
    (kind "description") and actors (new ones for governments and described-only actors);
    entities are then in text order again and actors numbered by their first mention."""
    if not descriptions:
        return
    article = _Article(document, parsed)
    resolve(descriptions, article)
    actors = list(document.actors)
    created: dict[NewActor, Actor] = {}
    for description in descriptions:
        new = description.actor
        if not isinstance(new, NewActor):
            continue
        if new not in created:
            created[new] = Actor(id=f"D{len(created) + 1}", kind=new.kind, name=new.name, described=new.described)
            actors.append(created[new])
        description.actor = created[new].id
    entities = list(document.entities)
    for description in descriptions:
        label = "PERSON" if description.kind == ROLE else "ORG"
        entities.append(
            EntityMention(
                **document.span(description.start, description.end),
                label=label,
                origin="rule",
                actor=description.actor if isinstance(description.actor, str) else None,
                kind="description",
                resolved_by=description.resolved_by,
            )
        )
    _renumber(document, entities, actors)


def _renumber(document: Document, entities: list[EntityMention], actors: list[Actor]) -> None:
    order = sorted(range(len(entities)), key=lambda i: (entities[i].start, entities[i].end))
    entities = [entities[i] for i in order]
    mentions: dict[str, list[int]] = {}
    for index, mention in enumerate(entities):
        if mention.actor is not None:
            mentions.setdefault(mention.actor, []).append(index)
    kept = [a for a in actors if a.id in mentions]
    kept.sort(key=lambda a: mentions[a.id][0])
    new_id = {a.id: f"A{number}" for number, a in enumerate(kept, start=1)}
    for mention in entities:
        if mention.actor is not None:
            mention.actor = new_id[mention.actor]
    for actor in kept:
        actor.mentions = mentions[actor.id]
        actor.id = new_id[actor.id]
    document.entities = entities
    document.actors = kept
