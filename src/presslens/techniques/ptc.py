"""The Propaganda Techniques Corpus (PTC, SemEval-2020 Task 11): articles, gold spans, split, file formats.

Corpus layout (the ``root`` passed around here)::

    train-articles/article<ID>.txt                                  one article, title on line 1
    train-labels-task2-technique-classification/article<ID>.task2-TC.labels   id\\ttechnique\\tstart\\tend
    train-labels-task1-span-identification/article<ID>.task1-SI.labels         id\\tstart\\tend
    techniques.txt                                                  the 14 technique names

Offsets are ``[start, end)`` in characters of the article *as stored*: files are read as
UTF-8 with ``newline=""`` so that no line ending is translated, and a leading byte-order mark
is kept as a character (two articles start with U+FEFF and their offsets count it: with the
mark dropped, their spans would start one character late, on a space or punctuation).

The task-1 (SI) gold files hold the same fragments as the task-2 files once overlapping spans
are merged (checked on all 371 articles), so ``Article.spans`` keeps only the task-2 spans,
which carry the technique; ``load_si_labels`` reads the task-1 files where they are wanted as such.

File formats (tab-separated, one span a line, as the task scorers read them):

* SI: ``id  start  end``
* TC and FLC: ``id  technique  start  end``; TC predictions follow the line order of the
  template file that lists the gold spans (``id  ?  start  end``).
"""

from __future__ import annotations

import hashlib
import os
import re
from collections import defaultdict, deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

ARTICLES_DIR = "train-articles"
TC_LABELS_DIR = "train-labels-task2-technique-classification"
SI_LABELS_DIR = "train-labels-task1-span-identification"
TECHNIQUES_FILE = "techniques.txt"

# The 14 classes of SemEval-2020 Task 11, as in techniques.txt; used when the file is absent.
TECHNIQUES: tuple[str, ...] = (
    "Appeal_to_Authority",
    "Appeal_to_fear-prejudice",
    "Bandwagon,Reductio_ad_hitlerum",
    "Black-and-White_Fallacy",
    "Causal_Oversimplification",
    "Doubt",
    "Exaggeration,Minimisation",
    "Flag-Waving",
    "Loaded_Language",
    "Name_Calling,Labeling",
    "Repetition",
    "Slogans",
    "Thought-terminating_Cliches",
    "Whataboutism,Straw_Men,Red_Herring",
)

# The held-out split: an article is held out when the SHA-256 of SPLIT_SALT:id falls in the
# lowest HELDOUT_SHARE of the hash range. Each id decides alone, so the split of any subset
# (e.g. only the articles that have labels) agrees with the split of the whole corpus, and it
# does not depend on a random state or on the order ids come in. Changing the salt makes a new
# split: don't, or every held-out figure before it stops being comparable.
SPLIT_SALT = "presslens-ptc-heldout-v1"
HELDOUT_SHARE = 0.2

_ARTICLE_FILE = re.compile(r"article(\d+)\.txt")
_LABEL_FILE = re.compile(r"article(\d+)\.task[12]-(?:TC|SI)\.labels")

PathLike = str | os.PathLike[str]


@dataclass(frozen=True, slots=True, order=True)
class SpanRef:
    """A fragment of an article without a technique: one line of the SI format."""

    article_id: str
    start: int
    end: int

    def __post_init__(self) -> None:
        _check_offsets(self.article_id, self.start, self.end)


@dataclass(frozen=True, slots=True, order=True)
class TechniqueSpan:
    """A fragment with the technique it uses: one line of the TC/FLC format.

    Field order is the sort order (article, start, end, technique); the file column order
    (id, technique, start, end) is the formatters' business.
    """

    article_id: str
    start: int
    end: int
    technique: str

    def __post_init__(self) -> None:
        _check_offsets(self.article_id, self.start, self.end)
        if not self.technique or "\t" in self.technique or "\n" in self.technique:
            raise ValueError(f"article {self.article_id}: bad technique name {self.technique!r}")

    @property
    def ref(self) -> SpanRef:
        return SpanRef(self.article_id, self.start, self.end)


def _check_offsets(article_id: str, start: int, end: int) -> None:
    # An empty span would divide by zero in the SI/FLC scores (|s∩t| / |s|); the official
    # scorer fails on it as well, so it is refused where spans are made.
    if not article_id or not 0 <= start < end:
        raise ValueError(f"article {article_id!r}: span [{start}, {end}) is not 0 <= start < end")


@dataclass(frozen=True, slots=True)
class Article:
    """One PTC article: its text as stored and its gold spans (task 2), in file order."""

    id: str
    text: str
    spans: tuple[TechniqueSpan, ...]

    def span_text(self, span: SpanRef | TechniqueSpan) -> str:
        return self.text[span.start : span.end]


# --- corpus ------------------------------------------------------------------------------


def read_techniques(root: PathLike | None = None) -> list[str]:
    """The technique names from ``root/techniques.txt``, or the built-in list without it."""
    if root is not None:
        path = Path(root) / TECHNIQUES_FILE
        if path.is_file():
            names = [line.strip() for line in _read_text(path).splitlines()]
            return [name for name in names if name]
    return list(TECHNIQUES)


def read_article_text(path: PathLike) -> str:
    """An article's text with offsets as the labels count them (no newline translation, BOM kept)."""
    return _read_text(Path(path))


def article_ids(root: PathLike) -> list[str]:
    """Ids of the articles under ``root/train-articles``, sorted."""
    found = []
    for path in (Path(root) / ARTICLES_DIR).iterdir():
        match = _ARTICLE_FILE.fullmatch(path.name)
        if match:
            found.append(match.group(1))
    return sorted(found)


def load_ptc(root: PathLike, ids: Iterable[str] | None = None) -> list[Article]:
    """The articles (all, or those in ``ids``) with their task-2 gold spans, sorted by id.

    An article without a label file has no gold spans (14 of the 371 do: no propaganda found).
    Raises ValueError when a label row names another article or falls outside the text.
    """
    root = Path(root)
    wanted = article_ids(root) if ids is None else sorted(set(ids))
    articles = []
    for article_id in wanted:
        text = read_article_text(root / ARTICLES_DIR / f"article{article_id}.txt")
        labels = root / TC_LABELS_DIR / f"article{article_id}.task2-TC.labels"
        spans = read_tc(labels) if labels.is_file() else []
        for span in spans:
            if span.article_id != article_id:
                raise ValueError(f"{labels}: row for article {span.article_id}")
            if span.end > len(text):
                raise ValueError(f"{labels}: span [{span.start}, {span.end}) beyond the text ({len(text)} chars)")
        articles.append(Article(article_id, text, tuple(spans)))
    return articles


def load_si_labels(root: PathLike, ids: Iterable[str] | None = None) -> list[SpanRef]:
    """The task-1 gold fragments as stored (overlapping ones not merged), by article id."""
    folder = Path(root) / SI_LABELS_DIR
    wanted = None if ids is None else set(ids)
    spans: list[SpanRef] = []
    for path in sorted(folder.iterdir()):
        match = _LABEL_FILE.fullmatch(path.name)
        if match and (wanted is None or match.group(1) in wanted):
            spans.extend(read_si(path))
    return spans


def gold_spans(articles: Iterable[Article]) -> list[TechniqueSpan]:
    """All gold spans of these articles, in one list (the scorer's input)."""
    return [span for article in articles for span in article.spans]


# --- held-out split ----------------------------------------------------------------------


def is_heldout(article_id: str, share: float = HELDOUT_SHARE) -> bool:
    """Whether the article belongs to the held-out part (see SPLIT_SALT)."""
    digest = hashlib.sha256(f"{SPLIT_SALT}:{article_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") < share * 2**64


def split_ids(ids: Iterable[str], share: float = HELDOUT_SHARE) -> tuple[list[str], list[str]]:
    """(train_ids, heldout_ids), each sorted; about ``share`` of the ids are held out."""
    train: list[str] = []
    heldout: list[str] = []
    for article_id in sorted(set(ids)):
        (heldout if is_heldout(article_id, share) else train).append(article_id)
    return train, heldout


# --- SemEval file formats ----------------------------------------------------------------


def format_si(spans: Iterable[SpanRef | TechniqueSpan]) -> str:
    """SI lines ``id\\tstart\\tend``, in the order given."""
    return "".join(f"{s.article_id}\t{s.start}\t{s.end}\n" for s in spans)


def format_tc(spans: Iterable[TechniqueSpan]) -> str:
    """TC/FLC lines ``id\\ttechnique\\tstart\\tend``, in the order given."""
    return "".join(f"{s.article_id}\t{s.technique}\t{s.start}\t{s.end}\n" for s in spans)


def parse_si(text: str, source: str = "<si>") -> list[SpanRef]:
    """Rows of an SI file; blank lines are skipped."""
    return [SpanRef(f[0], _int(f[1], source, n), _int(f[2], source, n)) for n, f in _rows(text, source, (3,))]


def parse_tc(text: str, source: str = "<tc>") -> list[TechniqueSpan]:
    """Rows of a TC or FLC file; blank lines are skipped."""
    return [
        TechniqueSpan(f[0], _int(f[2], source, n), _int(f[3], source, n), f[1]) for n, f in _rows(text, source, (4,))
    ]


def parse_tc_template(text: str, source: str = "<template>") -> list[SpanRef]:
    """The spans of a TC template, in file order.

    The official template rows are ``id\\t?\\tstart\\tend`` (the technique column is a
    placeholder, or the gold label in a gold file); three-column SI rows are taken too.
    """
    refs = []
    for n, fields in _rows(text, source, (3, 4)):
        start, end = (fields[1], fields[2]) if len(fields) == 3 else (fields[2], fields[3])
        refs.append(SpanRef(fields[0], _int(start, source, n), _int(end, source, n)))
    return refs


def read_si(path: PathLike) -> list[SpanRef]:
    return parse_si(_read_text(Path(path)), str(path))


def read_tc(path: PathLike) -> list[TechniqueSpan]:
    return parse_tc(_read_text(Path(path)), str(path))


def read_flc(path: PathLike) -> list[TechniqueSpan]:
    """FLC files have the TC layout; there is no required order."""
    return read_tc(path)


def read_tc_template(path: PathLike) -> list[SpanRef]:
    return parse_tc_template(_read_text(Path(path)), str(path))


def write_si(path: PathLike, spans: Iterable[SpanRef | TechniqueSpan]) -> None:
    _write_text(Path(path), format_si(spans))


def write_tc(path: PathLike, spans: Iterable[TechniqueSpan]) -> None:
    _write_text(Path(path), format_tc(spans))


def write_flc(path: PathLike, spans: Iterable[TechniqueSpan]) -> None:
    _write_text(Path(path), format_tc(spans))


def order_like_template(template: Sequence[SpanRef], predictions: Iterable[TechniqueSpan]) -> list[TechniqueSpan]:
    """The predictions rearranged into the template's line order, one per template line.

    A span listed n times in the template (gold spans with several techniques) takes n
    predictions, in the order they were given. Raises ValueError when a template line has no
    prediction left or a prediction is for a span the template lacks: the official TC
    scorer refuses such files, so they are caught here rather than at scoring time.
    """
    pending: dict[SpanRef, deque[TechniqueSpan]] = defaultdict(deque)
    for prediction in predictions:
        pending[prediction.ref].append(prediction)
    ordered = []
    for ref in template:
        queue = pending.get(ref)
        if not queue:
            raise ValueError(f"no prediction left for template span {ref.article_id} [{ref.start}, {ref.end})")
        ordered.append(queue.popleft())
    extra = [p for queue in pending.values() for p in queue]
    if extra:
        raise ValueError(f"{len(extra)} predictions for spans not in the template, e.g. {extra[0]}")
    return ordered


def write_tc_predictions(path: PathLike, template: Sequence[SpanRef], predictions: Iterable[TechniqueSpan]) -> None:
    """Write TC predictions in the template's order (see order_like_template)."""
    write_tc(path, order_like_template(template, predictions))


# --- helpers -----------------------------------------------------------------------------


def _read_text(path: Path) -> str:
    # newline="": offsets count "\r\n" as two characters if a file ever has one; utf-8 (not
    # utf-8-sig) keeps a BOM as the character the offsets count.
    with open(path, encoding="utf-8", newline="") as handle:
        return handle.read()


def _write_text(path: Path, text: str) -> None:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        handle.write(text)


def _rows(text: str, source: str, widths: tuple[int, ...]) -> Iterable[tuple[int, list[str]]]:
    for number, line in enumerate(text.split("\n"), start=1):
        line = line.rstrip("\r\n")
        if not line.strip():
            continue
        fields = [field.strip() for field in line.split("\t")]
        if len(fields) not in widths:
            expected = " or ".join(map(str, widths))
            raise ValueError(f"{source}:{number}: {len(fields)} tab-separated fields, expected {expected}")
        yield number, fields


def _int(value: str, source: str, number: int) -> int:
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"{source}:{number}: {value!r} is not an offset") from None
