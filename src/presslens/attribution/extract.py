"""Attribution extraction: source, cue and content spans from a spaCy parse.

A CRF tags each token (BIO over source, cue, content) from features of the parse and a cue
lexicon learned on PolNeAR; the tagged runs are then grouped into attributions around their
cues (see ``group``)."""

from __future__ import annotations

import bisect
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, cast

from presslens.attribution.features import CueLexicon, items, paragraphs, sequence_features
from presslens.attribution.patterns import according_to, edge_trimmed, labelled_lines, signed_quotes
from presslens.attribution.polnear import Intervals
from presslens.attribution.types import FoundAttribution
from presslens.encoder.encoding import Encoding
from presslens.errors import ModelError
from presslens.lexicon import get as get_lexicon
from presslens.models.loader import ATTRIBUTION, load_model
from presslens.text import IntervalIndex, overlaps, quote_regions

if TYPE_CHECKING:
    import pycrfsuite
    from spacy.tokens import Doc, Span, Token

DEFAULT_MODEL_DIR = Path(__file__).resolve().parents[1] / "models" / "attribution"
MODEL_DIR_ENV = "PRESSLENS_ATTRIBUTION_MODEL"
MODEL_FILE = "tagger.crfsuite"
LEXICON_FILE = "cue_lexicon.json"
CONFIG_FILE = "config.json"
SOURCE, CUE, CONTENT = "S", "C", "Q"  # tag names: B-S, I-C, ...
EN = get_lexicon("en")  # the cue words of the rules below (the tagger was trained on English)


NEURAL_MODEL_DIR = Path(__file__).resolve().parents[1] / "models" / "attribution-neural"


def model_dir(folder: Path | None = None, tagger: str | None = None) -> Path:
    """Where the attribution model ``tagger`` is read from: ``folder``, else
    ``$PRESSLENS_ATTRIBUTION_MODEL``, else the packaged model of that tagger."""
    if folder is not None:
        return folder
    if MODEL_DIR_ENV in os.environ:
        return Path(os.environ[MODEL_DIR_ENV])
    return NEURAL_MODEL_DIR if tagger == "neural" else DEFAULT_MODEL_DIR


CRF = "crf"  # the model registry's name of this tagger


def open_extractor(folder: Path) -> AttributionExtractor:
    """The tagger saved in ``folder`` (the model registry's factory of attribution "crf")."""
    if not (folder / MODEL_FILE).exists():
        raise ModelError(f"no attribution model in {folder}: train one with `presslens train attribution`")
    return AttributionExtractor.load(folder)


def load_extractor(folder: Path | None = None) -> AttributionExtractor:
    """The CRF attribution model, loaded once per process (through the model loader)."""
    return cast(AttributionExtractor, load_model(ATTRIBUTION, CRF, folder=model_dir(folder)))


Run = tuple[str, int, int]  # (role letter, first token, last token), inclusive, paragraph positions


class AttributionExtractor:
    """Finds attributions in parsed text: the CRF tags tokens, ``group`` joins the tags."""

    def __init__(self, tagger: pycrfsuite.Tagger | None, lexicon: CueLexicon) -> None:
        self.tagger = tagger
        self.lexicon = lexicon

    @classmethod
    def load(cls, folder: Path) -> AttributionExtractor:
        import pycrfsuite

        tagger = pycrfsuite.Tagger()
        tagger.open(str(folder / MODEL_FILE))
        lexicon = CueLexicon.from_json(json.loads((folder / LEXICON_FILE).read_text(encoding="utf-8")))
        return cls(tagger, lexicon)

    def tag(self, paragraph: Span) -> tuple[list[str], list[float]]:
        """BIO labels of the paragraph's tokens and, per cue token, the marginal probability of
        its label (the confidence of an attribution; other tokens get 1.0, unused)."""
        if self.tagger is None:
            raise ModelError("this attribution extractor has no CRF tagger")
        labels = self.tagger.tag(items(sequence_features(paragraph, self.lexicon)))
        marginals = [self.tagger.marginal(label, i) if label.endswith(CUE) else 1.0 for i, label in enumerate(labels)]
        return labels, marginals

    def extract(self, parsed: Doc, encoding: Encoding | None = None) -> list[FoundAttribution]:
        """Attributions of ``parsed`` (its ``.text`` is the document text), in text order.
        The CRF reads the parse only (``encoding``, the shared encoder's states, is unused)."""
        blocks = paragraphs(parsed)
        return self.complete(parsed, blocks, [self.tag(paragraph) for paragraph in blocks])

    def complete(
        self, parsed: Doc, blocks: list[Span], tagged: list[tuple[list[str], list[float]]]
    ) -> list[FoundAttribution]:
        """The attributions made of each paragraph's tags (``tagged``: labels and marginals
        per paragraph of ``blocks``), completed by the rules."""
        found: list[FoundAttribution] = []
        text = parsed.text  # once: spaCy joins every token's text to make it
        for number, paragraph in enumerate(blocks):
            labels, marginals = tagged[number]
            following = blocks[number + 1] if number + 1 < len(blocks) else None
            for item in group(list(paragraph), labels, marginals, keep_empty=True):
                item = item if item.content else content_after_colon(text, item, paragraph, following)
                if item.content:
                    found.append(item)
        found = [with_subject_source(parsed, f) for f in found]
        found = continue_into_quotes(parsed, found)
        found += labelled_lines(parsed, found)
        found += signed_quotes(parsed, found)
        found += according_to(parsed, found)
        found += missed_speech_verbs(parsed, found)
        found += nested_attributions(parsed, found, self.lexicon)
        found = [f for f in found if not shows_a_scene(parsed, f)]
        return sorted(found, key=lambda a: a.cue)


def shows_a_scene(parsed: Doc, found: FoundAttribution) -> bool:
    """Whether the cue is a participle that only describes its noun ("a video showing the
    protesters holding placards"): a "-ing" form hanging on a noun (``acl``) with no clause
    under it reports no statement (a non-finite "protesters holding placards" is a scene,
    not a clause). "A poll showing that he leads" has its finite clause and stays."""
    start, end = found.cue[0]
    cue = parsed.char_span(start, end, alignment_mode="expand")
    if cue is None or len(cue) != 1:
        return False
    token = cue[0]
    finite = ("VBD", "VBZ", "VBP", "MD")
    return (
        token.tag_ == "VBG"
        and token.dep_ == "acl"
        and not any(c.dep_ == "ccomp" and c.tag_ in finite for c in token.children)
    )


def runs_of(labels: list[str]) -> list[Run]:
    """Maximal runs of one role from BIO labels; an I- that follows another role starts a run."""
    runs: list[Run] = []
    for i, label in enumerate(labels):
        if label == "O":
            continue
        prefix, role = label.split("-", 1)
        if prefix == "I" and runs and runs[-1][0] == role and runs[-1][2] == i - 1:
            runs[-1] = (role, runs[-1][1], i)
        else:
            runs.append((role, i, i))
    return runs


def _chars(tokens: list[Token], first: int, last: int) -> tuple[int, int]:
    return tokens[first].idx, tokens[last].idx + len(tokens[last].text)


def _hangs_under(tokens: list[Token], run: Run, targets: set[int], steps: int = 4) -> bool:
    """Whether a token of the run reaches one of ``targets`` (doc positions) going up the tree."""
    for position in range(run[1], run[2] + 1):
        node = tokens[position]
        for _ in range(steps):
            if node.head.i == node.i:
                break
            node = node.head
            if node.i in targets:
                return True
    return False


def group(
    tokens: list[Token], labels: list[str], marginals: list[float], keep_empty: bool = False
) -> list[FoundAttribution]:
    """Join tagged runs of one paragraph into attributions.

    Each cue run anchors one attribution. Its source is the source run that hangs under the
    cue in the parse, else the nearest source run of the same sentence. Each content run goes
    to the cue it hangs under, else to the nearest cue of its sentence(s), else (a quote that
    goes on after "he said.") to the nearest cue of the previous sentence. Cues that get no
    content are dropped (unless ``keep_empty``: the caller may find it after a colon):
    annotators give almost every attribution a content.
    """
    runs = runs_of(labels)
    cues = [r for r in runs if r[0] == CUE]
    if not cues:
        return []
    sentence_of = [t.sent.start for t in tokens]
    cue_tokens = [{tokens[i].i for i in range(c[1], c[2] + 1)} for c in cues]

    def sentences(run: Run) -> set[int]:
        return {sentence_of[i] for i in range(run[1], run[2] + 1)}

    def distance(run: Run, cue: Run) -> int:
        return max(cue[1] - run[2], run[1] - cue[2], 0)

    sources: dict[int, Run] = {}
    for k, cue in enumerate(cues):
        same = [r for r in runs if r[0] == SOURCE and sentences(r) & sentences(cue)]
        linked = [r for r in same if _hangs_under(tokens, r, cue_tokens[k], steps=2)]
        pool = linked or [r for r in same if not any(_hangs_under(tokens, r, ct, 2) for ct in cue_tokens)]
        if pool:
            sources[k] = min(pool, key=lambda r: distance(r, cue))

    contents: dict[int, list[Run]] = {k: [] for k in range(len(cues))}
    for run in (r for r in runs if r[0] == CONTENT):
        own = sentences(run)
        candidates = [k for k, c in enumerate(cues) if sentences(c) & own]
        if not candidates:
            previous = [k for k, c in enumerate(cues) if c[2] < run[1]]
            candidates = previous[-1:]
        if not candidates:
            continue
        linked_cues = [k for k in candidates if _hangs_under(tokens, run, cue_tokens[k])]
        chosen = linked_cues or candidates
        contents[min(chosen, key=lambda k: distance(run, cues[k]))].append(run)

    found = []
    for k, cue in enumerate(cues):
        if not contents[k] and not keep_empty:
            continue
        source = sources.get(k)
        confidence = sum(marginals[cue[1] : cue[2] + 1]) / (cue[2] - cue[1] + 1)
        found.append(
            FoundAttribution(
                source=(_chars(tokens, source[1], source[2]),) if source else None,
                cue=(_chars(tokens, cue[1], cue[2]),),
                content=tuple(_chars(tokens, r[1], r[2]) for r in contents[k]),
                confidence=round(confidence, 4),
            )
        )
    return found


# --- completion by rules ---------------------------------------------------------------------
#
# PolNeAR gives each word one role and never puts a cue inside another attribution's content,
# so the tagger cannot learn nesting ("the paper reported that the minister said …"), nor a
# quote that an earlier attribution introduces and that has no cue of its own. These rules add
# what the tagger cannot learn, from the parse.

_SUBJECTS = ("nsubj",)


def _char_range(first: Token, last: Token) -> tuple[int, int]:
    return first.idx, last.idx + len(last.text)


def _phrase(token: Token) -> tuple[int, int]:
    """The token's subtree as characters, without edge punctuation."""
    words = [t for t in token.subtree if not (t.is_punct or t.is_space)]
    return _char_range(words[0], words[-1]) if words else _char_range(token, token)


def _subject(verb: Token) -> Token | None:
    """The verb's subject, or that of the verb it is conjoined to ("X gave a call and has promised …")."""
    for candidate in (verb, verb.head if verb.dep_ == "conj" else None):
        if candidate is None:
            continue
        subject = next((c for c in candidate.children if c.dep_ in _SUBJECTS), None)
        if subject is not None and subject.lower_ not in EN.NOT_SOURCES:
            return subject
    return None


def _verb_of(doc: Doc, cue: Intervals) -> Token | None:
    span = doc.char_span(cue[0][0], cue[-1][1], alignment_mode="expand")
    verbs = [t for t in span or () if t.pos_ in ("VERB", "AUX")] if span is not None else []
    return verbs[-1] if verbs else None


def content_after_colon(
    text: str, found: FoundAttribution, paragraph: Span, following: Span | None
) -> FoundAttribution:
    """ "He said:" at the end of a paragraph introduces the next paragraph (a block quote)."""
    if following is None:
        return found
    cue_end = found.cue[-1][1]
    rest = text[cue_end : paragraph.end_char].strip()
    # The colon is part of the cue in PolNeAR's annotation ("reports:"), or just after it.
    before = cue_end
    while before > 0 and text[before - 1].isspace():
        before -= 1
    if rest != ":" and not (rest == "" and text[before - 1 : before] == ":"):
        return found
    words = [t for t in following if not t.is_space]
    if not words:
        return found
    return FoundAttribution(found.source, found.cue, (_chars(words, 0, len(words) - 1),), found.confidence)


def with_subject_source(doc: Doc, found: FoundAttribution) -> FoundAttribution:
    """A cue verb that the tagger left without a source gets its grammatical subject."""
    if found.source is not None:
        return found
    verb = _verb_of(doc, found.cue)
    subject = _subject(verb) if verb is not None else None
    if subject is None:
        return found
    source = _phrase(subject)
    if overlaps(*source, found.cue):
        return found
    # A content run that swallowed the subject was mis-tagged: the subject is not what was said.
    content = tuple(f for f in found.content if not overlaps(*source, [f]))
    if not content:
        return found
    return FoundAttribution((source,), found.cue, content, found.confidence)


def continue_into_quotes(doc: Doc, found: list[FoundAttribution]) -> list[FoundAttribution]:
    """A quoted passage that opens the sentence right after an attribution's content, in the
    same paragraph, and that no attribution outside it claims, continues that content:
    "The publication also showed that …. “Recently, X gave a call …”"."""
    text = doc.text
    ordered = sorted((f for f in found if f.content), key=lambda f: f.content[-1][1])
    content_ends = [f.content[-1][1] for f in ordered]
    result = {id(f): f for f in found}
    for quote_start, quote_end in quote_regions(text):
        # The attribution whose content ends last before the quote (the last of a tie).
        before = bisect.bisect_right(content_ends, quote_start)
        if not before:
            continue
        owner = ordered[before - 1]
        gap = text[owner.content[-1][1] : quote_start]
        if "\n" in gap or gap.strip(" .,;:”\"'’") or len(gap) > 4:
            continue
        outside_claims = any(
            f is not owner
            and any(s < quote_end and quote_start < e for s, e in f.content)
            and not all(quote_start <= s and e <= quote_end for s, e in f.cue)
            for f in found
        )
        if outside_claims:
            continue
        current = result[id(owner)]
        result[id(owner)] = FoundAttribution(
            current.source, current.cue, (*current.content, (quote_start, quote_end)), current.confidence
        )
    return [result[id(f)] for f in found]


def nested_attributions(doc: Doc, found: list[FoundAttribution], cues: CueLexicon) -> list[FoundAttribution]:
    """Reporting verbs inside a content, with a subject and a complement clause of their own,
    become attributions of their own (the stage links them to the enclosing one). A verb counts
    as reporting when the lexicon lists it or ``cues`` (learned on PolNeAR) makes it a likely cue."""
    taken = {position for f in found for s, e in f.cue for position in range(s, e)}
    added: list[FoundAttribution] = []
    for outer in found:
        for start, end in outer.content:
            span = doc.char_span(start, end, alignment_mode="expand")
            for verb in span or ():
                lemma = verb.lemma_.lower()
                if verb.pos_ != "VERB" or verb.idx in taken:
                    continue
                if lemma not in EN.REPORTING_VERBS and cues.rate(lemma) < 0.6:
                    continue
                complement = next((c for c in verb.children if c.dep_ == "ccomp"), None)
                subject = _subject(verb)
                if complement is None or subject is None:
                    continue
                auxiliaries = [c for c in verb.children if c.dep_ in ("aux", "neg") and c.i < verb.i]
                cue = _char_range(auxiliaries[0] if auxiliaries else verb, verb)
                added.append(FoundAttribution((_phrase(subject),), (cue,), (_phrase(complement),), 0.5))
                taken.update(range(verb.idx, verb.idx + len(verb.text)))
    return added


def missed_speech_verbs(doc: Doc, found: list[FoundAttribution]) -> list[FoundAttribution]:
    """ "X said that …", "…, X said." and "…, said X." where the tagger marked no cue (for the
    verbs that always report speech, ``CORE_SPEECH_VERBS`` of the lexicon): the
    subject is the source, the complement clause (or the rest of the sentence around a
    parenthetical "X said") the content. Verbs inside another attribution's content are left
    to ``nested_attributions``."""
    taken = IntervalIndex(span for f in found for span in (*f.cue, *f.content))
    taken_here: list[tuple[int, int]] = []  # by the attributions added below
    added: list[FoundAttribution] = []
    for verb in doc:
        if verb.pos_ != "VERB" or verb.lemma_.lower() not in EN.CORE_SPEECH_VERBS:
            continue
        if taken.contains(verb.idx, verb.idx + 1) or any(s <= verb.idx < e for s, e in taken_here):
            continue
        subject = _subject(verb)
        if subject is None:
            continue
        complement = next((c for c in verb.children if c.dep_ == "ccomp"), None)
        if complement is not None:
            contents: tuple[tuple[int, int], ...] = (_phrase(complement),)
        elif verb.dep_ in ("parataxis", "ccomp") and verb.head.pos_ in ("VERB", "AUX") and verb.head.i != verb.i:
            # A parenthetical "X said": the sentence is the content, minus the verb's phrase.
            own = {t.i for t in verb.subtree}
            outside = [t for t in verb.sent if t.i not in own and not t.is_space]
            before = [t for t in outside if t.i < verb.i]
            after = [t for t in outside if t.i > verb.i]
            contents = tuple(
                _char_range(part[0], part[-1]) for part in (edge_trimmed(before), edge_trimmed(after)) if part
            )
            if not contents:
                continue
        else:
            continue
        auxiliaries = [c for c in verb.children if c.dep_ in ("aux", "neg") and c.i < verb.i]
        cue = _char_range(auxiliaries[0] if auxiliaries else verb, verb)
        added.append(FoundAttribution((_phrase(subject),), (cue,), contents, 0.5))
        taken_here.extend([cue, *contents])
    return added
