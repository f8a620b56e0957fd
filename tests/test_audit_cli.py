"""The audit commands as an operator and an auditor use them."""

import os
import subprocess
import sys

from appliance.audit import AuditLog


def cli(*args, env=None):
    return subprocess.run(
        [sys.executable, "-m", "appliance", *map(str, args)],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=120,
    )


def test_verify_export_and_verify_bundle(tmp_path, ws):
    log = AuditLog(ws.audit_dir, ws.keys_dir)
    for i in range(3):
        log.record("data.prepare", artifacts={f"ds-{i}": "ef" * 32}, details={"records": i})
    out = cli("audit", "verify", "--workspace", ws.root)
    assert out.returncode == 0 and "intact" in out.stdout, out.stderr
    assert log.records()[-1]["event"] == "audit.verify"  # verification runs are audited

    keys = cli("audit", "show-keys", "--workspace", ws.root).stdout.split()
    auditor = tmp_path / "auditor"
    env = {"APPLIANCE_AUDITOR_PASSPHRASE": "auditor-pass"}
    assert cli("audit", "auditor-keygen", "--out", auditor, env=env).returncode == 0
    bundle = tmp_path / "b.tar.gz"
    out = cli(
        "audit",
        "export",
        "--out",
        bundle,
        "--auditor-key",
        auditor / "auditor.pub.json",
        "--workspace",
        ws.root,
    )
    assert out.returncode == 0 and "PASS" in out.stdout, out.stderr
    # the auditor's side: no workspace, no operator passphrase
    out = cli(
        "audit",
        "verify-bundle",
        bundle,
        "--pin",
        keys[0],
        "--auditor-key",
        auditor / "auditor.key.json",
        env={**env, "APPLIANCE_PASSPHRASE": ""},
    )
    assert out.returncode == 0 and "intact" in out.stdout, out.stdout + out.stderr
    out = cli("audit", "verify-bundle", bundle, "--pin", "0123456789abcdef")
    assert out.returncode == 1 and "not a trusted" in out.stdout

    out = cli("audit", "show", "--workspace", ws.root, "--event", "data.")
    assert out.returncode == 0 and out.stdout.count("data.prepare") == 3


def test_verify_fails_naming_the_record_and_repair_refuses_tampering(tmp_path, ws):
    log = AuditLog(ws.audit_dir, ws.keys_dir)
    for i in range(4):
        log.record("x", details={"i": i})
    lines = log.segment_path(1).read_bytes().splitlines(keepends=True)
    del lines[1]
    log.segment_path(1).write_bytes(b"".join(lines))
    out = cli("audit", "verify", "--workspace", ws.root)
    assert out.returncode == 1 and "missing" in out.stdout and "000001.jsonl:2" in out.stdout
    out = cli("audit", "repair", "--yes", "--workspace", ws.root)
    assert out.returncode == 1 and "refusing to repair" in out.stderr


def test_wrong_passphrase_is_a_clear_error(tmp_path, ws):
    AuditLog(ws.audit_dir, ws.keys_dir).record("x")
    out = cli("audit", "show", "--workspace", ws.root, env={"APPLIANCE_PASSPHRASE": "wrong"})
    assert out.returncode == 1 and "wrong passphrase" in out.stderr and "Traceback" not in out.stderr
