"""`presslens analyze --workers N`: worker processes write what one process writes, in order."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .conftest import DATA, EXAMPLES, SEED, need

POLNEAR_DEV = DATA / "polnear" / "dev" / "text"
# Short PolNeAR dev articles, so that three runs of the full pipeline stay quick.
POLNEAR_FILES = (
    "breitbart_2016-09-28_mary-j-blige-sings-to-hillary-cl.txt",
    "breitbart_2016-09-20_poll-wealthy-voters-abandon-repu.txt",
    "huff-post_2016-09-26_one-tweet-sums-up-the-absurd-dou.txt",
)


ENV = {**os.environ, "COLUMNS": "100"}


def presslens(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "presslens", *args], capture_output=True, text=True, env=ENV, timeout=600
    )


def worker_processes(pid: int) -> set[int]:
    """The multiprocessing workers among the children of ``pid`` (not its resource tracker)."""
    found = set()
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            command = (entry / "cmdline").read_bytes()
        except (OSError, ValueError, IndexError):
            continue
        if parent == pid and b"spawn_main" in command:
            found.add(int(entry.name))
    return found


def run_watching_workers(*args: str, log: Path) -> tuple[subprocess.CompletedProcess[str], set[int]]:
    """Run presslens, noting the worker processes it starts while it runs."""
    with log.open("w", encoding="utf-8") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "presslens", *args], stdout=subprocess.DEVNULL, stderr=stderr, env=ENV
        )
        workers: set[int] = set()
        while process.poll() is None:
            workers |= worker_processes(process.pid)
            time.sleep(0.2)
    result = subprocess.CompletedProcess(process.args, process.returncode, "", log.read_text(encoding="utf-8"))
    return result, workers


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("presslens: error: ")]


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """One batch of good and bad inputs, analysed with one process and with two workers.
    Ten inputs: chunks of 4 for two workers, of 8 for one process, so the batches differ."""
    folder = tmp_path_factory.mktemp("workers")
    empty = folder / "empty.txt"
    empty.write_bytes(b"")
    binary = folder / "binary.txt"
    binary.write_bytes(bytes(range(256)) * 4)
    inputs = [
        EXAMPLES / "minister-warns.txt",
        empty,
        EXAMPLES / "two-articles.jsonl",
        need(SEED),
        binary,
        *(need(POLNEAR_DEV / name) for name in POLNEAR_FILES),
        folder / "missing.txt",
    ]
    runs = {}
    for workers in (1, 2):
        out = folder / f"workers-{workers}.jsonl"
        args = ("analyze", *map(str, inputs), "--format", "jsonl", "--out", str(out), "--workers", str(workers))
        result, processes = run_watching_workers(*args, log=folder / f"workers-{workers}.log")
        runs[workers] = (result, out.read_text(encoding="utf-8"), processes)
    return {"runs": runs, "bad": [empty, binary, folder / "missing.txt"], "inputs": inputs}


def test_two_workers_write_what_one_process_writes(batch: dict[str, object]) -> None:
    runs = batch["runs"]
    assert isinstance(runs, dict)
    (one, one_out, one_workers), (two, two_out, two_workers) = runs[1], runs[2]
    assert not one_workers and len(two_workers) == 2  # one process alone, then two workers
    assert one.returncode == two.returncode == 1, two.stderr  # the bad inputs
    assert "Traceback" not in one.stderr + two.stderr
    assert two_out == one_out  # byte for byte: every layer, every confidence, the same order
    documents = [json.loads(line) for line in two_out.splitlines()]
    assert len(documents) == 7  # the example, two JSONL records, the seed and three PolNeAR articles
    sources = [document["source"] for document in documents]
    assert sources[0].endswith("minister-warns.txt") and sources[3].endswith(SEED.name)
    assert [Path(s).name for s in sources[4:]] == list(POLNEAR_FILES)  # input order kept
    assert all(document["techniques"] is not None and document["actors"] for document in documents)


def test_bad_input_among_good_is_one_line_and_the_rest_goes_on(batch: dict[str, object]) -> None:
    runs, bad = batch["runs"], batch["bad"]
    assert isinstance(runs, dict) and isinstance(bad, list)
    one, two = runs[1][0], runs[2][0]
    lines = error_lines(two.stderr)
    assert len(lines) == len(bad), two.stderr
    for line, path in zip(lines, bad, strict=True):  # one line each, in input order
        assert line.startswith(f"presslens: error: {path}: "), line
    assert lines == error_lines(one.stderr)  # the same messages as one process gives
    assert "presslens: 7 analysed, 3 failed" in two.stderr


@pytest.mark.parametrize("workers", ["0", "-2"])
def test_workers_below_one_is_refused_in_one_line(workers: str) -> None:
    result = presslens("analyze", str(EXAMPLES / "minister-warns.txt"), "--workers", workers)
    assert result.returncode == 2
    assert result.stdout == ""
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines == [f"presslens: error: --workers: {workers} is not a number of processes (1 or more)"]
