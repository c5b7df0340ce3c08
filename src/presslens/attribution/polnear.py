"""The PolNeAR corpus (Political News Attribution Relations, Newell et al., LREC 2018): articles and
their attributions (source, cue, content), read from brat standoff.

Corpus layout (the ``folder`` passed to ``load_polnear``: one split, e.g. ``polnear/dev``)::

    text/<article>.txt                       the article
    attributions/<article>_<annotator>.ann   brat standoff, one file per annotator (4 hex digits)

Most articles have one annotator; the agreement articles have five or six (train: 16 of 840,
dev: 2 of 84). ``load_polnear`` keeps ONE file per article, by a fixed rule
(``annotator_policy``): ``"first"`` (the default) takes the lexicographically smallest annotator
id, ``"last"`` the largest. ``annotation_files`` lists them all, e.g. to measure agreement.

What the .ann files hold (checked on train and dev, 924 articles, 1,013 files):

* ``T`` lines ``Tn<TAB>Type start end[;start end...]<TAB>text``. Types: ``Source``, ``Cue``,
  ``Content``; ``Attribution`` / ``Attribution-no-source`` (the event trigger, on the same
  characters as the cue in all but 11 of 24,785 events); ``Discard`` and ``Discuss`` (annotator
  bookkeeping, ignored). Discontinuous spans list their fragments separated by ``;`` and their
  text is the fragment texts joined by one space (brat's convention). A text that runs over a
  line break continues on the next physical line(s) of the file, which start with no id.
* ``E`` lines ``En<TAB>Trigger:Tn Role:Tm ...`` join the spans into one attribution. Roles are
  ``Source``, ``Cue``, ``Content`` and, 67 times, ``Content2`` (a second content span): all
  ``Content*`` arguments together are the content. One ``Source`` T is shared by several
  events 1,327 times ("he said X and added Y"). The event's role name decides the role, not
  the T line's type: three arguments point at a span of another type (a ``Discuss`` span as a
  cue, a ``Source`` span as content and the reverse). T lines may follow the E lines using them.
* ``#`` lines are annotator notes (ignored). There are no ``A``, ``R``, ``N`` or ``M`` lines.

Offsets are ``[start, end)`` in characters of the .txt file as stored (UTF-8, read with
``newline=""``; the files have no carriage returns and no byte-order mark). ``read_ann`` checks
every T line's text against the file: all 97,146 T lines of train and dev agree.

Decisions on incomplete events (``PolnearAttribution``):

* no ``Source`` argument (1,794 of 24,821 events in all files, 7.2%): ``source`` is ``None``;
* no ``Cue`` argument (36 events, 35 of them trigger-only): the cue is the trigger's span
  (the trigger marks the cue everywhere else), so every attribution has a cue;
* no ``Content*`` argument (37 events): ``content`` is ``()``. They are kept unless
  ``require_content=True``.
"""

from __future__ import annotations

import os
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

Interval = tuple[int, int]
Intervals = tuple[Interval, ...]
Role = Literal["source", "cue", "content"]
ROLES: tuple[Role, ...] = ("source", "cue", "content")
AnnotatorPolicy = Literal["first", "last"]
PathLike = str | os.PathLike[str]

TEXT_DIR = "text"
ANN_DIR = "attributions"

_ANN_FILE = re.compile(r"(?P<name>.+)_(?P<annotator>[0-9a-f]{4})\.ann")
_RECORD = re.compile(r"[TERAMN#*]\d*\t")  # a brat record; any other line continues the previous one
_ROLE = re.compile(r"(Source|Cue|Content)\d*")


class AnnError(ValueError):
    """A .ann file that cannot be read, or whose offsets do not match the text."""


@dataclass(frozen=True, slots=True)
class PolnearAttribution:
    """One attribution: fragments ``[start, end)`` of the article text per role.

    Fragments are stored sorted and without duplicates; an empty ``source`` is stored as ``None``.
    ``cue`` and ``content`` are ``()`` when the annotation has none.
    """

    source: Intervals | None
    cue: Intervals
    content: Intervals

    def __post_init__(self) -> None:
        source = _intervals(self.source, "source") if self.source is not None else None
        object.__setattr__(self, "source", source or None)
        object.__setattr__(self, "cue", _intervals(self.cue, "cue"))
        object.__setattr__(self, "content", _intervals(self.content, "content"))

    def role(self, role: Role) -> Intervals:
        """The fragments of ``role``; ``()`` for a missing source."""
        return getattr(self, role) or ()

    def text(self, role: Role, text: str) -> str:
        """The role's fragments in ``text``, joined by one space as brat writes them."""
        return " ".join(text[start:end] for start, end in self.role(role))


@dataclass(frozen=True, slots=True)
class PolnearDocument:
    name: str  # the .txt file name without the extension
    text: str
    attributions: tuple[PolnearAttribution, ...]
    annotator: str | None = None  # the suffix of the .ann file read


def _intervals(value: Iterable[Iterable[int]], role: str) -> Intervals:
    fragments = set()
    for fragment in value:
        start, end = (int(x) for x in fragment)
        if not 0 <= start < end:
            raise ValueError(f"{role} fragment {(start, end)} is not a non-empty [start, end) range")
        fragments.add((start, end))
    return tuple(sorted(fragments))


# --- reading ---------------------------------------------------------------------------------


def read_text(path: PathLike) -> str:
    """An article as its offsets count it (UTF-8, no newline translation)."""
    with open(path, encoding="utf-8", newline="") as handle:
        return handle.read()


def read_ann(path: PathLike, text: str, *, strict: bool = True) -> tuple[PolnearAttribution, ...]:
    """The attributions of one .ann file over ``text``, in the order of their ``E`` lines.

    With ``strict`` (the default), a T line whose text differs from the file slice raises AnnError.
    """
    return parse_ann(read_text(path), text, origin=str(path), strict=strict)


def parse_ann(content: str, text: str, origin: str = "<ann>", *, strict: bool = True) -> tuple[PolnearAttribution, ...]:
    """``read_ann`` on the content of a .ann file."""
    spans: dict[str, tuple[str, Intervals]] = {}
    events: list[tuple[int, str]] = []
    for number, record in _records(content):
        where = f"{origin}:{number}"
        if record.startswith("T"):
            tid, span_type, fragments = _parse_t(record, text, where, strict)
            spans[tid] = (span_type, fragments)
        elif record.startswith("E"):
            events.append((number, record))
        # '#' notes and any other record type carry nothing we use
    return tuple(_event(record, spans, f"{origin}:{number}") for number, record in events)


def _records(content: str) -> list[tuple[int, str]]:
    """(line number, record) with continuation lines joined back with their line break."""
    lines = content.split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # the file's final line break
    records: list[tuple[int, str]] = []
    for number, line in enumerate(lines, 1):
        if _RECORD.match(line) or not records:
            records.append((number, line))
        else:
            records[-1] = (records[-1][0], records[-1][1] + "\n" + line)
    return records


def _parse_t(record: str, text: str, where: str, strict: bool) -> tuple[str, str, Intervals]:
    try:
        tid, head, annotated = record.split("\t", 2)
        span_type, offsets = head.split(" ", 1)
        fragments = tuple(_fragment(part) for part in offsets.split(";"))
    except ValueError as error:
        raise AnnError(f"{where}: not a brat T line: {record[:80]!r}") from error
    if any(end > len(text) for _, end in fragments):
        raise AnnError(f"{where}: {tid} {offsets} runs past the end of the text ({len(text)} characters)")
    if strict and " ".join(text[start:end] for start, end in fragments) != annotated:
        raise AnnError(f"{where}: {tid} {offsets}: annotated text differs from the article text")
    return tid, span_type, fragments


def _fragment(part: str) -> Interval:
    start, end = part.split()
    return int(start), int(end)


def _event(record: str, spans: dict[str, tuple[str, Intervals]], where: str) -> PolnearAttribution:
    fields = record.split("\t")
    arguments = fields[1].split() if len(fields) > 1 else []
    if not arguments:
        raise AnnError(f"{where}: event without a trigger: {record!r}")
    roles: dict[str, list[Interval]] = defaultdict(list)
    trigger: Intervals = ()
    for position, argument in enumerate(arguments):
        name, _, tid = argument.partition(":")
        if tid not in spans:
            raise AnnError(f"{where}: {argument!r} refers to no T line")
        fragments = spans[tid][1]  # the role is the event's, whatever the T line's type
        if position == 0:
            trigger = fragments
            continue
        role = _ROLE.fullmatch(name)
        if role is None:
            raise AnnError(f"{where}: unknown event role {name!r}")
        roles[role.group(1).lower()].extend(fragments)
    return PolnearAttribution(
        source=tuple(roles["source"]) or None,
        cue=tuple(roles["cue"]) or trigger,
        content=tuple(roles["content"]),
    )


# --- the corpus ------------------------------------------------------------------------------


def annotation_files(folder: PathLike, ann_dir: str = ANN_DIR) -> dict[str, list[tuple[str, Path]]]:
    """Article name -> [(annotator, .ann path)] sorted by annotator, for one split folder."""
    files: dict[str, list[tuple[str, Path]]] = defaultdict(list)
    for path in sorted((Path(folder) / ann_dir).glob("*.ann")):
        match = _ANN_FILE.fullmatch(path.name)
        if match is None:
            raise AnnError(f"{path}: not named <article>_<annotator>.ann")
        files[match["name"]].append((match["annotator"], path))
    return dict(files)


def load_polnear(
    folder: PathLike,
    annotator_policy: AnnotatorPolicy = "first",
    *,
    require_content: bool = False,
    strict: bool = True,
) -> list[PolnearDocument]:
    """Every article of one split folder (``.../polnear/dev``), sorted by name, one annotator each.

    ``annotator_policy``: ``"first"`` keeps the lexicographically smallest annotator id of an
    article, ``"last"`` the largest. ``require_content`` drops attributions without content.
    """
    folder = Path(folder)
    if not list((folder / TEXT_DIR).glob("*.txt")):
        raise FileNotFoundError(f"no articles in {folder / TEXT_DIR}")
    documents = load_polnear_dirs(
        folder / TEXT_DIR, folder / ANN_DIR, annotator_policy, require_content=require_content, strict=strict
    )
    if missing := sorted({p.stem for p in (folder / TEXT_DIR).glob("*.txt")} - {d.name for d in documents}):
        raise AnnError(f"{folder}: article {missing[0]} has no .ann file")
    return documents


def load_polnear_dirs(
    text_dir: PathLike,
    ann_dir: PathLike,
    annotator_policy: AnnotatorPolicy = "first",
    *,
    require_content: bool = False,
    strict: bool = True,
) -> list[PolnearDocument]:
    """The annotated articles of a text folder and an annotation folder (``eval polnear``):
    articles without a .ann file are left out; a .ann file without its article is an error."""
    if annotator_policy not in ("first", "last"):
        raise ValueError(f"unknown annotator policy {annotator_policy!r}")
    text_dir, ann_dir = Path(text_dir), Path(ann_dir)
    files = annotation_files(ann_dir.parent, ann_dir.name)
    names = sorted(path.stem for path in text_dir.glob("*.txt"))
    if unmatched := sorted(files.keys() - set(names)):
        raise AnnError(f"{ann_dir}: annotations without an article in {text_dir}: {unmatched[:5]}")
    documents = []
    for name in names:
        if name not in files:
            continue
        annotator, path = files[name][0 if annotator_policy == "first" else -1]
        text = read_text(text_dir / f"{name}.txt")
        attributions = read_ann(path, text, strict=strict)
        if require_content:
            attributions = tuple(a for a in attributions if a.content)
        documents.append(PolnearDocument(name, text, attributions, annotator))
    return documents
