"""Token features for the attribution tagger, from the spaCy parse.

Attribution is mostly syntax around a small, open set of verbs: the cue heads a clause, the
source is its subject (or the object of "according to"), the content its complement or the
quote next to it. So besides the word itself, each token is described by its place in the
parse relative to the nearest likely cue: which relation leads from that cue down to it, how
far away it is, and whether it sits inside quote marks. How likely a lemma is to be a cue is
learned from the training data (``CueLexicon``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from presslens.lexicon import get as get_lexicon

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span, Token

EN = get_lexicon("en")
# The cue lexicon's entry for "according to": its two words joined by a space.
ACCORDING_TO = " ".join(EN.ACCORDING_TO)

OPEN_QUOTES = "“‘"
CLOSE_QUOTES = "”’"
STRAIGHT_QUOTES = '"'
CUE_LIKELY = 0.25  # a lemma cued at least this often counts as a likely cue for the path features


@dataclass
class CueLexicon:
    """How often each lemma (and "according to") was a cue in the training data."""

    cue: Counter[str] = field(default_factory=Counter)
    total: Counter[str] = field(default_factory=Counter)

    def add(self, lemma: str, is_cue: bool) -> None:
        self.total[lemma] += 1
        if is_cue:
            self.cue[lemma] += 1

    def rate(self, lemma: str) -> float:
        # Smoothed toward zero: a word seen twice and cued once is not a sure cue.
        return self.cue[lemma] / (self.total[lemma] + 2.0)

    def to_json(self) -> dict[str, dict[str, int]]:
        keep = [w for w in self.cue if self.cue[w] >= 2]
        return {"cue": {w: self.cue[w] for w in keep}, "total": {w: self.total[w] for w in keep}}

    @classmethod
    def from_json(cls, data: dict[str, dict[str, int]]) -> CueLexicon:
        return cls(Counter(data["cue"]), Counter(data["total"]))


def _bucket(rate: float) -> str:
    if rate < 0.02:
        return "0"
    if rate < 0.1:
        return "lo"
    if rate < 0.3:
        return "mid"
    if rate < 0.6:
        return "hi"
    return "top"


def _distance(d: int) -> str:
    return str(d) if d <= 3 else ("near" if d <= 8 else "far")


def quote_depths(tokens: Sequence[Token]) -> list[bool]:
    """Whether each token lies inside quote marks, tracking curly quotes by direction and
    straight double quotes by parity. An apostrophe inside a word is not a quote."""
    inside, result = False, []
    for token in tokens:
        text = token.text
        if text in OPEN_QUOTES:
            result.append(True)
            inside = True
            continue
        if text in CLOSE_QUOTES:
            result.append(True)
            inside = False
            continue
        if text in STRAIGHT_QUOTES or text in ("``", "''"):
            result.append(True)
            inside = not inside
            continue
        result.append(inside)
    return result


def paragraphs(doc: Doc) -> list[Span]:
    """Runs of tokens between blank lines (or single line breaks): the tagger's sequences.
    A quote may run over sentences, but not over paragraphs."""
    spans, start = [], 0
    for token in doc:
        if "\n" in token.text or "\n" in token.whitespace_:
            end = token.i if "\n" in token.text else token.i + 1
            if end > start:
                spans.append(doc[start:end])
            start = token.i + 1
    if start < len(doc):
        spans.append(doc[start : len(doc)])
    return [s for s in spans if any(not t.is_space for t in s)]


def _lemma(token: Token) -> str:
    return token.lemma_.lower()


def cue_rate(token: Token, lexicon: CueLexicon) -> float:
    rate = lexicon.rate(_lemma(token))
    if (
        _lemma(token) == EN.ACCORDING_TO_LEMMA
        and token.i + 1 < len(token.doc)
        and token.nbor().lower_ == EN.ACCORDING_TO[1]
    ):
        rate = max(rate, lexicon.rate(ACCORDING_TO))
    return rate


def sequence_features(span: Span, lexicon: CueLexicon) -> list[dict[str, float | str]]:
    """CRF features of every token of ``span`` (a paragraph)."""
    tokens = list(span)
    quoted = quote_depths(tokens)
    rates = [cue_rate(t, lexicon) for t in tokens]
    likely = [i for i, r in enumerate(rates) if r >= CUE_LIKELY and tokens[i].pos_ in ("VERB", "NOUN", "AUX")]
    base = [_token_features(t, r, q) for t, r, q in zip(tokens, rates, quoted, strict=True)]
    edges = _edge_features(tokens, likely, span.start)
    cue_positions = {tokens[i].i for i in likely}  # doc positions, for walking up the tree
    tree = _Tree(span)
    out: list[dict[str, float | str]] = []
    for i, token in enumerate(tokens):
        features = dict(base[i])
        for name in edges.get(i, ()):
            features[name] = 1.0
        for offset in (-2, -1, 1, 2):
            j = i + offset
            if 0 <= j < len(tokens):
                other = base[j]
                features[f"{offset}:w"] = other["w"]
                features[f"{offset}:pos"] = other["pos"]
                features[f"{offset}:dep"] = other["dep"]
                features[f"{offset}:q"] = other["q"]
                features[f"{offset}:cue"] = other["cue"]
            else:
                features[f"{offset}:edge"] = 1.0
        features["-1|0"] = f"{base[i - 1]['w'] if i else '<s>'}|{base[i]['w']}"
        features["0|+1"] = f"{base[i]['w']}|{base[i + 1]['w'] if i + 1 < len(tokens) else '</s>'}"
        features.update(_path_features(i, token.i, tree, base, likely, cue_positions))
        out.append(features)
    return out


class _Tree:
    """The parse around a paragraph as plain lists (heads, relations, lemmas by doc position;
    a sentence number per paragraph token): walking spaCy tokens makes a Token object per
    step, and ``Token.sent`` scans for the sentence each time: most of the features' cost."""

    def __init__(self, span: Span) -> None:
        doc = span.doc
        self.doc = doc
        self.first = span[0].sent.start
        around = doc[self.first : span[-1].sent.end]
        self.heads = [t.head.i for t in around]
        self.deps = [t.dep_ for t in around]
        number, self.sentence = -1, []
        for position, token in enumerate(span):
            if position == 0 or token.is_sent_start:
                number += 1
            self.sentence.append(number)

    def head(self, position: int) -> int:
        at = position - self.first
        return self.heads[at] if 0 <= at < len(self.heads) else self.doc[position].head.i

    def dep(self, position: int) -> str:
        at = position - self.first
        return self.deps[at] if 0 <= at < len(self.deps) else self.doc[position].dep_


def _edge_features(tokens: list[Token], likely: list[int], offset: int) -> dict[int, list[str]]:
    """Where the phrases around each likely cue begin and end: a content is mostly one
    complement of the cue (or the clause an "according to" hangs on), a source one subject."""
    edges: dict[int, list[str]] = {}

    def mark(position: int, name: str) -> None:
        if 0 <= position - offset < len(tokens):
            edges.setdefault(position - offset, []).append(name)

    for i in likely:
        cue = tokens[i]
        for child in cue.children:
            mark(child.left_edge.i, f"L={child.dep_}")
            mark(child.right_edge.i, f"R={child.dep_}")
        if cue.head.i != cue.i and cue.dep_ in ("prep", "advcl", "parataxis", "conj", "ccomp", "relcl", "acl"):
            mark(cue.head.left_edge.i, f"L=head.{cue.dep_}")
            mark(cue.head.right_edge.i, f"R=head.{cue.dep_}")
    return edges


def _token_features(token: Token, rate: float, quoted: bool) -> dict[str, float | str]:
    head = token.head
    features: dict[str, float | str] = {
        "bias": 1.0,
        "w": token.lower_,
        "lemma": _lemma(token),
        "pos": token.pos_,
        "tag": token.tag_,
        "dep": token.dep_,
        "suf3": token.lower_[-3:],
        "shape": "T" if token.is_title else ("U" if token.is_upper else ("l" if token.is_lower else "o")),
        "q": "in" if quoted else "out",
        "cue": _bucket(rate),
        "ent": token.ent_type_ or "-",
        "h.lemma": _lemma(head),
        "h.pos": head.pos_,
        "dep|h.lemma": f"{token.dep_}|{_lemma(head)}",
        "dep|h.dep": f"{token.dep_}|{head.dep_}",
        "ent_iob": token.ent_iob_ or "-",
        "sent_start": float(token.is_sent_start or False),
        "sent_end": float(token.is_sent_end or False),
    }
    kids = {child.dep_ for child in token.children}
    for relation in ("nsubj", "nsubjpass", "ccomp", "xcomp", "dobj", "agent", "pobj", "mark"):
        if relation in kids:
            features[f"has:{relation}"] = 1.0
    return features


def _path_features(
    i: int,
    position: int,
    tree: _Tree,
    base: list[dict[str, float | str]],
    likely: list[int],
    cue_positions: set[int],
) -> dict[str, float | str]:
    """Where token ``i`` of the paragraph (doc position ``position``) stands relative to the
    nearest likely cue: the relation by which it hangs under a cue (walking up the tree), and
    the linear distance and side of the nearest."""
    features: dict[str, float | str] = {}
    node, steps = position, 0
    while steps < 8 and tree.head(node) != node:
        last_dep = tree.dep(node)
        node = tree.head(node)
        steps += 1
        if node in cue_positions:
            features["under_cue"] = last_dep
            features["under_cue_d"] = _distance(steps)
            features["under_cue|lemma"] = f"{last_dep}|{tree.doc[node].lemma_.lower()}"
            break
    if likely:
        nearest = min(likely, key=lambda j: abs(j - i))
        d = i - nearest
        features["cue_side"] = "at" if d == 0 else ("after" if d > 0 else "before")
        features["cue_dist"] = _distance(abs(d))
        features["cue_side|lemma"] = f"{features['cue_side']}|{base[nearest]['lemma']}"
        features["cue_in_sentence"] = float(tree.sentence[nearest] == tree.sentence[i])
    else:
        features["no_cue"] = 1.0
    return features


def items(features: Iterable[dict[str, float | str]]) -> list[dict[str, float]]:
    """crfsuite's form: string values become ``name=value`` keys with weight 1."""
    out = []
    for row in features:
        item: dict[str, float] = {}
        for key, value in row.items():
            if isinstance(value, str):
                item[f"{key}={value}"] = 1.0
            else:
                item[key] = float(value)
        out.append(item)
    return out
