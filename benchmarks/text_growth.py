"""How analysis time and memory grow with the length of one text, stage by stage.

    .venv/bin/python benchmarks/text_growth.py [--data DIR] [--sizes 10000,30000,...]
                                                [--skip STAGE]... [--json OUT]

Each size is one text made of PolNeAR train articles joined by blank lines (in file-name
order) and cut at the size, analysed by every stage of `presslens analyze` in a fresh
subprocess (its own peak RSS), after a warm-up document that loads every model. The table
gives, per stage, the seconds and the **cost per character relative to the smallest size**
measured in the same run: 1.0 is linear growth; a stage whose ratio climbs with the size is
super-linear (quadratic growth doubles it with each doubling of the size). Peak memory is
the subprocess's ``ru_maxrss``.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_SIZES = (10_000, 30_000, 100_000, 300_000, 1_000_000)


def make_text(data: Path, size: int) -> str:
    parts: list[str] = []
    total = 0
    for path in sorted((data / "polnear" / "train" / "text").glob("*.txt")):
        article = path.read_text(encoding="utf-8").strip()
        parts.append(article)
        total += len(article) + 2
        if total >= size:
            break
    text = "\n\n".join(parts)
    if len(text) < size:
        raise SystemExit(f"{data}: PolNeAR train holds fewer than {size} characters")
    return text[:size]


def measure(data: Path, size: int, skipped: list[str]) -> dict[str, object]:
    """One size, in this process: seconds per stage and the peak memory."""
    from presslens.encoder.analysis import Analysis
    from presslens.ingest import IngestOptions, document_from_text
    from presslens.nlp import add_nlp_layers, parse_text
    from presslens.pipeline import Pipeline
    from presslens.stages import BatchStage, build_stages, without

    pipeline = Pipeline(build_stages(without(skipped)))
    pipeline(document_from_text(make_text(data, 2_000), "warm-up", IngestOptions(clean=False)))
    document = document_from_text(make_text(data, size), f"{size} characters", IngestOptions(clean=False))
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    parsed = parse_text(pipeline.nlp, document.text)
    analysis = Analysis(document, parsed)
    add_nlp_layers(document, parsed)
    seconds["nlp"] = time.perf_counter() - started
    for stage in pipeline.stages:
        started = time.perf_counter()
        if isinstance(stage, BatchStage):
            stage.pipe([analysis])
        else:
            stage(analysis)
        seconds[stage.name] = time.perf_counter() - started
    analysis.release()
    return {
        "characters": len(document.text),
        "words": len(document.tokens),
        "seconds": seconds,
        "total_seconds": sum(seconds.values()),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "attributions": len(document.attributions),
        "techniques": len(document.techniques),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--sizes", default=",".join(map(str, DEFAULT_SIZES)))
    parser.add_argument("--skip", action="append", default=[], help="a stage to leave out (repeatable)")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--_child", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args._child is not None:
        print(json.dumps(measure(args.data, args._child, args.skip)))
        return
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"# {platform.processor() or platform.machine()}, Python {platform.python_version()}")
    rows = []
    for size in sizes:
        command = [sys.executable, __file__, "--data", str(args.data), "--_child", str(size)]
        command += [f"--skip={name}" for name in args.skip]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise SystemExit(f"size {size} failed:\n{done.stderr[-3000:]}")
        rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
        print(f"  {size:>9,} characters: {rows[-1]['total_seconds']:.1f} s", file=sys.stderr, flush=True)
    base = rows[0]
    stages = list(base["seconds"])  # type: ignore[arg-type]
    print("\n| characters | " + " | ".join(stages) + " | total | peak RSS |")
    print("|---:|" + "---:|" * (len(stages) + 2))
    for row in rows:
        cells = []
        for name in [*stages, "total"]:
            spent = row["total_seconds"] if name == "total" else row["seconds"][name]  # type: ignore[index]
            was = base["total_seconds"] if name == "total" else base["seconds"][name]  # type: ignore[index]
            scale = row["characters"] / base["characters"]  # type: ignore[operator]
            ratio = (spent / scale) / was if was > 0 else float("nan")  # type: ignore[operator]
            cells.append(f"{spent:.2f} s ({ratio:.2f})")
        print(f"| {row['characters']:,} | " + " | ".join(cells) + f" | {row['peak_rss_mb']:,.0f} MB |")
    print("\n(in brackets: seconds per character relative to the smallest size; 1.00 is linear)")
    if args.json:
        args.json.write_text(json.dumps({"sizes": sizes, "skipped": args.skip, "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
