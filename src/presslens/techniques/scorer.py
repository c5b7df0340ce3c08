"""The official SemEval-2020 Task 11 metrics: span identification (SI), technique
classification (TC) and, from the 2019 task, fragment-level classification (FLC).

SI and FLC (the same computation; SI is FLC with a single technique):

* Per article, and per technique in FLC, spans that share at least one character are merged
  into one (transitively; duplicates collapse into one). Gold and predictions are merged
  separately. Spans that only touch (``[0, 5)`` and ``[5, 9)``) stay apart. Lengths and
  counts are taken after merging, as in the official scorer, which merges before scoring.
* For every pair (predicted s, gold t) of the same article (and technique):
  precision numerator += |s∩t| / |s|, recall numerator += |s∩t| / |t|.
  Merged spans of one side never overlap, so a span contributes at most 1.
* P = precision numerator / number of predicted spans, R = recall numerator / number of
  gold spans, sums and counts over all articles (micro, not an average of articles).
  FLC overall sums numerators and counts over the techniques; per-technique scores use the
  technique's own numerators and counts.
* Zero cases, as the official ``compute_prec_rec_f1``: P = 0 without predictions, R = 0
  without gold spans, F1 = 1 when there are neither (nothing to find, nothing found), else
  F1 = 0 unless both P and R are positive.

TC (gold spans given, one technique to predict per gold line):

* For each distinct (article, start, end), the matches are the size of the multiset
  intersection of its gold techniques and its predicted techniques: a span annotated twice
  with two techniques is fully right when both are predicted, in any order. This is what the
  official scorer gets by aligning predicted to gold labels on identical spans before
  comparing them line by line.
* micro P = matches / predictions, R = matches / gold spans. The official scorer requires
  exactly one prediction per gold line, and then P = R = F1 (= accuracy). Files that do not
  cover the gold lines are scored here rather than refused; TcScore counts the gold spans
  left without a prediction and the predictions on spans that no gold span has.
* Per technique: matches of that technique / its predictions and / its gold spans (what
  per-class scores on the aligned lines give).

Predictions for articles outside ``article_ids`` (when given) and techniques outside the
list are errors, as in the official scorer.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field

from presslens.scoring import ZERO, Score, score_header, score_row
from presslens.techniques.ptc import TECHNIQUES, SpanRef, TechniqueSpan
from presslens.text import Interval, merge_intervals

_SI_CLASS = "propaganda"  # the single technique SI is scored as


@dataclass(frozen=True, slots=True)
class FlcScore:
    overall: Score
    per_technique: dict[str, Score] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class TcScore:
    micro: Score  # precision_sum == recall_sum == matches
    per_technique: dict[str, Score] = field(default_factory=dict)
    unpredicted_gold: int = 0  # gold lines with no prediction on their span
    off_gold_predictions: int = 0  # predictions beyond the gold lines of their span (or on no gold span)

    @property
    def matches(self) -> int:
        return round(self.micro.precision_sum)


# --- SI / FLC ------------------------------------------------------------------------------


def overlap_score(predicted: Sequence[Interval], gold: Sequence[Interval]) -> Score:
    """The SI score of one group (article, technique): both sides already merged."""
    precision_sum = recall_sum = 0.0
    for p_start, p_end in predicted:
        for g_start, g_end in gold:
            common = min(p_end, g_end) - max(p_start, g_start)
            if common > 0:
                precision_sum += common / (p_end - p_start)
                recall_sum += common / (g_end - g_start)
    return Score(precision_sum, len(predicted), recall_sum, len(gold))


def score_si(
    predicted: Iterable[SpanRef | TechniqueSpan],
    gold: Iterable[SpanRef | TechniqueSpan],
    article_ids: Collection[str] | None = None,
) -> Score:
    """Span identification: techniques are ignored; overlaps merged per article."""
    pred = [_as_class(span, _SI_CLASS) for span in predicted]
    ref = [_as_class(span, _SI_CLASS) for span in gold]
    return _score_spans(pred, ref, article_ids, (_SI_CLASS,))[_SI_CLASS]


def score_flc(
    predicted: Iterable[TechniqueSpan],
    gold: Iterable[TechniqueSpan],
    article_ids: Collection[str] | None = None,
    techniques: Sequence[str] = TECHNIQUES,
) -> FlcScore:
    """Fragment-level classification: a prediction only meets gold spans of its own technique."""
    per_technique = _score_spans(list(predicted), list(gold), article_ids, techniques)
    overall = sum(per_technique.values(), ZERO)
    return FlcScore(overall, per_technique)


def _score_spans(
    predicted: list[TechniqueSpan],
    gold: list[TechniqueSpan],
    article_ids: Collection[str] | None,
    techniques: Sequence[str],
) -> dict[str, Score]:
    _check(predicted, "prediction", article_ids, techniques)
    _check(gold, "gold span", article_ids, techniques)
    pred_groups = _group(predicted)
    gold_groups = _group(gold)
    scores = dict.fromkeys(techniques, ZERO)
    for key in pred_groups.keys() | gold_groups.keys():
        group = overlap_score(
            merge_intervals(pred_groups.get(key, ())),
            merge_intervals(gold_groups.get(key, ())),
        )
        scores[key[1]] += group
    return scores


def _group(spans: Iterable[TechniqueSpan]) -> dict[tuple[str, str], list[Interval]]:
    groups: dict[tuple[str, str], list[Interval]] = defaultdict(list)
    for span in spans:
        groups[span.article_id, span.technique].append((span.start, span.end))
    return groups


def _as_class(span: SpanRef | TechniqueSpan, technique: str) -> TechniqueSpan:
    return TechniqueSpan(span.article_id, span.start, span.end, technique)


# --- TC ------------------------------------------------------------------------------------


def score_tc(
    predicted: Iterable[TechniqueSpan],
    gold: Iterable[TechniqueSpan],
    techniques: Sequence[str] = TECHNIQUES,
) -> TcScore:
    """Technique classification on the gold spans, multiset matching on identical spans."""
    predicted, gold = list(predicted), list(gold)
    _check(predicted, "prediction", None, techniques)
    _check(gold, "gold span", None, techniques)
    pred_labels: dict[SpanRef, Counter[str]] = defaultdict(Counter)
    gold_labels: dict[SpanRef, Counter[str]] = defaultdict(Counter)
    for span in predicted:
        pred_labels[span.ref][span.technique] += 1
    for span in gold:
        gold_labels[span.ref][span.technique] += 1

    matched: Counter[str] = Counter()
    unpredicted = off_gold = 0
    for ref in pred_labels.keys() | gold_labels.keys():
        g, p = gold_labels.get(ref, Counter()), pred_labels.get(ref, Counter())
        matched.update(g & p)
        unpredicted += max(0, g.total() - p.total())
        off_gold += max(0, p.total() - g.total())

    pred_count = Counter(span.technique for span in predicted)
    gold_count = Counter(span.technique for span in gold)
    per_technique = {t: Score(matched[t], pred_count[t], matched[t], gold_count[t]) for t in techniques}
    total = matched.total()
    return TcScore(Score(total, len(predicted), total, len(gold)), per_technique, unpredicted, off_gold)


# --- checks and report ---------------------------------------------------------------------


def _check(
    spans: Iterable[TechniqueSpan], what: str, article_ids: Collection[str] | None, techniques: Sequence[str]
) -> None:
    known = set(techniques)
    for span in spans:
        if span.technique not in known:
            raise ValueError(f"{what} {span}: unknown technique {span.technique!r}")
        if article_ids is not None and span.article_id not in article_ids:
            raise ValueError(f"{what} {span}: article {span.article_id} is not among the scored articles")


def format_report(
    si: Score | None = None,
    tc: TcScore | None = None,
    flc: FlcScore | None = None,
    title: str | None = None,
) -> str:
    """Plain-text tables of whichever scores are given."""
    lines: list[str] = [title, ""] if title else []
    if si is not None:
        lines += ["SI  span identification (overlaps merged per article)", score_header("")]
        lines += [score_row("all", si), ""]
    if tc is not None:
        micro = tc.micro
        lines.append(
            f"TC  technique classification  micro P={micro.precision:.4f} R={micro.recall:.4f} F1={micro.f1:.4f}"
            f"  ({tc.matches} of {micro.gold} gold lines right, {micro.predicted} predictions)"
        )
        if tc.unpredicted_gold or tc.off_gold_predictions:
            lines.append(
                f"    not comparable with the official score: {tc.unpredicted_gold} gold lines without a prediction,"
                f" {tc.off_gold_predictions} predictions beyond the gold lines"
            )
        lines.append(score_header("technique"))
        lines += [score_row(name, score) for name, score in tc.per_technique.items()]
        lines.append("")
    if flc is not None:
        lines += [
            "FLC fragment-level classification (overlaps merged per article and technique)",
            score_header("technique"),
        ]
        lines += [score_row(name, score) for name, score in flc.per_technique.items()]
        lines += [score_row("overall", flc.overall), ""]
    return "\n".join(lines).rstrip("\n") + "\n"
