"""appliance doctor: lock comparison, GPU expectations, permissions, and the CLI's exit code."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from appliance import doctor


def test_parse_lock_reads_hashed_requirements():
    text = (
        "# comment\nfoo-bar==1.2.3 \\\n    --hash=sha256:" + "a" * 64 + "\n    # foo_bar-1.2.3.whl\n"
        "Torch==2.13.0+cpu --hash=sha256:" + "b" * 64 + "\n"
    )
    assert doctor.parse_lock(text) == {"foo-bar": "1.2.3", "torch": "2.13.0+cpu"}


def test_packages_vs_lock(tmp_path, monkeypatch):
    import pydantic
    import typer

    good = tmp_path / "good.lock"
    good.write_text(
        f"pydantic=={pydantic.VERSION} \\\n    --hash=sha256:{'0' * 64}\n"
        f"typer=={typer.__version__} --hash=sha256:{'1' * 64}\n"
    )
    c = doctor.check_packages([good])
    assert c.ok and "all 2" in c.detail
    bad = tmp_path / "bad.lock"
    bad.write_text(
        "pydantic==0.0.1 --hash=sha256:" + "0" * 64 + "\nno-such-dist==1.0 --hash=sha256:" + "1" * 64 + "\n"
    )
    c = doctor.check_packages([bad])
    assert not c.ok and "pydantic" in c.detail and "no-such-dist missing" in c.detail and c.fix
    monkeypatch.setenv(doctor.LOCK_ENV, str(bad))
    locks, meta = doctor.find_locks()
    assert locks == [bad] and meta == {}


def test_packages_vs_pins_in_a_development_install():
    c = doctor.check_packages([])
    assert c.ok, c.detail


def test_gpu_expected_but_absent_is_a_failure_with_a_fix():
    import torch

    if torch.cuda.is_available():
        pytest.skip("this host has a GPU")
    checks = {c.name: c for c in doctor.check_gpu(expect_gpu=True)}
    assert not checks["cuda (torch)"].ok and "CUDA profile" in checks["cuda (torch)"].fix
    assert all(c.ok for c in doctor.check_gpu(expect_gpu=False) if c.name == "cuda (torch)")


def test_workspace_permissions(tmp_path):
    root = tmp_path / "ws"
    (root / "keys").mkdir(parents=True)
    os.chmod(root / "keys", 0o700)
    (root / "keys" / "k.json").write_text("{}")
    os.chmod(root / "keys" / "k.json", 0o600)
    assert doctor.check_permissions(root).ok
    os.chmod(root / "keys" / "k.json", 0o644)
    c = doctor.check_permissions(root)
    assert not c.ok and "should be 600" in c.detail and "chmod" in c.fix


def test_python_must_match_the_bundle():
    assert doctor.check_python({}).ok
    assert not doctor.check_python({"python": "3.99"}).ok


def test_offline_check_names_what_is_missing(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    c = doctor.check_offline()
    assert not c.ok and "HF_HUB_OFFLINE" in c.detail


def test_cli_doctor_passes_here_and_fails_on_a_bad_lock(tmp_path):
    exe = Path(sys.executable).with_name("appliance")
    env = {k: v for k, v in os.environ.items() if k != doctor.LOCK_ENV}
    ok = subprocess.run(
        [exe, "doctor", "--workspace", tmp_path / "ws"], capture_output=True, text=True, env=env
    )
    assert ok.returncode == 0, ok.stdout[-3000:]
    bad = tmp_path / "bad.lock"
    bad.write_text("pydantic==0.0.1 --hash=sha256:" + "0" * 64 + "\n")
    env[doctor.LOCK_ENV] = str(bad)
    proc = subprocess.run(
        [exe, "doctor", "--workspace", tmp_path / "ws"],
        capture_output=True,
        text=True,
        env={**env, "COLUMNS": "200"},
    )
    assert proc.returncode == 1 and "FIX" in proc.stdout and "reinstall from the bundle" in proc.stdout
