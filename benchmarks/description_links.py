"""Precision and recall of description -> actor links on PolNeAR articles annotated by reading:
30 dev articles the rules were revised on (``--set dev``, description-links.tsv) and 30 train
articles annotated afterwards and never used to change them (``--set heldout``, the figure to
report; description-links-heldout.tsv). How they were chosen: benchmarks/description_candidates.py.

A gold link is a candidate whose referent is an actor ("(unnamed)" included: the article
describes someone it never names). presslens links a candidate when one of its description
mentions holds the candidate's head noun and is tied to an actor (not left ambiguous). The
link is right when that actor is the referent: the same name, the same surname for a person
("Obama" for "Barack Obama"), or, for "(unnamed)", an actor of its own (``described``).
Descriptions presslens finds outside the candidates are counted and listed, not judged.

    .venv/bin/python benchmarks/description_links.py --polnear ../shared/data/polnear [--set heldout|dev] [--json OUT]
"""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path

from presslens.document import Document
from presslens.pipeline import Pipeline
from presslens.stages import build_stages

ANNOTATIONS = Path(__file__).resolve().parent / "annotations"
# The set -> (its annotation, the PolNeAR split its articles come from).
SETS = {"dev": ("description-links.tsv", "dev"), "heldout": ("description-links-heldout.tsv", "train")}


def same_actor(referent: str, name: str, described: bool) -> bool:
    if referent == "(unnamed)":
        return described
    if referent.lower() == name.lower():
        return True
    words, other = referent.lower().split(), name.lower().split()
    return not referent.startswith("government of") and bool(words) and bool(other) and words[-1] == other[-1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--polnear", type=Path, required=True)
    parser.add_argument("--set", choices=sorted(SETS), default="heldout", help="heldout: the figure to report")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    annotation, split = SETS[args.set]
    lines = [
        line for line in (ANNOTATIONS / annotation).read_text(encoding="utf-8").splitlines() if not line.startswith("#")
    ]
    gold = list(csv.DictReader(lines, delimiter="\t"))
    pipeline = Pipeline(build_stages(["actors"]))
    by_article: dict[str, list[dict[str, str]]] = {}
    for row in gold:
        by_article.setdefault(row["article"], []).append(row)
    counts = {"gold_links": 0, "system_links": 0, "right": 0, "wrong": 0, "ambiguous": 0, "missed": 0}
    outside: list[str] = []
    judged: list[dict[str, object]] = []
    for article, rows in sorted(by_article.items()):
        text = (args.polnear / split / "text" / f"{article}.txt").read_text(encoding="utf-8")
        document = pipeline(Document.from_text(text))
        actors = {a.id: a for a in document.actors}
        descriptions = [m for m in document.entities if m.kind == "description"]
        used: set[int] = set()
        for row in rows:
            start, end = int(row["start"]), int(row["end"])
            found = next(
                (i for i, m in enumerate(descriptions) if m.start <= start < m.end or start <= m.start < end), None
            )
            mention = descriptions[found] if found is not None else None
            if found is not None:
                used.add(found)
            is_gold = row["referent"] != "-"
            counts["gold_links"] += is_gold
            verdict = "none"
            if mention is not None and mention.actor is not None:
                counts["system_links"] += 1
                actor = actors[mention.actor]
                right = is_gold and same_actor(row["referent"], actor.name, actor.described)
                counts["right" if right else "wrong"] += 1
                verdict = f"{'right' if right else 'wrong'}: {actor.name}"
            elif mention is not None:
                counts["ambiguous"] += 1
                verdict = "ambiguous"
            if is_gold and not verdict.startswith("right"):
                counts["missed"] += 1
            judged.append({"article": article, "text": row["text"], "referent": row["referent"], "presslens": verdict})
        for i, mention in enumerate(descriptions):
            if i not in used:
                owner = actors[mention.actor].name if mention.actor else "(ambiguous)"
                outside.append(f"{article}: {mention.text} -> {owner}")
    precision = counts["right"] / counts["system_links"] if counts["system_links"] else 0.0
    recall = counts["right"] / counts["gold_links"] if counts["gold_links"] else 0.0
    result = {
        **counts,
        "precision": round(precision, 3),
        "recall": round(recall, 3),
        "set": args.set,
        "articles": len(by_article),
        "candidates": len(gold),
        "outside_candidates": outside,
        "judged": judged,
    }
    print(json.dumps({k: v for k, v in result.items() if k not in ("judged",)}, indent=2))
    for row in judged:
        print(f"{row['presslens']:<45} {row['referent']:<30} {row['text']}  [{row['article'][:40]}]")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
