"""`presslens polnear predict` and `presslens eval polnear` on a few PolNeAR dev articles."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from presslens.attribution.polnear import read_text
from presslens.cli import main

from .conftest import DATA, need

DEV = DATA / "polnear" / "dev"
ARTICLES = 3


@pytest.fixture(scope="module")
def small_dev(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A PolNeAR-shaped folder with the first few dev articles (copied to a temporary folder)."""
    need(DEV)
    root = tmp_path_factory.mktemp("polnear")
    (root / "text").mkdir()
    (root / "attributions").mkdir()
    for path in sorted((DEV / "text").glob("*.txt"))[:ARTICLES]:
        shutil.copy(path, root / "text" / path.name)
        for ann in (DEV / "attributions").glob(f"{path.stem}_*.ann"):
            shutil.copy(ann, root / "attributions" / ann.name)
    return root


def test_predict_writes_one_line_per_article_with_valid_offsets(small_dev: Path, tmp_path: Path) -> None:
    out = tmp_path / "predictions.jsonl"
    result = CliRunner().invoke(main, ["polnear", "predict", "--text", str(small_dev / "text"), "--out", str(out)])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    names = sorted(p.stem for p in (small_dev / "text").glob("*.txt"))
    assert [line["doc"] for line in lines] == names
    found = 0
    for line in lines:
        text = read_text(small_dev / "text" / f"{line['doc']}.txt")
        for attribution in line["attributions"]:
            assert set(attribution) == {"source", "cue", "content"}
            assert attribution["cue"] and attribution["content"]
            for role in ("source", "cue", "content"):
                for start, end in attribution[role] or []:
                    assert 0 <= start < end <= len(text)
                    assert text[start:end].strip()
            found += 1
    assert found >= 5


def test_eval_prints_every_table(small_dev: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["eval", "polnear", "--text", str(small_dev / "text"), "--attributions", str(small_dev / "attributions")]
    )
    assert result.exit_code == 0, result.output
    assert f"{ARTICLES} articles" in result.output
    for heading in ("exact match", "character overlap", "one to one"):
        assert heading in result.output
    for role in ("source", "cue", "content", "attributions"):
        assert role in result.output


def test_eval_of_gold_predictions_is_perfect(small_dev: Path, tmp_path: Path) -> None:
    from presslens.attribution.polnear import load_polnear
    from presslens.attribution.scorer import gold_predictions, write_predictions

    gold = tmp_path / "gold.jsonl"
    write_predictions(gold_predictions(load_polnear(small_dev)), gold)
    result = CliRunner().invoke(
        main,
        [
            "eval",
            "polnear",
            "--text",
            str(small_dev / "text"),
            "--attributions",
            str(small_dev / "attributions"),
            "--predictions",
            str(gold),
        ],
    )
    assert result.exit_code == 0, result.output
    table_rows = [line for line in result.output.splitlines() if line.strip().startswith(("source", "cue", "content"))]
    assert table_rows and all("1.0000  1.0000  1.0000" in row for row in table_rows), result.output
