"""The same trainer with 2 CPU processes (gloo, launched by torchrun, which is what `accelerate launch` runs
for multi-GPU; on CPU accelerate itself only launches one process or goes through mpirun): replicas stay in
sync and the result matches one process on the same global batch."""

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import write_jsonl

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_ddp_two_cpu_processes_match_one_process(tmp_path, tiny_model_dir, sample_records):
    from safetensors.torch import load_file

    records = write_jsonl(tmp_path / "train.jsonl", [
        {"id": r["id"], "prompt": r["instruction"], "response": r["response"]} for r in sample_records[:24]])  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
           "OMP_NUM_THREADS": "1", "ACCELERATE_DISABLE_RICH": "1"}  # fmt: skip
    worker = str(ROOT / "tests" / "ddp_worker.py")
    args = [str(tiny_model_dir), str(records), str(tmp_path)]
    launch = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_addr",
              "127.0.0.1", "--master_port", str(_free_port()), worker, *args, "2", "1"]  # fmt: skip
    r = subprocess.run(launch, env=env, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    single = subprocess.run([sys.executable, worker, *args, "2", "2"], env=env, capture_output=True, text=True,
                            timeout=600)  # fmt: skip
    assert single.returncode == 0, single.stderr[-3000:]
    r0, r1, one = (load_file(str(tmp_path / f)) for f in
                   ("rank0-of2.safetensors", "rank1-of2.safetensors", "rank0-of1.safetensors"))  # fmt: skip
    assert r0.keys() == r1.keys() == one.keys() and r0
    import torch

    assert all(torch.equal(r0[k], r1[k]) for k in r0), "DDP replicas diverged"
    worst = max(float((r0[k] - one[k]).abs().max()) for k in r0)
    assert worst < 1e-5, f"2 processes x batch 2 differ from 1 process x batch 2 x accumulation 2 by {worst}"
    h2 = json.loads((tmp_path / "rank0-of2.json").read_text())
    h1 = json.loads((tmp_path / "rank0-of1.json").read_text())
    assert h2["tokens"] == h1["tokens"] and h2["steps"] == h1["steps"] == 4
    assert [x["loss"] for x in h2["history"]] == pytest.approx([x["loss"] for x in h1["history"]], rel=1e-4)
