"""Shared by packaging/lock and packaging/build-bundle (connected build host only; never on the target).

This folder is not a Python package on purpose: a package named `packaging` would shadow the PyPA library.
The scripts import this module from their own folder (Python puts a script's folder first on sys.path).
"""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
LOCK_DIR = HERE / "locks"
MODELS_LOCK = HERE / "requirements-models.txt"

# The pip that the target venv gets, and that install-offline runs straight from its wheel.
PIP_PIN = "pip==26.3"

# Supported targets (Linux x86_64). CUDA: PyPI's torch is the CUDA build (it pulls the nvidia-* wheels);
# bitsandbytes' one manylinux wheel carries its CUDA kernels; onnxruntime-gpu / onnxruntime-genai-cuda are
# already what pyproject pins. CPU: the +cpu build of the same torch version (no nvidia-* wheels), from the
# PyTorch CPU index or a find-links folder (here: /opt/wheels through pip's configuration).
PROFILES = ("cpu", "cuda")
PYTHONS = ("3.11", "3.12")
DEFAULT_GLIBC = "2.28"  # manylinux_2_28: RHEL/Rocky 8, Ubuntu 20.04, Debian 11 and newer


@dataclass(frozen=True)
class Pin:
    name: str
    version: str
    hashes: tuple[str, ...]


def norm(name: str) -> str:
    """PEP 503 normalised project name."""
    return re.sub(r"[-_.]+", "-", name).lower()


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def lock_path(profile: str, python: str) -> Path:
    return LOCK_DIR / f"{profile}-py{python.replace('.', '')}.txt"


def platform_args(python: str, glibc: str = DEFAULT_GLIBC) -> list[str]:
    """pip's --platform does not expand manylinux_2_X to older glibc tags: list them all."""
    major, minor = (int(x) for x in glibc.split("."))
    if major != 2 or minor < 17:
        raise SystemExit(f"unsupported glibc {glibc}: give 2.17 or newer")
    plats = [f"manylinux_2_{y}_x86_64" for y in range(minor, 16, -1)]
    plats += ["manylinux2014_x86_64", "manylinux2010_x86_64", "manylinux1_x86_64"]
    abi = "cp" + python.replace(".", "")
    args = ["--only-binary=:all:", "--python-version", python, "--implementation", "cp", "--abi", abi]
    for p in plats:
        args += ["--platform", p]
    return args


def project() -> dict:
    with open(REPO / "pyproject.toml", "rb") as f:
        return tomllib.load(f)["project"]


def lock_inputs(profile: str) -> list[str]:
    """The top-level requirements a profile resolves: pyproject's pins (+cpu torch for CPU) and pip."""
    if profile not in PROFILES:
        raise SystemExit(f"unknown profile {profile!r}: one of {', '.join(PROFILES)}")
    reqs = []
    for req in project()["dependencies"]:
        m = re.fullmatch(r"torch\s*==\s*([^\s;+]+)", req)
        if m and profile == "cpu":
            req = f"torch=={m.group(1)}+cpu"
        elif m:  # `==X` also matches a local `X+cpu` from a find-links folder: keep the CUDA build
            req = f"torch=={m.group(1)},!={m.group(1)}+cpu"
        reqs.append(req)
    return [*reqs, PIP_PIN]


def parse_lock(path: Path) -> list[Pin]:
    """`name==version --hash=sha256:...` entries (continuation lines joined, comments dropped)."""
    text = re.sub(r"\\\n", " ", path.read_text("utf-8"))
    pins = []
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        m = re.match(r"([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)\s*(.*)", line)
        if not m:
            raise SystemExit(f"{path}: cannot read lock line {raw!r}")
        hashes = tuple(re.findall(r"--hash=sha256:([0-9a-f]{64})", m.group(3)))
        if not hashes:
            raise SystemExit(f"{path}: {m.group(1)} has no --hash=sha256")
        pins.append(Pin(norm(m.group(1)), m.group(2), hashes))
    return pins


def run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    print("+", " ".join(str(c) for c in cmd), file=sys.stderr, flush=True)
    return subprocess.run([str(c) for c in cmd], check=True, **kw)
