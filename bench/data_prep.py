"""Data-preparation throughput and memory: synthetic JSONL → prepare (clean, exact+near dedupe, split).

    .venv/bin/python bench/data_prep.py                      # 50k and 200k records (~50 MB, ~200 MB)
    .venv/bin/python bench/data_prep.py --records 20000      # one size
    .venv/bin/python bench/data_prep.py --no-near            # exact dedupe only

Each size runs in a fresh child process so its peak RSS (ru_maxrss) is its own. The corpus has ~1 KB
records (random words from a 5,000-word vocabulary) with 2% exact copies (case/whitespace changed) and
2% near copies (1-2 words replaced). Prints one JSON line per size and a summary JSON with the near-dup
scaling ratio (seconds per record at the largest size over the smallest; ~1.0 means linear).
Baseline (ARCHITECTURE.md §6): peak RSS must stay under 1 GiB at 200k records.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RSS_LIMIT_MB = 1024


def make_corpus(path: Path, n: int, seed: int = 0) -> None:
    rng = random.Random(seed)
    vocab = [
        f"{rng.choice('bcdfghklmnprstvz')}{rng.choice('aeiou')}{rng.randrange(10**4):04d}"
        for _ in range(5000)
    ]
    kept: list[tuple[str, str]] = []
    with open(path, "w", encoding="utf-8") as f:
        for i in range(n):
            r = rng.random()
            if kept and r < 0.02:
                p, a = rng.choice(kept)
                p, a = "  " + p.upper() + " ", a
            elif kept and r < 0.04:
                p, a = rng.choice(kept)
                words = a.split()
                for _ in range(rng.randint(1, 2)):
                    words[rng.randrange(len(words))] = rng.choice(vocab)
                a = " ".join(words)
            else:
                p = " ".join(rng.choices(vocab, k=rng.randint(20, 40))) + "?"
                a = " ".join(rng.choices(vocab, k=rng.randint(100, 140))) + "."
                if len(kept) < 5000:
                    kept.append((p, a))
                elif rng.random() < 0.05:
                    kept[rng.randrange(5000)] = (p, a)
            f.write(json.dumps({"id": f"r{i}", "question": p, "answer": a}) + "\n")


def child(n: int, near: bool, workdir: Path) -> dict:
    sys.path.insert(0, str(ROOT))
    from appliance.config import DataSection
    from appliance.data.prepare import prepare_records

    src = workdir / f"corpus-{n}.jsonl"
    t = time.perf_counter()
    make_corpus(src, n)
    gen_s = time.perf_counter() - t
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    section = DataSection.model_validate(
        {
            "source": str(src),
            "fields": {"prompt": "question", "response": "answer"},
            "dedupe": {"exact": True, "near": 0.85 if near else None},
            "split": {"validation": 0.05, "test": 0.05, "seed": 7},
        }
    )
    out = workdir / f"out-{n}"
    out.mkdir()
    t = time.perf_counter()
    report = prepare_records(section, src, out, id_key=bytes(32))  # a fixed key: the same splits every run
    secs = time.perf_counter() - t
    c = report["counts"]
    return {
        "records": n,
        "bytes": src.stat().st_size,
        "seconds": round(secs, 2),
        "records_per_s": round(n / secs),
        "mb_per_s": round(src.stat().st_size / secs / 1e6, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "rss_before_prepare_mb": round(rss_before, 1),
        "near_dedupe_seconds": report["duplicates"]["seconds"],
        "near_dedupe_us_per_record": round(report["duplicates"]["seconds"] / n * 1e6, 1),
        "exact_dupes": report["duplicates"]["exact"],
        "near_dupes": report["duplicates"]["near"],
        "kept": c["kept"],
        "splits": c["splits"],
        "generate_seconds": round(gen_s, 1),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--records", type=int, action="append", help="corpus size (repeatable); default 50k, 200k"
    )
    ap.add_argument("--no-near", action="store_true", help="exact dedupe only")
    ap.add_argument("--child", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--workdir", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(args.child, not args.no_near, args.workdir)))
        return
    sizes = args.records or [50_000, 200_000]
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-data-") as tmp:
        for n in sizes:
            cmd = [sys.executable, __file__, "--child", str(n), "--workdir", tmp]
            if args.no_near:
                cmd.append("--no-near")
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=1800, env=os.environ.copy())
            if proc.returncode != 0:
                sys.exit(f"size {n} failed:\n{proc.stderr[-3000:]}")
            res = json.loads(proc.stdout.strip().splitlines()[-1])
            print(json.dumps(res), flush=True)
            results.append(res)
            for p in Path(tmp).iterdir():  # keep the disk footprint to one corpus at a time
                if p.is_file():
                    p.unlink()
    lo, hi = min(results, key=lambda r: r["records"]), max(results, key=lambda r: r["records"])
    summary = {
        "bench": "data_prep",
        "sizes": [r["records"] for r in results],
        "records_per_s": {r["records"]: r["records_per_s"] for r in results},
        "peak_rss_mb": {r["records"]: r["peak_rss_mb"] for r in results},
        "rss_limit_mb": RSS_LIMIT_MB,
        "rss_ok": all(r["peak_rss_mb"] < RSS_LIMIT_MB for r in results),
        "near_dedupe_seconds": {r["records"]: r["near_dedupe_seconds"] for r in results},
    }
    if hi is not lo and lo["near_dedupe_seconds"]:
        summary["near_dedupe_scaling"] = round(
            (hi["near_dedupe_seconds"] / hi["records"]) / (lo["near_dedupe_seconds"] / lo["records"]), 2
        )
        summary["ratio_to_baseline_rss"] = round(hi["peak_rss_mb"] / RSS_LIMIT_MB, 2)
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
