"""The command line, run as a user runs it: one line per bad input, never a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import EXAMPLES, SEED, need

EXAMPLE = EXAMPLES / "minister-warns.txt"


def presslens(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "100"}
    return subprocess.run(
        [sys.executable, "-m", "presslens", *args],
        input=stdin.decode() if stdin is not None else None,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


def test_analyze_json_single(tmp_path: Path) -> None:
    out = tmp_path / "a.json"
    result = presslens("analyze", str(EXAMPLE), "--format", "json", "--out", str(out))
    assert result.returncode == 0, result.stderr
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["title"] == "Harbour Minister Warns of Port Strike Fallout"
    names = {a["name"] for a in data["actors"]}
    assert {"Elena Marsh", "Tomas Brandt", "Ines Brandt", "National Dockworkers Federation"} <= names


def test_analyze_text_view() -> None:
    result = presslens("analyze", str(need(SEED)))
    assert result.returncode == 0, result.stderr
    assert "Iranian Regime Fearful of MEK Influence" in result.stdout
    assert "labour minister" in result.stdout and "Ali Rabiei" in result.stdout
    assert "Exit mobile version" not in result.stdout.split("removed", 2)[-1].split("\n", 1)[1]


def test_batch_goes_on_and_reports(tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    binary = tmp_path / "x.txt"
    binary.write_bytes(bytes(range(256)) * 4)
    out = tmp_path / "out.jsonl"
    result = presslens(
        "analyze",
        *(str(p) for p in (EXAMPLE, empty, tmp_path / "missing.txt", binary, EXAMPLES / "two-articles.jsonl")),
        *("--format", "jsonl", "--out", str(out), "--model", "sm"),
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 3  # the example and the two JSONL records
    assert "3 analysed, 3 failed" in result.stderr
    for name in (str(empty), "missing.txt", str(binary)):
        assert f"presslens: error: {name}" in result.stderr or name in result.stderr


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "empty"),
        (b"\x00\x01\x02" * 100, "binary"),
        (
            "Der Stadtrat hat am Montag beschlossen, den Hafen zu erweitern und Arbeitsplätze zu schaffen.".encode(),
            "not English",
        ),
    ],
)
def test_single_bad_input_is_one_line(tmp_path: Path, content: bytes, reason: str) -> None:
    path = tmp_path / "bad.txt"
    path.write_bytes(content)
    result = presslens("analyze", str(path), "--format", "json")
    assert result.returncode == 1
    assert result.stdout == ""
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"presslens: error: {path}: ") and reason in lines[0]


def test_stdin_and_schema() -> None:
    result = presslens("analyze", "-", "--format", "jsonl", "--model", "sm", stdin=EXAMPLE.read_bytes())
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["source"] == "<stdin>"
    schema = presslens("schema")
    assert json.loads(schema.stdout)["title"].startswith("presslens Document")


def test_any_language_flag(tmp_path: Path) -> None:
    path = tmp_path / "de.txt"
    path.write_text("Der Stadtrat hat am Montag beschlossen, den Hafen zu erweitern und Arbeitsplätze zu schaffen.")
    result = presslens("analyze", str(path), "--format", "json", "--any-language", "--model", "sm")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["language"] == "de"
