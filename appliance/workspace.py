"""The workspace folder: artifacts with content-hashed manifests, atomic writes, and a process lock.

Layout (ARCHITECTURE.md §3): datasets/, models/, runs/, exports/, audit/, keys/. Each artifact is a folder
`<kind-dir>/<id>/` with a `manifest.json`. An artifact is built in `.staging/<id>/` and renamed into place
only when complete, so a crash or a failed step never leaves a half-written artifact where readers look.

What is in `.staging/` can be raw (a dataset being prepared holds the source's records), so nothing may stay
there after the process that wrote it is gone. A failing step removes its own folder; what a killed process
(`kill -9`, the out-of-memory killer, a power cut) leaves is removed by `clean_staging()`, which runs under
the workspace lock each time an artifact is built. A folder in use is claimed by its process: an `flock` on
`.staging/<name>.owner` (which records the pid, for people), which the kernel releases when the process
dies, however it dies, and which a recycled pid cannot fake.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import fcntl
import hashlib
import json
import os
import secrets
import shutil
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from appliance import __version__
from appliance.errors import ApplianceError, BadInput, WorkspaceLocked

KIND_DIRS = {"dataset": "datasets", "model": "models", "run": "runs", "export": "exports", "study": "studies"}
ID_PREFIX = {"dataset": "ds", "model": "mdl", "run": "run", "export": "exp", "study": "hpo"}
MANIFEST = "manifest.json"
MANIFEST_VERSION = 1
STAGING = ".staging"
OWNER_SUFFIX = ".owner"
SECRET_BYTES = 32


def utc_now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def canonical_json(obj: Any) -> bytes:
    """Deterministic JSON bytes (sorted keys, no spaces, UTF-8): what hashes are computed over."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(path: Path | str, data: bytes | str) -> None:
    """Write `data` to `path` so that readers see either the old file or the whole new one.

    temp file in the same folder + fsync + rename + fsync of the folder.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(payload)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    fsync_dir(path.parent)


def write_json_atomic(path: Path | str, obj: Any) -> None:
    write_atomic(path, json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False) + "\n")


def _lock_file(path: Path, create: bool) -> int | None:
    """An open descriptor holding an exclusive `flock` on the file now at `path`; None when another open file
    holds it. With `create=False` a missing file raises FileNotFoundError.

    The file is checked to be still the one at `path` once locked (another process may have removed it between
    our open and our lock, after finding it unclaimed); if it is not, the lock is taken again on the new one.
    """
    while True:
        fd = os.open(path, os.O_RDWR | (os.O_CREAT if create else 0), 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
                return None
            raise
        try:
            now = os.stat(path)
        except FileNotFoundError:
            now = None
        held = os.fstat(fd)
        if now is not None and (now.st_dev, now.st_ino) == (held.st_dev, held.st_ino):
            return fd
        os.close(fd)
        if now is None and not create:
            raise FileNotFoundError(path)


def _remove_entry(path: Path) -> None:
    """Remove a file, link or folder tree (links are removed, never followed)."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def new_artifact_id(kind: str) -> str:
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")
    return f"{ID_PREFIX[kind]}-{stamp}-{secrets.token_hex(3)}"


@dataclass(frozen=True)
class InputRef:
    """An input of an artifact: another artifact (by id and manifest hash) or an outside file (by hash)."""

    kind: str
    id: str
    sha256: str

    def as_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "id": self.id, "sha256": self.sha256}


@dataclass
class Artifact:
    """A committed artifact folder and its manifest."""

    kind: str
    id: str
    path: Path
    manifest: dict[str, Any]

    @property
    def manifest_sha256(self) -> str:
        return sha256_file(self.path / MANIFEST)

    def ref(self) -> InputRef:
        return InputRef(self.kind, self.id, self.manifest_sha256)

    def file(self, name: str) -> Path:
        return self.path / name


@dataclass
class ArtifactBuilder:
    """An artifact under construction in the staging area. Stages write files into `path`."""

    kind: str
    id: str
    path: Path
    inputs: list[InputRef] = field(default_factory=list)
    config: dict[str, Any] = field(default_factory=dict)
    summary: dict[str, Any] = field(default_factory=dict)


def build_manifest(builder: ArtifactBuilder) -> dict[str, Any]:
    files = {}
    for p in sorted(builder.path.rglob("*")):
        if p.is_file() and p.name != MANIFEST:
            rel = p.relative_to(builder.path).as_posix()
            files[rel] = {"sha256": sha256_file(p), "size": p.stat().st_size}
    return {
        "manifest_version": MANIFEST_VERSION,
        "kind": builder.kind,
        "id": builder.id,
        "created": utc_now(),
        "tool": {"name": "compliance-appliance", "version": __version__},
        "inputs": [i.as_dict() for i in builder.inputs],
        "config": builder.config,
        "summary": builder.summary,
        "files": files,
    }


def verify_manifest(path: Path) -> list[str]:
    """Return the problems found (empty when every listed file exists with its recorded hash)."""
    manifest = json.loads((path / MANIFEST).read_text("utf-8"))
    problems = []
    for rel, meta in manifest["files"].items():
        f = path / rel
        if not f.is_file():
            problems.append(f"{rel}: missing")
        elif sha256_file(f) != meta["sha256"]:
            problems.append(f"{rel}: sha256 differs from the manifest")
    return problems


class Workspace:
    """A workspace folder. Create with `Workspace.open(path)`; it is created on first use."""

    def __init__(self, root: Path):
        self.root = root
        self._lock_depth = 0
        self._lock_fd: int | None = None
        self._thread_lock = threading.RLock()

    @classmethod
    def open(cls, root: Path | str | None = None) -> Workspace:
        if root is None:
            root = os.environ.get("APPLIANCE_HOME") or "workspace"
        path = Path(root).expanduser().resolve()
        if path.exists() and not path.is_dir():
            raise BadInput(f"workspace path {path} exists and is not a folder: choose another --workspace")
        try:
            for sub in (*KIND_DIRS.values(), "audit", STAGING):
                (path / sub).mkdir(parents=True, exist_ok=True)
            keys = path / "keys"
            keys.mkdir(exist_ok=True)
            os.chmod(keys, 0o700)
        except PermissionError as exc:
            raise ApplianceError(
                f"cannot create workspace {path}: {exc.strerror}; check permissions"
            ) from exc
        return cls(path)

    # ---- paths
    @property
    def audit_dir(self) -> Path:
        return self.root / "audit"

    @property
    def keys_dir(self) -> Path:
        return self.root / "keys"

    def kind_dir(self, kind: str) -> Path:
        return self.root / KIND_DIRS[kind]

    # ---- locking
    @contextlib.contextmanager
    def lock(self, timeout_s: float = 0.0) -> Iterator[None]:
        """Exclusive lock on the workspace across processes (re-entrant within this process)."""
        with self._thread_lock:
            if self._lock_depth == 0:
                fd = os.open(self.root / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
                try:
                    self._acquire(fd, timeout_s)
                except BaseException:
                    os.close(fd)
                    raise
                os.ftruncate(fd, 0)
                os.write(fd, f"{os.getpid()}\n".encode())
                self._lock_fd = fd
            self._lock_depth += 1
            try:
                yield
            finally:
                self._lock_depth -= 1
                if self._lock_depth == 0 and self._lock_fd is not None:
                    fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
                    os.close(self._lock_fd)
                    self._lock_fd = None

    def _acquire(self, fd: int, timeout_s: float) -> None:
        import time

        deadline = time.monotonic() + timeout_s
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except OSError as exc:
                if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN):
                    raise
                if time.monotonic() >= deadline:
                    holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
                    raise WorkspaceLocked(
                        f"workspace {self.root} is in use by another appliance process (pid {holder}); "
                        "wait for it to finish or use another --workspace"
                    ) from None
                time.sleep(0.1)

    # ---- staging
    @property
    def staging_root(self) -> Path:
        return self.root / STAGING

    @contextlib.contextmanager
    def staging_dir(self, name: str) -> Iterator[Path]:
        """An empty folder `.staging/<name>/`, claimed by this process while the block runs and removed with
        its contents when it ends (however it ends). If a dead process left a folder of that name, it is
        replaced; if a live one holds it, WorkspaceLocked."""
        root = self.staging_root
        marker = root / f"{name}{OWNER_SUFFIX}"
        fd = _lock_file(marker, create=True)
        if fd is None:
            holder = marker.read_text("utf-8", errors="replace").strip() or "unknown"
            raise WorkspaceLocked(
                f"{root / name} is in use by another appliance process (pid {holder}); wait for it to finish"
            )
        try:
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())
            path = root / name
            _remove_entry(path)
            path.mkdir()
            try:
                yield path
            finally:
                _remove_entry(path)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(marker)
            os.close(fd)

    def scratch(self, prefix: str) -> contextlib.AbstractContextManager[Path]:
        """A claimed folder `.staging/<prefix>-<random>/` for files that must not outlive this step (see
        `staging_dir`)."""
        return self.staging_dir(f"{prefix}-{secrets.token_hex(4)}")

    def clean_staging(self) -> int:
        """Remove what dead processes left in `.staging/` (a crash, `kill -9`, a power cut); returns how many.

        Under the workspace lock. An entry stays while its claim (`<name>.owner`) is locked by a live process
        (this one included); an entry without a claim was written under the workspace lock, which we now hold,
        so its writer is gone. Called before each artifact is built; callable at any time.
        """
        with self.lock():
            root = self.staging_root
            removed = 0
            for path in sorted(root.iterdir()):
                if path.name.endswith(OWNER_SUFFIX):
                    continue
                marker = root / f"{path.name}{OWNER_SUFFIX}"
                try:
                    fd = _lock_file(marker, create=False)
                except FileNotFoundError:
                    fd = -1
                if fd is None:
                    continue  # a live process's
                try:
                    _remove_entry(path)
                    removed += 1
                    if fd >= 0:
                        marker.unlink(missing_ok=True)
                finally:
                    if fd >= 0:
                        os.close(fd)
            for marker in sorted(root.glob(f"*{OWNER_SUFFIX}")):  # claims whose folder is already gone
                if os.path.lexists(root / marker.name[: -len(OWNER_SUFFIX)]):
                    continue
                try:
                    fd = _lock_file(marker, create=False)
                except FileNotFoundError:
                    continue
                if fd is not None:
                    marker.unlink(missing_ok=True)
                    os.close(fd)
            return removed

    # ---- secrets
    def secret(self, name: str) -> bytes:
        """A 32-byte random secret of this workspace, `keys/<name>.key` (mode 0600), made on first use.

        Made as a complete file and then hard-linked into place, so processes that start at once agree on
        one secret (the first link wins; the others read it).
        """
        path = self.keys_dir / f"{name}.key"
        if not path.is_file():
            fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=self.keys_dir)  # mode 0600
            try:
                with os.fdopen(fd, "wb") as f:
                    f.write(secrets.token_bytes(SECRET_BYTES))
                    f.flush()
                    os.fsync(f.fileno())
                with contextlib.suppress(FileExistsError):
                    os.link(tmp, path)
                    fsync_dir(self.keys_dir)
            finally:
                os.unlink(tmp)
        key = path.read_bytes()
        if len(key) != SECRET_BYTES:
            raise ApplianceError(
                f"{path} is damaged ({len(key)} bytes, expected {SECRET_BYTES}); restore it from backup"
            )
        return key

    # ---- artifacts
    @contextlib.contextmanager
    def new_artifact(
        self,
        kind: str,
        inputs: list[InputRef] | None = None,
        config: dict[str, Any] | None = None,
        art_id: str | None = None,
    ) -> Iterator[ArtifactBuilder]:
        """Build an artifact in staging; on success write its manifest and move it into place.

        On any exception the staging folder is removed and nothing appears in the workspace; leftovers of
        killed processes are removed first (`clean_staging`). `art_id` is given only when an id was reserved
        earlier (a resumed training run).
        """
        art_id = art_id or new_artifact_id(kind)
        if (self.kind_dir(kind) / art_id).exists():
            raise FileExistsError(f"{kind} {art_id} already exists")
        with self.lock():
            self.clean_staging()
            with self.staging_dir(art_id) as staging:
                builder = ArtifactBuilder(kind, art_id, staging, list(inputs or []), dict(config or {}))
                yield builder
                write_json_atomic(staging / MANIFEST, build_manifest(builder))
                final = self.kind_dir(kind) / art_id
                os.replace(staging, final)
                fsync_dir(final.parent)
        builder.path = final

    def get(self, kind: str, art_id: str) -> Artifact:
        path = self.kind_dir(kind) / art_id
        if not (path / MANIFEST).is_file():
            known = ", ".join(a.id for a in self.list(kind)) or "none"
            raise BadInput(f"no {kind} with id {art_id!r} in {self.root} (known: {known})")
        return Artifact(kind, art_id, path, json.loads((path / MANIFEST).read_text("utf-8")))

    def list(self, kind: str) -> list[Artifact]:
        out = []
        for p in sorted(self.kind_dir(kind).iterdir()):
            if (p / MANIFEST).is_file():
                out.append(Artifact(kind, p.name, p, json.loads((p / MANIFEST).read_text("utf-8"))))
        return sorted(out, key=lambda a: a.manifest.get("created", ""))

    def remove(self, artifact: Artifact) -> None:
        """Take back an artifact (used when its audit record cannot be written: fail-closed)."""
        with self.lock():
            trash = self.staging_root / f"removed-{artifact.id}"
            os.replace(artifact.path, trash)
            shutil.rmtree(trash, ignore_errors=True)
