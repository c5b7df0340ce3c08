"""From extracted fragments to attributions a reader can use: kind, speaker, targets, nesting.

The extractor (``extract.py``) only says *where* a source, a cue and a content are. This
module says what they mean for the article's actors, using the layers the actor stage has
already built (entities with their actors, roles) and the spaCy parse:

* ``kind``: direct, mixed or indirect, from the quote marks around the content;
* ``speaker``: the actor behind the source, by a name in it, a pronoun, a role noun ("the
  minister") or an outlet noun ("the newspaper"), with ``speaker_via`` saying which, so a
  reader can weigh a guess ("pronoun") differently from a name;
* ``targets``: the actors mentioned in what was said;
* ``parent``: the attribution that reports this one (an outlet reporting what someone else
  said): the one whose content holds this one's cue, or whose cue verb governs this one's.

Everything here is rules over the parse: no model, so it runs with or without the tagger.
"""

from __future__ import annotations

import bisect
import math
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from presslens.actors.roles import head_word, role_words
from presslens.actors.roles import heads as phrase_heads
from presslens.attribution.types import FoundAttribution
from presslens.document import Actor, ActorKind, Attribution, AttributionKind, Document, Span, SpeakerVia
from presslens.lexicon import get as get_lexicon
from presslens.text import Interval, IntervalIndex, in_regions, overlaps, quote_regions

if TYPE_CHECKING:
    from spacy.tokens import Doc, Token

EN = get_lexicon("en")

# --- direct, mixed or indirect (quote regions: presslens.text) ----------------------------

# A conjunction that introduces reported words: in 'said that “...”' the quote is still direct.
_INTRODUCERS = "|".join(map(re.escape, EN.QUOTE_INTRODUCERS))
_INTRODUCER = re.compile(rf"\s*(?:{_INTRODUCERS})\s+(?=[\"“‘'«])", re.IGNORECASE)


def attribution_kind(text: str, content: Sequence[Interval], regions: Sequence[Interval]) -> AttributionKind:
    """direct / mixed / indirect from where the content's letters and digits lie; whitespace
    and punctuation are ignored, so a quote's own marks and a trailing comma do not count,
    nor does a 'that' right before a quote mark."""
    starts = [r[0] for r in regions]
    inside = outside = 0
    for number, (start, end) in enumerate(content):
        if number == 0 and (introducer := _INTRODUCER.match(text, start, end)):
            start = introducer.end()
        for position in range(start, end):
            if text[position].isalnum():
                if in_regions(regions, starts, position):
                    inside += 1
                else:
                    outside += 1
    if inside and not outside:
        return "direct"
    return "mixed" if inside else "indirect"


# --- words that name a speaker without a name (lists: the lexicon) -----------------------


_SUBJECTS = frozenset(["nsubj", "nsubjpass"])
# How a named mention hangs off the head of a source phrase and still names the speaker:
# "the labour minister, Ali Rabiei" (appos).
_NAMING_DEPS = frozenset(["appos"])
# How an outlet's name hangs off an outlet noun: "the Tribune report", "an op-ed in Kayhan".
_OUTLET_DEPS = frozenset(["appos", "compound", "nmod"])
# How an embedded report hangs off the verb that reports it: "the Tribune reported that Berg
# had told ..." (ccomp). A coordinated verb ("said ... and added") is a sibling, not nested.
_NESTING_DEPS = frozenset(["ccomp", "xcomp"])
_PLURAL_TAGS = frozenset(["NNS", "NNPS"])
_KIND_PREFERENCE: dict[ActorKind, int] = {"person": 0, "organisation": 1, "group": 2, "place": 3}

# How far back a pronoun may look: the speaker of an attribution within this many sentences,
# then any fitting mention within PRONOUN_WINDOW sentences.
SPEAKER_WINDOW = 3
PRONOUN_WINDOW = 5


@dataclass
class _Resolved:
    """What is known of an attribution while the later ones are resolved."""

    attribution: Attribution
    source: tuple[Interval, ...]
    cue: tuple[Interval, ...]
    content: tuple[Interval, ...]
    anchor: int  # first character of the cue (of the content when there is no cue)
    sentence: int  # index of the sentence that holds the anchor


@dataclass
class _Context:
    """The document's layers, indexed once for all its attributions."""

    document: Document
    parsed: Doc
    regions: list[Interval]
    region_starts: list[int] = field(init=False)
    sentence_starts: list[int] = field(init=False)
    actors: dict[str, Actor] = field(init=False)
    mention_tokens: list[set[int]] = field(init=False)  # token indices of each entity mention
    mention_roots: list[Token | None] = field(init=False)
    token_actor: dict[int, str] = field(init=False)  # token index → actor of the mention holding it
    role_words: dict[str, list[tuple[str, set[str]]]] = field(init=False)  # actor id → (head, all lemmas)
    # The entities by position (index into document.entities, sorted by start, then by index
    # in reverse so a backward walk meets the first-listed of a start first), and each actor's
    # mention starts: every attribution asks these, and a scan each time is quadratic.
    entity_order: list[int] = field(init=False)
    entity_starts: list[int] = field(init=False)
    entity_index: IntervalIndex = field(init=False)
    actor_mention_starts: dict[str, list[int]] = field(init=False)
    actors_by_name: dict[str, list[str]] = field(init=False)  # lower-case name or alias → actor ids
    people_by_surname: dict[str, list[str]] = field(init=False)
    roles_by_head: dict[str, list[tuple[str, set[str]]]] = field(init=False)  # head noun → (actor id, lemmas)

    def __post_init__(self) -> None:
        self.region_starts = [r[0] for r in self.regions]
        self.sentence_starts = [s.start for s in self.document.sentences]
        self.actors = {a.id: a for a in self.document.actors}
        self.mention_tokens = []
        self.mention_roots = []
        self.token_actor = {}
        for mention in self.document.entities:
            span = self.parsed.char_span(mention.start, mention.end, alignment_mode="expand")
            self.mention_tokens.append({t.i for t in span} if span is not None else set())
            self.mention_roots.append(span.root if span is not None and len(span) else None)
            # Names only: a description's words ("finance" of "the finance minister") are
            # no owner or name of anyone.
            if mention.actor and mention.actor in self.actors and mention.kind == "name":
                for index in self.mention_tokens[-1]:
                    self.token_actor.setdefault(index, mention.actor)
        self.role_words = {a.id: role_words(self.document, self.parsed, a) for a in self.document.actors}
        entities = self.document.entities
        self.entity_order = sorted(range(len(entities)), key=lambda i: (entities[i].start, -i))
        self.entity_starts = [entities[i].start for i in self.entity_order]
        self.entity_index = IntervalIndex((e.start, e.end) for e in entities)
        self.actor_mention_starts = {}
        for mention in sorted(entities, key=lambda e: e.start):
            if mention.actor:
                self.actor_mention_starts.setdefault(mention.actor, []).append(mention.start)
        self.actors_by_name = {}
        self.people_by_surname = {}
        for actor in self.document.actors:
            self.add_actor_names(actor)
        self.roles_by_head = {}
        for actor_id, roles in self.role_words.items():
            for head, words in roles:
                self.roles_by_head.setdefault(head, []).append((actor_id, words))

    def add_actor_names(self, actor: Actor) -> None:
        names = [n.lower() for n in (actor.name, *actor.aliases)]
        for name in dict.fromkeys(names):
            self.actors_by_name.setdefault(name, []).append(actor.id)
        if actor.kind == "person":
            for surname in dict.fromkeys(n.split()[-1] for n in names if n.split()):
                self.people_by_surname.setdefault(surname, []).append(actor.id)

    def entities_overlapping(self, fragments: Iterable[Interval]) -> list[int]:
        """The entity mentions that share a character with any fragment, in document order."""
        found: set[int] = set()
        for start, end in fragments:
            found.update(self.entity_index.overlapping(start, end))
        return sorted(found)

    def entities_before(self, position: int) -> Iterator[int]:
        """The entity mentions that begin before ``position``, nearest first."""
        for number in range(bisect.bisect_left(self.entity_starts, position) - 1, -1, -1):
            yield self.entity_order[number]

    def sentence_of(self, position: int) -> int:
        return max(0, bisect.bisect_right(self.sentence_starts, position) - 1)

    def regions_around(self, fragments: Sequence[Interval]) -> list[Interval]:
        """The quote regions that may hold a character of the fragments (sorted, apart)."""
        if not fragments:
            return []
        first = max(0, bisect.bisect_right(self.region_starts, fragments[0][0]) - 1)
        last = bisect.bisect_left(self.region_starts, max(e for _, e in fragments))
        return self.regions[first:last]

    def quoted(self, position: int) -> bool:
        return in_regions(self.regions, self.region_starts, position)

    def tokens(self, fragments: Iterable[Interval]) -> list[Token]:
        tokens: dict[int, Token] = {}
        for start, end in fragments:
            span = self.parsed.char_span(start, end, alignment_mode="expand")
            if span is not None:
                tokens.update((t.i, t) for t in span)
        return [tokens[i] for i in sorted(tokens)]

    def kind(self, actor_id: str | None) -> ActorKind | None:
        actor = self.actors.get(actor_id) if actor_id else None
        return actor.kind if actor else None


def _definite(head: Token) -> bool:
    return not any(c.dep_ == "det" and c.lower_ in EN.INDEFINITE_DETERMINERS for c in head.children)


# --- speaker resolution ------------------------------------------------------------------


class _SpeakerResolver:
    def __init__(self, context: _Context) -> None:
        self.context = context
        self.earlier: list[_Resolved] = []  # attributions already resolved, in text order
        # Where the earlier ones stand: by the sentence of their anchor, and by every
        # character of their sources (indices into ``earlier``).
        self.by_sentence: dict[int, list[int]] = {}
        self.by_source_char: dict[int, list[int]] = {}

    def add(self, resolved: _Resolved) -> None:
        number = len(self.earlier)
        self.earlier.append(resolved)
        self.by_sentence.setdefault(resolved.sentence, []).append(number)
        for start, end in resolved.source:
            for position in range(start, end):
                self.by_source_char.setdefault(position, []).append(number)

    def _recent(self, position: int, since_sentence: int, kinds: tuple[ActorKind, ...]) -> _Resolved | None:
        """The latest earlier attribution anchored before ``position``, in a sentence from
        ``since_sentence`` on, whose speaker is of one of ``kinds``."""
        last_sentence = self.context.sentence_of(position)
        numbers = [n for s in range(max(0, since_sentence), last_sentence + 1) for n in self.by_sentence.get(s, ())]
        for number in sorted(numbers, reverse=True):
            resolved = self.earlier[number]
            speaker = resolved.attribution.speaker
            if resolved.anchor < position and speaker and self.context.kind(speaker) in kinds:
                return resolved
        return None

    def resolve(
        self, source: tuple[Interval, ...], content: tuple[Interval, ...], sentence: int
    ) -> tuple[str | None, SpeakerVia]:
        if not source:
            return None, "none"
        tokens = self.context.tokens(source)
        heads = phrase_heads(tokens)
        named = self._named(source, heads)
        if named is not None:
            return named, "name"
        head = next((t for t in heads if t.pos_ in ("NOUN", "PROPN", "PRON")), heads[0] if heads else None)
        if head is None:
            return None, "unresolved"
        position = min(s for s, _ in source)
        if head.pos_ == "PRON" and head.tag_ in ("WP", "WDT") and head.head.dep_ == "relcl":
            # "Salek, who said ...": a relative pronoun is the noun its clause hangs off.
            named = self.context.token_actor.get(head.head.head.i)
            return (named, "pronoun") if named else (None, "unresolved")
        if head.pos_ == "PRON":
            return self._pronoun(head.lower_, position, sentence, content)
        if head.text[:1].isupper():
            # The small model often tags a bare surname NOUN ("Trump said"), so case decides.
            found = self._unmentioned_name(head, position)
            if found is not None:
                return found, "name"
        word = head_word(head)
        plural = head.tag_ in _PLURAL_TAGS
        if word in EN.MEDIA_NOUNS or word in EN.ISSUED_NOUNS:
            return self._outlet(head, word, plural, position, sentence, content, tokens)
        # "a minister" is someone new, "ministers" several, "his spokesman" someone else's
        # aide: none of them is the actor who holds the role.
        if _definite(head) and not plural and not self._owned_by_someone(head):
            found = self._by_role(word, {t.lemma_.lower() for t in tokens}, position)
            if found is not None:
                return found, "role"
        # "the regime has seen ...": a description the actors stage tied to an actor.
        described = self._named(source, heads, mention_kind="description")
        if described is not None:
            return described, "description"
        return None, "unresolved"

    def _pronoun(
        self, word: str, position: int, sentence: int, content: tuple[Interval, ...]
    ) -> tuple[str | None, SpeakerVia]:
        kinds = EN.PRONOUN_KINDS.get(word)
        found = self._anaphor(position, sentence, kinds, content, window=PRONOUN_WINDOW) if kinds else None
        return (found, "pronoun") if found else (None, "unresolved")

    def _owned_by_someone(self, head: Token) -> bool:
        """'his spokesman', 'Berg's aide', 'the Clinton campaign': a possessive pronoun or a
        person before the noun. A place or organisation as owner ('Valdoria's harbour
        minister', 'White House spokesman') still names a role."""
        return any(
            (c.dep_ == "poss" and c.pos_ == "PRON")
            or (c.dep_ in ("poss", "compound") and self.context.kind(self.context.token_actor.get(c.i)) == "person")
            for c in head.children
        )

    def _unmentioned_name(self, head: Token, position: int) -> str | None:
        """A proper noun that NER did not tag here but that names an actor it tagged
        elsewhere: 'Mr. Brandt' after 'Tomas Brandt'. The full form first, then a person's
        surname; of several, the one mentioned last before the source."""
        doc = head.doc
        first = head.i
        while first > 0 and doc[first - 1].text[:1].isupper() and doc[first - 1].dep_ == "compound":
            first -= 1
        phrase = " ".join(t.text for t in doc[first : head.i + 1]).lower()
        surname = head.text.lower()
        exact = self.context.actors_by_name.get(phrase, [])
        by_surname = [a for a in self.context.people_by_surname.get(surname, []) if a not in exact]
        return self._latest_before(exact or by_surname, position)

    def _latest_before(self, actor_ids: list[str], position: int) -> str | None:
        if not actor_ids:
            return None
        last = self._last_mentions(set(actor_ids), position)
        if last:
            return max(last, key=lambda a: last[a])
        return actor_ids[0] if len(actor_ids) == 1 else None

    def _last_mentions(self, actor_ids: set[str], position: int) -> dict[str, int]:
        """Where each of ``actor_ids`` was last mentioned before ``position``."""
        last: dict[str, int] = {}
        for actor_id in actor_ids:
            starts = self.context.actor_mention_starts.get(actor_id, [])
            before = bisect.bisect_left(starts, position)
            if before:
                last[actor_id] = starts[before - 1]
        return last

    def _named(self, source: tuple[Interval, ...], heads: list[Token], mention_kind: str = "name") -> str | None:
        """An actor named at the head of the source: 'White House spokesman Josh Earnest' is
        Josh Earnest (the White House only modifies); 'the labour minister, Ali Rabiei' is
        Ali Rabiei (an apposition). A name further down ('an op-ed in an outlet linked to
        the IRGC') is not the speaker."""
        context = self.context
        head_ids = {t.i for t in heads}
        candidates: list[tuple[int, int, str]] = []
        for index in context.entities_overlapping(source):
            mention = context.document.entities[index]
            kind = context.kind(mention.actor)
            if kind is None or mention.actor is None or mention.kind != mention_kind:
                continue
            root = context.mention_roots[index]
            at_head = bool(context.mention_tokens[index] & head_ids)
            beside_head = root is not None and root.dep_ in _NAMING_DEPS and root.head.i in head_ids
            if at_head or beside_head:
                candidates.append((_KIND_PREFERENCE[kind], mention.start, mention.actor))
        return min(candidates)[2] if candidates else None

    def _outlet(
        self,
        head: Token,
        word: str,
        plural: bool,
        position: int,
        sentence: int,
        content: tuple[Interval, ...],
        tokens: list[Token],
    ) -> tuple[str | None, SpeakerVia]:
        """An outlet or document noun: the outlet named with it ('the Tribune report', 'an
        op-ed in Kayhan'); its owner ('its report', 'Berg's statement'); else, for a definite
        singular one, the outlet or organisation named before."""
        context = self.context
        in_source = {t.i for t in tokens}
        attached = [c for c in head.children if c.dep_ in _OUTLET_DEPS]
        for prep in head.children:
            if prep.dep_ == "prep" and prep.lower_ in EN.OUTLET_PREPOSITIONS:
                attached.extend(c for c in prep.children if c.dep_ == "pobj")
        for token in attached:
            actor = context.actors.get(context.token_actor.get(token.i, "")) if token.i in in_source else None
            if actor is not None and (actor.kind == "organisation" or self._outlet_name(actor)):
                return actor.id, "organisation"
        owner = next((c for c in head.children if c.dep_ == "poss"), None)
        if owner is not None:
            if owner.pos_ == "PRON":
                return self._pronoun(EN.POSSESSIVE_PRONOUNS.get(owner.lower_, ""), position, sentence, content)
            named = context.token_actor.get(owner.i)
            return (named, "name") if named else (None, "unresolved")
        if plural:
            return None, "unresolved"
        if not _definite(head):
            # "an op-ed in a media outlet linked to the IRGC": an outlet new to the article and
            # unnamed (the IRGC only describes it). It becomes an actor of its own, so that "it
            # said" and "the publication" after it point back to it, not to the IRGC.
            return self._new_outlet(source_tokens=tokens), "organisation"
        recent = self._recent_speaker(position, sentence, ("organisation",))
        if recent is not None:
            return recent, "organisation"
        if word in EN.MEDIA_NOUNS:
            outlet = self._nearest_mention(
                position, ("organisation", "person"), content, window=None, accept=self._outlet_name
            )
            if outlet is not None:
                return outlet, "organisation"
        found = self._anaphor(position, sentence, ("organisation",), content, window=PRONOUN_WINDOW)
        return (found, "organisation") if found else (None, "unresolved")

    def _new_outlet(self, source_tokens: list[Token]) -> str:
        """An actor for an outlet the article describes but does not name, named by the
        description itself ("op-ed in a media outlet linked to the IRGC")."""
        context = self.context
        words = [t for t in source_tokens if not t.is_space]
        while words and (words[0].lower_ in EN.ARTICLES or words[0].is_punct):
            words = words[1:]
        while words and words[-1].is_punct and words[-1].text != ")":
            words = words[:-1]
        name = context.document.text[words[0].idx : words[-1].idx + len(words[-1].text)] if words else "outlet"
        numbers = [int(a.id[1:]) for a in context.document.actors if a.id[1:].isdigit()]
        actor = Actor(id=f"A{max(numbers, default=0) + 1}", kind="organisation", name=name)
        context.document.actors.append(actor)
        context.actors[actor.id] = actor
        context.add_actor_names(actor)
        return actor.id

    def _recent_speaker(self, position: int, sentence: int, kinds: tuple[ActorKind, ...]) -> str | None:
        """The latest speaker of a fitting kind within the last few sentences."""
        recent = self._recent(position, sentence - SPEAKER_WINDOW, kinds)
        return recent.attribution.speaker if recent is not None else None

    def _outlet_name(self, actor: Actor) -> bool:
        # Person too: NER now and then calls a paper a person ("The Calvetta Herald").
        return any(w.lower() in EN.OUTLET_NAME_WORDS for n in (actor.name, *actor.aliases) for w in n.split())

    def _by_role(self, word: str, lemmas: set[str], position: int) -> str | None:
        """'the minister': the actor whose role has this head noun, the one whose role words
        agree most with the source's ('the labour minister' over 'the foreign minister'),
        then the one mentioned last before the source."""
        context = self.context
        matching: dict[str, int] = {}
        for actor_id, words in context.roles_by_head.get(word, []):
            matching[actor_id] = max(matching.get(actor_id, -1), len(lemmas & words))
        if not matching:
            return None
        last = self._last_mentions(set(matching), position)
        scored = [(overlap, last.get(actor_id, -1), actor_id) for actor_id, overlap in matching.items()]
        before = [s for s in scored if s[1] >= 0]
        if before:
            return max(before)[2]
        return scored[0][2] if len(scored) == 1 else None

    def _anaphor(
        self,
        position: int,
        sentence: int,
        kinds: tuple[ActorKind, ...],
        content: tuple[Interval, ...],
        window: int | None,
    ) -> str | None:
        """Who a pronoun or a definite noun at ``position`` points back to, most salient first:
        who spoke in this or the previous sentence; the subject of the previous sentence;
        who spoke in the last few sentences; the nearest fitting mention."""
        recent = self._recent(position, sentence - 1, kinds)
        if recent is not None:
            return recent.attribution.speaker
        subject = self._previous_subject(sentence, kinds, content)
        if subject is not None:
            return subject
        recent = self._recent(position, sentence - SPEAKER_WINDOW, kinds)
        if recent is not None:
            return recent.attribution.speaker
        return self._nearest_mention(position, kinds, content, window)

    def _previous_subject(
        self, sentence: int, kinds: tuple[ActorKind, ...], content: tuple[Interval, ...]
    ) -> str | None:
        context = self.context
        if sentence == 0 or sentence > len(context.document.sentences):
            return None
        previous = context.document.sentences[sentence - 1]
        span = context.parsed.char_span(previous.start, previous.end, alignment_mode="expand")
        if span is None:
            return None
        subjects = [t for t in span if t.dep_ in _SUBJECTS and t.head.dep_ == "ROOT"]
        for token in subjects:
            if context.quoted(token.idx) or overlaps(token.idx, token.idx + 1, content):
                continue  # a subject inside a quote is what someone said, not who is talked about
            named = context.token_actor.get(token.i)
            if named is not None and context.kind(named) in kinds:
                return named
            # A pronoun subject resolved earlier: "He met workers. He said ..."
            for number in self.by_source_char.get(token.idx, ()):
                resolved = self.earlier[number]
                if context.kind(resolved.attribution.speaker) in kinds:
                    return resolved.attribution.speaker
        return None

    def _nearest_mention(
        self,
        position: int,
        kinds: tuple[ActorKind, ...],
        content: tuple[Interval, ...],
        window: int | None,
        accept: Callable[[Actor], bool] | None = None,
    ) -> str | None:
        context = self.context
        first_sentence = context.sentence_of(position) - window if window is not None else -1
        for index in context.entities_before(position):
            mention = context.document.entities[index]
            if window is not None and context.sentence_of(mention.start) < first_sentence:
                return None  # nearest first: all the rest lie further back
            actor = context.actors.get(mention.actor) if mention.actor else None
            if actor is None or actor.kind not in kinds or (accept is not None and not accept(actor)):
                continue
            if context.quoted(mention.start) or overlaps(mention.start, mention.end, content):
                continue  # named in a quote or in what is being attributed: not the one speaking
            return actor.id
        return None


# --- assembly --------------------------------------------------------------------------


def _clean(fragments: Iterable[Interval] | None, length: int) -> tuple[Interval, ...]:
    """Fragments clipped to the text, empty ones dropped, sorted: the extractor's offsets are
    trusted, but one bad fragment must not make the whole document fail validation."""
    cleaned = {(max(0, min(s, length)), max(0, min(e, length))) for s, e in fragments or ()}
    return tuple(sorted((s, e) for s, e in cleaned if s < e))


def _confidence(value: float) -> float:
    value = float(value)  # a numpy scalar from the tagger is not a float to pydantic
    return min(1.0, max(0.0, value)) if math.isfinite(value) else 0.0


def _spans(document: Document, fragments: tuple[Interval, ...]) -> list[Span]:
    return [Span.model_validate(document.span(start, end)) for start, end in fragments]


def _targets(context: _Context, content: tuple[Interval, ...], speaker: str | None) -> list[str]:
    targets: list[str] = []
    for index in context.entities_overlapping(content):
        actor = context.document.entities[index].actor
        if actor and actor != speaker and actor not in targets:
            targets.append(actor)
    return targets


def _link_parents(context: _Context, resolved: list[_Resolved]) -> None:
    """Nest an attribution in the one that reports it. Its cue inside another's content makes
    that one the parent (the smallest such content): "the Tribune reported that Berg had told
    dockworkers “...”", with the Tribune's content holding Berg's quote. A token tagger gives
    each word one role, so the outer content often stops where the inner source starts; then
    the parse decides: a cue whose verb is the clausal complement of another cue's verb
    ("reported" → ccomp → "had told") is nested in that one."""
    by_id = {r.attribution.id: r for r in resolved}
    cue_owner: dict[int, _Resolved] = {}
    for item in resolved:
        for token in context.tokens(item.cue):
            cue_owner.setdefault(token.i, item)
    # Content fragments indexed, to find those that hold a cue without a scan of them all.
    fragments = [(fragment, number) for number, r in enumerate(resolved) for fragment in r.content]
    contents = IntervalIndex(fragment for fragment, _ in fragments)

    def holding(fragment: Interval) -> set[int]:
        return {fragments[n][1] for n in contents.containing(*fragment)}

    for child in resolved:
        if not child.cue:
            continue
        numbers = set.intersection(*(holding(fragment) for fragment in child.cue))
        holders = [resolved[n] for n in sorted(numbers) if resolved[n] is not child]
        if holders:
            parent = min(holders, key=lambda r: sum(e - s for s, e in r.content))
            child.attribution.parent = parent.attribution.id
            continue
        heads = phrase_heads(context.tokens(child.cue))
        if not heads:
            continue
        below, token = heads[0], heads[0].head
        while below.i != token.i:
            if below.dep_ == "conj":
                # "said the port would close and added ...": the parser often hangs the second
                # verb on the reported clause; coordination is a sibling statement, not nested.
                break
            owner = cue_owner.get(token.i)
            if owner is not None and owner is not child:
                # The first cue up the tree decides; only a complement clause is nested in it.
                if below.dep_ in _NESTING_DEPS:
                    child.attribution.parent = owner.attribution.id
                break
            below, token = token, token.head
    # Overlapping garbage from the tagger could nest two attributions in each other.
    for child in resolved:
        seen = {child.attribution.id}
        current = child.attribution.parent
        while current is not None:
            if current in seen:
                child.attribution.parent = None
                break
            seen.add(current)
            current = by_id[current].attribution.parent


def build_attributions(document: Document, parsed: Doc, found: list[FoundAttribution]) -> list[Attribution]:
    """The document's attributions from what the extractor found, in text order ('Q1', ...).

    ``document`` must already hold the nlp and actor layers of ``parsed``."""
    length = len(document.text)
    cleaned = []
    for item in found:
        source, cue, content = (_clean(item.source, length), _clean(item.cue, length), _clean(item.content, length))
        if cue or content:
            cleaned.append((source, cue, content, item.confidence))
    # Text order: by the first character of any part ("“We will win,” she said" starts at
    # its quote), then by cue.
    cleaned.sort(key=lambda c: (min(s for s, _ in c[0] + c[1] + c[2]), c[1]))

    context = _Context(document, parsed, quote_regions(document.text))
    resolver = _SpeakerResolver(context)
    for number, (source, cue, content, confidence) in enumerate(cleaned, start=1):
        anchor = (cue or content)[0][0]
        sentence = context.sentence_of(min(s for s, _ in source) if source else anchor)
        speaker, via = resolver.resolve(source, content, sentence)
        attribution = Attribution(
            id=f"Q{number}",
            # Quote marks around the cue too are the reporter's, not this speaker's: inside an
            # op-ed's quote, "X stipulated that …" is X's words reported indirectly.
            kind=attribution_kind(
                document.text,
                content,
                [r for r in context.regions_around(content) if not any(r[0] <= a < r[1] for a, _ in cue)],
            ),
            source=_spans(document, source),
            cue=_spans(document, cue),
            content=_spans(document, content),
            speaker=speaker,
            speaker_via=via,
            targets=_targets(context, content, speaker),
            confidence=_confidence(confidence),
        )
        resolver.add(_Resolved(attribution, source, cue, content, anchor, context.sentence_of(anchor)))
    _link_parents(context, resolver.earlier)
    return [r.attribution for r in resolver.earlier]
