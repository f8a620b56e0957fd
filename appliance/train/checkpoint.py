"""Training checkpoints: trainable tensors, optimizer, scheduler, RNG and loop position, verifiable.

Each checkpoint is a folder `step-NNNNNNN/` written as `.tmp-*` and renamed into place; `state.json` is written
last and holds the sha256 of every other file, so a torn or corrupt checkpoint is detected on load and the
previous one is used instead.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from appliance.workspace import fsync_dir, sha256_file, write_json_atomic

STATE = "state.json"


@dataclass
class Loaded:
    path: Path
    state: dict[str, Any]
    trainable: dict[str, Any]
    optimizer: dict[str, Any]
    scheduler: dict[str, Any]
    rng: dict[str, Any]


class CheckpointStore:
    def __init__(self, root: Path, keep: int = 2):
        self.root, self.keep = root, keep
        self.root.mkdir(parents=True, exist_ok=True)

    def _dirs(self) -> list[Path]:
        return sorted(p for p in self.root.glob("step-*") if p.is_dir())

    def save(self, step: int, trainable: dict[str, Any], optimizer: Any, scheduler: Any, state: dict[str, Any]) -> Path:
        import torch
        from safetensors.torch import save_file

        final = self.root / f"step-{step:07d}"
        tmp = self.root / f".tmp-step-{step:07d}"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        save_file({k: v.detach().contiguous().cpu() for k, v in trainable.items()}, str(tmp / "trainable.safetensors"))
        torch.save(optimizer.state_dict(), tmp / "optimizer.pt")
        torch.save(scheduler.state_dict(), tmp / "scheduler.pt")
        rng = {"torch": torch.get_rng_state()}
        if torch.cuda.is_available():
            rng["cuda"] = torch.cuda.get_rng_state_all()
        torch.save(rng, tmp / "rng.pt")
        for f in tmp.iterdir():
            with open(f, "rb") as fh:
                os.fsync(fh.fileno())
        files = {f.name: sha256_file(f) for f in sorted(tmp.iterdir())}
        write_json_atomic(tmp / STATE, {**state, "step": step, "files": files})
        shutil.rmtree(final, ignore_errors=True)
        os.replace(tmp, final)
        fsync_dir(self.root)
        # Folders from a later step than this one are what a resume skipped (corrupt) or abandoned: never keep
        # them in place of the good ones.
        for later in [d for d in self._dirs() if d.name > final.name]:
            shutil.rmtree(later, ignore_errors=True)
        for old in self._dirs()[: -self.keep]:
            shutil.rmtree(old, ignore_errors=True)
        return final

    def problems(self, path: Path) -> str | None:
        """Why the checkpoint at `path` cannot be used, or None when it is complete and intact."""
        try:
            state = json.loads((path / STATE).read_text("utf-8"))
        except (OSError, ValueError) as e:
            return f"{STATE} unreadable ({type(e).__name__})"
        for name, digest in state.get("files", {}).items():
            f = path / name
            if not f.is_file():
                return f"{name} missing"
            if sha256_file(f) != digest:
                return f"{name} does not match its recorded sha256"
        if not state.get("files"):
            return "no files recorded"
        return None

    def latest(self, device: str = "cpu") -> tuple[Loaded | None, list[str]]:
        """The newest intact checkpoint and a note for each newer one that was skipped."""
        import torch
        from safetensors.torch import load_file

        skipped: list[str] = []
        for path in reversed(self._dirs()):
            why = self.problems(path)
            if why:
                skipped.append(f"{path.name}: {why}")
                continue
            state = json.loads((path / STATE).read_text("utf-8"))
            return (
                Loaded(
                    path,
                    state,
                    load_file(str(path / "trainable.safetensors"), device=device),
                    torch.load(path / "optimizer.pt", map_location=device, weights_only=True),
                    torch.load(path / "scheduler.pt", weights_only=True),
                    torch.load(path / "rng.pt", weights_only=True),
                ),
                skipped,
            )
        return None, skipped
