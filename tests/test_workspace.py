import json
import os
import subprocess
from pathlib import Path

import pytest

from appliance.errors import WorkspaceLocked
from appliance.workspace import Workspace, sha256_file, verify_manifest, write_atomic


def test_layout_is_created(ws):
    for sub in ("datasets", "models", "runs", "exports", "audit", "keys"):
        assert (ws.root / sub).is_dir()
    assert (ws.root / "keys").stat().st_mode & 0o777 == 0o700


def test_manifest_records_sha256_of_every_file_and_inputs(ws, tmp_path):
    with ws.new_artifact("dataset", config={"k": 1}) as b:
        (b.path / "a.jsonl").write_text("one\n")
        (b.path / "sub").mkdir()
        (b.path / "sub" / "b.bin").write_bytes(b"\x00\x01")
    art = ws.get("dataset", b.id)
    files = art.manifest["files"]
    assert set(files) == {"a.jsonl", "sub/b.bin"}
    assert files["a.jsonl"]["sha256"] == sha256_file(art.path / "a.jsonl")
    assert verify_manifest(art.path) == []

    with ws.new_artifact("run", inputs=[art.ref()]) as b2:
        (b2.path / "x").write_text("x")
    run = ws.get("run", b2.id)
    assert run.manifest["inputs"] == [
        {"kind": "dataset", "id": art.id, "sha256": sha256_file(art.path / "manifest.json")}
    ]

    (art.path / "a.jsonl").write_text("tampered\n")
    assert verify_manifest(art.path) == ["a.jsonl: sha256 differs from the manifest"]


def test_failed_stage_leaves_nothing(ws):
    with pytest.raises(RuntimeError):
        with ws.new_artifact("dataset") as b:
            (b.path / "half.jsonl").write_text("partial")
            raise RuntimeError("stage failed")
    assert ws.list("dataset") == []
    assert list((ws.root / ".staging").iterdir()) == []


def test_atomic_write_crash_leaves_old_file(tmp_path, monkeypatch):
    target = tmp_path / "state.json"
    write_atomic(target, json.dumps({"version": 1}))

    def crash(fd):
        raise OSError("simulated power loss during fsync")

    monkeypatch.setattr(os, "fsync", crash)
    with pytest.raises(OSError):
        write_atomic(target, json.dumps({"version": 2}) + "x" * 100_000)
    monkeypatch.undo()
    assert json.loads(target.read_text()) == {"version": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]  # no temp file left behind


def test_atomic_write_crash_in_rename_leaves_old_file(tmp_path, monkeypatch):
    target = tmp_path / "state.json"
    write_atomic(target, "old")

    def crash(src, dst):
        raise OSError("simulated crash before rename")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError):
        write_atomic(target, "new")
    monkeypatch.undo()
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]


def test_lock_excludes_a_second_process(ws):
    other = Workspace.open(ws.root)  # a separate open file description, as another process would have
    with ws.lock():
        with pytest.raises(WorkspaceLocked, match="in use by another appliance process"):
            with other.lock(timeout_s=0.2):
                pass
    with other.lock():  # released
        pass


def test_lock_excludes_a_real_subprocess(ws):
    import subprocess
    import sys

    code = (
        "import sys; from appliance.workspace import Workspace\n"
        "from appliance.errors import WorkspaceLocked\n"
        f"w = Workspace.open({str(ws.root)!r})\n"
        "try:\n    w.lock(timeout_s=0.2).__enter__()\nexcept WorkspaceLocked:\n    sys.exit(3)\n"
    )
    with ws.lock():
        rc = subprocess.run([sys.executable, "-c", code]).returncode
    assert rc == 3


def test_secret_is_made_once_private_and_shared_by_every_opener(ws):
    from appliance.errors import ApplianceError

    key = ws.secret("record-id")
    assert len(key) == 32 and (ws.keys_dir / "record-id.key").stat().st_mode & 0o777 == 0o600
    assert Workspace.open(ws.root).secret("record-id") == key  # another process opening the workspace
    assert ws.secret("other") != key
    assert sorted(p.name for p in ws.keys_dir.iterdir()) == ["other.key", "record-id.key"]  # no temp file left
    (ws.keys_dir / "other.key").write_bytes(b"short")
    with pytest.raises(ApplianceError, match="damaged"):
        ws.secret("other")


def _child(code: str, ws) -> subprocess.Popen:
    import sys

    root = Path(__file__).resolve().parents[1]
    prog = f"import os, signal, sys\nfrom appliance.workspace import Workspace\nws = Workspace.open({str(ws.root)!r})\n"
    return subprocess.Popen([sys.executable, "-c", prog + code], cwd=root, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(root)})  # fmt: skip


def test_staging_left_by_a_killed_process_is_removed_by_the_next_build_but_a_live_one_stays(ws):
    """kill -9 (or the OOM killer) in the middle of a build skips every cleanup: the raw records it was writing
    stay in .staging/ until the next artifact build in the workspace removes them. A folder whose process still
    runs (a training rank's scratch, this process's own) is never touched."""
    killed = _child(
        "with ws.new_artifact('dataset') as b:\n"
        "    (b.path / '.kept.jsonl').write_text('{\"prompt\": \"Zebulon Quartermaine, SSN 536-90-4287\"}\\n')\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n",
        ws,
    )
    assert killed.wait(60) == -9
    left = [p for p in (ws.root / ".staging").rglob("*") if p.is_file() and "536-90-4287" in p.read_text()]
    assert len(left) == 1  # what the crash leaves
    (ws.root / ".staging" / "canaries-notes.jsonl").write_text("raw copy\n")  # left by an older version
    with ws.new_artifact("dataset") as b:
        (b.path / "train.jsonl").write_text("{}\n")
    assert not any(p.exists() for p in left) and not (ws.root / ".staging" / "canaries-notes.jsonl").exists()
    assert [a.id for a in ws.list("dataset")] == [b.id]
    live = _child("with ws.scratch('run-x-rank1') as p:\n    print(p, flush=True)\n    sys.stdin.read()\n", ws)
    try:
        live_dir = Path(live.stdout.readline().strip())
        assert live_dir.parent == ws.root / ".staging"
        (live_dir / "part.bin").write_bytes(b"in use")
        with ws.scratch("mine") as mine:
            with ws.new_artifact("dataset") as b:
                (b.path / "train.jsonl").write_text("{}\n")
            assert mine.is_dir()  # this process's own claim
        assert (live_dir / "part.bin").read_bytes() == b"in use"  # another live process's claim
    finally:
        live.stdin.close()
        live.wait(60)
    assert list((ws.root / ".staging").iterdir()) == []  # each claim removes its folder and its marker


def test_a_claim_of_a_process_killed_while_holding_it_is_taken_over(ws):
    holder = _child("with ws.scratch('canaries') as p:\n    print(p, flush=True)\n    sys.stdin.read()\n", ws)
    path = Path(holder.stdout.readline().strip())
    with pytest.raises(WorkspaceLocked, match=f"pid {holder.pid}"):
        with ws.staging_dir(path.name):
            pass
    assert ws.clean_staging() == 0 and path.is_dir()
    holder.kill()
    holder.wait(60)
    with ws.staging_dir(path.name) as again:  # e.g. `train --resume` of a run whose process was killed
        assert list(again.iterdir()) == []
    assert ws.clean_staging() == 0 and list((ws.root / ".staging").iterdir()) == []
