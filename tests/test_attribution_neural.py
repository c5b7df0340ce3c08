"""The neural attribution tagger: its CRF layer against brute force, the token states it reads,
and a small training run end to end (PolNeAR articles, the shared encoder, the extractor)."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import numpy as np
import pytest
import torch

from presslens.attribution.neural import (
    TAGS,
    TagCRF,
    allowed_transitions,
    feature_ids,
)
from presslens.encoder.encoding import Encoding
from presslens.encoder.windows import EncodedArticle

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "polnear"


@torch.no_grad()
def _path_score(crf: TagCRF, emissions: torch.Tensor, path: tuple[int, ...]) -> float:
    transitions, start = crf._scores()
    total = start[path[0]] + emissions[0, path[0]]
    for t in range(1, len(path)):
        total = total + transitions[path[t - 1], path[t]] + emissions[t, path[t]]
    return float(total + crf.end[path[-1]])


def _random_crf(seed: int) -> TagCRF:
    torch.manual_seed(seed)
    crf = TagCRF()
    with torch.no_grad():
        crf.transitions.normal_()
        crf.start.normal_()
        crf.end.normal_()
    return crf


def test_bio_forbids_an_inside_tag_after_another_role() -> None:
    allowed, start = allowed_transitions()
    index = {t: i for i, t in enumerate(TAGS)}
    assert not allowed[index["O"], index["I-S"]]
    assert not allowed[index["B-C"], index["I-Q"]]
    assert allowed[index["B-Q"], index["I-Q"]] and allowed[index["I-Q"], index["I-Q"]]
    assert allowed[index["I-S"], index["B-C"]] and allowed[index["O"], index["B-Q"]]
    assert not start[index["I-C"]] and start[index["B-C"]] and start[index["O"]]


def test_crf_likelihood_decoding_and_marginals_match_brute_force() -> None:
    crf = _random_crf(3)
    length = 4
    emissions = torch.randn(length, len(TAGS))
    paths = list(itertools.product(range(len(TAGS)), repeat=length))
    scores = np.array([_path_score(crf, emissions, p) for p in paths])
    log_partition = float(np.logaddexp.reduce(scores))
    gold = (1, 2, 0, 5)  # B-S I-S O B-Q
    nll = crf.negative_log_likelihood(
        emissions.unsqueeze(0), torch.tensor([gold]), torch.ones((1, length), dtype=torch.bool)
    )
    assert math.isclose(
        float(nll.detach()), log_partition - _path_score(crf, emissions, gold), rel_tol=1e-4, abs_tol=1e-4
    )
    path, marginals = crf.decode(emissions)
    assert tuple(path) == paths[int(np.argmax(scores))]
    probabilities = np.exp(scores - log_partition)
    for t in range(length):
        for tag in range(len(TAGS)):
            expected = probabilities[[p[t] == tag for p in paths]].sum()
            assert math.isclose(marginals[t, tag], expected, abs_tol=1e-5)
    # The best path never breaks BIO, even where the emissions ask for it.
    wrong = torch.full((3, len(TAGS)), -5.0)
    wrong[:, TAGS.index("I-C")] = 5.0
    decoded = [TAGS[i] for i in crf.decode(wrong)[0]]
    assert decoded[0] != "I-C" and decoded[0] in ("B-C", "O", "B-S", "B-Q")


def test_padding_does_not_change_the_likelihood() -> None:
    crf = _random_crf(5)
    emissions = torch.randn(1, 3, len(TAGS))
    tags = torch.tensor([[3, 4, 0]])
    alone = crf.negative_log_likelihood(emissions, tags, torch.ones((1, 3), dtype=torch.bool))
    padded = torch.cat([emissions, torch.randn(1, 2, len(TAGS))], dim=1)
    mask = torch.tensor([[True, True, True, False, False]])
    with_padding = crf.negative_log_likelihood(padded, torch.tensor([[3, 4, 0, 0, 0]]), mask)
    assert math.isclose(float(alone), float(with_padding), rel_tol=1e-5)


def test_span_states_average_pieces_and_overlapping_windows() -> None:
    # Pieces: "ab" [0,2), "cd" [3,5), "##e" [5,6); windows [0,2) and [1,3) read piece 1 twice.
    pieces = EncodedArticle(np.array([7, 8, 9]), np.array([0, 3, 5]), np.array([2, 5, 6]))
    hidden = torch.zeros((2, 4, 2))
    hidden[0, 1] = torch.tensor([1.0, 0.0])  # piece 0
    hidden[0, 2] = torch.tensor([2.0, 2.0])  # piece 1, first window
    hidden[1, 1] = torch.tensor([4.0, 0.0])  # piece 1, second window
    hidden[1, 2] = torch.tensor([6.0, 6.0])  # piece 2
    encoding = Encoding("test", pieces, [(0, 2), (1, 3)], hidden)
    np.testing.assert_allclose(encoding.piece_states(), [[1, 0], [3, 1], [6, 6]])
    spans = encoding.span_states(np.array([0, 3, 2, 3]), np.array([2, 6, 3, 4]))
    np.testing.assert_allclose(spans, [[1, 0], [4.5, 3.5], [0, 0], [3, 1]])


def test_feature_hashing_is_stable_and_weighted() -> None:
    ids, weights, offsets = feature_ids([{"w=said": 1.0, "bias": 1.0}, {"cue_dist": 0.5}], 1 << 18)
    again, _, _ = feature_ids([{"w=said": 1.0, "bias": 1.0}, {"cue_dist": 0.5}], 1 << 18)
    assert list(offsets) == [0, 2, 3] and list(weights) == [1.0, 1.0, 0.5]
    assert list(ids) == list(again) and all(0 <= i < 1 << 18 for i in ids)


def test_the_hashing_cache_stays_bounded_and_clearing_it_changes_no_id(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from presslens.attribution import neural

    monkeypatch.setattr(neural, "_BUCKETS", {})
    monkeypatch.setattr(neural, "_MOST_CACHED", 8)
    # The bound is checked once a call (a paragraph's names are few): one name a call here.
    rows = [{f"w=token{i}": 1.0} for i in range(30)]
    first = [int(feature_ids([row], 1 << 18)[0][0]) for row in rows]
    assert 0 < len(neural._BUCKETS[1 << 18]) <= 8
    second = [int(feature_ids([row], 1 << 18)[0][0]) for row in reversed(rows)]
    assert second == first[::-1] and len(set(first)) > 1


def test_a_saved_network_loads_back_in_float32_with_its_float16_weights(tmp_path: Path) -> None:
    from presslens.attribution.neural import AttributionNetwork, NetworkShape, load_network, save_network

    torch.manual_seed(0)
    network = AttributionNetwork(NetworkShape(state_size=8, feature_buckets=64, feature_size=4, projection=8, hidden=4))
    save_network(network, tmp_path, {"note": "test"})
    loaded, config = load_network(tmp_path)
    assert config["note"] == "test" and config["shape"]["feature_buckets"] == 64
    saved = network.state_dict()
    for name, value in loaded.state_dict().items():
        if value.is_floating_point():
            assert value.dtype == torch.float32
            assert torch.equal(value, saved[name].half().float()), name


@pytest.mark.skipif(not DATA.exists(), reason="PolNeAR is not in ../shared/data")
def test_a_small_neural_tagger_trains_loads_and_finds_attributions(tmp_path: Path) -> None:
    from presslens.attribution.neural_train import NeuralTrainConfig, run_neural_training
    from presslens.attribution.stage import load_tagger
    from presslens.models.loader import spacy_model

    config = NeuralTrainConfig(epochs=2, limit_articles=30, threads=1, cache=str(tmp_path / "cache"))
    summary = run_neural_training(DATA, tmp_path / "model", config)
    assert (
        len(summary["history"]) == 2
        and summary["history"][1]["loss_per_token"] < summary["history"][0]["loss_per_token"]
    )
    assert set(summary["dev"]) >= {"exact_source", "exact_cue", "exact_content", "attribution"}
    # A second run reads the parses and states from the cache.
    assert len(list((tmp_path / "cache").glob("*.pkl"))) == 2
    tagger = load_tagger("neural", tmp_path / "model")
    text = (
        'The minister said on Monday that the plan would go ahead. "We will not back down," she told reporters.\n\n'
        "According to the union, the strike will last a week."
    )
    found = tagger.extract(spacy_model("md")(text))
    for attribution in found:
        for start, end in (*attribution.cue, *attribution.content, *(attribution.source or ())):
            assert 0 <= start < end <= len(text) and text[start:end].strip() == text[start:end]


def test_analyze_offers_the_fast_and_the_accurate_tagger(tmp_path: Path) -> None:
    """`--attribution fast` is the CRF, `accurate` (the default) the neural tagger; both give
    attributions whose spans are characters of the text."""
    import json

    from .conftest import EXAMPLES
    from .test_cli import presslens

    results = {}
    for choice in ("fast", "accurate", None):
        out = tmp_path / f"{choice}.json"
        args = ["analyze", str(EXAMPLES / "minister-warns.txt"), "--format", "json", "--out", str(out)]
        result = presslens(*args, *(["--attribution", choice] if choice else []))
        assert result.returncode == 0, result.stderr
        document = json.loads(out.read_text(encoding="utf-8"))
        for attribution in document["attributions"]:
            for span in (*attribution["cue"], *attribution["content"], *attribution["source"]):
                assert document["text"][span["start"] : span["end"]] == span["text"]
        results[choice] = [(a["cue"][0]["start"], a["content"][0]["start"]) for a in document["attributions"]]
    assert results["accurate"] and results["fast"]
    assert results[None] == results["accurate"]
    bad = presslens("analyze", str(EXAMPLES / "minister-warns.txt"), "--attribution", "best")
    assert bad.returncode == 2 and "best" in bad.stderr and "Traceback" not in bad.stderr


def test_the_neural_tagger_refuses_another_encoders_states() -> None:
    from presslens.attribution.stage import load_tagger
    from presslens.errors import ModelError
    from presslens.models.loader import spacy_model

    tagger = load_tagger("neural")
    parsed = spacy_model("sm")("The minister said the plan would go ahead.")
    pieces = EncodedArticle(np.array([1]), np.array([0]), np.array([3]))
    foreign = Encoding("another encoder", pieces, [(0, 1)], torch.zeros((1, 3, 384)))
    with pytest.raises(ModelError, match="another encoder"):
        tagger.extract(parsed, foreign)


def test_features_hash_as_crfsuite_spells_them() -> None:
    """A string value is the feature name=value (what the CRF reads), a number its weight."""
    import zlib

    ids, weights, _ = feature_ids([{"w": "said", "cue_dist": 0.5}], 1 << 18)
    assert list(ids) == [zlib.crc32(b"w=said") % (1 << 18), zlib.crc32(b"cue_dist") % (1 << 18)]
    assert list(weights) == [1.0, 0.5]


def test_a_batch_decodes_as_each_sequence_alone() -> None:
    crf = _random_crf(11)
    lengths = np.array([5, 2, 1])
    emissions = torch.randn(3, 5, len(TAGS))
    paths, marginals = crf.decode_batch(emissions, lengths)
    for row, length in enumerate(lengths):
        alone_path, alone_marginals = crf.decode(emissions[row, :length])
        assert paths[row] == alone_path
        np.testing.assert_allclose(marginals[row], alone_marginals, atol=1e-9)
        assert marginals[row].shape == (length, len(TAGS))


def test_a_participle_that_shows_a_scene_is_no_cue() -> None:
    from presslens.attribution.extract import shows_a_scene
    from presslens.attribution.types import FoundAttribution
    from presslens.models.loader import spacy_model

    def cue_at(text: str, word: str) -> FoundAttribution:
        start = text.index(word)
        return FoundAttribution(None, ((start, start + len(word)),), ((start + len(word) + 1, len(text) - 1),), 1.0)

    nlp = spacy_model("md")
    scene = "A video showing the protesters holding placards shows that it is valued."
    assert shows_a_scene(nlp(scene), cue_at(scene, "showing"))
    claim = "A poll showing that the senator leads was published on Monday."
    assert not shows_a_scene(nlp(claim), cue_at(claim, "showing"))
    said = "The minister said that the plan would go ahead."
    assert not shows_a_scene(nlp(said), cue_at(said, "said"))
