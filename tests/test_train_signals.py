"""Real signals against a training process: SIGTERM stops it cleanly with a checkpoint and a resume hint;
SIGKILL (a crash) loses at most the steps since the last periodic checkpoint. Both resume to the adapter an
uninterrupted run produces."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from appliance.config import DataSection, TrainSection
from tests.conftest import write_jsonl

ROOT = Path(__file__).resolve().parents[1]
CFG = {"method": "qlora", "lora": {"r": 8, "alpha": 16, "dropout": 0.1},
       "hparams": {"lr": 3e-3, "max_steps": 40, "batch_size": 4, "seq_len": 128, "save_steps": 3,
                   "keep_checkpoints": 2}}  # fmt: skip


@pytest.fixture(scope="module")
def setup(tmp_path_factory, tiny_model_dir, sample_records):
    from appliance.data import prepare_dataset
    from appliance.models import import_model
    from appliance.workspace import Workspace

    tmp = tmp_path_factory.mktemp("signals")
    ws = Workspace.open(tmp / "ws")
    src = write_jsonl(tmp / "notes.jsonl", [
        {"id": r["id"], "prompt": r["instruction"], "response": r["response"]} for r in sample_records[:40]])  # fmt: skip
    ds = prepare_dataset(ws, DataSection.model_validate({"source": str(src), "split": {"validation": 0.1}}), tmp)
    return ws, ds, import_model(ws, tiny_model_dir)


ENV = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}


def _args(ws, ds, model, resume=None) -> list[str]:
    args = [sys.executable, str(ROOT / "tests" / "train_worker.py"), str(ws.root), ds.id, model.id, json.dumps(CFG)]
    return args + ([resume] if resume else [])


def _wait_for_checkpoint(ws, proc, min_step: int) -> str:
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        for d in (ws.root / ".checkpoints").glob("run-*"):
            steps = [int(p.name[5:]) for p in d.glob("step-*")]
            if steps and max(steps) >= min_step:
                return d.name
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.05)
    raise AssertionError("no checkpoint appeared")


def _adapter(run):
    from safetensors.torch import load_file

    return load_file(str(run.path / "adapter" / "adapter_model.safetensors"))


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL])
def test_signal_then_resume_matches_uninterrupted(setup, sig):
    import torch

    from appliance.train import train

    ws, ds, model = setup
    proc = subprocess.Popen(_args(ws, ds, model), env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    run_id = _wait_for_checkpoint(ws, proc, 6)
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode != 0
    assert not (ws.root / "runs" / run_id).exists(), "an interrupted run is not a finished artifact"
    if sig == signal.SIGTERM:  # a clean stop: message with the resume command, staging removed
        assert f"--resume {run_id}" in out and "stopped (SIGTERM)" in out, (out, err[-2000:])
        assert not list((ws.root / ".staging").glob(f"{run_id}*"))
    resumed = subprocess.run(_args(ws, ds, model, run_id), env=ENV, capture_output=True, text=True, timeout=600)
    assert f"done {run_id}" in resumed.stdout, resumed.stderr[-2000:]
    run = ws.get("run", run_id)
    assert not list((ws.root / ".staging").glob(f"{run_id}*")), "the crashed run's staging is cleared on resume"
    assert run.manifest["summary"]["resumed_from"] >= 6
    whole = train(ws, ds, model, TrainSection.model_validate(CFG))
    a, b = _adapter(whole), _adapter(run)
    assert all(torch.allclose(a[k], b[k], atol=1e-6) for k in a)
