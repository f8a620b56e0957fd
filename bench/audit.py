"""Audit log throughput against the raw durable-write rate of the same disk, measured in the same run.

Prints JSON: raw write+fsync lines/s (same line size), single-writer durable appends/s, concurrent writers
(threads, group commit) appends/s, verification records/s (without and with decryption), and the ratios.
`single_vs_raw` times the raw loop, then the log (as since the first version of this bench); `interleaved`
alternates blocks of raw writes and appends, so that a neighbour's load on a shared disk or CPU falls on both
alike: on a noisy machine its ratio is the steadier of the two.
Run: .venv/bin/python bench/audit.py [--records 3000] [--dir /path/on/the/disk/to/test]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("APPLIANCE_PASSPHRASE", "bench-passphrase")

from appliance.audit import AuditLog  # noqa: E402

DETAILS = {"policy": "hipaa", "records_out": 1234, "entities_found": 5678, "entities_by_type": {"PERSON": 12}}


def raw_fsync_rate(path: Path, line: bytes, n: int, sync=os.fsync) -> float:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    t0 = time.perf_counter()
    for _ in range(n):
        os.write(fd, line)
        sync(fd)
    dt = time.perf_counter() - t0
    os.close(fd)
    return n / dt


def interleaved(log: AuditLog, path: Path, line: bytes, n: int, block: int = 100) -> dict[str, float]:
    """Raw write+fsync and durable appends in alternating blocks (the order flips every round)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    spent = {"raw": 0.0, "log": 0.0}

    def raw_block(k: int) -> None:
        t0 = time.perf_counter()
        for _ in range(k):
            os.write(fd, line)
            os.fsync(fd)
        spent["raw"] += time.perf_counter() - t0

    def log_block(k: int) -> None:
        t0 = time.perf_counter()
        for _ in range(k):
            log.record("bench.append", artifacts={"ds-x": "ab" * 32}, details=DETAILS, checkpoint=False)
        spent["log"] += time.perf_counter() - t0

    for r, start in enumerate(range(0, n, block)):
        k = min(block, n - start)
        for step in (raw_block, log_block) if r % 2 == 0 else (log_block, raw_block):
            step(k)
    os.close(fd)
    return {
        "raw_write_fsync_per_s": round(n / spent["raw"]),
        "single_writer_appends_per_s": round(n / spent["log"]),
        "single_vs_raw": round(spent["raw"] / spent["log"], 3),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=3000)
    ap.add_argument("--threads", type=int, default=8)
    ap.add_argument("--dir", type=Path, default=None)
    args = ap.parse_args()
    base = Path(tempfile.mkdtemp(prefix="audit-bench-", dir=args.dir))
    log = AuditLog(base / "single" / "audit", base / "single" / "keys")
    sample = log.record("bench.sample", artifacts={"ds-x": "ab" * 32}, details=DETAILS, checkpoint=False)
    line_size = len(log.segment_path(1).read_bytes())
    raw = raw_fsync_rate(base / "raw.jsonl", b"x" * (line_size - 1) + b"\n", args.records)
    raw_datasync = raw_fsync_rate(
        base / "raw2.jsonl", b"x" * (line_size - 1) + b"\n", args.records, os.fdatasync
    )

    t0 = time.perf_counter()
    for _ in range(args.records):
        log.record("bench.append", artifacts={"ds-x": "ab" * 32}, details=DETAILS, checkpoint=False)
    single = args.records / (time.perf_counter() - t0)
    log.checkpoint()
    mixed = interleaved(log, base / "raw3.jsonl", b"x" * (line_size - 1) + b"\n", args.records)
    log.checkpoint()

    clog = AuditLog(base / "multi" / "audit", base / "multi" / "keys")
    clog.keyring()
    per = args.records // args.threads

    def writer() -> None:
        for _ in range(per):
            clog.record("bench.append", artifacts={"ds-x": "ab" * 32}, details=DETAILS, checkpoint=False)

    threads = [threading.Thread(target=writer) for _ in range(args.threads)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    concurrent = per * args.threads / (time.perf_counter() - t0)
    clog.checkpoint()

    # Verification speed on a bigger log: replicate records quickly (no fsync) by writing with the log itself.
    vlog = AuditLog(base / "verify" / "audit", base / "verify" / "keys", checkpoint_every=10_000)
    vlog.keyring()
    import appliance.audit.log as logmod

    real_sync = logmod.os.fdatasync
    logmod.os.fdatasync = lambda fd: None  # building the test log only; verification below reads it back
    try:
        for _ in range(50_000):
            vlog.record("bench.append", artifacts={"ds-x": "ab" * 32}, details=DETAILS, checkpoint=False)
    finally:
        logmod.os.fdatasync = real_sync
    vlog.checkpoint()
    t0 = time.perf_counter()
    res = vlog.verify(use_keys=False)
    keyless = res.records / (time.perf_counter() - t0)
    t0 = time.perf_counter()
    res2 = vlog.verify(use_keys=True)
    keyed = res2.records / (time.perf_counter() - t0)
    assert res.ok and res2.ok, (res.describe(), res2.describe())
    print(
        json.dumps(
            {
                "line_bytes": line_size,
                "raw_write_fsync_per_s": round(raw),
                "raw_write_fdatasync_per_s": round(raw_datasync),
                "appends_sync_call": "fdatasync",
                "single_writer_appends_per_s": round(single),
                "single_vs_raw": round(single / raw, 3),
                "single_vs_raw_fdatasync": round(single / raw_datasync, 3),
                "interleaved": mixed,
                "concurrent_threads": args.threads,
                "concurrent_appends_per_s": round(concurrent),
                "concurrent_vs_raw": round(concurrent / raw, 3),
                "verify_records_per_s_keyless": round(keyless),
                "verify_records_per_s_with_decryption": round(keyed),
                "verified_records": res.records,
                "sample_seq": sample["seq"],
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
