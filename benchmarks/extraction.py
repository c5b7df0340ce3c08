"""Article extraction on the ScrapingHub article-extraction benchmark: presslens against plain trafilatura.

    python benchmarks/extraction.py [--data DIR] [--worst N]

DIR is the benchmark folder (ground-truth.json and html/), by default
shared/data/article-extraction beside the repository. Prints precision, recall and F1 over
4-gram shingles (see presslens.evaluation.extraction) and seconds per page for each extractor.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from presslens.evaluation.extraction import (
    ExtractionReport,
    evaluate_extraction,
    presslens_extractor,
    trafilatura_extractor,
)

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "article-extraction"

EXTRACTORS = {
    "presslens": presslens_extractor,
    "trafilatura (defaults)": trafilatura_extractor,
}


def _print_worst(report: ExtractionReport, count: int) -> None:
    for row in sorted(report.rows, key=lambda r: r.f1)[:count]:
        print(f"    {row.doc_id[:12]}  P={row.precision:.2f} R={row.recall:.2f}  {row.url}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="benchmark folder (default: %(default)s)")
    parser.add_argument("--worst", type=int, default=0, metavar="N", help="also list each extractor's N worst pages")
    args = parser.parse_args(argv)
    data = args.data
    if not (data / "ground-truth.json").is_file() and (data / "article-extraction").is_dir():
        data = data / "article-extraction"
    if not (data / "ground-truth.json").is_file():
        print(f"no benchmark at {data} (expected ground-truth.json and html/)", file=sys.stderr)
        return 2

    print(f"{'extractor':<24} {'precision':>9} {'recall':>7} {'F1':>7} {'pages':>5} {'empty':>5} {'s/page':>7}")
    for name, extractor in EXTRACTORS.items():
        report = evaluate_extraction(data, extractor)
        print(
            f"{name:<24} {report.precision:>9.4f} {report.recall:>7.4f} {report.f1:>7.4f} "
            f"{report.n:>5} {report.empty:>5} {report.seconds_per_page:>7.3f}",
            flush=True,
        )
        if args.worst:
            _print_worst(report, args.worst)
    return 0


if __name__ == "__main__":
    sys.exit(main())
