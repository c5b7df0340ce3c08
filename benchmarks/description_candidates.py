"""Candidates for the description-link annotation (benchmarks/annotations/description-links.tsv).

The articles: PolNeAR dev (never used to write or tune the description rules), in file-name
order, three from each outlet in turn until 30 (so that each of its outlets is in), each
holding at least one candidate. A candidate is found by words alone, not by presslens' parse:
a noun of the lexicon's DESCRIPTION_NOUNS or ROLE_NOUNS (singular or plural) after a
determiner (the, this, that, these, those), a possessive ("Iran's", "his") or a nationality
adjective, with at most two words between ("the Iranian regime", "the former secretary").
Each was then read in its paragraph and given the actor it refers to (the name the article
uses for it), "(unnamed)" when the article never names it, or "-" when it refers to no one
in particular (generic: "the president should ..." about any president; a quantity; "the
government's role" in general).

    .venv/bin/python benchmarks/description_candidates.py --polnear ../shared/data/polnear > /tmp/candidates.tsv

The held-out set (``--split train``: 30 train articles chosen the same way, annotated after
the rules were revised on the dev set and never used to change them) is
benchmarks/annotations/description-links-heldout.tsv.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from presslens.lexicon import get

EN = get("en")
ARTICLES = 30
PER_OUTLET = 3


def candidate_pattern() -> re.Pattern[str]:
    nouns = set(EN.DESCRIPTION_NOUNS) | set(EN.ROLE_NOUNS) | {n + "s" for n in EN.ROLE_NOUNS}
    before = ["the", "this", "that", "these", "those", "his", "her", "their", "its", *EN.DEMONYMS]
    words = "|".join(re.escape(n) for n in sorted(nouns, key=len, reverse=True))
    lead = "|".join(re.escape(w) for w in sorted(before, key=len, reverse=True))
    return re.compile(rf"\b(?:{lead}|[A-Z][\w.]*['’]s)\s+(?:[\w-]+\s+){{0,2}}?({words})\b", re.IGNORECASE)


def chosen_articles(folder: Path, split: str = "dev") -> list[Path]:
    pattern = candidate_pattern()
    by_outlet: dict[str, list[Path]] = {}
    for path in sorted((folder / split / "text").glob("*.txt")):
        if pattern.search(path.read_text(encoding="utf-8")):
            by_outlet.setdefault(path.name.split("_")[0], []).append(path)
    chosen: list[Path] = []
    round_ = 0
    while len(chosen) < ARTICLES and any(len(v) > round_ * PER_OUTLET for v in by_outlet.values()):
        for outlet in sorted(by_outlet):
            chosen.extend(by_outlet[outlet][round_ * PER_OUTLET : (round_ + 1) * PER_OUTLET])
        round_ += 1
    return sorted(chosen[:ARTICLES])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--polnear", type=Path, required=True)
    parser.add_argument("--split", choices=("dev", "train"), default="dev")
    args = parser.parse_args()
    pattern = candidate_pattern()
    out = sys.stdout
    out.write("article\tstart\tend\ttext\treferent\tcontext\n")
    for path in chosen_articles(args.polnear, args.split):
        text = path.read_text(encoding="utf-8")
        for match in pattern.finditer(text):
            start, end = match.start(1), match.end(1)
            context = " ".join(text[max(0, start - 160) : end + 80].split())
            out.write(f"{path.stem}\t{start}\t{end}\t{match.group(0)}\t\t{context}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
