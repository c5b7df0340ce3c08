"""Facts about the PTC corpus and its presslens held-out split: spans per technique, span
lengths, overlaps, and how much of the text the spans cover.

    .venv/bin/python benchmarks/ptc_stats.py [PTC_ROOT]

PTC_ROOT defaults to ../shared/data/ptc beside the clone. Prints counts only, no corpus text.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

from presslens.techniques import ptc
from presslens.text import merge_intervals

DEFAULT_ROOT = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "ptc"


def overlap_counts(articles: list[ptc.Article]) -> Counter[str]:
    """How many spans share a character with another span of their article, and of what kind."""
    counts: Counter[str] = Counter()
    for article in articles:
        spans = article.spans
        for i, span in enumerate(spans):
            others = [o for j, o in enumerate(spans) if j != i and o.start < span.end and span.start < o.end]
            if not others:
                continue
            counts["any"] += 1
            if any(o.technique == span.technique for o in others):
                counts["same technique"] += 1
            if any(o.technique != span.technique for o in others):
                counts["other technique"] += 1
            if any(o.ref == span.ref for o in others):
                counts["identical fragment"] += 1
            if any(o.ref == span.ref and o.technique == span.technique for o in others):
                counts["identical fragment and technique"] += 1
    return counts


def coverage(articles: list[ptc.Article]) -> tuple[int, int]:
    """(characters inside at least one span, all characters)."""
    inside = sum(e - s for a in articles for s, e in merge_intervals((x.start, x.end) for x in a.spans))
    return inside, sum(len(a.text) for a in articles)


def describe(name: str, articles: list[ptc.Article]) -> list[str]:
    spans = ptc.gold_spans(articles)
    lengths = [s.end - s.start for s in spans]
    words = [len(a.span_text(s).split()) for a in articles for s in a.spans]
    overlaps = overlap_counts(articles)
    inside, total = coverage(articles)
    merged = sum(len(merge_intervals((s.start, s.end) for s in a.spans)) for a in articles)
    n = len(spans) or 1
    lines = [
        f"{name}: {len(articles)} articles ({sum(not a.spans for a in articles)} without spans), "
        f"{len(spans)} spans, {merged} fragments once overlaps are merged (the SI gold count)",
        f"  span length: mean {sum(lengths) / n:.1f} chars, {sum(words) / n:.1f} words;"
        f" median {sorted(lengths)[len(lengths) // 2] if lengths else 0} chars; max {max(lengths, default=0)}",
        f"  spans overlapping another span of their article: {overlaps['any']} ({overlaps['any'] / n:.1%})",
    ]
    for kind in ("same technique", "other technique", "identical fragment", "identical fragment and technique"):
        lines.append(f"    with one of {kind}: {overlaps[kind]}")
    lines.append(f"  article characters inside spans: {inside} of {total} ({inside / max(total, 1):.1%})")
    return lines


def main(root: Path) -> None:
    articles = ptc.load_ptc(root)
    techniques = ptc.read_techniques(root)
    train_ids, heldout_ids = ptc.split_ids(a.id for a in articles)
    parts = {
        "train": [a for a in articles if a.id in set(train_ids)],
        "held-out": [a for a in articles if a.id in set(heldout_ids)],
        "all": articles,
    }
    print(f"PTC at {root}; held-out = {len(heldout_ids)} of {len(articles)} articles ({ptc.SPLIT_SALT})\n")
    counts = {part: Counter(s.technique for s in ptc.gold_spans(arts)) for part, arts in parts.items()}
    lengths: dict[str, list[int]] = {t: [] for t in techniques}
    for span in ptc.gold_spans(articles):
        lengths[span.technique].append(span.end - span.start)

    print(f"{'technique':<36} {'train':>6} {'held':>6} {'all':>6} {'share':>6} {'chars':>6}")
    for technique in techniques:
        c = [counts[part][technique] for part in parts]
        mean = sum(lengths[technique]) / max(len(lengths[technique]), 1)
        share = c[1] / max(c[2], 1)
        print(f"{technique:<36} {c[0]:6d} {c[1]:6d} {c[2]:6d} {share:6.1%} {mean:6.1f}")
    totals = [sum(counts[part].values()) for part in parts]
    print(f"{'total':<36} {totals[0]:6d} {totals[1]:6d} {totals[2]:6d} {totals[1] / max(totals[2], 1):6.1%}")
    print("(share: held-out part of the technique's spans; chars: mean span length)\n")
    for part, arts in parts.items():
        print("\n".join(describe(part, arts)))
        print()


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_ROOT)
