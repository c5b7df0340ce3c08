"""Where one analysing process's memory goes: its RSS after each step of loading every model
of a full `presslens analyze`, then after analysing N PolNeAR dev articles.

    .venv/bin/python benchmarks/memory_steps.py [--data DIR] [--articles 20] [--json OUT]

Each step's figure is the process's resident memory (VmRSS) and its peak so far (VmHWM), in
MB, from /proc/self/status (Linux). A worker of `presslens analyze --workers N` goes through
the same steps, so the memory of N workers is about N times the last row. The modules that
the process imported by the end are listed too: which heavy libraries analysis pulls in.
"""

from __future__ import annotations

# Only the standard library at module level: the steps measure the imports themselves.
import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
HEAVY = ("torch", "onnxruntime", "transformers", "spacy", "sklearn", "scipy", "pandas", "pyarrow", "duckdb")


def memory() -> dict[str, int]:
    found = {}
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(("VmRSS", "VmHWM")):
                key, value = line.split(":")
                found[key] = int(value.split()[0]) // 1024
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--articles", type=int, default=20)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    steps: list[dict[str, object]] = []

    def step(name: str) -> None:
        steps.append({"step": name, **memory()})
        print(f"{name:38s} RSS {steps[-1]['VmRSS']:>6,} MB   peak {steps[-1]['VmHWM']:>6,} MB", flush=True)

    step("start")
    import numpy  # noqa: F401
    import torch  # noqa: F401

    step("numpy and torch imported")
    from presslens.ingest import IngestOptions, document_from_text
    from presslens.pipeline import Pipeline
    from presslens.stages import default_stages

    step("presslens imported")
    from presslens.models.loader import spacy_model

    spacy_model("md")
    step("spaCy md loaded")
    from presslens.techniques.model import load_technique_predictor

    load_technique_predictor()
    step("technique model loaded (ONNX)")
    from presslens.attribution.stage import load_tagger

    load_tagger()
    step("attribution tagger loaded")
    pipeline = Pipeline(default_stages())
    files = sorted((args.data / "polnear" / "dev" / "text").glob("*.txt"))[: args.articles]
    for number, path in enumerate(files, 1):
        pipeline(document_from_text(path.read_text(encoding="utf-8"), path.stem, IngestOptions()))
        if number in (1, 5) or number == len(files):
            step(f"{number} articles analysed")
    imported = sorted(name for name in HEAVY if name in sys.modules)
    print("heavy modules imported:", ", ".join(imported))
    if args.json:
        args.json.write_text(json.dumps({"steps": steps, "imported": imported}, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
