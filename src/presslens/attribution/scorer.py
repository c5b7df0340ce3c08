"""Attribution scores: per-role span scores (source, cue, content) and attribution-level scores,
plus the JSONL prediction format.

A role span is the UNION of its fragments: one attribution's content ``[0, 10) + [20, 30)`` is one
content span of 20 characters, for gold and predictions alike. Per document, each role is scored
over its distinct spans (a source shared by two attributions counts once).

Exact match (per role):

* A span is normalised on the article text: fragments that overlap, touch, or are separated only
  by trimmable characters are joined; then each fragment loses its leading and trailing
  trimmable characters: whitespace, quote marks (" “ ” ' ‘ ’ `) and punctuation (Unicode
  categories P*). A span that would lose every character keeps its fragments as they are.
* Matching is position-aware: a predicted span matches a gold span of the same document when
  their normalised character ranges are equal (so equal texts elsewhere in the article do not
  match). Distinct normalised spans are counted, so P = matches / predicted, R = matches / gold.

Character overlap (per role), the SemEval-2020 Task 11 SI score (``presslens.techniques.scorer``)
with union spans: per document, spans that share a character are merged (transitively; gold and
predictions separately), then for every pair (predicted s, gold t), P numerator += |s∩t|/|s|,
R numerator += |s∩t|/|t|, P = sum / predicted spans, R = sum / gold spans (after merging). With
contiguous spans this is exactly the SI score (checked in the tests).

Attribution level: per document, a predicted and a gold attribution are compatible when

* their cues share a character (or both have no cue),
* their contents have character Jaccard |a∩b| / |a∪b| >= 0.5 (two empty contents: Jaccard 1),
* their sources share a character, or both have none.

Attributions are then matched one to one, maximising first the number of matches and then the
summed Jaccard of content, cue and source (Hungarian algorithm), and P = matches / predicted
attributions, R = matches / gold attributions.

All sums and counts are micro (over all documents). Zero cases as ``presslens.scoring.Score``:
F1 = 1 when there is nothing to find and nothing found.

Prediction format, one JSON object a line, one line per document::

    {"doc": "<file name without .txt>", "attributions": [
        {"source": [[start, end], ...] or null, "cue": [[start, end], ...], "content": [[start, end], ...]}]}
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.optimize import linear_sum_assignment

from presslens.attribution.polnear import (
    ROLES,
    Interval,
    Intervals,
    PathLike,
    PolnearAttribution,
    PolnearDocument,
    Role,
)
from presslens.scoring import ZERO, Score, score_header, score_row
from presslens.text import merge_intervals

QUOTES = "\"“”'‘’`"
CONTENT_JACCARD = 0.5

Predictions = Mapping[str, Sequence[PolnearAttribution]]


@dataclass(frozen=True, slots=True)
class AttributionScores:
    exact: dict[Role, Score]  # per role, normalised ranges equal
    overlap: dict[Role, Score]  # per role, SemEval SI character overlap
    attribution: Score  # one-to-one matches; precision_sum == recall_sum == matches
    documents: int

    @property
    def matches(self) -> int:
        return round(self.attribution.precision_sum)


# --- spans -----------------------------------------------------------------------------------


def is_trimmable(char: str) -> bool:
    """Whitespace, quote marks and punctuation: what exact match ignores at span edges."""
    return char.isspace() or char in QUOTES or unicodedata.category(char).startswith("P")


def normalise(fragments: Iterable[Interval], text: str) -> Intervals:
    """A span's fragments joined across trimmable gaps and trimmed at both edges (see module doc)."""
    joined: list[list[int]] = []
    for start, end in merge_intervals(fragments):
        if joined and all(is_trimmable(c) for c in text[joined[-1][1] : start]):
            joined[-1][1] = max(joined[-1][1], end)
        else:
            joined.append([start, end])
    trimmed = []
    for start, end in joined:
        while start < end and is_trimmable(text[start]):
            start += 1
        while end > start and is_trimmable(text[end - 1]):
            end -= 1
        if start < end:
            trimmed.append((start, end))
    return tuple(trimmed) if trimmed else tuple((start, end) for start, end in joined)


def role_spans(attributions: Iterable[PolnearAttribution], role: Role) -> list[Intervals]:
    """The distinct spans of one role, each its fragments with overlaps merged; missing roles skipped."""
    spans = {tuple(merge_intervals(a.role(role))) for a in attributions}
    spans.discard(())
    return sorted(spans)


def size(span: Sequence[Interval]) -> int:
    return sum(end - start for start, end in span)


def intersection(a: Sequence[Interval], b: Sequence[Interval]) -> int:
    """Characters shared by two spans, each sorted fragments that do not overlap."""
    shared = i = j = 0
    while i < len(a) and j < len(b):
        shared += max(0, min(a[i][1], b[j][1]) - max(a[i][0], b[j][0]))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return shared


def jaccard(a: Sequence[Interval], b: Sequence[Interval]) -> float:
    """Character Jaccard of two spans (merged fragments); 1.0 when both are empty."""
    if not a and not b:
        return 1.0
    shared = intersection(a, b)
    return shared / (size(a) + size(b) - shared)


def merge_spans(spans: Iterable[Sequence[Interval]]) -> list[Intervals]:
    """Spans that share a character merged into one (transitively); duplicates collapse."""
    groups: list[list[Interval]] = []
    for span in spans:
        span = merge_intervals(span)
        touching = [g for g in groups if intersection(g, span)]
        for group in touching:
            groups.remove(group)
            span = merge_intervals([*span, *group])
        groups.append(span)
    return sorted(tuple(group) for group in groups if group)


# --- scores ----------------------------------------------------------------------------------


def exact_score(predicted: Sequence[Intervals], gold: Sequence[Intervals], text: str) -> Score:
    """Exact match of one document's spans of one role: normalised ranges equal."""
    pred = {normalise(span, text) for span in predicted}
    ref = {normalise(span, text) for span in gold}
    matches = len(pred & ref)
    return Score(matches, len(pred), matches, len(ref))


def overlap_score(predicted: Sequence[Intervals], gold: Sequence[Intervals]) -> Score:
    """SemEval SI overlap of one document's spans of one role (merged here)."""
    pred, ref = merge_spans(predicted), merge_spans(gold)
    precision_sum = recall_sum = 0.0
    for s in pred:
        for t in ref:
            if common := intersection(s, t):
                precision_sum += common / size(s)
                recall_sum += common / size(t)
    return Score(precision_sum, len(pred), recall_sum, len(ref))


def compatible(predicted: PolnearAttribution, gold: PolnearAttribution) -> bool:
    """Whether two attributions may be matched (module doc); the score is ``pair_quality``."""
    p_cue, g_cue = merge_intervals(predicted.cue), merge_intervals(gold.cue)
    if (p_cue or g_cue) and not intersection(p_cue, g_cue):
        return False
    p_source, g_source = merge_intervals(predicted.role("source")), merge_intervals(gold.role("source"))
    if (p_source or g_source) and not intersection(p_source, g_source):
        return False
    return jaccard(merge_intervals(predicted.content), merge_intervals(gold.content)) >= CONTENT_JACCARD


def pair_quality(predicted: PolnearAttribution, gold: PolnearAttribution) -> float:
    """Summed character Jaccard of the three roles, in [0, 3]: breaks ties between matchings."""
    return sum(jaccard(merge_intervals(predicted.role(r)), merge_intervals(gold.role(r))) for r in ROLES)


def match_attributions(
    predicted: Sequence[PolnearAttribution], gold: Sequence[PolnearAttribution]
) -> list[tuple[int, int]]:
    """One-to-one (predicted index, gold index) pairs: most matches, then best summed quality."""
    if not predicted or not gold:
        return []
    weights = np.zeros((len(predicted), len(gold)))
    scale = 3.0 * (min(len(predicted), len(gold)) + 1)  # all quality together stays below one match
    for i, p in enumerate(predicted):
        for j, g in enumerate(gold):
            if compatible(p, g):
                weights[i, j] = 1.0 + pair_quality(p, g) / scale
    rows, cols = linear_sum_assignment(weights, maximize=True)
    return [(int(i), int(j)) for i, j in zip(rows, cols, strict=True) if weights[i, j] > 0]


def score_document(
    predicted: Sequence[PolnearAttribution], gold: Sequence[PolnearAttribution], text: str
) -> AttributionScores:
    """All scores of one document."""
    _check_bounds(predicted, len(text))
    exact, overlap = {}, {}
    for role in ROLES:
        pred_spans, gold_spans = role_spans(predicted, role), role_spans(gold, role)
        exact[role] = exact_score(pred_spans, gold_spans, text)
        overlap[role] = overlap_score(pred_spans, gold_spans)
    matches = len(match_attributions(predicted, gold))
    return AttributionScores(exact, overlap, Score(matches, len(predicted), matches, len(gold)), 1)


def score(predicted: Predictions, gold: Sequence[PolnearDocument]) -> AttributionScores:
    """Micro scores over the gold documents; a document absent from ``predicted`` has no predictions."""
    texts = {document.name: document for document in gold}
    if unknown := sorted(predicted.keys() - texts.keys()):
        raise ValueError(f"predictions for documents that are not scored: {unknown[:5]}")
    total = AttributionScores(dict.fromkeys(ROLES, ZERO), dict.fromkeys(ROLES, ZERO), ZERO, 0)
    for document in gold:
        one = score_document(predicted.get(document.name, ()), document.attributions, document.text)
        total = AttributionScores(
            {r: total.exact[r] + one.exact[r] for r in ROLES},
            {r: total.overlap[r] + one.overlap[r] for r in ROLES},
            total.attribution + one.attribution,
            total.documents + 1,
        )
    return total


def _check_bounds(attributions: Iterable[PolnearAttribution], length: int) -> None:
    for attribution in attributions:
        for role in ROLES:
            if any(end > length for _, end in attribution.role(role)):
                raise ValueError(f"{role} of {attribution} runs past the end of the text ({length} characters)")


# --- report ----------------------------------------------------------------------------------


def format_report(scores: AttributionScores, title: str | None = None) -> str:
    """Plain-text tables of the role and attribution scores."""
    lines: list[str] = [title, ""] if title else []
    lines.append(f"{scores.documents} documents")
    lines += ["", "Role spans, exact match (normalised ranges equal)", _header("role")]
    lines += [_row(role, scores.exact[role]) for role in ROLES]
    lines += ["", "Role spans, character overlap (SemEval SI, overlaps merged per document)", _header("role")]
    lines += [_row(role, scores.overlap[role]) for role in ROLES]
    lines += ["", "Attributions, one to one (cue overlap, content Jaccard >= 0.5, source overlap)", _header("")]
    lines.append(_row("attributions", scores.attribution))
    return "\n".join(lines) + "\n"


_NAME_WIDTH = 14


def _header(name: str) -> str:
    return score_header(name, _NAME_WIDTH)


def _row(name: str, value: Score) -> str:
    return score_row(name, value, _NAME_WIDTH)


# --- JSONL -----------------------------------------------------------------------------------


def attribution_to_json(attribution: PolnearAttribution) -> dict[str, object]:
    return {
        "source": None if attribution.source is None else [list(f) for f in attribution.source],
        "cue": [list(f) for f in attribution.cue],
        "content": [list(f) for f in attribution.content],
    }


def attribution_from_json(data: Mapping[str, object], where: str = "") -> PolnearAttribution:
    if not isinstance(data, Mapping) or set(data) != set(ROLES):
        raise ValueError(f"{where}: an attribution needs exactly the keys source, cue and content: {data!r}")
    try:
        source = data["source"]
        return PolnearAttribution(
            source=None if source is None else _fragments(source),
            cue=_fragments(data["cue"]),
            content=_fragments(data["content"]),
        )
    except (TypeError, ValueError) as error:
        raise ValueError(f"{where}: {error}") from error


def _fragments(value: object) -> Intervals:
    if not isinstance(value, list) or not all(
        isinstance(f, list) and len(f) == 2 and all(type(x) is int for x in f) for f in value
    ):
        raise ValueError(f"expected a list of [start, end] integer pairs, got {value!r}")
    return tuple((f[0], f[1]) for f in value)


def dumps_predictions(predictions: Predictions) -> str:
    """The JSONL text: one line per document, in the mapping's order."""
    lines = [
        json.dumps({"doc": doc, "attributions": [attribution_to_json(a) for a in attributions]}, ensure_ascii=False)
        for doc, attributions in predictions.items()
    ]
    return "".join(line + "\n" for line in lines)


def loads_predictions(content: str, origin: str = "<jsonl>") -> dict[str, list[PolnearAttribution]]:
    """Document name -> attributions; blank lines are skipped, a document given twice is an error."""
    predictions: dict[str, list[PolnearAttribution]] = {}
    for number, line in enumerate(content.splitlines(), 1):
        if not line.strip():
            continue
        where = f"{origin}:{number}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise ValueError(f"{where}: not JSON: {error}") from error
        if not isinstance(record, dict) or not isinstance(record.get("doc"), str):
            raise ValueError(f'{where}: expected {{"doc": "...", "attributions": [...]}}')
        doc, attributions = record["doc"], record.get("attributions")
        if not isinstance(attributions, list):
            raise ValueError(f"{where}: 'attributions' must be a list")
        if doc in predictions:
            raise ValueError(f"{where}: document {doc!r} appears twice")
        predictions[doc] = [attribution_from_json(a, where) for a in attributions]
    return predictions


def write_predictions(predictions: Predictions, path: PathLike) -> None:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        handle.write(dumps_predictions(predictions))


def read_predictions(path: PathLike) -> dict[str, list[PolnearAttribution]]:
    return loads_predictions(Path(path).read_text(encoding="utf-8"), str(path))


def gold_predictions(documents: Iterable[PolnearDocument]) -> dict[str, list[PolnearAttribution]]:
    """The gold attributions in the prediction mapping (to write them as JSONL or score gold against gold)."""
    return {document.name: list(document.attributions) for document in documents}
