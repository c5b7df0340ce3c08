"""The shared encoder pass on ONNX Runtime: ``OnnxWindowEncoder``, a ``WindowEncoder`` whose
body is an int8 ONNX model (``presslens.techniques.model.load_technique_encoder`` with
``runtime="onnx"``).

The body is the float32 body exported with ``torch.onnx.export`` (``input_ids`` and
``attention_mask`` → ``last_hidden_state``, any batch and length), optionally fused by ONNX
Runtime's BERT optimiser (one ``Attention`` node a layer, which needs the eager attention of
transformers at export; off by default) and quantised by
``onnxruntime.quantization.quantize_dynamic``: int8 weights, one range per output channel,
with ``reduce_range`` (7-bit products, which avoid the overflow of the AVX2 int8 kernels on
CPUs without VNNI), activations quantised dynamically, one range per session call.
So that a document's states never depend on the documents encoded with it, every call holds
the windows of one *run*, as in ``WindowEncoder``: at most ``RUN_WINDOWS`` consecutive windows
of one document.

The .onnx file is derived from the model's weights: it is built on first use (about 15 s) and
kept outside git, under ``default_cache_dir()/onnx/<key>/``, where the key is the sha256 of the
source files, the build settings and the versions of the tools that build it; a manifest
beside it records the file's sha256, checked at every load (a file that fails the check is
rebuilt). ``make setup`` builds it ahead::

    python -m presslens.encoder.onnx prepare
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import sys
import tempfile
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import torch
from torch import nn

from presslens.encoder.bases import default_cache_dir, sha256_file
from presslens.encoder.encoding import Encoding
from presslens.encoder.transformer import RUN_WINDOWS
from presslens.encoder.windows import EncodedArticle, batch_windows, encode
from presslens.errors import ModelError
from presslens.models.loader import ENCODER, TECHNIQUE_ENCODER, load_model

if TYPE_CHECKING:
    from onnxruntime import InferenceSession
    from tokenizers import Tokenizer

log = logging.getLogger(__name__)

ONNX_RUNTIME = "onnx"  # the value of the technique encoder's loader option ``runtime`` that selects this

BODY_FILE = "body.onnx"
MANIFEST = "presslens-onnx.json"
RECIPE = 1  # raise when the build below changes what it writes: the key then names a new folder
OPSET = 17
INPUTS = ("input_ids", "attention_mask")
OUTPUT = "last_hidden_state"
# The packages whose versions are part of the key: each changes the file built.
BUILD_PACKAGES = ("torch", "transformers", "onnx", "onnxruntime")


@dataclass(frozen=True)
class OnnxSettings:
    """How the ONNX body is built. ``quantise``: int8 weights (else the float32 export);
    ``per_channel``: one weight range per output channel (else per tensor); ``fuse``: ONNX
    Runtime's BERT fusions (attention, embeddings, layer norms) before quantising. The
    defaults were chosen on the PTC dev articles (benchmarks/experiments/onnx_encoder.py,
    2 threads): per channel, 2.5-3.2x torch int8's words/s (medians of two runs) with states
    3-4x closer to float32 than per tensor (largest piece-probability gap 0.12 against 0.52;
    torch int8: 0.39); the fusions were no faster within the noise and a little further from
    float32, so the plain export stays."""

    quantise: bool = True
    per_channel: bool = True
    fuse: bool = False

    def label(self) -> str:
        if not self.quantise:
            return f"float32{' fused' if self.fuse else ''}"
        return f"int8{' fused' if self.fuse else ''}{' per-channel' if self.per_channel else ''}"


def cache_key(sources: Sequence[Path], settings: OnnxSettings) -> str:
    """The sha256 of the source files' contents, the settings, the recipe and the tools' versions."""
    described = {
        "sources": [sha256_file(path) for path in sources],
        "settings": asdict(settings),
        "recipe": RECIPE,
        "opset": OPSET,
        "packages": {name: _version(name) for name in BUILD_PACKAGES},
    }
    return hashlib.sha256(json.dumps(described, sort_keys=True).encode()).hexdigest()


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "missing"


def prepared_body(
    sources: Sequence[Path],
    float_body: Callable[[], nn.Module],
    settings: OnnxSettings,
    cache: Path | None = None,
) -> Path:
    """The ONNX body built from ``sources`` (files whose contents fix the weights) with
    ``settings``: the cached file when it is there and whole, else built now from
    ``float_body()`` (a float32 body of its own: the build may switch its attention
    implementation) and cached. Written atomically (temporary names, then renames), so a
    reader never sees half a file; two processes that build at once both write whole files."""
    folder = (cache or default_cache_dir()) / "onnx" / cache_key(sources, settings)
    path = folder / BODY_FILE
    if _is_whole(folder):
        return path
    # A warning, so that it shows wherever the first use is (`make setup` builds it ahead).
    log.warning("building the ONNX encoder body (%s, once, about 15 s) in %s", settings.label(), folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=folder, prefix=".build-") as scratch:
            built = _build(float_body(), Path(scratch), settings)
            digest = sha256_file(built)
            os.replace(built, path)
        manifest = {"settings": asdict(settings), "sha256": digest, "sources": [str(s) for s in sources]}
        _write_atomically(folder / MANIFEST, json.dumps(manifest, indent=2) + "\n")
    except OSError as error:
        raise ModelError(f"the ONNX encoder body cannot be written to {folder}: {error}") from error
    except ImportError as error:
        raise ModelError(
            f"building the ONNX encoder body needs {error.name}, which is not installed: run `make setup`"
        ) from error
    return path


def _is_whole(folder: Path) -> bool:
    """Whether ``folder`` holds a body whose sha256 is the one its manifest recorded."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        whole = bool(manifest.get("sha256") == sha256_file(folder / BODY_FILE))
    except (OSError, ValueError, AttributeError):
        return False
    if not whole:
        log.warning("the cached ONNX encoder body in %s is damaged: rebuilding it", folder)
    return whole


def _write_atomically(path: Path, text: str) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
        os.chmod(temporary, 0o644)  # mkstemp's file is the owner's only; the cache is readable by all
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


class _HiddenStates(nn.Module):
    """The body as the exporter sees it: two tensors in, the last hidden states out."""

    def __init__(self, body: nn.Module) -> None:
        super().__init__()
        self.body = body

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        return self.body(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state


def _build(body: nn.Module, scratch: Path, settings: OnnxSettings) -> Path:
    """Export, fuse and quantise ``body`` in ``scratch``; the path of the final file."""
    # onnx and onnxruntime only here: they are needed to build, not to import presslens.
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    body = body.eval()
    pretrained = cast(Any, body)  # a transformers model: its config and attention are not nn.Module's
    hidden_size, heads = int(pretrained.config.hidden_size), int(pretrained.config.num_attention_heads)
    if settings.fuse:
        # ONNX Runtime's attention fusion recognises the graph of eager attention, not of SDPA
        # (the float32 states agree within 1e-5).
        pretrained.set_attn_implementation("eager")
    exported = scratch / "float32.onnx"
    example = torch.ones((2, 16), dtype=torch.long)
    axes = {"batch": 0, "length": 1}
    dynamic_axes = {name: {index: axis for axis, index in axes.items()} for name in (*INPUTS, OUTPUT)}
    with warnings.catch_warnings(), torch.inference_mode():
        # The TorchScript exporter (dynamo=False) needs no onnxscript; its deprecation notice is noise here.
        warnings.simplefilter("ignore")
        torch.onnx.export(
            _HiddenStates(body),
            (example, example),
            str(exported),
            dynamo=False,
            input_names=list(INPUTS),
            output_names=[OUTPUT],
            dynamic_axes=dynamic_axes,
            opset_version=OPSET,
        )
    if settings.fuse:
        from onnxruntime.transformers.optimizer import optimize_model

        fused = scratch / "fused.onnx"
        with _quiet_root_logger():
            optimize_model(
                str(exported), model_type="bert", num_heads=heads, hidden_size=hidden_size, opt_level=1
            ).save_model_to_file(str(fused))
        exported = fused
    if not settings.quantise:
        return exported
    quantised = scratch / "int8.onnx"
    with _quiet_root_logger():
        quantize_dynamic(
            str(exported),
            str(quantised),
            weight_type=QuantType.QInt8,
            per_channel=settings.per_channel,
            reduce_range=True,
            # The fused nodes are of ONNX Runtime's own domain, whose outputs shape inference cannot type.
            extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
        )
    return quantised


@contextmanager
def _quiet_root_logger() -> Iterator[None]:
    """Silences the root logger while ONNX Runtime's tools log their advice to it, and keeps
    their ``logging.warning`` calls from configuring the root logger of the process."""
    root = logging.getLogger()
    level, handlers = root.level, root.handlers[:]
    if not handlers:
        root.addHandler(logging.NullHandler())
    root.setLevel(logging.ERROR)
    try:
        yield
    finally:
        root.setLevel(level)
        root.handlers[:] = handlers


def open_session(path: Path, threads: int | None = None, spinning: bool = False) -> InferenceSession:
    """An ONNX Runtime CPU session over ``path`` with ``threads`` (default: torch's) threads;
    ``spinning``: its threads busy-wait for work between calls (ONNX Runtime's default)."""
    try:
        import onnxruntime
    except ImportError as error:
        raise ModelError("the ONNX encoder needs onnxruntime, which is not installed: run `make setup`") from error
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads or torch.get_num_threads()
    options.inter_op_num_threads = 1
    options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
    # No busy-waiting between calls: the encoder shares the cores with spaCy and the other stages.
    options.add_session_config_entry("session.intra_op.allow_spinning", "1" if spinning else "0")
    options.log_severity_level = 3  # errors only: its warnings about unused initialisers are noise
    try:
        return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except Exception as error:  # onnxruntime raises its own exception types, not one base class
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise ModelError(f"the ONNX encoder body {path} cannot be loaded: {reason}") from error


class OnnxWindowEncoder:
    """``WindowEncoder``'s interface (``name``, ``pieces``, ``encode``, ``tokenizer``,
    ``cls_id``, ``sep_id``) over an ONNX Runtime session; one session call per run of a
    document's windows (see the module's docstring)."""

    def __init__(
        self, session: InferenceSession, tokenizer: Tokenizer, special_ids: tuple[int, int], name: str, path: Path
    ) -> None:
        inputs = sorted(i.name for i in session.get_inputs())
        if inputs != sorted(INPUTS):
            raise ModelError(f"the ONNX encoder body {path} takes {inputs}, not {list(INPUTS)}")
        self.session = session
        self.tokenizer = tokenizer
        self.cls_id, self.sep_id = special_ids
        self._name = name
        self.path = path

    @property
    def name(self) -> str:
        return self._name

    def pieces(self, text: str) -> EncodedArticle:
        return encode(self.tokenizer, text)

    def encode(self, texts: Sequence[str]) -> list[Encoding]:
        encodings = []
        for article in (self.pieces(text) for text in texts):
            if not len(article.ids):
                encodings.append(Encoding(self.name, article, [], torch.zeros((0, 0, 0))))
                continue
            ids, mask, ranges = batch_windows(article, self.cls_id, self.sep_id)
            runs = [
                self._states(ids[f : f + RUN_WINDOWS], mask[f : f + RUN_WINDOWS])
                for f in range(0, len(ids), RUN_WINDOWS)
            ]
            encodings.append(Encoding(self.name, article, ranges, torch.from_numpy(np.concatenate(runs))))
        return encodings

    def _states(self, ids: torch.Tensor, mask: torch.Tensor) -> np.ndarray:
        feed: dict[str, Any] = {"input_ids": ids.numpy(), "attention_mask": mask.numpy()}
        (hidden,) = self.session.run([OUTPUT], feed)
        return np.asarray(hidden, dtype=np.float32)


def load_onnx_encoder(
    sources: Sequence[Path],
    float_body: Callable[[], nn.Module],
    tokenizer: Tokenizer,
    special_ids: tuple[int, int],
    name: str,
    settings: OnnxSettings | None = None,
    cache: Path | None = None,
) -> OnnxWindowEncoder:
    """The ONNX encoder of the weights in ``sources`` (see ``prepared_body``), named ``name``."""
    settings = settings or OnnxSettings()
    path = prepared_body(sources, float_body, settings, cache)
    return OnnxWindowEncoder(open_session(path), tokenizer, special_ids, name, path)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m presslens.encoder.onnx", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    prepare = commands.add_parser("prepare", help="build the ONNX body of the default technique encoder, if absent")
    prepare.add_argument("--technique-model", help="the technique model (default: the registry's default)")
    prepare.add_argument("--folder", type=Path, help="the technique model's folder (default: the packaged one)")
    arguments = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    options: dict[str, Any] = {"runtime": ONNX_RUNTIME}
    if arguments.technique_model:
        options["technique_model"] = arguments.technique_model
    if arguments.folder:
        options["folder"] = arguments.folder
    try:
        encoder = load_model(ENCODER, TECHNIQUE_ENCODER, **options)
    except ModelError as error:
        print(f"presslens.encoder.onnx: error: {error}", file=sys.stderr)
        return 1
    # Not isinstance: run with -m, this module is __main__, whose class is another object.
    if encoder is None:
        print("presslens.encoder.onnx: the technique model reads no shared encoder states: nothing to build")
        return 0
    print(f"ONNX encoder ready: {encoder.path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
