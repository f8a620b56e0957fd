"""The CLI contract: exit codes, one-line errors, nothing half-written in the workspace."""

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import write_jsonl


def cli(*args, cwd=None):
    env = {**os.environ, "APPLIANCE_OPERATOR": "pytest"}
    return subprocess.run(
        [sys.executable, "-m", "appliance", *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=300,
    )


def assert_one_line_error(proc, *fragments):
    assert proc.returncode == 2, (proc.returncode, proc.stderr[-2000:])
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "Traceback" not in proc.stderr, proc.stderr[-2000:]
    for frag in fragments:
        assert frag in errors[0], errors[0]


def assert_workspace_untouched(ws: Path):
    for sub in ("datasets", "models", "runs", "exports", ".staging"):
        assert not list((ws / sub).iterdir()) if (ws / sub).exists() else True, sub


def test_help_lists_the_contract_commands():
    proc = cli("--help")
    assert proc.returncode == 0
    for cmd in (
        "demo",
        "run",
        "doctor",
        "data",
        "scrub",
        "models",
        "train",
        "evaluate",
        "export",
        "infer",
        "audit",
    ):
        assert cmd in proc.stdout


def test_help_does_not_import_heavy_libraries():
    heavy = "('torch', 'transformers', 'presidio_analyzer')"
    code = f"import sys; import appliance.cli; print(sorted(m for m in {heavy} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "[]"


def test_scrub_missing_file(tmp_path):
    proc = cli(
        "scrub",
        tmp_path / "nope.jsonl",
        "--policy",
        "hipaa",
        "--out",
        tmp_path / "o.jsonl",
        "--workspace",
        tmp_path / "ws",
    )
    assert_one_line_error(proc, "input file not found", "nope.jsonl")
    assert not (tmp_path / "o.jsonl").exists()


def test_scrub_unknown_policy(tmp_path):
    src = write_jsonl(tmp_path / "in.jsonl", [{"id": 1, "text": "hello"}])
    proc = cli(
        "scrub", src, "--policy", "hippa", "--out", tmp_path / "o.jsonl", "--workspace", tmp_path / "ws"
    )
    assert_one_line_error(proc, "unknown policy 'hippa'", "hipaa")


def test_scrub_malformed_jsonl_names_line(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text('{"id": 1, "text": "fine"}\n\n{"id": 2, "text": "oops"\n')
    out = tmp_path / "o.jsonl"
    proc = cli("scrub", src, "--policy", "hipaa", "--out", out, "--workspace", tmp_path / "ws")
    assert_one_line_error(proc, "in.jsonl:3", "malformed JSON")
    assert not out.exists() and not list(tmp_path.glob(".o.jsonl*"))


def test_scrub_writes_output_and_report(tmp_path):
    src = write_jsonl(
        tmp_path / "in.jsonl",
        [
            {"id": "a", "text": "Call Dr. John Smith at 555-013-4567 about MRN 48213907.", "n": 1},
            {"id": "b", "note": "no text field here"},
        ],
    )
    proc = cli(
        "scrub",
        src,
        "--policy",
        "hipaa",
        "--out",
        tmp_path / "o.jsonl",
        "--report",
        tmp_path / "r.json",
        "--workspace",
        tmp_path / "ws",
    )
    assert proc.returncode == 0, proc.stderr
    import json

    rows = [json.loads(line) for line in (tmp_path / "o.jsonl").read_text().splitlines()]
    assert [r["id"] for r in rows] == ["a", "b"] and rows[1] == {"id": "b", "note": "no text field here"}
    assert "555-013-4567" not in rows[0]["text"] and "48213907" not in rows[0]["text"] and rows[0]["n"] == 1
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["records_out"] == 2 and report["fields_missing"] == 1


def test_scrub_review_to_a_file_or_pipe_leaves_out_the_raw_values(tmp_path):
    """`appliance scrub ... --review > run.log` (or `| tee`, a CI log): the findings are listed without their raw
    values and context, which are for a terminal only."""
    src = write_jsonl(tmp_path / "in.jsonl",
                      [{"id": "r1", "text": "Patient Zebulon Quartermaine, SSN 536-90-4287, zebulon.q@example.org"}])  # fmt: skip
    proc = cli("scrub", src, "--policy", "hipaa", "--out", tmp_path / "o.jsonl", "--review",
               "--workspace", tmp_path / "ws")  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    for raw in ("Zebulon", "Quartermaine", "536-90-4287", "zebulon.q"):
        assert raw not in proc.stdout and raw not in proc.stderr, raw
    assert "Findings (raw values are shown on a terminal only)" in proc.stdout
    assert "US_SSN" in proc.stdout and "stdout is not a terminal" in proc.stdout


def test_scrub_review_on_a_terminal_shows_the_raw_values():
    import io

    from rich.console import Console

    from appliance.cli import _print_review

    finding = {"record": 1, "field": "text", "entity": "US_SSN", "operator": "placeholder", "score": 0.85,
               "value": "536-90-4287", "context": "SSN 536-90-4287, [bold]x"}  # fmt: skip
    screen = io.StringIO()
    _print_review(Console(file=screen, width=200), [finding], on_screen=True)
    assert "536-90-4287" in screen.getvalue() and "[bold]x" in screen.getvalue()
    piped = io.StringIO()
    _print_review(Console(file=piped, width=200), [finding], on_screen=False)
    assert "536-90-4287" not in piped.getvalue() and "US_SSN" in piped.getvalue()


def _children(pid: int) -> list[int]:
    out = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                stat = (d / "stat").read_text()
            except OSError:
                continue
            if int(stat[stat.rindex(")") + 2 :].split()[1]) == pid:
                out.append(int(d.name))
    return out


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_stop_signal_ends_a_multiprocess_scrub_like_ctrl_c(tmp_path, sig):
    """systemd stop, `timeout`, `docker stop` (SIGTERM) or a closed terminal (SIGHUP) during a multi-process
    scrub: the workers are stopped with it, no staged file is left beside --out, exit status 128 + signal."""
    import random
    import time

    rnd = random.Random(1)
    words = "patient reports mild chest pain after exercise denies fever follow up metformin 500 mg".split()
    src = write_jsonl(tmp_path / "big.jsonl", [
        {"id": f"r{i}", "text": f"Visit {i}: Zebulon Quartermaine. " + " ".join(rnd.choice(words) for _ in range(120))}
        for i in range(2000)])  # fmt: skip
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    env = {**os.environ, "APPLIANCE_OPERATOR": "pytest", "APPLIANCE_SCRUB_PROCESSES": "2"}
    log = tmp_path / "stderr.txt"  # a file, not a pipe: orphaned workers would hold a pipe open
    with open(log, "w") as err_file:
        proc = subprocess.Popen([sys.executable, "-m", "appliance", "scrub", str(src), "--policy", "hipaa", "--out",
                                 str(out_dir / "o.jsonl"), "--workspace", str(tmp_path / "ws")],
                                stdout=subprocess.DEVNULL, stderr=err_file, env=env)  # fmt: skip
    workers: list[int] = []
    try:
        deadline = time.monotonic() + 240
        while len(workers) < 2 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.2)
            workers = _children(proc.pid)
        assert len(workers) == 2, log.read_text()[-2000:]
        time.sleep(1.0)  # the workers are busy with their first batches
        proc.send_signal(sig)
        proc.wait(timeout=60)
        err = log.read_text()
        assert proc.returncode == 128 + sig, err[-2000:]
        assert f"stopped by {sig.name}" in err and "Traceback" not in err and "Zebulon" not in err
        deadline = time.monotonic() + 10
        while any(Path(f"/proc/{w}").exists() for w in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not [w for w in workers if Path(f"/proc/{w}").exists()], "orphaned scrub workers"
        assert list(out_dir.iterdir()) == []  # neither the output nor a hidden staged/partial file
    finally:
        if proc.poll() is None:
            proc.kill()
        for w in workers:
            if Path(f"/proc/{w}").exists():
                os.kill(w, signal.SIGKILL)


def test_prepare_malformed_jsonl_leaves_workspace_clean(tmp_path):
    src = tmp_path / "data.jsonl"
    src.write_text('{"id": "1", "prompt": "p", "response": "r"}\n{"id": "2", "prompt": "p", "response": 5}\n')
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text("data:\n  source: data.jsonl\n")
    ws = tmp_path / "ws"
    proc = cli("data", "prepare", "--config", cfg, "--workspace", ws)
    assert_one_line_error(proc, "data.jsonl:2", "'response' must be text")
    assert_workspace_untouched(ws)


def test_config_error_names_file_and_line(tmp_path):
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text("data:\n  source: x.jsonl\ntrain:\n  method: qlora\n  hparams:\n    lr: -1\n")
    proc = cli("data", "prepare", "--config", cfg, "--workspace", tmp_path / "ws")
    assert_one_line_error(proc, "cfg.yaml:6", "train.hparams.lr")


def test_models_import_garbage_gguf(tmp_path):
    bad = tmp_path / "model.gguf"
    bad.write_bytes(b"PK\x03\x04 definitely not gguf")
    ws = tmp_path / "ws"
    proc = cli("models", "import", bad, "--workspace", ws)
    assert_one_line_error(proc, "not a GGUF file")
    assert_workspace_untouched(ws)


def test_models_import_truncated_gguf(tmp_path):
    from appliance.models import embedded_gguf_path

    bad = tmp_path / "truncated.gguf"
    with open(embedded_gguf_path(), "rb") as f:
        bad.write_bytes(f.read(1 << 20))
    ws = tmp_path / "ws"
    proc = cli("models", "import", bad, "--workspace", ws)
    assert_one_line_error(proc, "truncated.gguf", "cannot read this GGUF model")
    assert_workspace_untouched(ws)


def test_models_import_missing_path(tmp_path):
    proc = cli("models", "import", tmp_path / "nope", "--workspace", tmp_path / "ws")
    assert_one_line_error(proc, "model path not found")


def test_evaluate_unknown_run(tmp_path):
    proc = cli("evaluate", "run-nope", "--workspace", tmp_path / "ws")
    assert_one_line_error(proc, "no run with id 'run-nope'")


def test_train_plan_prints_the_memory_verdict(tmp_path, tiny_model_dir):
    import json

    ok = tmp_path / "ok.yaml"
    ok.write_text(f"data: {{source: x.jsonl}}\nmodel: {{base: {tiny_model_dir}}}\n"
                  "train: {method: qlora, hparams: {batch_size: 4, seq_len: 256}}\n")  # fmt: skip
    proc = cli("train", "--config", ok, "--plan", "--workspace", tmp_path / "ws")
    assert proc.returncode == 0, proc.stderr[-2000:]
    plan = json.loads(proc.stdout)
    assert plan["fits"] is True and plan["device"] == "cpu" and plan["total_mb"] > plan["weights_mb"] > 0
    big = tmp_path / "big.yaml"
    big.write_text(f"data: {{source: x.jsonl}}\nmodel: {{base: {tiny_model_dir}}}\n"
                   "train: {method: full, hparams: {batch_size: 512, seq_len: 1000000}}\n")  # fmt: skip
    proc = cli("train", "--config", big, "--plan", "--workspace", tmp_path / "ws")
    assert proc.returncode == 1
    plan = json.loads(proc.stdout)
    assert plan["fits"] is False and "gradient_checkpointing" in plan["suggestion"]
