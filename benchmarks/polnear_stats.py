"""Facts about PolNeAR attributions: counts, missing sources, discontinuous and quoted content,
cue words, pronoun sources, nesting, annotators, and agreement between annotators.

    .venv/bin/python benchmarks/polnear_stats.py [POLNEAR_ROOT]

POLNEAR_ROOT (holding train/ and dev/) defaults to ../shared/data/polnear beside the clone.
Reads one annotator per article (``load_polnear``'s default, the smallest annotator id), except
for the agreement section. Prints counts and the most common cue words; a few seconds of CPU.
"""

from __future__ import annotations

import statistics
import sys
from collections import Counter
from pathlib import Path

from presslens.attribution.polnear import (
    TEXT_DIR,
    PolnearDocument,
    annotation_files,
    load_polnear,
    read_ann,
    read_text,
)
from presslens.attribution.scorer import format_report, gold_predictions, normalise, score
from presslens.text import merge_intervals

DEFAULT_ROOT = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "polnear"
SPLITS = ("train", "dev")

OPENING_QUOTES = "\"“'‘`"
CLOSING_QUOTES = "\"”'’"
PERSONAL_PRONOUNS = frozenset(["i", "me", "we", "us", "you", "he", "him", "she", "her", "it", "they", "them"])
RELATIVE_PRONOUNS = frozenset(["who", "whom", "which", "that"])


def share(part: int, whole: int) -> str:
    return f"{part} ({part / max(whole, 1):.1%})"


def describe(name: str, documents: list[PolnearDocument]) -> list[str]:
    per_article = [len(d.attributions) for d in documents]
    total = sum(per_article)
    no_source = no_content = discontinuous = discontinuous_text = 0
    quote_start = quote_end = quote_both = quote_outside = 0
    personal = relative = sources = 0
    nested = nested_gap = 0
    content_chars: list[int] = []
    content_words: list[int] = []
    for document in documents:
        text = document.text
        for attribution in document.attributions:
            if attribution.source is None:
                no_source += 1
            else:
                sources += 1
                source = attribution.text("source", text).strip().lower()
                personal += source in PERSONAL_PRONOUNS
                relative += source in RELATIVE_PRONOUNS
            content = merge_intervals(attribution.content)
            if not content:
                no_content += 1
                continue
            discontinuous += len(content) > 1
            discontinuous_text += len(normalise(content, text)) > 1  # apart by more than spaces/quotes
            stripped = attribution.text("content", text).strip()
            content_chars.append(sum(end - start for start, end in content))
            content_words.append(len(stripped.split()))
            starts, ends = stripped[:1] in tuple(OPENING_QUOTES), stripped[-1:] in tuple(CLOSING_QUOTES)
            quote_start += starts
            quote_end += ends
            quote_both += starts and ends
            before = text[: content[0][0]].rstrip()[-1:]
            after = text[content[-1][1] :].lstrip()[:1]
            quote_outside += (starts or before in tuple(OPENING_QUOTES)) and (ends or after in tuple(CLOSING_QUOTES))
            # nesting: another attribution's cue or source inside this content, or inside its extent
            first, last = content[0][0], content[-1][1]
            others = [o for o in document.attributions if o is not attribution]
            inside = [f for o in others for f in (*o.cue, *o.role("source"))]
            nested += any(start < e and s < end for s, e in inside for start, end in content)
            nested_gap += any(first <= s and e <= last for s, e in inside)
    with_content = total - no_content
    cues, cue_words = cue_counters(documents)
    lines = [
        f"{name}: {len(documents)} articles, {total} attributions",
        f"  per article: mean {statistics.mean(per_article):.1f}, median {statistics.median(per_article):g},"
        f" min {min(per_article)}, max {max(per_article)}; articles without any: {per_article.count(0)}",
        f"  without a source: {share(no_source, total)}; without content: {share(no_content, total)}",
        f"  content in more than one fragment: {share(discontinuous, with_content)};"
        f" fragments apart by more than spaces/quotes/punctuation: {share(discontinuous_text, with_content)}",
        f"  content length: mean {statistics.mean(content_chars):.1f} chars / {statistics.mean(content_words):.1f}"
        f" words, median {statistics.median(content_chars):g} chars, max {max(content_chars)}",
        f"  direct quotes: content starts with a quote mark {share(quote_start, with_content)},"
        f" ends with one {share(quote_end, with_content)}, both {share(quote_both, with_content)};"
        f" quoted on both sides counting marks just outside the span {share(quote_outside, with_content)}",
        f"  source is a personal pronoun: {share(personal, sources)}; a relative pronoun (who, which, that):"
        f" {share(relative, sources)} (of {sources} sources)",
        f"  nested: content shares characters with another attribution's cue/source {share(nested, with_content)};"
        f" another's cue/source lies within the content's extent (first to last character)"
        f" {share(nested_gap, with_content)}",
        f"  distinct cues: {len(cues)}; cue words: {sum(cue_words.values())}",
    ]
    return lines


def top(counter: Counter[str], n: int = 40) -> str:
    return ", ".join(f"{word} {count}" for word, count in counter.most_common(n))


def cue_counters(documents: list[PolnearDocument]) -> tuple[Counter[str], Counter[str]]:
    cues: Counter[str] = Counter()
    words: Counter[str] = Counter()
    for document in documents:
        for attribution in document.attributions:
            cue = " ".join(attribution.text("cue", document.text).lower().split())
            cues[cue] += 1
            words.update(cue.split())
    return cues, words


def annotators(root: Path) -> tuple[list[str], list[PolnearDocument], list[PolnearDocument]]:
    """Annotator counts per split, and (gold, other) document pairs: smallest id against each other one."""
    lines, gold, other = [], [], []
    for split in SPLITS:
        files = annotation_files(root / split)
        counts = Counter(len(f) for f in files.values())
        lines.append(
            f"  {split}: {len(files)} articles; annotators per article: "
            + ", ".join(f"{k}: {v}" for k, v in sorted(counts.items()))
        )
        for name, pairs in files.items():
            if len(pairs) < 2:
                continue
            text = read_text(root / split / TEXT_DIR / f"{name}.txt")
            first, first_path = pairs[0]
            reference = read_ann(first_path, text)
            for annotator, path in pairs[1:]:
                key = f"{split}/{name}/{first}-{annotator}"
                gold.append(PolnearDocument(key, text, reference, first))
                other.append(PolnearDocument(key, text, read_ann(path, text), annotator))
    return lines, gold, other


def main(root: Path) -> None:
    print(f"PolNeAR at {root}; one annotator per article (the smallest id)\n")
    everything: list[PolnearDocument] = []
    for split in SPLITS:
        documents = load_polnear(root / split)  # strict: every T line's text is checked against the article
        everything += documents
        print("\n".join(describe(split, documents)))
        print()
    cues, words = cue_counters(everything)
    print(f"top 40 cues (whole cue, lowercased), train+dev: {top(cues)}\n")
    print(f"top 40 cue words (lowercased), train+dev: {top(words)}\n")
    lines, gold, other = annotators(root)
    print("annotators:")
    print("\n".join(lines))
    print()
    if gold:
        title = f"agreement: smallest annotator id as gold, each other annotator as prediction ({len(gold)} pairs)"
        print(format_report(score(gold_predictions(other), gold), title=title))


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_ROOT)
