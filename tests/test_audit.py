"""Audit log: encryption, chain, Merkle checkpoints, signatures, damage detection, crash safety, bundles."""

import json
import os
import random
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from appliance.audit import AuditLog, crypto
from appliance.audit.format import MerkleAccumulator, leaf_hash, merkle_root, parse_line, seal_line
from appliance.errors import ApplianceError, AuditWriteError


def make_log(tmp_path: Path, n: int = 6, name: str = "ws") -> AuditLog:
    log = AuditLog(tmp_path / name / "audit", tmp_path / name / "keys")
    for i in range(n):
        log.record("test.event", artifacts={f"ds-{i}": "ab" * 32}, details={"i": i, "note": "counts only"})
    return log


def seg_lines(log: AuditLog) -> list[bytes]:
    return log.segment_path(1).read_bytes().splitlines(keepends=True)


def write_lines(log: AuditLog, lines: list[bytes]) -> None:
    log.segment_path(1).write_bytes(b"".join(lines))


def test_records_are_encrypted_chained_and_signed(tmp_path):
    log = make_log(tmp_path)
    raw = log.segment_path(1).read_text()
    assert "counts only" not in raw  # the body is encrypted
    recs = list(log.iter_records(decrypt=True))
    assert [r["seq"] for r in recs] == list(range(6)) and recs[3]["details"] == {
        "i": 3,
        "note": "counts only",
    }
    assert all(recs[i]["prev"] == recs[i - 1]["hash"] for i in range(1, 6))
    assert (log.keys_dir / crypto.KEYRING_FILE).stat().st_mode & 0o777 == 0o600
    res = log.verify()
    assert res.ok and res.records == 6 and res.signed_size == 6, res.describe()
    assert log.verify(use_keys=False).ok  # anyone can check integrity without the decryption key


def test_merkle_accumulator_matches_rfc9162_reference():
    hashes = [f"{i:064x}" for i in range(37)]
    acc = MerkleAccumulator()
    assert acc.root() == merkle_root([])
    for n, h in enumerate(hashes, start=1):
        acc.append(leaf_hash(h))
        assert acc.root() == merkle_root(hashes[:n])


def _reseal(line: bytes, **changes) -> bytes:
    header = parse_line(line.rstrip(b"\n")).header
    header.update(changes)
    return seal_line(header)[0] + b"\n"


@pytest.mark.parametrize(
    "damage, kind, where",
    [
        ("flip", "altered", "000001.jsonl:3"),
        ("delete", "missing", "000001.jsonl:3"),
        ("swap", "reordered", "000001.jsonl:2"),
        ("duplicate", "duplicated", "000001.jsonl:4"),
        ("truncate-line", "torn", "000001.jsonl:6"),
        ("truncate-records", "missing", "checkpoints.jsonl"),
        ("resealed-edit", "chain", "000001.jsonl:4"),
    ],
)
def test_damage_is_named_at_the_first_bad_record(tmp_path, damage, kind, where):
    log = make_log(tmp_path)
    lines = seg_lines(log)
    if damage == "flip":
        b = bytearray(lines[2])
        b[len(b) // 2] ^= 0x01
        lines[2] = bytes(b)
    elif damage == "delete":
        del lines[2]
    elif damage == "swap":
        lines[1], lines[2] = lines[2], lines[1]
    elif damage == "duplicate":
        lines.insert(3, lines[2])
    elif damage == "truncate-line":
        lines[-1] = lines[-1][:-20]
    elif damage == "truncate-records":
        lines = lines[:4]
    else:  # an edit whose record hash was recomputed: the next record no longer chains to it
        lines[2] = _reseal(lines[2], actor="mallory")
    write_lines(log, lines)
    for use_keys in (True, False):
        res = log.verify(use_keys=use_keys)
        if (
            damage == "resealed-edit" and use_keys
        ):  # with the key, the edited header fails body authentication
            assert not res.ok and res.kind == "forged" and res.where == "000001.jsonl:3", res.describe()
            continue
        assert not res.ok and res.kind == kind and res.where.startswith(where), res.describe()


def test_record_appended_without_the_keys_is_detected(tmp_path):
    log = make_log(tmp_path)
    last = parse_line(seg_lines(log)[-1].rstrip(b"\n"))
    forged = dict(
        last.header, seq=6, prev=last.hash, event="train.complete", body=crypto.b64e(os.urandom(48))
    )
    write_lines(log, [*seg_lines(log), seal_line(forged)[0] + b"\n"])
    with_keys = log.verify()
    assert not with_keys.ok and with_keys.kind == "forged" and with_keys.first_bad_seq == 6
    keyless = log.verify(use_keys=False)
    assert not keyless.ok and keyless.kind == "unsigned" and keyless.first_bad_seq == 6


def test_checkpoint_resigned_with_another_key_is_detected(tmp_path):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from appliance.audit.format import checkpoint_message

    log = make_log(tmp_path)
    real_kid = next(iter(log.public_keys()))
    other = Ed25519PrivateKey.generate().private_bytes_raw()
    other_pub = crypto.signing_public(other)
    log._write_public_key(other_pub)  # the attacker can drop a public key file too
    cps = [json.loads(line) for line in log.checkpoints_path.read_text().splitlines()]
    cps[-1]["key_id"] = crypto.key_id(other_pub)
    cps[-1]["sig"] = crypto.b64e(crypto.sign(other, checkpoint_message(cps[-1])))
    log.checkpoints_path.write_text("".join(json.dumps(c) + "\n" for c in cps))
    res = log.verify()
    assert not res.ok and res.kind == "untrusted-key"
    res = log.verify(use_keys=False, pins=[real_kid])
    assert not res.ok and res.kind == "untrusted-key"


def test_consistent_forgery_without_the_real_keys_is_detected(tmp_path, monkeypatch):
    import shutil

    real = make_log(tmp_path, name="real")
    real_kid = next(iter(real.public_keys()))
    monkeypatch.setenv("APPLIANCE_PASSPHRASE", "forger")
    forged = make_log(tmp_path, name="forged", n=6)
    monkeypatch.setenv("APPLIANCE_PASSPHRASE", "test-passphrase")
    shutil.rmtree(real.dir)
    shutil.copytree(forged.dir, real.dir)  # internally consistent, signed with the forger's key
    fresh = AuditLog(real.dir, real.keys_dir)
    res = fresh.verify()
    assert not res.ok and res.kind in ("untrusted-key", "forged")
    res = fresh.verify(use_keys=False, pins=[real_kid])
    assert not res.ok and res.kind == "untrusted-key"


def test_wrong_passphrase_is_refused_and_audited(tmp_path, monkeypatch):
    log = make_log(tmp_path, 2)
    monkeypatch.setenv("APPLIANCE_PASSPHRASE", "guess")
    other = AuditLog(log.dir, log.keys_dir)
    with pytest.raises(crypto.WrongPassphrase):
        other.record("x")
    headers = log.records()
    assert headers[-1]["event"] == "auth.failed" and headers[-1]["body"] is None


class _Terminal:
    """stdin as a terminal, and the passphrases an operator types at each prompt."""

    def __init__(self, monkeypatch, answers):
        self.answers, self.prompts = list(answers), []
        monkeypatch.delenv(crypto.PASSPHRASE_ENV, raising=False)
        monkeypatch.setattr(crypto, "_typed", {})
        monkeypatch.setattr(sys, "stdin", type("Tty", (), {"isatty": staticmethod(lambda: True)})())
        monkeypatch.setattr(crypto.getpass, "getpass", self.ask)

    def ask(self, prompt):
        self.prompts.append(prompt)
        return self.answers.pop(0)


def test_a_typed_passphrase_is_asked_once_per_process(tmp_path, monkeypatch):
    """A command opens the keys to fail early, then again to write its record (the CLI's scrub): a second
    prompt appeared in the middle of its progress display, where the command then waited."""
    log = make_log(tmp_path, 1)
    tty = _Terminal(monkeypatch, ["test-passphrase"])
    AuditLog(log.dir, log.keys_dir).keyring()
    AuditLog(log.dir, log.keys_dir).record("scrub.file", details={"records": 3})
    assert tty.prompts == ["Workspace passphrase: "]
    assert AuditLog(log.dir, log.keys_dir).keys_available() and log.verify().ok


def test_a_wrong_typed_passphrase_is_asked_again(tmp_path, monkeypatch):
    log = make_log(tmp_path, 1)
    tty = _Terminal(monkeypatch, ["guess", "test-passphrase"])
    with pytest.raises(crypto.WrongPassphrase):
        AuditLog(log.dir, log.keys_dir).keyring()
    AuditLog(log.dir, log.keys_dir).record("x")
    assert len(tty.prompts) == 2 and log.records()[-1]["event"] == "x"


def test_the_keyring_key_is_derived_once_per_process(tmp_path, monkeypatch):
    log = make_log(tmp_path, 1)
    calls = []
    real = crypto.hashlib.scrypt
    monkeypatch.setattr(crypto.hashlib, "scrypt", lambda *a, **k: calls.append(1) or real(*a, **k))
    crypto._unseal_key.cache_clear()
    for _ in range(3):
        AuditLog(log.dir, log.keys_dir).keyring()
    assert len(calls) == 1
    monkeypatch.setenv(crypto.PASSPHRASE_ENV, "guess")  # another passphrase derives its own key, and fails
    with pytest.raises(crypto.WrongPassphrase):
        AuditLog(log.dir, log.keys_dir).keyring()
    assert len(calls) == 2


def test_torn_tail_blocks_appends_until_repaired(tmp_path):
    log = make_log(tmp_path, 3)
    log.record("in.flight", details={"x": 1}, checkpoint=False)  # a crash tears only an unsigned write
    write_lines(log, [*seg_lines(log)[:-1], seg_lines(log)[-1][:-7]])
    fresh = AuditLog(log.dir, log.keys_dir)
    with pytest.raises(AuditWriteError, match="incomplete record"):
        fresh.record("x")
    with pytest.raises(ApplianceError, match="cancelled"):
        fresh.repair(lambda q: False)
    assert "torn" in fresh.repair(lambda q: True)
    res = fresh.verify()
    assert res.ok and fresh.records()[-1]["event"] == "audit.repair"
    assert [r["event"] for r in fresh.records()][2:] == ["test.event", "audit.repair"]  # torn one cut


def test_torn_checkpoint_line_is_dropped_before_the_next_checkpoint(tmp_path):
    """Power lost while a checkpoint line was written: verify still passes, and the next checkpoint is not glued
    to the torn fragment (which would read as an altered checkpoint)."""
    log = make_log(tmp_path, 3)
    good = log.checkpoints_path.read_bytes()
    log.checkpoints_path.write_bytes(good + good.splitlines()[-1][:40])  # a torn, unterminated line
    fresh = AuditLog(log.dir, log.keys_dir)
    assert fresh.verify().ok
    fresh.record("after.crash")
    lines = fresh.checkpoints_path.read_bytes().splitlines()
    assert fresh.checkpoints_path.read_bytes().startswith(good) and len(lines) > len(good.splitlines())
    assert all(json.loads(x)["sig"] for x in lines)
    res = fresh.verify()
    assert res.ok, res.describe()


def test_tampering_is_not_repaired(tmp_path):
    log = make_log(tmp_path)
    lines = seg_lines(log)
    del lines[1]
    write_lines(log, lines)
    with pytest.raises(ApplianceError, match="refusing to repair"):
        log.repair(lambda q: True)


def test_unwritable_log_fails_closed(tmp_path):
    log = AuditLog(tmp_path / "audit", tmp_path / "keys")
    (log.segments_dir / "000001.jsonl").mkdir(parents=True)
    with pytest.raises(AuditWriteError):
        log.record("x")


def test_group_commit_shares_fsyncs_and_keeps_order(tmp_path, monkeypatch):
    log = make_log(tmp_path, 1)
    calls = {"n": 0}
    real_fsync = os.fsync

    def counting_fsync(fd):
        calls["n"] += 1
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", counting_fsync)
    real_fdatasync = os.fdatasync

    def counting_fdatasync(fd):  # what record appends use
        calls["n"] += 1
        real_fdatasync(fd)

    monkeypatch.setattr(os, "fdatasync", counting_fdatasync)

    def writer(k):
        for i in range(25):
            log.record("bulk", details={"w": k, "i": i}, checkpoint=False)

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    monkeypatch.undo()
    log.checkpoint()
    assert log.verify().records == 201
    assert calls["n"] < 150  # record syncs were shared (200 appends; checkpoints add a few)


def test_fast_record_encoding_is_the_reference_encoding(tmp_path):
    """The writer builds each line from one encoding per member; the spec's canonical(header) must agree."""
    from appliance.audit.format import aead, decrypt_body, encode_record, record_aad

    log = AuditLog(tmp_path / "audit", tmp_path / "keys")
    details = {"ü": [1, 2.5, None, True], "q": '"\\\n\t\u0001', "nested": {"b": 1, "a": {"z": [], "y": {}}}}
    log.record(
        'ev\u00e9nt/"x"', artifacts={"z\u2603": "ab" * 32, "a": "cd" * 32}, details=details, actor="Zoë"
    )
    log.record("plain", details={})
    for line in seg_lines(log):
        parsed = parse_line(line.rstrip(b"\n"))
        assert seal_line(parsed.header)[0] + b"\n" == line  # byte for byte: canonical(H) + hash
    ring = log.keyring()
    first = parse_line(seg_lines(log)[0].rstrip(b"\n")).header
    assert first["actor"] == "Zoë" and decrypt_body(ring.data[1], first) == details  # AAD = reference AAD
    # without a body (events written without the keys)
    line, digest, nonce, body = encode_record(
        7, "2026-01-01T00:00:00.000000Z", "a", "auth.failed", {}, 1, "0" * 64
    )
    header = {"v": 1, "seq": 7, "time": "2026-01-01T00:00:00.000000Z", "actor": "a", "event": "auth.failed",
              "artifacts": {}, "segment": 1, "prev": "0" * 64, "nonce": None, "body": None}  # fmt: skip
    assert (line, digest, nonce, body) == (seal_line(header)[0] + b"\n", seal_line(header)[1], None, None)
    line, _, nonce, body = encode_record(0, "t", "a", "e", {}, 3, "0" * 64, aead(b"k" * 32), {"x": 1})
    header = {**header, "seq": 0, "time": "t", "event": "e", "segment": 3, "nonce": nonce, "body": body}
    assert line == seal_line(header)[0] + b"\n" and decrypt_body(b"k" * 32, header) == {"x": 1}
    assert record_aad(header) == crypto.canonical(
        {k: v for k, v in header.items() if k not in ("nonce", "body")}
    )


def test_writers_in_turn_keep_one_chain(tmp_path):
    """Two handles on one log (as two processes): each notices the other's appends before its own."""
    a = make_log(tmp_path, 2)
    b = AuditLog(a.dir, a.keys_dir)
    for i in range(6):
        (a if i % 2 else b).record("turn", details={"i": i}, checkpoint=i == 5)
    assert [r["details"].get("i") for r in a.iter_records()][2:] == list(range(6))
    res = AuditLog(a.dir, a.keys_dir).verify()
    assert res.ok and res.records == 8, res.describe()


MP_WRITER = """
import sys
from appliance.audit import AuditLog
log = AuditLog(sys.argv[1], sys.argv[2], checkpoint_every=16)
for i in range(60):
    log.record("mp", details={"i": i}, checkpoint=i % 25 == 24)
"""


def test_processes_appending_at_once_keep_one_chain(tmp_path):
    audit, keys = tmp_path / "audit", tmp_path / "keys"
    AuditLog(audit, keys).record("start")
    procs = [
        subprocess.Popen([sys.executable, "-c", MP_WRITER, str(audit), str(keys)], env=os.environ.copy())
        for _ in range(3)
    ]
    assert [p.wait(timeout=120) for p in procs] == [0, 0, 0]
    log = AuditLog(audit, keys)
    log.checkpoint()
    res = log.verify()
    assert res.ok and res.records == 181, res.describe()


def test_key_rotation_starts_a_segment_and_keeps_trust(tmp_path):
    log = make_log(tmp_path, 3)
    first = next(iter(log.public_keys()))
    new_kid = log.rotate_keys()
    log.record("after.rotation", details={"ok": True})
    assert log.segment_path(2).is_file() and new_kid != first
    assert [r["event"] for r in log.records()][3] == "audit.key_rotation"
    assert log.verify().ok
    pinned = log.verify(use_keys=False, pins=[first])
    assert pinned.ok and set(pinned.signing_keys) == {first, new_kid}, pinned.describe()
    assert list(AuditLog(log.dir, log.keys_dir).iter_records())[-1]["details"] == {"ok": True}


def test_pseudonym_is_consistent_and_keyed(tmp_path):
    log = make_log(tmp_path, 1)
    a = log.pseudonym("patient-123")
    assert a == AuditLog(log.dir, log.keys_dir).pseudonym("patient-123") and "patient-123" not in a
    assert a != make_log(tmp_path, 1, name="other").pseudonym("patient-123")


CRASH_WRITER = """
import sys
from appliance.audit import AuditLog
log = AuditLog(sys.argv[1], sys.argv[2], checkpoint_every=16)
i = 0
while True:
    rec = log.record("crash.test", details={"i": i}, checkpoint=False)
    print(rec["seq"], flush=True)
    i += 1
"""


def test_sigkill_at_random_moments_loses_no_acknowledged_record(tmp_path):
    audit, keys = tmp_path / "audit", tmp_path / "keys"
    AuditLog(audit, keys).record("start")
    rng = random.Random(5)
    acknowledged: set[int] = set()
    for _ in range(4):
        proc = subprocess.Popen(
            [sys.executable, "-c", CRASH_WRITER, str(audit), str(keys)],
            stdout=subprocess.PIPE,
            text=True,
            env=os.environ.copy(),
        )
        want = rng.randint(5, 60)
        seen = 0
        while seen < want:
            line = proc.stdout.readline()
            if not line:
                break
            acknowledged.add(int(line))
            seen += 1
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        log = AuditLog(audit, keys)
        res = log.verify()
        if not res.ok:
            assert res.kind in ("torn", "unsigned"), res.describe()
            log.repair(lambda q: True)
        assert log.verify().ok
        present = {r["seq"] for r in log.records()}
        assert acknowledged <= present


def test_bundle_verifies_offline_and_detects_tampering(tmp_path, monkeypatch):
    import tarfile

    from appliance.audit.bundle import decrypt_bundle_records, export_bundle, verify_bundle
    from appliance.workspace import Workspace

    ws = Workspace.open(tmp_path / "ws")
    log = AuditLog(ws.audit_dir, ws.keys_dir)
    for i in range(5):
        log.record(
            "scrub.dataset", artifacts={f"ds-{i}": "cd" * 32}, details={"policy": "hipaa", "records_out": i}
        )
    kid = next(iter(log.public_keys()))
    monkeypatch.setenv("APPLIANCE_AUDITOR_PASSPHRASE", "auditor-secret")
    pub, key = crypto.auditor_keygen(tmp_path / "auditor", "auditor-secret")
    bundle = tmp_path / "bundle.tar.gz"
    manifest = export_bundle(log, ws, bundle, pub)
    assert manifest["records"] == 5 and manifest["verification"]["ok"]
    res, _ = verify_bundle(bundle, pins=[kid], auditor_key=key, auditor_passphrase="auditor-secret")
    assert res.ok, res.describe()
    recs = decrypt_bundle_records(bundle, key, "auditor-secret")
    assert recs[4]["details"]["records_out"] == 4
    with tarfile.open(bundle) as t:
        report = t.extractfile("audit-bundle/report.html").read().decode()
    assert "PASS" in report and "scrub.dataset" in report
    assert log.records()[-1]["event"] == "audit.export"

    # tamper: change one byte of a segment inside the bundle
    extracted = tmp_path / "x"
    with tarfile.open(bundle) as t:
        t.extractall(extracted, filter="data")
    seg = extracted / "audit-bundle" / "segments" / "000001.jsonl"
    data = bytearray(seg.read_bytes())
    data[100] ^= 1
    seg.write_bytes(bytes(data))
    bad = tmp_path / "bad.tar.gz"
    with tarfile.open(bad, "w:gz") as t:
        t.add(extracted / "audit-bundle", arcname="audit-bundle")
    res, _ = verify_bundle(bad, pins=[kid])
    assert not res.ok and res.kind == "bundle"
    with pytest.raises(Exception):  # noqa: B017  (wrong auditor passphrase)
        verify_bundle(bundle, pins=[kid], auditor_key=key, auditor_passphrase="nope")


def _section(report: str, title: str) -> str:
    start = report.index(f"<h2>{title}")
    end = report.find("<h2>", start + 4)
    return report[start : end if end >= 0 else len(report)]


def _row(section: str, art_id: str) -> str:
    start = section.index(f"<tr><td><code>{art_id}</code>")
    end = section.find("<tr><td><code>", start + 1)  # the next artifact's row (nested tables start otherwise)
    return section[start : end if end >= 0 else len(section)]


def test_period_report_shows_datasets_signoffs_verdicts_exports_and_lineage(tmp_path, monkeypatch):
    import tarfile

    from appliance.audit.bundle import export_bundle
    from appliance.audit.report import render_report
    from appliance.workspace import InputRef, Workspace

    ws = Workspace.open(tmp_path / "ws")

    def make(kind, inputs=(), files=None):
        with ws.new_artifact(kind, inputs=list(inputs)) as b:
            for name, text in (files or {"f.txt": kind}).items():
                (b.path / name).parent.mkdir(parents=True, exist_ok=True)
                (b.path / name).write_text(text)
        return ws.get(kind, b.id)

    src = make("dataset", [InputRef("file", "notes.jsonl", "11" * 32)])
    scrubbed = make("dataset", [src.ref()])
    base = make("model")
    run = make("run", [scrubbed.ref(), base.ref()])
    exp = make("export", [run.ref(), base.ref()], {"fp32/model.onnx": "onnx"})
    log = AuditLog(ws.audit_dir, ws.keys_dir)
    sha = {a.id: a.manifest_sha256 for a in (src, scrubbed, base, run, exp)}
    log.record(
        "data.prepare", artifacts={src.id: sha[src.id], "source": "11" * 32}, details={"format": "jsonl"}
    )
    stats = {"records_in": 40, "records_out": 38, "records_dropped": 2, "entities_found": 57,
             "entities_by_type": {"PERSON": 30, "US_SSN": 27}, "residual": {"max_risk": 0.0125}}  # fmt: skip
    log.record(
        "scrub.dataset",
        artifacts={scrubbed.id: sha[scrubbed.id], src.id: sha[src.id]},
        details={"policy": "hipaa", "policy_sha256": "22" * 32, **stats},
    )
    # Sign-offs as appliance/data/signoff.py records them (written here straight through the audit API).
    monkeypatch.setenv("APPLIANCE_OPERATOR", "dr-reviewer")
    approve = log.record(
        "dataset.approve",
        artifacts={scrubbed.id: sha[scrubbed.id]},
        details={"decision": "approve", "reviewed_records": 25, "rules_added": 1},
    )
    log.record(
        "dataset.approve",
        artifacts={src.id: sha[src.id]},
        details={"decision": "reject", "reviewed_records": 5, "rules_added": 0},
    )
    log.record(  # an approval of another version of the dataset than the one the log knows
        "dataset.approve",
        artifacts={scrubbed.id: "55" * 32},
        details={"decision": "approve", "reviewed_records": 3, "rules_added": 0},
    )
    monkeypatch.setenv("APPLIANCE_OPERATOR", "pytest")
    log.record("model.import", artifacts={base.id: sha[base.id]}, details={"source_format": "hf"})
    log.record(
        "train.complete",
        artifacts={run.id: sha[run.id], scrubbed.id: sha[scrubbed.id], base.id: sha[base.id]},
        details={"method": "lora", "device": "cpu", "steps": 3},
    )
    for verdict, failed in (("fail", ["leakage.canary_emissions"]), ("pass", [])):
        log.record(
            "evaluate.complete",
            artifacts={run.id: sha[run.id], f"{run.id}/eval/report.json": "33" * 32},
            details={"verdict": verdict, "failed_rules": failed, "gates_policy": "hipaa"},
        )
    log.record(
        "export.onnx",
        artifacts={exp.id: sha[exp.id], run.id: sha[run.id], f"{exp.id}/fp32/model.onnx": "44" * 32},
        details={"precisions": ["fp32"], "fp32_passed": True, "gates_passed": True, "override": False},
    )
    pub, _key = crypto.auditor_keygen(tmp_path / "auditor", "auditor-secret")
    export_bundle(log, ws, tmp_path / "b.tar.gz", pub)
    with tarfile.open(tmp_path / "b.tar.gz") as t:
        report = t.extractfile("audit-bundle/report.html").read().decode()

    datasets = _section(report, "Datasets")
    row = _row(datasets, scrubbed.id)
    assert f"scrub.dataset from {src.id}" in row and "policy hipaa" in row
    assert "40 in, 38 out, 2 dropped" in row and "entities found 57: PERSON 30, US_SSN 27" in row
    assert "residual risk max 0.0125" in row
    assert f"APPROVED</span> by dr-reviewer, {approve['time']}; reviewed 25 records, 1 rules added" in row
    assert "is not the dataset" in row and "5555555555555555" in row  # the stale approval is flagged
    row = _row(datasets, src.id)
    assert "not scrubbed" in row and "REJECTED</span> by dr-reviewer" in row and "is not the" not in row

    row = _row(_section(report, "Runs"), run.id)
    assert f"data {scrubbed.id}; base model {base.id}" in row and "lora on cpu" in row
    assert "FAIL</span> (gates policy hipaa; failed: leakage.canary_emissions)" in row
    assert "PASS</span> (gates policy hipaa)" in row and exp.id in row

    row = _row(_section(report, "Exports"), exp.id)
    assert "release gates passed" in row and "44" * 32 in row and sha[exp.id] in row
    for node in (run, scrubbed, src, base):  # lineage down to the source file
        assert f"<code>{node.id}</code> sha256 <code>{sha[node.id]}</code>" in row
    assert "file <code>notes.jsonl</code> sha256 <code>" + "11" * 32 in row
    assert '<h2>Verification: <span class="verdict">PASS' in report

    # A later period: the dataset made before it still shows its scrub statistics, marked as earlier.
    records = list(log.iter_records())
    since = approve["time"]
    later = [r for r in records if r["time"] >= since]
    html_text = render_report(later, [], log.verify(), {"from": since, "to": None}, history=records)
    row = _row(_section(html_text, "Datasets"), scrubbed.id)
    assert "(before this period)" in row and "38 out" in row and "APPROVED" in row
