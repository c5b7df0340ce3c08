"""The shipped technique model: loads offline, marks the seed's loaded passages, keeps offsets."""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from presslens.document import Document
from presslens.models.loader import registry
from presslens.techniques.boundaries import FUNCTION_POS, at_word_boundary
from presslens.techniques.explanations import TECHNIQUE_INFO
from presslens.techniques.model import (
    DEFAULT_MODEL_DIR,
    EncoderTechniquePredictor,
    load_predictor,
    load_technique_predictor,
)
from presslens.techniques.predictor import CONFIG_FILE
from presslens.techniques.ptc import parse_si, parse_tc

from .conftest import DATA, assert_offsets, need

pytestmark = pytest.mark.skipif(not (DEFAULT_MODEL_DIR / CONFIG_FILE).exists(), reason="no shipped model")


def test_model_loads_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the technique model tried to reach the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    from presslens.techniques.predictor import EncoderTechniqueNetwork

    predictor = EncoderTechniqueNetwork.load(DEFAULT_MODEL_DIR)
    assert len(predictor.techniques) == 14
    analysis = predictor.read("They are traitors and liars who hate our great nation, and everybody knows it!")
    assert analysis.probabilities.shape == (len(analysis.encoded.ids),)
    assert load_predictor() is load_predictor()  # once per process
    # The stage's model (through the TechniquePredictor interface) is that same load.
    model = load_technique_predictor()
    assert isinstance(model, EncoderTechniquePredictor) and model.network is load_predictor()
    assert model.threshold == model.network.decoding.threshold
    # (Other tests of this process may load the torch runtime on purpose: another load.)
    assert sum(k.startswith("techniques:encoder:") and "runtime=torch" not in k for k in registry.load_seconds) == 1


def test_model_is_small_enough() -> None:
    size = sum(f.stat().st_size for f in DEFAULT_MODEL_DIR.rglob("*") if f.is_file())
    assert size < 100 * 1024 * 1024


LABELS = {"Loaded_Language", "Name_Calling,Labeling"}


def _flagged(document: Document, start: int, end: int) -> bool:
    return any(f.technique in LABELS and f.start < end and start < f.end for f in document.techniques)


def test_seed_regime_is_flagged_as_a_label(seed_document: Document) -> None:
    # PTC's annotators rarely mark "regime" (19 of its 154 uses in PTC), so the model alone does
    # not flag it: the designation rule does (presslens.techniques.designations).
    text = seed_document.text
    uses = list(re.finditer(r"\b[Tt]he (Iranian )?regime\b", text))
    flagged = [m for m in uses if _flagged(seed_document, m.start(), m.end())]
    assert len(uses) >= 7 and len(flagged) > 0.5 * len(uses), [m.group() for m in uses]
    assert any(f.origin == "rule" and "regime" in f.text for f in seed_document.techniques)
    # "Regime change" names a policy, not an actor: not a label.
    change = text.index("regime change")
    assert not any(f.origin == "rule" and f.start < change + 13 and change < f.end for f in seed_document.techniques)


def test_seed_smear_campaigns_is_flagged(seed_document: Document) -> None:
    start = seed_document.text.index("smear campaigns")
    assert _flagged(seed_document, start, start + len("smear campaigns"))


def test_seed_spans_end_at_word_boundaries_and_never_in_a_function_word(seed_document: Document) -> None:
    text = seed_document.text
    assert seed_document.techniques
    for finding in seed_document.techniques:
        assert at_word_boundary(text, finding.start) and at_word_boundary(text, finding.end), finding.text
        last = [t for t in seed_document.tokens if finding.start <= t.start and t.end <= finding.end][-1]
        assert last.end == finding.end and last.pos not in FUNCTION_POS, (finding.text, last.text, last.pos)


def test_seed_techniques(seed_document: Document) -> None:
    findings = seed_document.techniques
    assert findings, "no techniques found in the seed article"
    assert_offsets(seed_document)
    text = seed_document.text
    # Spans never run across a line break (title into body).
    assert not any("\n" in f.text for f in findings)
    # Quotes are not flagged wholesale: most quoted characters stay unmarked.
    quoted = [range(m.start(), m.end()) for m in re.finditer(r"“[^”]+”", text)]
    quoted_chars = {i for r in quoted for i in r}
    marked = {i for f in findings for i in range(f.start, f.end)}
    assert len(quoted_chars & marked) < 0.6 * len(quoted_chars)
    summary = seed_document.technique_summary
    assert summary is not None and 0 < summary.share_of_text < 1
    assert set(summary.explanations) == set(summary.counts) <= set(TECHNIQUE_INFO)
    for finding in findings:
        assert 0 <= finding.confidence <= finding.span_probability <= 1


def _ptc_sample(tmp_path: Path, count: int = 3) -> tuple[Path, Path]:
    ptc = need(DATA / "ptc")
    articles, labels = tmp_path / "articles", tmp_path / "labels"
    articles.mkdir()
    labels.mkdir()
    for path in sorted((ptc / "train-articles").glob("*.txt"))[:count]:
        shutil.copy(path, articles / path.name)
        label = ptc / "train-labels-task2-technique-classification" / f"{path.stem}.task2-TC.labels"
        shutil.copy(label, labels / label.name)
    return articles, labels


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "presslens", *args], capture_output=True, text=True, timeout=600)


def test_semeval_outputs(tmp_path: Path) -> None:
    articles, labels = _ptc_sample(tmp_path)
    texts = {p.stem.removeprefix("article"): p.read_text(encoding="utf-8") for p in articles.glob("*.txt")}
    si_out = tmp_path / "si.txt"
    assert _cli("ptc", "predict", "--task", "si", "--articles", str(articles), "--out", str(si_out)).returncode == 0
    si = parse_si(si_out.read_text(encoding="utf-8"))
    assert si and all(0 <= s.start < s.end <= len(texts[s.article_id]) for s in si)

    template = tmp_path / "template.txt"
    rows = "".join(p.read_text(encoding="utf-8") for p in sorted(labels.glob("*.labels")))
    template.write_text(rows, encoding="utf-8")
    tc_out = tmp_path / "tc.txt"
    result = _cli(
        *("ptc", "predict", "--task", "tc", "--articles", str(articles)),
        *("--template", str(template), "--out", str(tc_out)),
    )
    assert result.returncode == 0, result.stderr
    tc = parse_tc(tc_out.read_text(encoding="utf-8"))
    gold = parse_tc(rows)
    assert [(t.article_id, t.start, t.end) for t in tc] == [(g.article_id, g.start, g.end) for g in gold]
    assert {t.technique for t in tc} <= set(TECHNIQUE_INFO)

    flc_out = tmp_path / "flc.txt"
    assert _cli("ptc", "predict", "--task", "flc", "--articles", str(articles), "--out", str(flc_out)).returncode == 0
    assert parse_tc(flc_out.read_text(encoding="utf-8"))


def test_eval_command(tmp_path: Path) -> None:
    articles, labels = _ptc_sample(tmp_path)
    result = _cli("eval", "ptc", "--articles", str(articles), "--labels", str(labels), "--split", "all")
    assert result.returncode == 0, result.stderr
    assert "SI" in result.stdout and "TC" in result.stdout and "FLC" in result.stdout
